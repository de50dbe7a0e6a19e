"""The error hierarchy of koji-adjutant and the exit codes of its commands.

Every error a handler can raise says what the hub should do with the task:

* ``TaskFailed`` (a ``koji.BuildError``): fail the task with a short message a
  packager understands; ``runTask`` sends ``str(exc)`` as the fault string.
  ``LogLimitExceeded`` is the one a log sink raises to stop a command that
  printed past ``log_limit``.
* ``koji.tasks.RefuseTask`` (from the koji library): give the task back so that
  another builder takes it.
* ``RetryLater``: a transient condition (hub or podman unreachable); the daemon
  keeps running and tries again on the next loop iteration.
* ``ConfigError``: the configuration is unusable; commands exit with
  ``EX_CONFIG``.

All of them derive from ``koji.GenericError`` so that the library's task runner
reports their message, not a traceback, when they escape a handler.
"""

import koji

# Exit codes of ``kojid`` and ``koji-adjutant`` (sysexits-style where one fits).
EX_OK = 0
EX_FAILURE = 1       # hub login/auth failure or other runtime failure (kojid uses 1)
EX_USAGE = 2         # bad command line
EX_UNAVAILABLE = 69  # a required service (hub, podman) cannot be reached at start-up
EX_SOFTWARE = 70     # internal error
EX_CANTCREAT = 73    # a directory the daemon needs cannot be created or written
EX_CONFIG = 78       # configuration error


class AdjutantError(koji.GenericError):
    """Base class of koji-adjutant's own errors."""

    faultCode = 1000


class ConfigError(AdjutantError):
    """The configuration is unusable: names the file and key and the expected form."""

    faultCode = koji.ConfigurationError.faultCode

    def __init__(self, message: str, path: str | None = None, section: str | None = None,
                 key: str | None = None):
        self.path = path
        self.section = section
        self.key = key
        self.message = message
        where = []
        if path:
            where.append(str(path))
        if key:
            where.append(f"[{section}] {key}" if section else key)
        super().__init__(": ".join(where + [message]))


class TaskFailed(AdjutantError):
    """A task failed for a reason the packager can act on (shown as the task's result)."""

    faultCode = koji.BuildError.faultCode


class RetryLater(AdjutantError):
    """A transient condition: nothing was lost, the same work can be tried again."""


class LogLimitExceeded(TaskFailed):
    """A command printed more than a task's logs may hold (``log_limit``); it was stopped."""
