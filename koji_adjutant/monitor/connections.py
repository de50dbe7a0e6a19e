"""Connections of the status server: a time budget per request, and slots slow clients give up.

A client may keep the server waiting for at most ``CLIENT_BUDGET`` seconds per
request, in total: reading its request line and headers and writing the answer
to it all draw on the same budget (``ClientBudget``), so a client trickling a
byte or a header line every few seconds is cut off after a few seconds, not
kept for as long as it keeps trickling.  The time the server spends computing
an answer is not the client's and is not counted.

``Slots`` bounds the connections served at once.  When all are taken, the
connection that has waited longest for its next request (a slow client, or an
idle keep-alive one) is shut down to make room for the new one; only when every
slot is busy answering is a new connection refused.  So a crowd of slow clients
delays a probe of ``/healthz`` by milliseconds, never by their budget.
The server owns the ``Slots``; each handler thread owns its connection's budget.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

CLIENT_BUDGET = 5.0
# how long the accepting thread waits for an evicted connection's thread to end
EVICT_WAIT = 1.0

T = TypeVar("T")


class ClientBudget:
    """The seconds one request may still spend waiting on its client."""

    def __init__(self, seconds: float = CLIENT_BUDGET):
        self.seconds = seconds
        self._left = seconds

    def renew(self) -> None:
        """A new request starts with the whole budget."""
        self._left = self.seconds

    def spend(self, sock: socket.socket, call: Callable[..., T], *args) -> T:
        """``call(*args)`` (a socket read or write) with what is left as its timeout."""
        if self._left <= 0:
            raise TimeoutError(f"the client used up its {self.seconds:g} s for this request")
        sock.settimeout(self._left)
        started = time.monotonic()
        try:
            return call(*args)
        finally:
            self._left -= time.monotonic() - started


class BudgetSocketIO(io.RawIOBase):
    """A connection as a raw stream, each ``recv`` and ``sendall`` charged to a budget."""

    def __init__(self, sock: socket.socket, budget: ClientBudget):
        super().__init__()
        self._sock, self._budget = sock, budget

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._budget.spend(self._sock, self._sock.recv_into, buffer)

    def write(self, data) -> int:
        self._budget.spend(self._sock, self._sock.sendall, data)
        return len(data)


class Slots:
    """At most ``size`` connections; when full, the longest-waiting one makes room."""

    def __init__(self, size: int):
        self._free = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._waiting: dict[socket.socket, float] = {}

    def acquire(self) -> bool:
        """Take a slot for a new connection (False: every slot is busy answering)."""
        if self._free.acquire(blocking=False):
            return True
        return self._evict_longest_waiting() and self._free.acquire(timeout=EVICT_WAIT)

    def release(self) -> None:
        self._free.release()

    def waiting(self, sock: socket.socket) -> None:
        """``sock`` waits for (the rest of) a request: it may be shut down to make room."""
        with self._lock:
            self._waiting[sock] = time.monotonic()

    def working(self, sock: socket.socket) -> None:
        """``sock`` has sent its request, or is about to be closed: it is left alone."""
        with self._lock:
            self._waiting.pop(sock, None)

    def _evict_longest_waiting(self) -> bool:
        # under the lock: a connection leaves the table (``working``) before it is closed,
        # so the socket shut down here is never one already closed and its number reused
        with self._lock:
            if not self._waiting:
                return False
            sock = min(self._waiting, key=self._waiting.__getitem__)
            del self._waiting[sock]
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return True
