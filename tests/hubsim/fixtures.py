"""Pytest fixtures for the hub simulator: `hub`, `hub_tls`, `hub_ca_dir`, `small_rpms`.

Registered for the whole suite by `pytest_plugins` in tests/conftest.py.  `hub` and
`hub_tls` are fresh per test with their topdir in tmp_path and are stopped afterwards
(failing the test if the simulator hit an internal error).  The TLS certificates and the
tiny RPMs are built once per test session.
"""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess
import textwrap
from typing import Iterator

import pytest

from .hub import HubSim
from .signing import TestSigner

__all__ = ['hub', 'hub_tls', 'hub_ca_dir', 'small_rpms', 'SmallRpms', 'build_rpms', 'signer']


def _finish(sim: HubSim) -> None:
    sim.stop()
    errors = sim.internal_errors
    assert not errors, 'hub simulator internal errors:\n' + '\n'.join(errors)


@pytest.fixture
def hub(tmp_path: pathlib.Path) -> Iterator[HubSim]:
    """A started plain-HTTP hub with its topdir in tmp_path."""
    sim = HubSim(tmp_path / 'koji')
    sim.start()
    yield sim
    _finish(sim)


@pytest.fixture(scope='session')
def hub_ca_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp('hubsim-ca')


@pytest.fixture
def hub_tls(tmp_path: pathlib.Path, hub_ca_dir: pathlib.Path) -> Iterator[HubSim]:
    """A started HTTPS hub (client-certificate login); topurl stays plain HTTP."""
    sim = HubSim(tmp_path / 'koji', tls=True, ca_dir=hub_ca_dir)
    sim.start()
    yield sim
    _finish(sim)


@dataclasses.dataclass(frozen=True)
class SmallRpms:
    """A tiny noarch package `hello` built with rpmbuild, in two releases."""

    srpm: pathlib.Path          # hello-1.0-1.src.rpm
    rpm: pathlib.Path           # hello-1.0-1.noarch.rpm
    srpm2: pathlib.Path         # hello-1.0-2.src.rpm
    rpm2: pathlib.Path          # hello-1.0-2.noarch.rpm
    other_srpm: pathlib.Path    # other-2.0-1.src.rpm
    other_rpm: pathlib.Path     # other-2.0-1.noarch.rpm


SPEC = textwrap.dedent('''\
    Name: %(name)s
    Version: %(version)s
    Release: %(release)s
    Summary: tiny test package
    License: MIT
    BuildArch: noarch

    %%description
    A tiny package for hub simulator tests.

    %%install
    mkdir -p %%{buildroot}/usr/share/%(name)s
    echo %(name)s > %%{buildroot}/usr/share/%(name)s/README

    %%files
    /usr/share/%(name)s/README

    %%changelog
    * Mon Jan 01 2024 Test Packager <test@example.com> - %(version)s-%(release)s
    - first build
    ''')


def build_rpms(workdir: pathlib.Path, name: str, version: str,
               release: str) -> tuple[pathlib.Path, pathlib.Path]:
    """rpmbuild -ba a trivial noarch spec; returns (srpm, noarch rpm)."""
    top = workdir / ('%s-%s-%s' % (name, version, release))
    (top / 'SPECS').mkdir(parents=True)
    spec = top / 'SPECS' / (name + '.spec')
    spec.write_text(SPEC % {'name': name, 'version': version, 'release': release})
    proc = subprocess.run(['rpmbuild', '-ba', '--define', '_topdir %s' % top,
                           '--define', 'dist %{nil}', str(spec)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError('rpmbuild failed (is rpmbuild installed?):\n' + proc.stderr)
    nvr = '%s-%s-%s' % (name, version, release)
    return (top / 'SRPMS' / (nvr + '.src.rpm'), top / 'RPMS' / 'noarch' / (nvr + '.noarch.rpm'))


@pytest.fixture(scope='session')
def small_rpms(tmp_path_factory: pytest.TempPathFactory) -> SmallRpms:
    work = tmp_path_factory.mktemp('small-rpms')
    srpm, rpm = build_rpms(work, 'hello', '1.0', '1')
    srpm2, rpm2 = build_rpms(work, 'hello', '1.0', '2')
    osrpm, orpm = build_rpms(work, 'other', '2.0', '1')
    return SmallRpms(srpm, rpm, srpm2, rpm2, osrpm, orpm)


@pytest.fixture(scope='module')
def signer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestSigner]:
    """A GnuPG key that signs rpms for real (rpmsign), shared by a test module."""
    key = TestSigner(tmp_path_factory.mktemp('gnupg'))
    yield key
    key.close()
