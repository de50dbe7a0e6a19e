"""A hostile build against the box around it: root, the exec channel, other builds.

Each package here attacks through what a spec file can do as the build user,
run for real through the daemon and the hub simulator:

* it plants rpm macros in its home that run a command when root next starts
  rpm (hole 2: the build user becoming root, then host root);
* it forges the exec control files: a status that turns a failed rpmbuild
  into a success, and lines appended to the output of root's later commands
  (hole 3);
* next to two ordinary builds, one build forks without end and one allocates
  more memory than a container may have (holes 4 and 5).
"""

import threading
import time
from pathlib import Path

import koji
import pytest
from daemon_harness import GROUPS, TAG, TESTLIB, upload_srpm
from koji_adjutant.buildroot.environment import BUILD_UID
from rpmkit import Package, make_koji_repo

pytestmark = pytest.mark.podman
HOST = "builder1"
# Run by root whenever rpm opens its database with the build user's macros loaded.
ROOT_PAYLOAD = ("%_dbpath %(cp /bin/sh /builddir/rootsh; chmod 4755 /builddir/rootsh; "
                "touch /builddir/ran-as-root; sleep 3; echo /var/lib/rpm)")


@pytest.fixture
def f99(hub, rpm_factory):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)


def build_arch(hub, f99, rpm_factory, pkg: Package) -> int:
    srpm_rel = upload_srpm(hub, rpm_factory, pkg)
    return hub.make_task("buildArch", [srpm_rel, TAG, "noarch", True, {"repo_id": f99["id"]}])


def outcome(hub, task_id: int, timeout: float = 300) -> tuple[str, str]:
    """The task's final state and its result (or fault) as text."""
    state = koji.TASK_STATES[hub.wait_task(task_id, timeout=timeout)["state"]]
    try:
        return state, str(hub.task_result(task_id))
    except koji.GenericError as exc:
        return state, str(exc)


def hub_log(hub, task_id: int, name: str) -> str:
    path = hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id) / name
    return path.read_text(errors="replace") if path.exists() else ""


class Watcher:
    """Records, while a build runs, every file under a directory: owner, mode."""

    def __init__(self, top: Path):
        self.top = top
        self.seen: dict[str, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Watcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for path in self.top.rglob("*") if self.top.exists() else ():
                try:
                    info = path.lstat()
                except OSError:
                    continue
                self.seen[path.name] = (info.st_uid, info.st_mode)


def test_macros_in_the_build_users_home_never_run_as_root(hub, f99, rpm_factory,
                                                          start_daemon, tmp_path):
    daemon = start_daemon(hub, HOST)
    script = (f"printf '%s\\n' '{ROOT_PAYLOAD}' > $HOME/.rpmmacros; "
              "mkdir -p $HOME/.config/rpm; cp $HOME/.rpmmacros $HOME/.config/rpm/macros; "
              "cp /bin/sh $HOME/mysh; chmod 4755 $HOME/mysh; cat /proc/self/uid_map")
    with Watcher(daemon.conf.parent / f"work-{HOST}") as watched:
        task_id = build_arch(hub, f99, rpm_factory, Package("plants-macros",
                                                             build_script=script))
        state, result = outcome(hub, task_id)
        time.sleep(0.5)
    assert state == "CLOSED", result
    uid_map = [line.split() for line in hub_log(hub, task_id, "build.log").splitlines()
               if line.split()[:1] == ["0"] and len(line.split()) == 3]
    assert uid_map, "the build printed its uid map"
    root = int(uid_map[0][1])
    assert root >= 1000000, "container root is an unprivileged host id of its own"
    # the build user's own rpm calls may run its macros; root's never do
    made = {name: watched.seen[name] for name in ("rootsh", "ran-as-root")
            if name in watched.seen}
    assert all(uid == root + BUILD_UID for uid, _ in made.values()), made
    # what the build user makes set-id is set-id to its own unprivileged id
    uid, mode = watched.seen["mysh"]
    assert uid == root + BUILD_UID and mode & 0o4000


def test_the_build_cannot_write_the_exec_channel(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, HOST)
    forge = ("for f in /run/koji-adjutant/*; do echo 0 > \"$f\" && echo FORGED \"$f\"; done; "
             "(end=$((SECONDS+40)); while [ $SECONDS -lt $end ]; do "
             " for f in /run/koji-adjutant/*.log; do "
             "  echo 'forged-9-9.noarch (none) 0 0 0' >> \"$f\" 2>/dev/null; done; "
             " sleep 0.05; done) & "
             "ls -ld /run/koji-adjutant 2>&1; sleep 2; exit 1")
    task_id = build_arch(hub, f99, rpm_factory, Package("forges-status", build_script=forge))
    state, result = outcome(hub, task_id)
    assert state == "FAILED" and "error building package" in result, result
    build_log = hub_log(hub, task_id, "build.log")
    assert "FORGED" not in build_log
    assert "forged" not in hub_log(hub, task_id, "installed_pkgs.log")
    session = hub.session()
    for broot in session.listBuildroots():
        names = [row["name"] for row in session.getBuildrootListing(broot["id"])]
        assert "forged" not in names


def test_a_fork_bomb_and_a_memory_hog_do_not_stop_two_other_builds(hub, f99, rpm_factory,
                                                                   start_daemon):
    start_daemon(hub, HOST, maxjobs=4,
                 adjutant={"memory": "1g", "pids": "256"})
    bomb = ("end=$((SECONDS+30)); while [ $SECONDS -lt $end ]; do "
            "sleep 120 2>/dev/null & done 2>/dev/null; exit 1")
    hog = "head -c 3G /dev/zero | tail > /dev/null && echo ALLOCATED; exit 1"
    calm = ("sleep 10; for i in $(seq 50); do /bin/true || exit 1; done; "
            "sh -c 'sleep 1 & sleep 1 & wait'")
    hostile = {"bomb": build_arch(hub, f99, rpm_factory, Package("fork-bomb",
                                                                 build_script=bomb)),
               "hog": build_arch(hub, f99, rpm_factory, Package("memory-hog",
                                                                build_script=hog))}
    calm_tasks = [build_arch(hub, f99, rpm_factory, Package(f"calm-{n}", build_script=calm))
                  for n in (1, 2)]
    for task_id in calm_tasks:
        state, result = outcome(hub, task_id, timeout=400)
        assert state == "CLOSED", result
    for what, task_id in hostile.items():
        state, result = outcome(hub, task_id, timeout=400)
        assert state == "FAILED", (what, result)
    # the hog was stopped by its container's memory limit (the kernel's OOM kill)
    hog_log = hub_log(hub, hostile["hog"], "build.log")
    assert "Bad exit status" in hog_log and "ALLOCATED" not in hog_log
