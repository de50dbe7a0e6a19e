"""What the sdist and the wheel carry: the files a builder host needs, and nothing stray."""

import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Besides the package: what a builder host installs from the sdist, and the build inputs.
SDIST_TOP = {"LICENSE", "README.md", "MANIFEST.in", "PKG-INFO", "pyproject.toml", "setup.cfg",
             "setup.py", "etc/kojid.service", "etc/kojid.conf.example"}


def package_files() -> set[str]:
    package = ROOT / "koji_adjutant"
    return {str(p.relative_to(ROOT)) for p in package.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def sdist_names(sdist: Path) -> set[str]:
    """The sdist's files, relative to its top directory (koji-adjutant-VERSION/)."""
    with tarfile.open(sdist) as archive:
        return {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}


def test_sdist_carries_exactly_the_package_unit_file_example_config_and_license(sdist):
    names = sdist_names(sdist)
    egg_info = {n for n in names if n.startswith("koji_adjutant.egg-info/")}
    assert "koji_adjutant.egg-info/SOURCES.txt" in egg_info
    assert names - egg_info == SDIST_TOP | package_files()


def test_sdist_files_are_the_tracked_ones(sdist):
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as archive:
        for name in ("LICENSE", "etc/kojid.service", "etc/kojid.conf.example"):
            assert archive.extractfile(f"{top}/{name}").read() == (ROOT / name).read_bytes()


def test_wheel_carries_only_the_package_and_its_metadata(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    dist_info = wheel.name.split("-py3")[0] + ".dist-info"
    assert {n.split("/")[0] for n in names} == {"koji_adjutant", dist_info}
    assert {n for n in names if n.startswith("koji_adjutant/")} == package_files()


def test_wheel_metadata_declares_the_license_and_carries_its_text(wheel):
    archive = zipfile.ZipFile(wheel)
    dist_info = wheel.name.split("-py3")[0] + ".dist-info"
    metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert {"License: LGPL-2.1-only", "License-Expression: LGPL-2.1-only"} & \
        set(metadata.splitlines())
    # setuptools >= 77 puts license files under dist-info/licenses/
    [license_file] = [n for n in archive.namelist()
                      if n in (f"{dist_info}/LICENSE", f"{dist_info}/licenses/LICENSE")]
    assert archive.read(license_file) == (ROOT / "LICENSE").read_bytes()
