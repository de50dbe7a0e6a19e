"""Logging set up the way kojid does it (contract 1.4).

A ``WatchedFileHandler`` on the log file (``/var/log/kojid.log`` unless the
``[adjutant] log_file`` key says otherwise) is attached to the ``koji`` logger
when the file exists or can be created; the level comes from ``log_level``,
then ``--debug`` / ``--verbose``, and ``--debug-task`` puts the task handlers'
loggers (``TASK_LOGGERS``) at DEBUG; ``--fg`` adds a stderr handler.  A record
logged with ``extra={ON_STDERR_ALREADY: True}`` (a fatal error the command prints
itself) skips the stderr handler.
"""

import logging
import logging.handlers
import os

LOG_FORMAT = "%(asctime)s [%(levelname)s] %(name)s: %(message)s"
STDERR_FORMAT = "%(asctime)s [%(levelname)s] {%(process)d} %(name)s:%(lineno)d %(message)s"
# What ``--debug-task`` turns to DEBUG: koji's handler base class (kojid's only one) and the
# loggers of our handlers and of the steps they run (buildroot, repositories, containers,
# mail); the daemon's own loop and manager stay at the configured level.
TASK_LOGGERS = (
    "koji.build.BaseTaskHandler", "koji.build.BuildTask", "koji.build.ChainBuildTask",
    "koji.build.TagBuildTask", "koji.build.BuildNotificationTask",
    "koji.build.TagNotificationTask", "koji.build.buildroot", "koji.build.repos",
    "koji.build.containers", "koji.build.mail",
)

# The attribute of a record that the command already printed on stderr itself.
ON_STDERR_ALREADY = "on_stderr_already"


def _not_printed(record: logging.LogRecord) -> bool:
    return not getattr(record, ON_STDERR_ALREADY, False)


def _writable(path: str) -> bool:
    if os.path.exists(path):
        return os.access(path, os.W_OK)
    parent = os.path.dirname(path) or "."
    return os.path.isdir(parent) and os.access(parent, os.W_OK)


def attach_file_handler(path: str | None) -> logging.Handler | None:
    """Attach the kojid log file handler to the ``koji`` logger, if usable."""
    if not path or not _writable(path):
        return None
    handler = logging.handlers.WatchedFileHandler(path)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger("koji").addHandler(handler)
    return handler


def configure_levels(log_level: str | None, debug: bool, verbose: bool,
                     debug_task: bool) -> None:
    """Set the ``koji`` logger level as kojid does (log_level, then -d / -v)."""
    logger = logging.getLogger("koji")
    level = logging.WARNING
    if log_level:
        level = logging.getLevelName(log_level.upper())
    if debug:
        level = logging.DEBUG
    elif verbose:
        level = logging.INFO
    logger.setLevel(level)
    if debug_task:
        for name in TASK_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)


def attach_stderr_handler() -> logging.Handler:
    """Foreground mode: also log to stderr, with pid and line numbers."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(STDERR_FORMAT))
    handler.addFilter(_not_printed)
    logging.getLogger("koji").addHandler(handler)
    return handler


def attach_mail_handler(admin_emails: str | None) -> None:
    """Mail ERROR records to ``admin_emails`` (comma separated), as kojid does."""
    if not admin_emails:
        return
    recipients = [a.strip() for a in admin_emails.split(",") if a.strip()]
    handler = logging.handlers.SMTPHandler(
        "localhost", "kojid@%s" % os.uname().nodename, recipients, "kojid: error notice")
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger("koji").addHandler(handler)
