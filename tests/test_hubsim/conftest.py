"""Fixtures for the hub simulator's own tests: the hubsim fixtures plus a ready builder."""

from __future__ import annotations

import dataclasses

import koji
import pytest
from koji.xmlrpcplus import Fault, dumps

from hubsim import HubSim


@dataclasses.dataclass
class Builder:
    """Host `name` logged in with an exclusive session, as kojid runs it."""

    hub: HubSim
    name: str
    host_id: int
    session: koji.ClientSession

    def ready(self, load: float = 0.0, maxjobs: int = 10) -> None:
        self.session.host.updateHost(load, True, data={'methods': ['build'],
                                                       'maxjobs': maxjobs})

    def take(self, task_id: int) -> dict:
        """Open a task (FREE or assigned to us); fails the test if the hub refuses."""
        info = self.session.host.openTask(task_id)
        assert info is not None, 'could not open task %d' % task_id
        return info

    def close(self, task_id: int, value: object) -> None:
        self.session.host.closeTask(task_id, dumps((value,), methodresponse=1, allow_none=1))

    def fail(self, task_id: int, code: int, text: str) -> None:
        self.session.host.failTask(task_id, dumps(Fault(code, text), methodresponse=1,
                                                  allow_none=1))


def make_builder(hub: HubSim, name: str = 'builder1', **host_opts) -> Builder:
    host_id = hub.add_host(name, **host_opts)
    return Builder(hub, name, host_id, hub.host_session(name))


@pytest.fixture
def builder(hub: HubSim) -> Builder:
    return make_builder(hub, channels=('default', 'createrepo'))


@pytest.fixture
def new_builder(hub: HubSim):
    return lambda name, **opts: make_builder(hub, name, **opts)


@pytest.fixture
def admin(hub: HubSim) -> koji.ClientSession:
    return hub.session()
