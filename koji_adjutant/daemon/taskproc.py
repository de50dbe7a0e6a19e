"""What a forked task process does beyond koji's: outlive nothing, and stop quietly.

koji's task process only wakes from a subtask wait when the main process sends
SIGUSR2, so after a ``kill -9`` of the main process a waiting build parent would
sleep for ever (kojid has the same flaw), and a running one would build for
nobody.  ``watch_main_process`` starts a thread in the task process that notices
the main process is gone (the task process is re-parented) and delivers SIGTERM
to the task's main thread: the handler unwinds as on a shutdown, removing its
containers.  The task stays OPEN on the hub, which is the truth: the next start
of the daemon frees it as stale, or the hub does after its ``HostTimeout``.

Once a task was cancelled, or the host's session was taken over (a new daemon
with ``--force-lock``), the hub refuses the task's calls.  That is expected, so
``stopping_when_disowned`` turns it into one log line and a quiet exit instead of
koji's traceback and a ``failTask`` the hub refuses as well.
"""

import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable

import koji

from koji_adjutant.hub.refusals import disowned

logger = logging.getLogger("koji.TaskManager")

# How often a task process looks for its main process (seconds).
WATCH_INTERVAL = 1.0


class TaskAbandoned(SystemExit):
    """The task process ends without reporting: the hub no longer lets it report.

    A ``SystemExit`` because koji's ``runTask`` passes that through untouched; the
    task process then logs out and exits with status 0.
    """

    def __init__(self) -> None:
        super().__init__(0)


def stopping_when_disowned(run: Callable[[], object], task_id: int) -> Callable[[], object]:
    """Wrap a handler's ``run``: a hub refusal of the task is one line, then a quiet exit."""
    def run_or_stop():
        try:
            return run()
        except koji.GenericError as exc:
            if not disowned(exc):
                raise
            logger.warning("task %d stops: the hub no longer takes its calls (%s: %s); "
                           "it was cancelled or is no longer this daemon's",
                           task_id, type(exc).__name__, exc)
            raise TaskAbandoned() from exc
    return run_or_stop


class KojisDisownedTraceback(logging.Filter):
    """Drops koji's ``TRACEBACK:`` record of a ``closeTask`` the hub refused as not ours.

    koji's ``runTask`` catches the refusal of ``closeTask`` (the task was cancelled
    just as it ended) and logs its traceback before trying ``failTask``, which the hub
    refuses the same way; ``stopping_when_disowned`` logs that one in one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if not text.startswith("TRACEBACK: "):
            return True
        last = text.rstrip().rsplit("\n", 1)[-1]
        return not _DISOWNED_LAST_LINE.match(last)


_DISOWNED_LAST_LINE = re.compile(r"koji\.(ActionNotAllowed: host \d+ does not own task \d+"
                                 r"|Auth\w*Error: .*|AuthExpired: .*)$")


def quiet_disowned_tracebacks() -> None:
    """In a task process: no traceback for a result the hub refused as not ours."""
    logger.addFilter(KojisDisownedTraceback())


def watch_main_process(main_pid: int, task_id: int,
                       interval: float = WATCH_INTERVAL) -> threading.Thread:
    """In a task process: SIGTERM the task's main thread once ``main_pid`` is gone."""
    target = threading.main_thread().ident

    def watch() -> None:
        while os.getppid() == main_pid:
            time.sleep(interval)
        logger.warning("task %d stops: the daemon's main process (pid %d) is gone; the task "
                       "stays open on the hub until the daemon starts again and frees it "
                       "(or the hub does, after its HostTimeout)", task_id, main_pid)
        signal.pthread_kill(target, signal.SIGTERM)

    thread = threading.Thread(target=watch, name=f"watch-main-{main_pid}", daemon=True)
    thread.start()
    return thread
