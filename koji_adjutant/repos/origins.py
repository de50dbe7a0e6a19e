"""``pkgorigins.gz`` as kojid writes it, whatever path the merge read a repo through.

mergerepo_c records, for each package of a merged repo, the repo URL it was given
(``-r URL``).  A createrepo task may read an external repo that lies under the hub's
``topurl`` through the koji volume instead (``external.volume_url``: no network for
the container), and mergerepo_c then records ``file://`` origins.  kojid records the
tag's URL, and buildroots (ours and kojid's) attribute packages to external repos by
that URL: ``restore`` puts it back and updates the ``origin`` record of
``repomd.xml`` (checksums, sizes, and the file name when it carries its checksum).
"""

from __future__ import annotations

import gzip
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

REPO_NS = "http://linux.duke.edu/metadata/repo"
RPM_NS = "http://linux.duke.edu/metadata/rpm"
ET.register_namespace("", REPO_NS)
ET.register_namespace("rpm", RPM_NS)


def restore(repodata: Path, recorded: Mapping[str, str]) -> int:
    """Origins read as a key of ``recorded`` become its value; how many lines changed."""
    repomd_path = repodata / "repomd.xml"
    tree = ET.parse(repomd_path)
    record = _origin_record(tree.getroot())
    if record is None or not recorded:
        return 0
    location = record.find(f"{{{REPO_NS}}}location")
    old = repodata.parent / location.get("href")
    text, changed = _rewrite(gzip.decompress(old.read_bytes()).decode("utf-8"), recorded)
    if not changed:
        return 0
    plain = text.encode("utf-8")
    packed = gzip.compress(plain, mtime=0)
    kind = record.find(f"{{{REPO_NS}}}checksum").get("type", "sha256")
    digest = hashlib.new(kind, packed).hexdigest()
    new = old.with_name(_renamed(old.name, digest))
    new.write_bytes(packed)
    if new != old:
        old.unlink()
    _set(record, "checksum", digest)
    _set(record, "open-checksum", hashlib.new(kind, plain).hexdigest())
    _set(record, "size", str(len(packed)))
    _set(record, "open-size", str(len(plain)))
    location.set("href", f"{Path(location.get('href')).parent}/{new.name}")
    tree.write(repomd_path, encoding="UTF-8", xml_declaration=True)
    return changed


def _origin_record(root: ET.Element) -> ET.Element | None:
    for data in root.findall(f"{{{REPO_NS}}}data"):
        if data.get("type") == "origin":
            return data
    return None


def _rewrite(text: str, recorded: Mapping[str, str]) -> tuple[str, int]:
    lines, changed = [], 0
    for line in text.splitlines(keepends=True):
        nvra, tab, origin = line.partition("\t")
        for read, url in recorded.items():
            if tab and origin.startswith(read):
                line = f"{nvra}\t{url}{origin[len(read):]}"
                changed += 1
                break
        lines.append(line)
    return "".join(lines), changed


def _renamed(name: str, digest: str) -> str:
    """``<checksum>-pkgorigins.gz`` gets the new checksum; a plain name stays."""
    prefix, dash, rest = name.partition("-")
    if dash and len(prefix) >= 32 and all(c in "0123456789abcdef" for c in prefix):
        return f"{digest}-{rest}"
    return name


def _set(record: ET.Element, tag: str, value: str) -> None:
    element = record.find(f"{{{REPO_NS}}}{tag}")
    if element is not None:
        element.text = value
