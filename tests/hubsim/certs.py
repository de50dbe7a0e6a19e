"""A throw-away certificate authority for the TLS hub, made with the `openssl` CLI.

`TestCA(directory)` owns the files it writes there: `ca.crt`/`ca.key`, a server certificate
for 127.0.0.1/localhost, and one PEM (certificate + key) per client CN on demand.  Files
already present are reused, so one CA directory can be cached for a whole test session.
"""

from __future__ import annotations

import pathlib
import ssl
import subprocess
import threading

_LOCK = threading.Lock()


def _openssl(*args: str) -> None:
    proc = subprocess.run(['openssl', *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError('openssl %s failed (install the openssl CLI): %s'
                           % (' '.join(args[:2]), proc.stderr.strip()))


class TestCA:
    """CA, server and client certificates under one directory."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: pathlib.Path) -> None:
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_cert = self.dir / 'ca.crt'
        self.ca_key = self.dir / 'ca.key'
        with _LOCK:
            if not self.ca_cert.exists():
                _openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30',
                         '-subj', '/CN=hubsim test CA', '-keyout', str(self.ca_key),
                         '-out', str(self.ca_cert))
        self.server_cert, self.server_key = self._issue('localhost', server=True)

    def _issue(self, cn: str, server: bool = False) -> tuple[pathlib.Path, pathlib.Path]:
        stem = ('server-' if server else 'client-') + cn
        crt, key = self.dir / (stem + '.crt'), self.dir / (stem + '.key')
        with _LOCK:
            if crt.exists():
                return crt, key
            csr, ext = self.dir / (stem + '.csr'), self.dir / (stem + '.ext')
            usage = 'serverAuth' if server else 'clientAuth'
            lines = ['extendedKeyUsage=%s' % usage]
            if server:
                lines.append('subjectAltName=IP:127.0.0.1,DNS:localhost')
            ext.write_text('\n'.join(lines) + '\n')
            _openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=%s' % cn,
                     '-keyout', str(key), '-out', str(csr))
            _openssl('x509', '-req', '-in', str(csr), '-CA', str(self.ca_cert),
                     '-CAkey', str(self.ca_key), '-CAcreateserial', '-days', '30',
                     '-extfile', str(ext), '-out', str(crt))
        return crt, key

    def client_pem(self, cn: str) -> pathlib.Path:
        """Certificate and key of client `cn` in one PEM file (what ClientSession takes)."""
        pem = self.dir / ('client-%s.pem' % cn)
        if not pem.exists():
            crt, key = self._issue(cn)
            pem.write_text(crt.read_text() + key.read_text())
        return pem

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.server_cert), str(self.server_key))
        ctx.load_verify_locations(str(self.ca_cert))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx
