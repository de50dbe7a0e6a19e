"""Fixtures for end-to-end tests: the real daemon, as a subprocess, against the hub simulator.

``start_daemon(host, **kojid_keys)`` writes a kojid.conf for a host of the
``hub`` fixture, starts ``python -m koji_adjutant.daemon.cli --fg -c CONF``
and returns a ``Daemon`` whose log can be read and which is stopped (SIGTERM,
then SIGKILL) at the end of the test.
"""

import os
import sys

import pytest

from daemon_harness import Daemon, host_ready, wait_for, write_conf


@pytest.fixture
def probe_dir(tmp_path):
    d = tmp_path / "probe"
    d.mkdir()
    return d


@pytest.fixture
def start_daemon(tmp_path, probe_dir):
    """Factory: ``start_daemon(hub, host, args=(), adjutant={}, **kojid_keys) -> Daemon``."""
    daemons: list[Daemon] = []

    def start(hub_, host: str, args=(), adjutant=None, wait_ready=True, **kojid_keys) -> Daemon:
        conf = write_conf(tmp_path / f"kojid-{host}-{len(daemons)}.conf", hub_, host,
                          kojid_keys, adjutant or {})
        env = dict(os.environ, ADJUTANT_PROBE_DIR=str(probe_dir))
        argv = [sys.executable, "-m", "koji_adjutant.daemon.cli", "--fg", "--verbose",
                "-c", str(conf), *args]
        daemon = Daemon(conf, tmp_path / f"kojid-{host}-{len(daemons)}.log", argv, env,
                        host=host, hub_url=hub_.url)
        daemons.append(daemon.start())
        if wait_ready:
            wait_for(lambda: host_ready(hub_, host) or daemon.proc.poll() is not None,
                     timeout=30, what=f"{host} to report ready")
            assert daemon.proc.poll() is None, f"kojid exited early:\n{daemon.log()}"
        return daemon

    yield start
    for daemon in daemons:
        daemon.stop()
