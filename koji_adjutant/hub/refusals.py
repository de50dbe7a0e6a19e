"""The hub refusing a task process's calls because the task is no longer its own.

After a cancel the hub answers a task's calls with ``ActionNotAllowed`` "host N
does not own task M"; after a new daemon took the host's session over
(``--force-lock``) or the subsession was expired, with an ``AuthError``
(``AuthLockError``, ...).  Both are an expected end of the task process, not a
failure: ``disowned`` tells them from the refusals that are (a policy denial is an
``ActionNotAllowed`` too).
"""

import re

import koji

_NOT_OURS = re.compile(r"host \d+ does not own task \d+")


def disowned(exc: BaseException) -> bool:
    """Whether ``exc`` is the hub refusing a task's calls: cancelled, or its session gone."""
    if isinstance(exc, koji.AuthError):
        return True  # expired or taken-over session (AuthLockError, AuthExpired, ...)
    return isinstance(exc, koji.ActionNotAllowed) and bool(_NOT_OURS.search(str(exc)))
