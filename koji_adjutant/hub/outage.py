"""A hub that does not answer: seen at the first failed call, not when the retries give up.

koji's ``ClientSession`` retries a failed call ``max_retries`` times,
``retry_interval`` seconds apart; with kojid's defaults (120 x 60 s) a call gives up
after two hours, and only then would the main loop hear of the outage.  The
daemon's session is a ``WatchedSession``: each try it makes tells the session's
``HubOutage``, which logs one warning when the hub stops answering and one when it
answers again, and tells its listeners (the monitor: ``/healthz``, metrics) at once.
The retries themselves stay as kojid has them.

Task processes use subsessions of the same class with no ``HubOutage``: the main
process alone reports the hub's state.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Protocol

import koji
import requests
from koji.xmlrpcplus import Fault

logger = logging.getLogger("koji.build")


def hub_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the hub did not answer (down, restarting, behind a failing proxy)."""
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return True
    response = getattr(exc, "response", None)
    return (isinstance(exc, requests.exceptions.HTTPError) and response is not None
            and response.status_code >= 500)


def short_reason(exc: BaseException) -> str:
    """The useful end of a requests error: ``Connection refused``, ``503 Server Error``."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if found:
        return found.group(1).strip()
    response = getattr(exc, "response", None)
    if response is not None:
        return f"{response.status_code} {response.reason}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


class OutageListener(Protocol):
    """Told at every failed try while the hub is away, and once when it answers again."""

    def hub_unreachable(self, reason: str) -> None: ...

    def hub_answered(self) -> None: ...


class HubOutage:
    """Log a hub outage once when it starts and once when it ends; tell the listeners."""

    def __init__(self, server: str):
        self.server = server
        self.since: float | None = None
        self.listeners: list[OutageListener] = []

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        reason = short_reason(exc)
        if self.since is None:
            self.since = time.monotonic()
            logger.warning("hub %s does not answer (%s); trying again until it does",
                           self.server, reason)
        else:
            logger.debug("hub still does not answer: %s", reason)
        for listener in self.listeners:
            listener.hub_unreachable(reason)

    def answered(self) -> None:
        if self.since is None:
            return
        logger.warning("hub %s answers again, after %.0f s", self.server,
                       time.monotonic() - self.since)
        self.since = None
        for listener in self.listeners:
            listener.hub_answered()


class WatchedSession(koji.ClientSession):
    """A ``ClientSession`` whose every try is reported to ``outage`` (when one is set)."""

    outage: HubOutage | None = None

    def _sendCall(self, handler, headers, request):
        try:
            answer = super()._sendCall(handler, headers, request)
        except Fault:
            self._heard()  # a fault is an answer
            raise
        except Exception as exc:
            if self.outage is not None and hub_unreachable(exc):
                self.outage.failed(exc)
            raise
        self._heard()
        return answer

    def _heard(self) -> None:
        if self.outage is not None:
            self.outage.answered()


def listen(session: WatchedSession, listener: OutageListener) -> None:
    """Tell ``listener`` of the outages the daemon's session sees."""
    session.outage.listeners.append(listener)


def one_try_each(session: koji.ClientSession, timeout: float) -> None:
    """From now on, give each call of ``session`` one try of at most ``timeout`` s."""
    session.opts["max_retries"] = 0
    session.opts["timeout"] = timeout
