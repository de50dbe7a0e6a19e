"""The daemon's one seam to the koji hub.

Every call from koji-adjutant to the hub goes through this package; no other
module calls a ``koji.ClientSession`` (``tests/unit/test_layers.py`` checks).

* ``login``: the session itself: made once (``client_session``), logged in as
  the builder host in kojid's order, exclusive, logged out;
* ``facade.Hub``: the hub as typed verbs for tasks, buildroots and repos (one
  definition of a usable repo, the build config read once per tag and event);
* ``records``: a buildroot's hub record and the incremental log upload;
* ``task.HubTaskHandler``: the base of our task handlers, with ``self.hub``.
* ``outage``: the daemon's ``WatchedSession``, which reports a hub that does not
  answer at the first failed try (``HubOutage``);
* ``refusals.disowned``: the hub refusing a task's calls because it is no longer
  the task process's own (cancelled, session taken over).

Retries stay where koji puts them: ``ClientSession`` retries each call
(``max_retries``, ``retry_interval``), the main loop rides out an outage (ADR
0012), which the session reports at its first failed try.  Faults reach the callers as koji's exception classes.
"""

from koji_adjutant.hub.facade import Hub, usable_repo_state
from koji_adjutant.hub.records import HubLogUploader, HubRecord
from koji_adjutant.hub.task import HubTaskHandler

__all__ = ["Hub", "HubLogUploader", "HubRecord", "HubTaskHandler", "usable_repo_state"]
