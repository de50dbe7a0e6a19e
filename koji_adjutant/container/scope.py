"""Scoped use of a task container: created and started on entry, always removed on exit.

``task_container`` is the way handlers should get a container.  The container
is removed when the block ends, on an exception, and on SIGTERM: while the
block runs in the main thread, a SIGTERM whose handler is still the default
(which would end the process without any clean-up) raises ``SystemExit``
instead, so that the removal runs.  A handler that the daemon installed itself
is left alone.  Against SIGKILL nothing can be done in-process: the labels let
the daemon's next ``sweep`` remove the container.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from koji_adjutant.container.manager import ContainerManager, ContainerRef
from koji_adjutant.container.spec import ContainerSpec


def _raise_system_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit`` if it would otherwise just kill us."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def sigterm_deferred() -> Iterator[None]:
    """Hold SIGTERM back during the block (a removal must not be cut short)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


@contextlib.contextmanager
def task_container(manager: ContainerManager, spec: ContainerSpec, *,
                   pull_policy: str | None = None) -> Iterator[ContainerRef]:
    """Ensure the image, create and start the container of ``spec``; remove it afterwards."""
    with sigterm_raises():
        manager.ensure_image(spec.image, pull_policy)
        container = manager.create(spec)
        try:
            manager.start(container)
            yield container
        finally:
            with sigterm_deferred():
                manager.remove(container)
