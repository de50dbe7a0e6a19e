"""What a buildroot looks like inside: repository, package manager config, macros, environment.

``BuildEnvironment.from_tag`` turns the inputs kojid feeds ``koji.genMockConfig``
(daemon options, the build tag's config at the repo's event, the repo and the
arch; contract 4.3) into the files and settings our containers use.  Pure: no
I/O, so every rule here has a unit test.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import koji

from koji_adjutant.buildroot import mock_extras

BUILD_HOME = "/builddir"
TOPDIR = BUILD_HOME + "/build"
DNF_CONF = "/etc/koji-adjutant/dnf.conf"
MACROS_FILE = "/etc/rpm/macros.zz-koji-adjutant"
BUILD_USER = "mockbuild"
BUILD_UID = 1000
# A DNS name of labels (RFC 1123) that the kernel takes as a host name (at most 64 bytes).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
HOST_NAME_MAX = 64
FALLBACK_HOST_NAME = "koji-buildroot"


def build_host(*names: str | None) -> str:
    """The buildroot's host name (rpmbuild's ``BuildHost``): the first valid of ``names``.

    kojid's mock shares the builder's host name with its builds; callers pass the
    name the hub knows this builder by, then the machine's.
    """
    for name in names:
        if name and len(name) <= HOST_NAME_MAX and _HOST_NAME.fullmatch(name):
            return name
    return FALLBACK_HOST_NAME


def target_arch_for(arch: str) -> str:
    """kojid's target arch: the task arch, except armhfp builds as armv7hl."""
    return "armv7hl" if arch == "armhfp" else arch


@dataclass(frozen=True)
class BuildEnvironment:
    """The environment of one buildroot, as kojid's mock config would describe it."""

    tag_name: str
    repo_id: int
    br_arch: str
    target_arch: str
    install_group: str
    baseurls: tuple[str, ...]
    macros: Mapping[str, str]
    env: Mapping[str, str] = field(default_factory=dict)
    proxy: str | None = None
    module_hotfixes: bool = False
    best: bool | None = None
    # Repositories besides the koji repo, one dnf repo each (local builds' ``--repo``).
    extra_repos: tuple[str, ...] = ()
    # root.log lines naming the tag's mock.* extras that mean nothing here (mock_extras).
    mock_notes: tuple[str, ...] = ()
    # mock.module_setup_commands: (action, module) pairs run before the install group.
    module_commands: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_tag(cls, options, tag_config: Mapping, repo: Mapping, arch: str,
                 install_group: str, baseurls: tuple[str, ...]) -> "BuildEnvironment":
        """Derive the environment from kojid options, tag config and repo (contract 4.3).

        A ``mock.*`` extra that would change the build and cannot be honoured
        raises ``TaskFailed`` here, before any work.
        """
        target = target_arch_for(arch)
        extra = tag_config.get("extra") or {}
        return cls(
            tag_name=tag_config["name"], repo_id=repo["id"], br_arch=koji.canonArch(arch),
            target_arch=target, install_group=install_group, baseurls=baseurls,
            macros=_macros(options, extra, target), env=_environment(extra),
            proxy=options.yum_proxy or None,
            module_hotfixes=bool(extra.get("mock.yum.module_hotfixes")),
            best=bool(extra["mock.yum.best"]) if "mock.yum.best" in extra else None,
            mock_notes=mock_extras.review(extra, arch, options.mock_bootstrap_image),
            module_commands=mock_extras.module_commands(extra))

    def dnf_conf(self) -> str:
        """The package manager config: only the koji repo, image repos off (hermetic).

        A local build has no koji repo (no ``baseurls``) and its ``extra_repos``.
        """
        main = ["[main]", "cachedir=/var/cache/dnf", "debuglevel=2",
                "logfile=/var/log/dnf.log", "reposdir=/dev/null", "retries=20",
                "obsoletes=1", "gpgcheck=0", "assumeyes=1", "keepcache=1",
                "install_weak_deps=0", "strict=1"]
        if self.proxy:
            main.append(f"proxy={self.proxy}")
        repos = [("build", " ".join(self.baseurls))] if self.baseurls else []
        repos += [(f"extra-{n}", url) for n, url in enumerate(self.extra_repos, 1)]
        lines = list(main)
        for name, baseurl in repos:
            lines += ["", f"[{name}]", f"name={name}", "baseurl=" + baseurl,
                      "enabled=1", "gpgcheck=0", "skip_if_unavailable=0"]
            if self.module_hotfixes:
                lines.append("module_hotfixes=1")
            if self.best is not None:
                lines.append(f"best={int(self.best)}")
        return "\n".join(lines) + "\n"

    def macros_file(self) -> str:
        """An rpm macros file with every macro, in kojid's precedence order."""
        lines = ["# written by koji-adjutant for buildroot of "
                 f"{self.tag_name} repo {self.repo_id} ({self.target_arch})"]
        lines += [f"{name} {_escape(value)}" for name, value in self.macros.items()]
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    # a multi-line macro value continues with a trailing backslash
    return str(value).replace("\n", "\\\n")


def _macros(options, extra: Mapping, target_arch: str) -> dict[str, str]:
    macros = {
        "%_rpmfilename": "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
        "%vendor": options.vendor,
        "%packager": options.packager,
        "%distribution": options.distribution,
    }
    for key, value in sorted(extra.items()):
        if key.startswith("rpm.macro."):
            macros["%" + key[len("rpm.macro."):]] = str(value)
    # fixed: not overridable by the tag (contract 4.3)
    macros["%_topdir"] = TOPDIR
    macros["%_host_cpu"] = target_arch
    macros["%_host"] = f"{target_arch}-{options.mockhost}"
    return macros


def _environment(extra: Mapping) -> dict[str, str]:
    return {key[len("rpm.env."):]: str(value) for key, value in sorted(extra.items())
            if key.startswith("rpm.env.")}
