"""Fixtures of the security tests: the end-to-end tier's hub simulator, daemon and packages.

The tests here attack the daemon the way a hostile package would, through
the same real parts as ``tests/e2e``: the hub simulator, the daemon as a
subprocess, podman and the test image.  The fixtures are the e2e tier's own,
imported (with its ``daemon_harness`` put on the path), not copied.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e.conftest import probe_dir, start_daemon  # noqa: E402,F401  (fixtures)
