"""The base of koji-adjutant's task handlers: koji's ``BaseTaskHandler`` plus ``self.hub``."""

from koji.tasks import BaseTaskHandler

from koji_adjutant.hub.facade import Hub


class HubTaskHandler(BaseTaskHandler):
    """A task handler that talks to the hub through ``self.hub`` (one per task process)."""

    @property
    def hub(self) -> Hub:
        """The hub through this handler's session (the task process gets a session of its
        own after ``checkHost`` ran in the main process: a new ``Hub`` follows it)."""
        hub = getattr(self, "_hub", None)
        if hub is None or hub.session is not self.session:
            hub = self._hub = Hub(self.session)
        return hub
