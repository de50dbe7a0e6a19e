"""The buildroot's installed-package list, in the form the hub accepts (contract 4.4, 2.4).

The list is read from the container's own rpm database (``rpm -qa`` with a
fixed query format).  Packages are sorted by where they came from:

* from the koji repo: reported with their koji rpm ``id`` when the repo's
  ``rpmlist.jsonl`` knows them (payload hash checked), or by N-V-R.A, or as
  external rpms (``location``) when the repo's ``pkgorigins`` says so;
* from the image: reported as external rpms of the external repo the image
  policy names, or, when it names none, left out of the hub list and only
  recorded in ``installed_pkgs.log`` with the image digest (ADR 0005).
"""

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import koji

from koji_adjutant.errors import TaskFailed

SKIP = ("gpg-pubkey", "buildsys-build")
# The header digests koji.make_rpm_ident chooses from (rpm v6 packages have no SIGMD5).
DIGEST_TAGS = ("SIGMD5", "SHA1HEADER", "SHA256HEADER", "SHA3_256HEADER")
# rpm refuses a query format naming a tag it does not know (SHA3_256HEADER before rpm 6):
# such a column is printed as "(none)", as a digest the package lacks.
_QUERY_SCRIPT = (
    'known=$(rpm --querytags); digests=""\n'
    'for tag in "$@"; do\n'
    '  if printf "%s\\n" "$known" | grep -qx "$tag"; then digests="$digests\\\\t%{$tag}"\n'
    '  else digests="$digests\\\\t(none)"; fi\n'
    'done\n'
    'exec rpm -qa --qf "%{NAME}\\\\t%{VERSION}\\\\t%{RELEASE}\\\\t%{EPOCH}\\\\t%{ARCH}'
    '$digests\\\\t%{SIZE}\\\\t%{BUILDTIME}\\\\n"\n')
RPM_QUERY = ("/bin/sh", "-c", _QUERY_SCRIPT, "rpm-query", *DIGEST_TAGS)


@dataclass(frozen=True)
class InstalledRpm:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    payloadhash: str
    size: int
    buildtime: int

    @property
    def nvra(self) -> str:
        return f"{self.name}-{self.version}-{self.release}.{self.arch}"

    def entry(self) -> dict:
        """The hub's rpmlist entry fields (strings, int or None epoch, int sizes)."""
        return {"name": self.name, "version": self.version, "release": self.release,
                "epoch": self.epoch, "arch": self.arch, "payloadhash": self.payloadhash,
                "size": self.size, "buildtime": self.buildtime}


def parse_rpm_query(output: str) -> list[InstalledRpm]:
    """Parse the output of ``RPM_QUERY``; skip gpg-pubkey and buildsys-build.

    The payload hash is koji's identity of the package (``koji.make_rpm_ident``):
    its SIGMD5, or for an rpm v6 package the best header digest (``sha256::...``).
    """
    rpms = []
    width = 7 + len(DIGEST_TAGS)
    for line in output.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != width:
            raise TaskFailed(f"unexpected line from rpm -qa in the buildroot: {line!r}")
        name, version, release, epoch, arch, *digests, size, buildtime = fields
        if name in SKIP:
            continue
        rpm = InstalledRpm(name, version, release, None if epoch == "(none)" else int(epoch),
                           arch, "", _int(size), _int(buildtime))
        rpms.append(dataclasses.replace(rpm, payloadhash=_ident(rpm.nvra, digests)))
    return sorted(rpms, key=lambda r: r.nvra)


def _ident(nvra: str, values: list[str]) -> str:
    digests = {tag.lower(): value for tag, value in zip(DIGEST_TAGS, values)
               if value != "(none)"}
    try:
        return koji.make_rpm_ident(digests)
    except KeyError:
        raise TaskFailed(f"{nvra} in the buildroot has no header digest (SIGMD5, "
                         "SHA256HEADER, ...): koji cannot identify it") from None


def _int(text: str) -> int:
    return 0 if text == "(none)" else int(text)


def parse_rpmlist(text: str) -> dict[str, dict]:
    """Index the repo's ``rpmlist.jsonl`` (one rpminfo JSON object per line) by N-V-R.A."""
    index = {}
    for line in text.splitlines():
        if line.strip():
            info = json.loads(line)
            index["%(name)s-%(version)s-%(release)s.%(arch)s" % info] = info
    return index


def parse_pkgorigins(text: str) -> dict[str, str]:
    """Index a repo's ``pkgorigins`` (lines ``N-V-R.A<TAB>origin url``) by N-V-R.A."""
    origins = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            origins[parts[0]] = parts[1].strip()
    return origins


@dataclass(frozen=True)
class ExternalRepo:
    id: int
    name: str
    url: str


def origin_repo(origin: str, externals: Iterable[ExternalRepo], arch: str
                 ) -> ExternalRepo | None:
    """The external repo whose URL (``$arch`` expanded) is ``origin``, if any."""
    for repo in externals:
        if origin.rstrip("/") == repo.url.replace("$arch", arch).rstrip("/"):
            return repo
    return None


def koji_entries(rpms: Iterable[InstalledRpm], rpmlist: Mapping[str, dict],
                 origins: Mapping[str, str] | None = None,
                 externals: Iterable[ExternalRepo] = (), arch: str = "") -> list[dict]:
    """Hub entries for packages installed from the koji repo (kojid's mapping rules)."""
    externals = list(externals)
    entries = []
    for rpm in rpms:
        entry = rpm.entry()
        origin = origins.get(rpm.nvra) if origins else None
        if origins is not None and externals and origin is None:
            raise TaskFailed(f"No origin for {rpm.nvra} in the repo's pkgorigins")
        ext = origin_repo(origin, externals, arch) if origin else None
        if ext is not None:
            entry.update(external_repo=ext.name, location=ext.id)
        elif rpm.nvra in rpmlist:
            known = rpmlist[rpm.nvra]
            if known.get("payloadhash") and known["payloadhash"] != rpm.payloadhash:
                raise TaskFailed(f"payloadhash mismatch for {rpm.nvra}: the buildroot has "
                                 f"{rpm.payloadhash}, the repo lists {known['payloadhash']}")
            entry["id"] = known["id"]
        entries.append(entry)
    return entries


def image_entries(rpms: Iterable[InstalledRpm], external_repo: str | None) -> list[dict]:
    """Hub entries for the image's own packages: external rpms, or none at all."""
    if not external_repo:
        return []
    return [dict(rpm.entry(), location=external_repo) for rpm in rpms]


def installed_pkgs_log(image: str, digest: str, image_rpms: Iterable[InstalledRpm],
                       koji_rpms: Iterable[InstalledRpm], external_repo: str | None) -> str:
    """The text of ``installed_pkgs.log``: every package and where it came from."""
    origin = (f"external repo {external_repo}" if external_repo
              else "not reported to the hub (no external repo named by the image policy)")
    lines = [f"# image {image} {digest}", f"# image packages: {origin}"]
    lines += [f"{rpm.nvra} image" for rpm in image_rpms]
    lines += [f"{rpm.nvra} koji" for rpm in koji_rpms]
    return "\n".join(lines) + "\n"
