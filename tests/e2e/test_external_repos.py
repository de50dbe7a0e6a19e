"""A build tag whose packages come from a koji external repo served over HTTP (issue 14).

The external repo ``dist-ext`` is a plain stdlib HTTP server on 127.0.0.1 (stoppable and
restartable on its port) holding noarch packages that the test image does not provide:
``ext-srpm-macros`` (in the ``srpm-build`` and ``build`` groups), ``ext-buildtool`` (in
``build``, requires ``ext-libfoo``) and ``ext-libfoo``.  The tag's koji repo is the real
merged repo: a newRepo run by a daemon of its own (``createrepo`` channel only, network_mode
host, so that its merge container reaches 127.0.0.1).  The builder daemon (``default``
channel only) keeps the default settings: podman's bridge, which cannot reach the host's
127.0.0.1, and no network at all for its buildroots.

Covered, end to end with real podman, rpmbuild, createrepo_c, mergerepo_c and dnf:

* ``koji build`` from git (buildSRPMFromSCM, buildArch, tagBuild) and from an uploaded SRPM
  (rebuildSRPM) complete; the SRPM and buildArch buildroot lists carry the external
  packages as external rpms of ``dist-ext``, koji rpms stay internal; the external server
  saw the package downloads;
* the package's %build probes for a network (interfaces other than ``lo``, TCP connections
  to a listener on every host address and podman's bridge gateway) and fails if it finds
  one; the same probe run in a bridge container finds one, so the probe is not vacuous;
* a builder without the koji volume downloads the koji repo's metadata and packages from
  the hub's topurl too, and its buildroots still have no network;
* ``local reproduce`` of that buildArch task downloads the same packages and builds;
* with the external repo's server stopped, a build fails within 60 s with one line naming
  the repo, its URL and the package, leaves no container of the task, and once the server
  is back on its port the next build succeeds.
"""

import functools
import gzip
import http.server
import shutil
import socket
import subprocess
import sys
import threading
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import koji
import pytest

from daemon_harness import GROUPS, TEST_IMAGE, TESTLIB, containers_of_task, upload_srpm, wait_for
from rpmkit import Package, render_spec

BUILD_TAG = "f99-build"
DEST_TAG = "f99"
TARGET = "f99-candidate"
EXT_NAME = "dist-ext"
BUILD_TIMEOUT = 300
# Host names of our own: daemons sweep the containers of their host name.
BUILDER = f"extb-{uuid.uuid4().hex[:8]}"
REPO_HOST = f"extr-{uuid.uuid4().hex[:8]}"
ALLOWED_SCMS = "127.0.0.1*:/repos/*:no:"
PODMAN_GATEWAY = "10.88.0.1"
pytestmark = pytest.mark.podman

EXT_LIBFOO = Package("ext-libfoo")
EXT_BUILDTOOL = Package("ext-buildtool", requires=("ext-libfoo",))
EXT_MACROS = Package("ext-srpm-macros")
EXT_PACKAGES = (EXT_MACROS, EXT_BUILDTOOL, EXT_LIBFOO)
EXT_GROUPS = {"build": GROUPS["build"] + ["ext-srpm-macros", "ext-buildtool"],
              "srpm-build": GROUPS["srpm-build"] + ["ext-srpm-macros"]}

# argv: PORT ADDRESS...; exits 1 if it finds any network, printing what it found.
PROBE = '''import os, socket, sys
found = ["interface " + name for name in sorted(os.listdir("/sys/class/net")) if name != "lo"]
port = int(sys.argv[1])
for address in sys.argv[2:]:
    try:
        socket.create_connection((address, port), timeout=3).close()
    except OSError as exc:
        print("probe: no connection to %s:%d (%s)" % (address, port, exc))
    else:
        found.append("connected to %s:%d" % (address, port))
for what in found:
    print("probe: network found: " + what)
if found:
    sys.exit(1)
print("probe: no network")
'''


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        self.server.requests.append(self.requestline)


class _Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True


class ExtRepoServer:
    """``root`` served on 127.0.0.1; ``stop`` and ``start`` again keep the port."""

    def __init__(self, root: Path):
        self.root = root
        self.port = 0
        self.requests: list[str] = []
        self._httpd = None

    def start(self) -> "ExtRepoServer":
        handler = functools.partial(_QuietHandler, directory=str(self.root))
        self._httpd = _Server(("127.0.0.1", self.port), handler)
        self._httpd.requests = self.requests
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        """The external repo's URL as koji stores it (``$arch`` unexpanded)."""
        return f"http://127.0.0.1:{self.port}/ext/$arch/"

    def arch_url(self, arch: str = "x86_64") -> str:
        return self.url.replace("$arch", arch)


@pytest.fixture
def ext_repo(tmp_path, rpm_factory):
    """The external repo's packages and repodata, served over HTTP."""
    arch_dir = tmp_path / "ext-served" / "ext" / "x86_64"
    arch_dir.mkdir(parents=True)
    for pkg in EXT_PACKAGES:
        for rpm in rpm_factory.rpms(pkg).rpms:
            shutil.copy(rpm, arch_dir / rpm.name)
    subprocess.run(["createrepo_c", "-q", str(arch_dir)], check=True)
    server = ExtRepoServer(tmp_path / "ext-served").start()
    yield server
    server.stop()


@pytest.fixture
def listener():
    """A TCP listener on 0.0.0.0 (the kernel completes handshakes; nothing is accepted)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 0))
    sock.listen(64)
    yield sock.getsockname()[1]
    sock.close()


def host_addresses() -> list[str]:
    """Every non-loopback IPv4 address of this host, and podman's bridge gateway."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], check=True, capture_output=True,
                         text=True).stdout
    found = {line.split()[3].split("/")[0] for line in out.splitlines()}
    return sorted({a for a in found if not a.startswith("127.")} | {PODMAN_GATEWAY})


def probe_package(name: str, port: int) -> Package:
    """A noarch package whose %build fails if it finds a network; needs a koji rpm."""
    argv = " ".join([str(port), *host_addresses()])
    return Package(name, buildrequires=(TESTLIB.name,),
                   files={f"/usr/share/{name}/probe.py": PROBE},
                   build_script=f"python3 %{{SOURCE1}} {argv}")


def assert_probe_detects_a_network(port: int) -> None:
    """The control run: the same probe in a container on podman's bridge finds a network."""
    proc = subprocess.run(["podman", "run", "--rm", "--network", "bridge", TEST_IMAGE,
                           "python3", "-c", PROBE, str(port), *host_addresses()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "probe: network found: interface " in proc.stdout, proc.stdout
    assert "probe: network found: connected to " in proc.stdout, proc.stdout


def new_repo(hub, timeout: float = 240) -> int:
    """Run newRepo for the build tag (on the repo daemon); the new repo's id."""
    task_id = hub.regen_repo(BUILD_TAG)
    info = hub.wait_task(task_id, timeout=timeout)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", explain(hub, task_id)
    return hub.task_result(task_id)[0]


def pkgorigins(arch_dir: Path) -> dict[str, str]:
    """N-V-R.A -> origin URL, from the merged repo's pkgorigins."""
    md = "{http://linux.duke.edu/metadata/repo}"
    repomd = ET.parse(arch_dir / "repodata" / "repomd.xml").getroot()
    [href] = [d.find(f"{md}location").get("href") for d in repomd.findall(f"{md}data")
              if d.get("type") == "origin"]
    text = gzip.decompress((arch_dir / href).read_bytes()).decode()
    return dict(line.split(None, 1) for line in text.splitlines() if line.strip())


def make_tag_with_external_repo(hub, rpm_factory, ext_repo, start_daemon) -> int:
    """f99, f99-build (TESTLIB, groups, dist-ext), f99-candidate; the merged repo's id."""
    hub.add_host(BUILDER, password=BUILDER, arches="x86_64", channels=("default",))
    hub.add_host(REPO_HOST, password=REPO_HOST, arches="x86_64", channels=("createrepo",))
    hub.add_tag(DEST_TAG, arches=None)
    hub.add_tag(BUILD_TAG, arches="x86_64", parents=(DEST_TAG,),
                extra={"rpm.macro.dist": ".f99"})
    hub.add_target(TARGET, BUILD_TAG, DEST_TAG)
    built = rpm_factory.rpms(TESTLIB)
    hub.add_package(BUILD_TAG, TESTLIB.name)
    hub.tag_build(BUILD_TAG, hub.import_rpms(built.srpm, built.rpms)["id"])
    for group, names in EXT_GROUPS.items():
        hub.add_group(BUILD_TAG, group, names)
    hub.add_external_repo(EXT_NAME, ext_repo.url)
    hub.add_tag_external_repo(BUILD_TAG, EXT_NAME, 10)
    start_daemon(hub, REPO_HOST, adjutant={"network_mode": "host"})
    repo_id = new_repo(hub)
    origins = pkgorigins(hub.topdir / "repos" / BUILD_TAG / str(repo_id) / "x86_64")
    for pkg in EXT_PACKAGES:
        assert origins[f"{pkg.name}-1.0-1.noarch"].rstrip("/") == \
            ext_repo.arch_url().rstrip("/"), origins
    assert origins[f"{TESTLIB.name}-1.0-1.noarch"] != origins[f"{EXT_MACROS.name}-1.0-1.noarch"]
    return repo_id


def task_log(hub, task_id: int, name: str) -> str:
    path = hub.topdir / "work" / koji.pathinfo.taskrelpath(task_id) / name
    return path.read_text(errors="replace") if path.is_file() else f"(no {name})"


def task_outcome(hub, task_id: int) -> str:
    try:
        return repr(hub.task_result(task_id))
    except (koji.GenericError, koji.xmlrpcplus.Fault) as exc:
        return f"{type(exc).__name__}: {exc}"


def explain(hub, task_id: int) -> str:
    """A task's and its children's states and results, and failed children's root.log ends."""
    lines = [f"task {task_id}: {koji.TASK_STATES[hub.task_info(task_id)['state']]} "
             f"{task_outcome(hub, task_id)}"]
    for child in hub.children(task_id):
        state = koji.TASK_STATES[child["state"]]
        lines.append(f"  {child['label']} {child['method']} {child['id']}: {state} "
                     f"{task_outcome(hub, child['id']) if state in ('CLOSED', 'FAILED') else ''}")
        if state == "FAILED":
            tail = task_log(hub, child["id"], "root.log").splitlines()[-25:]
            lines += ["    root.log: " + line for line in tail]
    return "\n".join(lines)


def failure(hub, task_id: int) -> str:
    assert koji.TASK_STATES[hub.task_info(task_id)["state"]] == "FAILED", explain(hub, task_id)
    with pytest.raises((koji.GenericError, koji.xmlrpcplus.Fault)) as exc:
        hub.task_result(task_id)
    return str(exc.value)


def children_by_label(hub, task_id: int) -> dict[str, dict]:
    return {c["label"]: c for c in hub.children(task_id)}


def listing(hub, task_id: int) -> dict[str, dict]:
    """name -> hub buildroot listing row, of the one buildroot of ``task_id``."""
    session = hub.session()
    [broot] = session.listBuildroots(taskID=task_id)
    return {row["name"]: row for row in session.getBuildrootListing(broot["id"])}


def assert_external_rows(hub, rows: dict[str, dict], names: set[str]) -> None:
    """Exactly ``names`` are listed as external rpms of dist-ext; koji rpms are internal."""
    ext_id = hub.session().getExternalRepo(EXT_NAME)["id"]
    assert ext_id
    from_ext = {name for name, row in rows.items() if row["external_repo_name"] == EXT_NAME}
    assert from_ext == names, rows
    assert all(rows[name]["external_repo_id"] == ext_id for name in names), rows
    if TESTLIB.name in rows:
        assert rows[TESTLIB.name]["external_repo_id"] == 0, rows[TESTLIB.name]
        assert rows[TESTLIB.name]["external_repo_name"] == "INTERNAL", rows[TESTLIB.name]


def assert_build_completed(hub, task_id: int, srpm_method: str, ext_repo) -> None:
    """The build closed with its three children; both buildroots carry dist-ext's rpms."""
    info = hub.wait_task(task_id, timeout=BUILD_TIMEOUT)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", explain(hub, task_id)
    children = children_by_label(hub, task_id)
    assert {k: c["method"] for k, c in children.items()} == {
        "srpm": srpm_method, "noarch": "buildArch", "tag": "tagBuild"}, explain(hub, task_id)
    assert all(koji.TASK_STATES[c["state"]] == "CLOSED" for c in children.values())
    arch_id = children["noarch"]["id"]
    assert "probe: no network" in task_log(hub, arch_id, "build.log")
    assert_external_rows(hub, listing(hub, children["srpm"]["id"]), {EXT_MACROS.name})
    arch_rows = listing(hub, arch_id)
    assert TESTLIB.name in arch_rows, arch_rows
    assert_external_rows(hub, arch_rows, {p.name for p in EXT_PACKAGES})
    assert hub.task_result(arch_id)["brootid"] == \
        hub.session().listBuildroots(taskID=arch_id)[0]["id"]
    for pkg in EXT_PACKAGES:
        rpm = f"/ext/x86_64/{pkg.name}-1.0-1.noarch.rpm"
        assert any(f"GET {rpm} " in line for line in ext_repo.requests), ext_repo.requests


def build_from_srpm(hub, rpm_factory, pkg: Package) -> tuple[int, str]:
    """``koji build`` of the package's uploaded SRPM: the task id and its end state."""
    hub.add_package(DEST_TAG, pkg.name)
    task_id = hub.build(upload_srpm(hub, rpm_factory, pkg), TARGET)
    return task_id, koji.TASK_STATES[hub.wait_task(task_id, timeout=BUILD_TIMEOUT)["state"]]


def test_build_from_git_installs_external_packages_and_builds_without_network(
        hub, rpm_factory, ext_repo, listener, git_server, start_daemon):
    make_tag_with_external_repo(hub, rpm_factory, ext_repo, start_daemon)
    probe = probe_package("net-probe-scm", listener)
    assert_probe_detects_a_network(listener)
    start_daemon(hub, BUILDER, allowed_scms=ALLOWED_SCMS)
    hub.add_package(DEST_TAG, probe.name)
    git_server.commit(probe.name, {f"{probe.name}.spec": render_spec(probe), **probe.sources()})
    task_id = hub.build(git_server.url(probe.name, "main"), TARGET)
    assert_build_completed(hub, task_id, "buildSRPMFromSCM", ext_repo)
    assert [b["nvr"] for b in hub.session().listTagged(DEST_TAG)] == ["net-probe-scm-1.0-1.f99"]


def test_build_from_srpm_installs_external_packages_and_builds_without_network(
        hub, rpm_factory, ext_repo, listener, start_daemon, tmp_path):
    make_tag_with_external_repo(hub, rpm_factory, ext_repo, start_daemon)
    probe = probe_package("net-probe-srpm", listener)
    assert_probe_detects_a_network(listener)
    start_daemon(hub, BUILDER)
    task_id, _ = build_from_srpm(hub, rpm_factory, probe)
    assert_build_completed(hub, task_id, "rebuildSRPM", ext_repo)
    assert [b["nvr"] for b in hub.session().listTagged(DEST_TAG)] == ["net-probe-srpm-1.0-1.f99"]

    # the same buildArch task, reproduced on this machine, gets the same packages
    arch_task = children_by_label(hub, task_id)["noarch"]["id"]
    downloads_before = len(ext_repo.requests)
    resultdir = tmp_path / "reproduced"
    proc = subprocess.run([str(Path(sys.executable).with_name("koji-adjutant")), "local",
                           "reproduce", str(arch_task), "--hub", hub.url, "--topdir",
                           str(hub.topdir), "-c", "/nonexistent/kojid.conf", "--resultdir",
                           str(resultdir)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert (resultdir / "net-probe-srpm-1.0-1.f99.noarch.rpm").is_file()
    root_log = (resultdir / "logs" / "noarch" / "root.log").read_text()
    assert "prefetch: 3 package(s) downloaded by the builder" in root_log, root_log
    assert "probe: no network" in (resultdir / "logs" / "noarch" / "build.log").read_text()
    assert len(ext_repo.requests) == downloads_before + 3, ext_repo.requests


def test_without_the_koji_volume_the_builder_downloads_the_whole_install(
        hub, rpm_factory, ext_repo, listener, start_daemon, tmp_path):
    make_tag_with_external_repo(hub, rpm_factory, ext_repo, start_daemon)
    probe = probe_package("net-probe-topurl", listener)
    elsewhere = tmp_path / "not-the-koji-volume"
    elsewhere.mkdir()
    # everything comes over the hub's topurl (127.0.0.1, out of the containers' reach)
    start_daemon(hub, BUILDER, topdir=str(elsewhere))
    task_id, _ = build_from_srpm(hub, rpm_factory, probe)
    assert_build_completed(hub, task_id, "rebuildSRPM", ext_repo)
    arch_task = children_by_label(hub, task_id)["noarch"]["id"]
    config = task_log(hub, arch_task, "mock_config.log")
    assert "repository access: koji repo metadata and packages downloaded by the builder " \
           f"from {hub.topurl}/repos/{BUILD_TAG}/" in config, config
    assert "network before the build: none" in config, config
    root_log = task_log(hub, arch_task, "root.log")
    assert f"{TESTLIB.name}-1.0-1.noarch.rpm" in root_log.split("prefetch: ")[-1], root_log


def test_unreachable_external_repo_fails_fast_and_the_next_build_succeeds(
        hub, rpm_factory, ext_repo, start_daemon):
    make_tag_with_external_repo(hub, rpm_factory, ext_repo, start_daemon)
    daemon = start_daemon(hub, BUILDER)
    ext_repo.stop()
    task_id, state = build_from_srpm(hub, rpm_factory, Package("ext-repo-down"))
    assert state == "FAILED", explain(hub, task_id)
    child = children_by_label(hub, task_id)["srpm"]
    pieces = (EXT_NAME, ext_repo.arch_url(), EXT_MACROS.name)
    for failed in (task_id, child["id"]):
        message = failure(hub, failed)
        assert any(all(p in line for p in pieces) for line in message.splitlines()), \
            (pieces, explain(hub, task_id))
    child_info = hub.task_info(child["id"])
    assert child_info["completion_ts"] - child_info["start_ts"] < 60, child_info
    wait_for(lambda: not containers_of_task(child["id"], BUILDER, hub), timeout=30,
             what="the failed task's containers to be removed")

    ext_repo.start()
    again, state = build_from_srpm(hub, rpm_factory, Package("ext-repo-back"))
    assert state == "CLOSED", explain(hub, again)
    assert daemon.proc.poll() is None, daemon.log()
