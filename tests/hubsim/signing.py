"""A throw-away OpenPGP key that signs RPMs with rpmsign, for signed-copy tests.

`TestSigner(home)` makes (once) an RSA key without passphrase in GnuPG home `home`;
`sign(rpm, outdir)` writes a signed copy (real rpmsign, real signature) and returns it;
`keyid` is the 8-hex-digit id koji files signed copies under; `close()` stops the
gpg-agent signing started.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess

UID = 'Hubsim Test Signer <hubsim-signer@example.com>'


class TestSigner:
    __test__ = False  # not a pytest test class

    def __init__(self, home: pathlib.Path) -> None:
        self.home = pathlib.Path(home)
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self._fingerprint():
            self._gpg('--batch', '--passphrase', '', '--quick-gen-key', UID, 'rsa2048', 'sign',
                      'never')
        self.keyid = self._fingerprint()[-8:].lower()

    def close(self) -> None:
        """Stop the gpg-agent that signing started for this home."""
        subprocess.run(['gpgconf', '--homedir', str(self.home), '--kill', 'gpg-agent'],
                       capture_output=True)

    def _gpg(self, *args: str) -> str:
        proc = subprocess.run(['gpg', '--homedir', str(self.home), *args],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError('gpg %s failed (is gnupg installed?): %s'
                               % (' '.join(args), proc.stderr.strip()))
        return proc.stdout

    def _fingerprint(self) -> str:
        try:
            out = self._gpg('--with-colons', '--list-secret-keys', UID)
        except RuntimeError:
            return ''
        fprs = [line.split(':')[9] for line in out.splitlines() if line.startswith('fpr:')]
        return fprs[0] if fprs else ''

    def sign(self, rpm: pathlib.Path, outdir: pathlib.Path) -> pathlib.Path:
        """A signed copy of `rpm` in `outdir` (same file name)."""
        outdir.mkdir(parents=True, exist_ok=True)
        target = outdir / pathlib.Path(rpm).name
        shutil.copyfile(rpm, target)
        proc = subprocess.run(['rpmsign', '--addsign', '--define', '_gpg_name %s' % UID,
                               '--define', '_gpg_path %s' % self.home,
                               '--define', '__gpg %s' % shutil.which('gpg'), str(target)],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError('rpmsign failed for %s: %s' % (rpm, proc.stderr.strip()))
        return target
