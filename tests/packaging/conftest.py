"""Fixtures of the packaging tests: the sdist and the wheel, built from a copy of the tree.

Building in place would leave ``build/`` and ``*.egg-info`` in the source tree, so the
tree (without VCS data, virtualenvs and build output) is copied into a temporary
directory first, and both archives are built there, once per session.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", ".tox", ".cache", ".pytest_cache",
                                    "__pycache__", "build", "dist", "*.egg-info", "results",
                                    "htmlcov", ".coverage*")


@pytest.fixture(scope="session")
def source_copy(tmp_path_factory) -> Path:
    """The source tree as a clone has it, in a directory the builds may write to."""
    copy = tmp_path_factory.mktemp("source") / "koji-adjutant"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE)
    return copy


@pytest.fixture(scope="session")
def wheel(source_copy, tmp_path_factory) -> Path:
    """The wheel, built with pip as README's install section does."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(source_copy)], check=True)
    [built] = out.glob("koji_adjutant-*.whl")
    return built


@pytest.fixture(scope="session")
def sdist(source_copy, tmp_path_factory) -> Path:
    """The source distribution, built by the project's PEP 517 backend."""
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run([sys.executable, "-c", "import sys, setuptools.build_meta as backend;"
                    " backend.build_sdist(sys.argv[1])", str(out)],
                   cwd=source_copy, check=True)
    [built] = out.glob("koji-adjutant-*.tar.gz")
    return built
