"""A real MIT Kerberos KDC for tests, on 127.0.0.1, in a directory of its own.

``TestKDC(path)`` creates the realm ``TEST.ADJUTANT`` (``kdb5_util``), starts ``krb5kdc``
on a free port and writes the ``krb5.conf`` that points to it. ``keytab(principal)``
creates a principal with a random key and returns a keytab holding it. ``env`` is what a
process needs to use this realm (``KRB5_CONFIG``). Needs the krb5-kdc and
krb5-admin-server packages (``scripts/provision`` installs them).
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from hubsim import HubSim

REALM = "TEST.ADJUTANT"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestKDC:
    __test__ = False  # not a test class

    def __init__(self, path: Path):
        self.path = path
        self.port = _free_port()
        path.mkdir(parents=True, exist_ok=True)
        (path / "kdc.conf").write_text(
            f"[kdcdefaults]\n kdc_ports = {self.port}\n kdc_tcp_ports = {self.port}\n"
            f"[realms]\n {REALM} = {{\n  database_name = {path}/principal\n"
            f"  key_stash_file = {path}/stash\n  acl_file = {path}/kadm5.acl\n"
            f"  supported_enctypes = aes256-cts:normal\n }}\n"
            f"[logging]\n kdc = FILE:{path}/kdc.log\n")
        (path / "krb5.conf").write_text(
            f"[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n"
            f" dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n"
            f" udp_preference_limit = 1\n"
            f"[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{self.port}\n }}\n"
            f"[domain_realm]\n 127.0.0.1 = {REALM}\n")
        (path / "kadm5.acl").write_text("")
        self.env = {"KRB5_CONFIG": str(path / "krb5.conf"),
                    "KRB5_KDC_PROFILE": str(path / "kdc.conf")}
        self._run(["kdb5_util", "create", "-s", "-r", REALM, "-P", "test-master-key"])
        self.proc = subprocess.Popen(["krb5kdc", "-n", "-r", REALM], env=self._environ(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_listening()

    def _wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"krb5kdc exited with {self.proc.returncode}; see "
                                   f"{self.path / 'kdc.log'}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"krb5kdc does not listen on port {self.port}")

    def _environ(self) -> dict:
        return dict(os.environ, **self.env)

    def _run(self, argv: list[str]) -> str:
        done = subprocess.run(argv, env=self._environ(), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
        return done.stdout

    def keytab(self, principal: str) -> Path:
        """Create ``principal`` (without @REALM) and return a keytab with its key."""
        path = self.path / (principal.replace("/", "_") + ".keytab")
        self._run(["kadmin.local", "-r", REALM, "-q", f"addprinc -randkey {principal}"])
        self._run(["kadmin.local", "-r", REALM, "-q", f"ktadd -k {path} {principal}"])
        return path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)


@pytest.fixture
def kdc(tmp_path, monkeypatch):
    """A KDC for realm TEST.ADJUTANT; this process and its children use it."""
    server = TestKDC(tmp_path / "kdc")
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    yield server
    server.stop()


@pytest.fixture
def hub_krb(tmp_path, hub_ca_dir, kdc):
    """An HTTPS hub simulator that takes GSSAPI logins for HTTP/127.0.0.1 of the realm."""
    sim = HubSim(tmp_path / "koji-krb", tls=True, ca_dir=hub_ca_dir,
                 gssapi_keytab=kdc.keytab("HTTP/127.0.0.1"))
    sim.start()
    yield sim
    sim.stop()
    assert not sim.internal_errors, sim.internal_errors
