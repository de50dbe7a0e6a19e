"""The daemon's main loop (contract 1.7 and 1.8).

One iteration: expire buildroots of finished tasks (only when the previous
iteration took nothing), reconcile running tasks with the hub, report
readiness and take at most one task.  SIGTERM ends the loop and runs an
orderly shutdown (kill task processes, remove their containers, free their
tasks, report not ready); SIGUSR1 asks for a graceful restart, which happens
once no task is held, by re-executing the same command line.
"""

import logging
import os
import re
import signal
import sys
import time
import traceback

import koji
import koji.tasks
import requests

from koji_adjutant.errors import EX_FAILURE, EX_OK
from koji_adjutant.hub.login import logout

logger = logging.getLogger("koji.build")


def _install_signal_handlers(tm) -> None:
    def on_term(signum, frame):
        raise SystemExit(EX_OK)

    def on_usr1(signum, frame):
        logger.warning("graceful restart requested")
        tm.restart_pending = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)


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


class HubOutage:
    """Log a hub outage once when it starts and once when it ends, not every iteration.

    koji's ClientSession has already retried each call ``max_retries`` times; the loop
    then keeps trying every ``sleeptime``, and running tasks go on (their own results are
    retried the same way, or freed and rerun if they could not be sent).
    """

    def __init__(self, server: str):
        self.server = server
        self.since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            logger.warning("hub %s does not answer (%s); trying again until it does",
                           self.server, short_reason(exc))
        else:
            logger.debug("hub still does not answer: %s", short_reason(exc))

    def answered(self) -> None:
        if self.since is not None:
            logger.warning("hub %s answers again, after %.0f s", self.server,
                           time.monotonic() - self.since)
            self.since = None


def _iterate(tm, took_task: bool) -> bool:
    if not took_task:
        tm.updateBuildroots()
    tm.updateTasks()
    taken = tm.getNextTask()
    if tm.monitor is not None:
        tm.monitor.checked_in(tm)
    return taken


def run(tm, options) -> int:
    """Run the loop until shutdown; return the exit code (re-execs on restart)."""
    _install_signal_handlers(tm)
    code = EX_OK
    taken = False
    outage = HubOutage(options.server)
    while True:
        try:
            taken = _iterate(tm, taken)
            outage.answered()
        except (SystemExit, koji.tasks.ServerExit, KeyboardInterrupt):
            logger.warning("exiting")
            break
        except koji.tasks.ServerRestart:
            logger.warning("restarting")
            _release_session(tm)
            restart_self()
        except koji.AuthExpired:
            logger.error("session expired")
            code = EX_FAILURE
            break
        except koji.AuthError:
            logger.error("authentication error: %s", traceback.format_exc())
            code = EX_FAILURE
            break
        except koji.RetryError:
            raise
        except Exception as exc:  # the loop must survive any one bad iteration, as kojid's does
            if hub_unreachable(exc):
                outage.failed(exc)
            else:
                logger.error("error in main loop:\n%s", traceback.format_exc())
            taken = False
            if tm.monitor is not None:
                tm.monitor.loop_failed(exc)
        if not taken:
            try:
                time.sleep(options.sleeptime)
            except (SystemExit, KeyboardInterrupt):
                logger.warning("exiting")
                break
    _shutdown(tm)
    return code


def _shutdown(tm) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        tm.shutdown()
    except (koji.GenericError, OSError) as exc:
        logger.error("shutdown was not clean: %s", exc)
    _release_session(tm)


def _release_session(tm) -> None:
    """Log out, which also releases the host's exclusive session for the next process."""
    try:
        logout(tm.session)
    except (koji.GenericError, OSError) as exc:
        logger.warning("logout failed: %s", exc)


def restart_self() -> None:
    """Re-execute this process with its original command line (same pid)."""
    logging.shutdown()
    argv = list(sys.orig_argv)
    os.execv(sys.executable, [sys.executable] + argv[1:])
