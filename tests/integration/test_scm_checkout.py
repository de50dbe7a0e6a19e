"""SCM checkouts with the real git over smart HTTP, streaming checkout.log to a real hub.

``koji.daemon.SCM`` does the work; these tests show what our wrapper adds:
the resolved commit, confinement to the checkout directory, the chown to the
build user, and clear failures.
"""

import os
import socket
from pathlib import Path

import koji
import pytest

from koji_adjutant import scm as scmlib
from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.url import ScmRules

pytestmark = pytest.mark.slow  # the library polls each checkout command once a second

SPEC = "Name: hello\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n%description\nd\n"


class Checkouts:
    """Checks URLs out as a builder would, uploading checkout.log into an open task."""

    def __init__(self, hub, git_server, root: Path):
        hub.add_host("builder1")
        self.hub = hub
        self.session = hub.host_session("builder1")
        self.task_id = hub.make_task("buildSRPMFromSCM", ["x", "tag", {}])
        assert self.session.host.openTask(self.task_id) is not None
        self.git = git_server
        self.root = root
        self.count = 0

    def allowed(self, url: str, entries: str | None = None):
        scm = scmlib.open_scm(url)
        scmlib.authorise(scm, ScmRules(entries or "127.0.0.1*:/repos/*:no"), None, {})
        return scm

    def checkout(self, scm) -> Path:
        self.count += 1
        self.scmdir = self.root / f"co{self.count}" / "scmroot"
        return scmlib.fetch(scm, self.scmdir, self.session, koji.pathinfo.taskrelpath(
            self.task_id), self.root / "checkout.log")

    def hub_log(self) -> str:
        path = self.hub.topdir / "work" / koji.pathinfo.taskrelpath(self.task_id) / \
            "checkout.log"
        return path.read_text()


@pytest.fixture
def checkouts(hub, git_server, tmp_path):
    return Checkouts(hub, git_server, tmp_path / "builder")


def test_a_commit_is_checked_out_and_recorded(checkouts, git_server):
    first = git_server.commit("hello", {"hello.spec": SPEC, "Makefile": "sources:\n"})
    git_server.commit("hello", {"later.txt": "later\n"})
    scm = checkouts.allowed(git_server.url("hello", first))
    sourcedir = checkouts.checkout(scm)
    assert sourcedir == checkouts.scmdir / "hello"
    assert sorted(p.name for p in sourcedir.iterdir()) == [".git", "Makefile", "hello.spec"]
    source = scmlib.resolved_source(scm)
    assert source == {"url": git_server.url("hello", first),
                      "source": f"git+http://127.0.0.1:{git_server.port}/repos/hello.git"
                                f"#{first}"}
    log = checkouts.hub_log()
    assert "$ git clone -n http://127.0.0.1:" in log and "KOJI_FETCH_HEAD" in log
    assert any("git-upload-pack" in line for line in git_server.requests)


def test_a_branch_and_an_abbreviated_hash_resolve_to_their_commits(checkouts, git_server):
    base = git_server.commit("hello", {"hello.spec": SPEC})
    tip = git_server.commit("hello", {"feature.txt": "x\n"}, branch="feature")
    scm = checkouts.allowed(git_server.url("hello", "feature"))
    checkouts.checkout(scm)
    assert scmlib.resolved_source(scm)["source"].endswith(f"#{tip}")
    short = checkouts.allowed(git_server.url("hello", base[:8]))
    sourcedir = checkouts.checkout(short)
    assert scmlib.resolved_source(short)["source"].endswith(f"#{base}")
    assert not (sourcedir / "feature.txt").exists()


def test_a_module_is_a_directory_of_the_checkout(checkouts, git_server):
    sha = git_server.commit("multi", {"pkgs/hello/hello.spec": SPEC, "README": ""})
    scm = checkouts.allowed(git_server.url("multi", sha, module="pkgs/hello"))
    sourcedir = checkouts.checkout(scm)
    assert sourcedir == checkouts.scmdir / "multi" / "pkgs" / "hello"
    assert scmlib.find_spec(sourcedir) == sourcedir / "hello.spec"
    assert scmlib.resolved_source(scm)["source"].endswith(f"?pkgs/hello#{sha}")


def test_use_common_clones_the_common_repository_next_to_it(checkouts, git_server):
    git_server.commit("common", {"Makefile.common": "x\n"})
    sha = git_server.commit("hello", {"pkg/hello.spec": SPEC})
    scm = checkouts.allowed(git_server.url("hello", sha, module="pkg"),
                            "127.0.0.1*:/repos/*")
    assert scm.use_common is True
    sourcedir = checkouts.checkout(scm)
    assert (checkouts.scmdir / "common" / "Makefile.common").is_file()
    assert (sourcedir / ".." / "common" / "Makefile.common").is_file()


def test_an_unknown_ref_fails_clearly(checkouts, git_server):
    git_server.commit("hello", {"hello.spec": SPEC})
    scm = checkouts.allowed(git_server.url("hello", "no-such-branch"))
    with pytest.raises(TaskFailed) as exc:
        checkouts.checkout(scm)
    assert str(exc.value).startswith(f"cannot check out {git_server.url('hello', 'no-such')}")
    assert 'git reset --hard no-such-branch' in str(exc.value)
    assert "checkout.log" in str(exc.value)
    assert "no-such-branch" in checkouts.hub_log()
    # git's own reason, not only the command and the name of the log
    assert "ambiguous argument 'no-such-branch': unknown revision" in str(exc.value)


def test_an_unreachable_git_host_is_named_with_gits_reason(checkouts):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    url = f"git+http://127.0.0.1:{port}/repos/hello.git#main"
    with pytest.raises(TaskFailed) as exc:
        checkouts.checkout(checkouts.allowed(url))
    message = str(exc.value)
    assert message.startswith(f"cannot check out {url}: unable to access "
                              f"'http://127.0.0.1:{port}/repos/hello.git/': "), message
    assert "Failed to connect to 127.0.0.1 port" in message
    assert message.endswith("see checkout.log for details)")


def test_a_missing_module_directory_fails_clearly(checkouts, git_server):
    sha = git_server.commit("hello", {"hello.spec": SPEC})
    scm = checkouts.allowed(git_server.url("hello", sha, module="nope"))
    with pytest.raises(TaskFailed, match="has no directory 'nope'"):
        checkouts.checkout(scm)


def test_a_module_symlinked_out_of_the_checkout_is_refused(checkouts, git_server, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.spec").write_text(SPEC)
    git_server.commit("hello", {"hello.spec": SPEC})
    sha = git_server.symlink("hello", "escape", str(outside))
    scm = checkouts.allowed(git_server.url("hello", sha, module="escape"))
    with pytest.raises(TaskFailed, match="leads outside the checkout"):
        checkouts.checkout(scm)


def test_hand_over_chowns_the_tree_but_not_symlink_targets(checkouts, git_server, tmp_path):
    victim = tmp_path / "host-file"
    victim.write_text("mine\n")
    git_server.commit("hello", {"hello.spec": SPEC, "sub/file": "x\n"})
    sha = git_server.symlink("hello", "link", str(victim))
    scm = checkouts.allowed(git_server.url("hello", sha))
    sourcedir = checkouts.checkout(scm)
    scmlib.resolved_source(scm)
    scmlib.hand_over(checkouts.scmdir, 1000, 1000)
    for path in [checkouts.scmdir, sourcedir / "sub" / "file", sourcedir / ".git" / "HEAD",
                 sourcedir / "link"]:
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid) == (1000, 1000), path
    assert victim.stat().st_uid == os.getuid()


def test_a_symlinked_module_parent_cannot_place_the_common_link_outside(checkouts, git_server,
                                                                        tmp_path):
    outside = tmp_path / "outside"
    (outside / "b").mkdir(parents=True)
    git_server.commit("common", {"Makefile.common": "x\n"})
    git_server.commit("hello", {"hello.spec": SPEC})
    sha = git_server.symlink("hello", "a", str(outside))
    scm = checkouts.allowed(git_server.url("hello", sha, module="a/b"), "127.0.0.1*:/repos/*")
    with pytest.raises(TaskFailed, match="leads outside the checkout"):
        checkouts.checkout(scm)
    assert sorted(p.name for p in outside.iterdir()) == ["b"]
    assert not (checkouts.scmdir / "common").exists()
