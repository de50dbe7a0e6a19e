"""The daemon's main loop (contract 1.7 and 1.8).

One iteration: expire buildroots of finished tasks (only when the previous
iteration took nothing), reconcile running tasks with the hub, report
readiness and take at most one task.  SIGTERM ends the loop and runs an
orderly shutdown (kill task processes, remove their containers, free their
tasks, report not ready); SIGUSR1 asks for a graceful restart, which happens
once no task is held, by re-executing the same command line.

A hub that does not answer is reported by the session itself at the first failed
try (``hub/outage.py``); the loop only keeps going.  A SIGTERM during an outage
does not wait for koji's retries: each remaining hub call gets one short try, and
the log names the tasks the hub is left holding.
"""

import logging
import os
import signal
import sys
import time
import traceback

import koji
import koji.tasks

from koji_adjutant.errors import EX_FAILURE, EX_OK
from koji_adjutant.hub.login import logout
from koji_adjutant.hub.outage import hub_unreachable, one_try_each

# During a hub outage a shutdown gives each hub call one try of at most this long.
SHUTDOWN_CALL_TIMEOUT = 2.0

logger = logging.getLogger("koji.build")


def _install_signal_handlers(tm) -> None:
    def on_term(signum, frame):
        raise SystemExit(EX_OK)

    def on_usr1(signum, frame):
        logger.warning("graceful restart requested")
        tm.restart_pending = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)


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
    while True:
        try:
            taken = _iterate(tm, taken)
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
            # an outage was reported by the session at its first failed try: not again
            if not (hub_unreachable(exc) and tm.session.outage.down):
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
    outage = tm.session.outage
    held = sorted(set(tm.tasks) | set(tm.pids))
    if outage.down:
        one_try_each(tm.session, SHUTDOWN_CALL_TIMEOUT)
    try:
        tm.shutdown()
    except (koji.GenericError, OSError) as exc:
        if outage.down:
            logger.warning(left_with_the_hub(outage.server, held))
            return  # logging out would only fail too
        logger.error("shutdown was not clean: %s", exc)
    _release_session(tm)


def left_with_the_hub(server: str, held: list[int]) -> str:
    """What an exit during a hub outage leaves behind, for the log."""
    if not held:
        return f"hub {server} does not answer; exiting without telling it (no task was held)"
    ids = ", ".join(str(task_id) for task_id in held)
    return (f"hub {server} does not answer; exiting without freeing task(s) {ids}: they stay "
            f"open on the hub until this daemon starts again and frees them, or the hub "
            f"frees them after its HostTimeout (15 minutes by default)")


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
