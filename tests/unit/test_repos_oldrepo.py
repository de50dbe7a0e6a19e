"""Choice of the old repo and the clone check (koji_adjutant.repos.oldrepo), and the
argument helpers of the newRepo / distRepo handlers."""

import json

import koji
import pytest

from koji_adjutant.repos.oldrepo import choose_old_repo, clonable_arches
from koji_adjutant.tasks.dist_repo import dist_arches
from koji_adjutant.tasks.new_repo import repo_arches, repo_opts


class RepoTable:
    """The three hub answers choose_old_repo / clonable_arches use, from plain dicts."""

    def __init__(self, repos=None, parents=(), external=None):
        self.repos = repos or {}
        self.parents = list(parents)
        self.external = external or {}

    def getRepo(self, tag, state=None, event=None, dist=False):
        return self.repos.get(tag)

    def getFullInheritance(self, tag, event=None):
        return self.parents

    def getExternalRepoList(self, tag_info, event=None):
        return self.external.get(tag_info, [])


TAG = {"id": 1, "name": "f99-build", "extra": {}}


def test_the_tags_own_latest_repo_comes_first():
    hub = RepoTable({1: {"id": 10, "tag_id": 1}, "hinted": {"id": 20, "tag_id": 2}})
    assert choose_old_repo(hub, dict(TAG, extra={"repo.oldrepo_hint": "hinted"}))["id"] == 10


def test_oldrepo_hint_then_nearest_ancestor():
    hub = RepoTable({"b": {"id": 21, "tag_id": 3}, 5: {"id": 50, "tag_id": 5},
                     4: {"id": 40, "tag_id": 4}},
                    parents=[{"parent_id": 5, "name": "far", "currdepth": 2},
                             {"parent_id": 4, "name": "near", "currdepth": 1}])
    hinted = choose_old_repo(hub, dict(TAG, extra={"repo.oldrepo_hint": ["a", "b"]}))
    assert (hinted["id"], hinted["tag_id"]) == (21, 3)
    inherited = choose_old_repo(hub, TAG)
    assert (inherited["id"], inherited["tag_id"]) == (40, 4)
    assert choose_old_repo(RepoTable(), TAG) is None


def make_repo(base, *, pkglist="toplink/packages/a/1/1/noarch/a-1-1.noarch.rpm\n",
              comps="<comps/>", with_src=False, repodata=True):
    (base / "groups").mkdir(parents=True)
    (base / "groups" / "comps.xml").write_text(comps)
    (base / "repo.json").write_text(json.dumps({"with_src": with_src, "with_debuginfo": False,
                                                "with_separate_src": False}))
    arch = base / "x86_64"
    (arch / "repodata").mkdir(parents=True)
    (arch / "pkglist").write_text(pkglist)
    (arch / "blocklist").write_text("")
    if repodata:
        (arch / "repodata" / "repomd.xml").write_text("<repomd/>")
    return base


NEW = {"id": 2, "tag_id": 1, "create_event": 20}
OLD = {"id": 1, "tag_id": 1, "create_event": 10}


def test_unchanged_arches_can_be_cloned(tmp_path):
    old = make_repo(tmp_path / "1")
    new = make_repo(tmp_path / "2", repodata=False)
    assert clonable_arches(RepoTable(), new, NEW, old, OLD, ["x86_64"]) == ["x86_64"]


@pytest.mark.parametrize("change", [{"pkglist": "other\n"}, {"comps": "<comps>x</comps>"},
                                    {"with_src": True}])
def test_any_difference_prevents_cloning(tmp_path, change):
    old = make_repo(tmp_path / "1")
    new = make_repo(tmp_path / "2", repodata=False, **change)
    assert clonable_arches(RepoTable(), new, NEW, old, OLD, ["x86_64"]) == []


def test_external_repos_prevent_cloning(tmp_path):
    old = make_repo(tmp_path / "1")
    new = make_repo(tmp_path / "2", repodata=False)
    hub = RepoTable(external={1: [{"url": "http://x/"}]})
    assert clonable_arches(hub, new, NEW, old, OLD, ["x86_64"]) == []


def test_repo_options_from_legacy_arguments_or_opts():
    assert repo_opts(None, None, None, None) is None
    assert repo_opts(True, None, False, None) == {"src": True, "separate_src": False}
    assert repo_opts(None, None, None, {"debuginfo": True}) == {"debuginfo": True}
    with pytest.raises(koji.ParameterError, match="not both"):
        repo_opts(True, None, None, {"src": True})


def test_repo_arches_are_the_dirs_with_a_pkglist(tmp_path):
    for name in ("x86_64", "aarch64", "groups"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pkglist").write_text("")
    (tmp_path / "i386").mkdir()
    assert repo_arches(tmp_path) == ["aarch64", "x86_64"]


def test_dist_arches():
    assert dist_arches(["i686", "x86_64", "i386"], "aarch64") == ["i386", "x86_64"]
    assert dist_arches([], "x86_64 aarch64") == ["x86_64", "aarch64"]
    with pytest.raises(koji.GenericError, match="No arches"):
        dist_arches(None, "")
