"""Scoped use of a task container: created and started on entry, always removed on exit.

``task_container`` is the way handlers should get a container.  The container
is removed when the block ends, on an exception, and on SIGTERM: while the
block runs in the main thread, a SIGTERM whose handler is still the default
(which would end the process without any clean-up) raises ``SystemExit``
instead, so that the removal runs.  A handler that the daemon installed itself
is left alone.  Against SIGKILL nothing can be done in-process: the labels let
the daemon's next ``sweep`` remove the container.

In a daemon task process the removal after success waits until the task's
result has been sent (``removal_after_result``, ADR 0010): podman takes about
0.2 s to remove a container, which the hub need not wait for.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator

from koji_adjutant.container.manager import ContainerManager, ContainerRef
from koji_adjutant.container.spec import ContainerSpec

logger = logging.getLogger("koji.build.containers")


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


class _LaterRemovals:
    """Containers whose removal waits until the task's result is on the hub."""

    def __init__(self) -> None:
        self.pending: list[tuple[ContainerManager, ContainerRef]] = []
        self.managers: list[ContainerManager] = []

    def remove_all(self) -> None:
        self._remove_pending()
        while self.managers:
            self.managers.pop().close()

    def _remove_pending(self) -> None:
        while self.pending:
            manager, container = self.pending.pop()
            try:
                with sigterm_deferred():
                    manager.remove(container)
            except Exception as exc:  # the daemon's sweep of the task's label retries
                logger.warning("could not remove container %s after the task: %s",
                               container.name, exc)


_later: _LaterRemovals | None = None


@contextlib.contextmanager
def removal_after_result() -> Iterator[None]:
    """Within the block, ``task_container`` defers removals that follow success.

    The daemon wraps each task's run (handler and closeTask) in this block: a
    container whose block ended without an error is left idle (its commands have
    all finished) and removed when this block ends, so the hub hears the result
    without waiting for podman's removal.  A container whose block ended with an
    error is removed at once, as outside the block.  If the process dies before
    the end, the daemon's clean-up of the task's label removes what is left.
    """
    global _later
    outer, _later = _later, _LaterRemovals()
    try:
        yield
    finally:
        later, _later = _later, outer
        later.remove_all()


def close_when_done(manager: ContainerManager) -> None:
    """Close ``manager`` once its deferred removals are done (at once outside the block)."""
    if _later is None:
        manager.close()
    else:
        _later.managers.append(manager)


@contextlib.contextmanager
def task_container(manager: ContainerManager, spec: ContainerSpec, *,
                   pull_policy: str | None = None) -> Iterator[ContainerRef]:
    """Ensure the image, create and start the container of ``spec``; remove it afterwards."""
    with sigterm_raises():
        manager.ensure_image(spec.image, pull_policy)
        container = manager.create(spec)
        succeeded = False
        try:
            manager.start(container)
            yield container
            succeeded = True
        finally:
            if succeeded and _later is not None:
                _later.pending.append((manager, container))
            else:
                with sigterm_deferred():
                    manager.remove(container)
