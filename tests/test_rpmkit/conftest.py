"""Fixtures of the rpmkit tests: the hub simulator, the package factory and the image.

Container tests run the test buildroot image with the podman CLI (``podman run --rm``);
if podman or the image is missing they FAIL with a message saying to run
scripts/provision, they never skip.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

TEST_IMAGE = os.environ.get('KOJI_ADJUTANT_TEST_IMAGE', 'localhost/koji-adjutant-buildroot:test')


@pytest.fixture(scope='session')
def buildroot_image() -> str:
    """The locally built test buildroot image (must exist: no registry is reachable)."""
    try:
        proc = subprocess.run(['podman', 'image', 'exists', TEST_IMAGE], timeout=60)
    except FileNotFoundError:
        pytest.fail('podman is not installed: run scripts/provision', pytrace=False)
    if proc.returncode != 0:
        pytest.fail('image %s is missing: run scripts/provision (or images/buildroot/build)'
                    % TEST_IMAGE, pytrace=False)
    return TEST_IMAGE


@pytest.fixture(scope='session')
def podman_run(buildroot_image: str):
    """Run ``podman run --rm [options] IMAGE bash -c SCRIPT``.  Returns its stdout and
    fails the test (showing all output) on a non-zero exit; with ``check=False`` returns
    the CompletedProcess instead."""
    def run(script: str, *options: str, timeout: float = 120, check: bool = True) -> Any:
        argv = ['podman', 'run', '--rm', *options, buildroot_image, 'bash', '-c', script]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if not check:
            return proc
        assert proc.returncode == 0, ('%s\nexit %d\nstdout:\n%s\nstderr:\n%s'
                                      % (' '.join(argv), proc.returncode, proc.stdout,
                                         proc.stderr))
        return proc.stdout
    return run
