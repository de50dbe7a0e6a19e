"""The built wheel is complete and runs from a fresh virtualenv (no source tree on the path)."""

import subprocess
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory, wheel) -> Path:
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    subprocess.run([str(env_dir / "bin" / "pip"), "install", "-q", str(wheel)], check=True)
    return env_dir


def test_wheel_contains_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "koji_adjutant"
    expected = {str(p.relative_to(ROOT)) for p in package.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    missing = sorted(expected - names)
    assert not missing, f"missing from the wheel: {missing}"


def test_installed_kojid_help_lists_kojid_options(fresh_venv, tmp_path):
    out = subprocess.run([str(fresh_venv / "bin" / "kojid"), "--help"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    for option in ("--config", "--fg", "--force-lock", "--skip-main", "--maxjobs",
                   "--sleeptime", "--topdir", "--workdir", "--plugin", "--server"):
        assert option in out


def test_installed_tool_checks_the_example_config(fresh_venv, tmp_path):
    tool = str(fresh_venv / "bin" / "koji-adjutant")
    check = subprocess.run([tool, "check-config", "-c", str(ROOT / "etc/kojid.conf.example")],
                           cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    version = subprocess.run([tool, "version"], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout
    assert "0." in version
