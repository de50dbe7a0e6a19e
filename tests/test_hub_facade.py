"""The hub seam (koji_adjutant.hub.Hub) against the hub simulator, over real XML-RPC.

One definition of a usable repo, with kojid's fault class for each caller; the reads a
task repeats (the tag's build config at an event, this host) go to the hub once.
"""

from __future__ import annotations

import koji
import pytest

from koji_adjutant.hub import Hub


class CountingSession(koji.ClientSession):
    """A real session that counts the hub methods it calls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def _callMethod(self, name, args, kwargs=None, retry=True):
        self.calls.append(name)
        return super()._callMethod(name, args, kwargs, retry)


def set_repo_state(hub, repo_id: int, state: int) -> None:
    with hub.state.lock:
        hub.state.repos[repo_id]["state"] = state


def test_a_ready_or_expired_repo_is_usable_and_any_other_state_is_not(hub):
    hub.add_tag("f40-build")
    repo = hub.make_repo("f40-build")
    facade = Hub(hub.session())
    assert facade.usable_repo(repo["id"])["tag_name"] == "f40-build"
    set_repo_state(hub, repo["id"], koji.REPO_EXPIRED)
    assert facade.usable_repo(repo["id"])["id"] == repo["id"]
    set_repo_state(hub, repo["id"], koji.REPO_DELETED)
    with pytest.raises(koji.BuildError, match=rf"^Bad repo: {repo['id']} \(DELETED\)$"):
        facade.usable_repo(repo["id"])
    # the same state, the buildroot's fault class (kojid's BuildRoot raises BuildrootError)
    with pytest.raises(koji.BuildrootError, match=r"\(DELETED\)"):
        facade.usable_repo(repo["id"], error=koji.BuildrootError)


def test_a_missing_repo_is_named(hub):
    facade = Hub(hub.session())
    with pytest.raises(koji.BuildError, match="^No such repo: 4242$"):
        facade.usable_repo(4242)


def test_the_build_config_is_read_once_per_tag_and_event(hub):
    hub.add_tag("f40-build", arches="x86_64 aarch64")
    session = CountingSession(hub.url)
    facade = Hub(session)
    event = facade.last_event()
    first = facade.build_config("f40-build", event=event)
    again = facade.build_config("f40-build", event=event)
    current = facade.build_config("f40-build")
    assert first == again and first["arches"] == "x86_64 aarch64"
    assert current["name"] == "f40-build"
    assert session.calls.count("getBuildConfig") == 2  # (tag, event) and (tag, None)


def test_this_host_is_read_once(hub):
    hub.add_host("builder-1")
    session = hub.host_session("builder-1")
    facade = Hub(session)
    assert facade.this_host()["name"] == "builder-1"
    before = dict(facade.this_host())
    hub.set_host("builder-1", capacity=7.0)
    assert facade.this_host() == before  # the record a task started with
