"""Pytest fixtures of rpmkit: `rpm_factory`, one package cache per test session.

Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py.
The factory's workdir is a session temporary directory owned by pytest.
"""

from __future__ import annotations

import pytest

from .build import RpmFactory


@pytest.fixture(scope='session')
def rpm_factory(tmp_path_factory: pytest.TempPathFactory) -> RpmFactory:
    """Builds test packages with the host's rpmbuild, each (package, dist) only once."""
    return RpmFactory(tmp_path_factory.mktemp('rpmkit'))
