"""A hostile ``%generate_buildrequires`` against root's install of what it generated (ADR 0015).

``rpmbuild -br`` runs package code as the build user, and then root installs
what it generated.  Each package here attacks that turn, for real through the
daemon, the hub simulator, podman and the test image:

* it leaves processes running (detached, in their own session, one in a user
  namespace of its own) and plants files
  and a link in the directories anyone may write, for root to meet; a package
  of the koji repo (``dep-witness``) records, from its ``%post`` run by root
  during the install, what of the build it finds;
* it makes the directory or the file the daemon reads the generated
  requirements from a symbolic link;
* it generates more requirements than the daemon accepts, or a new one every round.
"""

import koji
import pytest
from daemon_harness import GROUPS, TAG, upload_srpm
from rpmkit import Package, make_koji_repo
from test_containment import build_arch, hub_log

pytestmark = pytest.mark.podman
HOST = "builder1"
BUILDREQS = "/builddir/build/BUILDREQS"
# run by root (rpm's %post) while dnf installs it: what of the build user is there then
WITNESS = Package("dep-witness", extra_spec="""%post
{ echo "witness: build-user processes $(pgrep -u 1000 | wc -l)"
  echo "witness: build-user files $(find / /tmp /var/tmp /dev/shm /run -xdev -user 1000 \\
        ! -path /builddir ! -path '/builddir/*' | wc -l)"
  echo "witness: HOME=$HOME"; } > /etc/dep-witness""")
LINGERER = Package("dep-lingers", build_script="cat /etc/dep-witness", generate_buildrequires="""
if [ ! -e /etc/dep-witness ]; then
    setsid sh -c 'while :; do date >> /builddir/heartbeat; sleep 0.2; done' \\
        </dev/null >/dev/null 2>&1 &
    setsid unshare -r sh -c 'while :; do sleep 0.2; done' </dev/null >/dev/null 2>&1 &
    sleep 0.5; pgrep -u 1000 -c -f 'while :' | sed 's/^/lingering processes: /' >&2
    mkdir -p /tmp/planted && ln -sf /etc/passwd /tmp/planted/passwd-link
    touch /var/tmp/planted /dev/shm/planted /run/lock/planted
fi
echo dep-witness
""")
# the directory rpmbuild writes the buildreqs.nosrc.rpm into, made a link to one of its own
LINKED_DIR = Package("dep-linked-dir", generate_buildrequires=f"""
mkdir -p /builddir/elsewhere && rm -rf {BUILDREQS} && ln -s /builddir/elsewhere {BUILDREQS}
echo dep-witness
""")
# the file itself a link, made before rpmbuild writes through it
LINKED_FILE = Package("dep-linked-file", generate_buildrequires=f"""
mkdir -p {BUILDREQS}
ln -sf /builddir/elsewhere.rpm {BUILDREQS}/%{{name}}-%{{version}}-%{{release}}.buildreqs.nosrc.rpm
echo dep-witness
""")
FLOOD = Package("dep-flood", generate_buildrequires="seq 1 3000 | sed 's/^/flood-cap-/'")
# one more requirement each round, each one the repo has: never done
ROUNDS = [Package(f"dep-round-{n}") for n in range(1, 12)]
ENDLESS = Package("dep-endless", generate_buildrequires=
                  "echo dep-round-$(( $(ls /usr/share | grep -c '^dep-round-') + 1 ))")


@pytest.fixture
def f99(hub, rpm_factory):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(p) for p in [WITNESS] + ROUNDS], GROUPS)


def test_nothing_of_the_build_runs_or_waits_when_root_installs_what_it_generated(
        hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, HOST)
    task_id = build_arch(hub, f99, rpm_factory, LINGERER)
    state = koji.TASK_STATES[hub.wait_task(task_id, timeout=300)["state"]]
    assert state == "CLOSED", hub.task_result(task_id)
    build_log = hub_log(hub, task_id, "build.log")
    # root's %post ran with none of the build's processes and none of its planted files
    assert "witness: build-user processes 0\n" in build_log
    assert "witness: build-user files 0\n" in build_log
    assert "witness: HOME=/root\n" in build_log
    root_log = hub_log(hub, task_id, "root.log")
    assert "kill -KILL -1" in root_log and "dep-witness-0:1.0-1.noarch" in root_log
    assert "lingering processes: 2\n" in build_log  # they were there before root's turn


def test_generated_requirements_are_read_as_bounded_data_never_through_a_link(
        hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, HOST, maxjobs=2)
    expected = {
        LINKED_DIR: f"the build left {BUILDREQS} as a symbolic link",
        LINKED_FILE: f"the build left {BUILDREQS}/dep-linked-file-1.0-1.f99.buildreqs.nosrc.rpm "
                     f"as a symbolic link",
        FLOOD: "dep-flood-1.0-1.src.rpm has 3000 build dependencies; more than 2000 are "
               "refused",
        ENDLESS: "%generate_buildrequires of dep-endless-1.0-1.src.rpm asked for more "
                 "BuildRequires after 10 rounds of installing them; see build.log",
    }
    tasks = {pkg: build_arch(hub, f99, rpm_factory, pkg) for pkg in expected}
    for pkg, message in expected.items():
        task_id = tasks[pkg]
        assert koji.TASK_STATES[hub.wait_task(task_id, timeout=300)["state"]] == "FAILED"
        with pytest.raises(koji.GenericError) as exc:
            hub.task_result(task_id)
        assert message in str(exc.value), (pkg.name, str(exc.value))
        root_log = hub_log(hub, task_id, "root.log")
        assert "dep-witness" not in root_log and "flood-cap" not in root_log, pkg.name
        assert "dep-round-11" not in root_log, pkg.name
