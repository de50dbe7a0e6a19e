"""newRepo and createrepo through the daemon, the hub simulator and the real test image.

The daemon's host is in both channels (``default`` for buildArch, ``createrepo`` for the
repo tasks).  Builds are imported and tagged with the simulator's helpers; ``newRepo`` tasks
are created as the hub's repo queue creates them (``hub.regen_repo``).
"""

import gzip
import hashlib
import json
import http.server
import shutil
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import subprocess

import koji
import pytest

from daemon_harness import GROUPS, TAG, TESTLIB, upload_srpm, wait_for
from rpmkit import Package

HOST = "repo-builder"
REPO_NS = "{http://linux.duke.edu/metadata/common}"
pytestmark = pytest.mark.podman



def task_state(hub, task_id: int) -> str:
    return koji.TASK_STATES[hub.task_info(task_id)["state"]]


def containers_of(task_id: int, host: str = HOST) -> list[str]:
    """Containers left of a task of ``host`` (other tests' hubs reuse task ids)."""
    out = subprocess.run(["podman", "ps", "-a", "-q", "--filter",
                          f"label=io.koji.adjutant.task_id={task_id}", "--filter",
                          f"label=io.koji.adjutant.host={host}"],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


def add_builds(hub, rpm_factory, tag: str, *packages: Package) -> None:
    for pkg in packages:
        built = rpm_factory.rpms(pkg)
        build = hub.import_rpms(built.srpm, built.rpms)
        hub.add_package(tag, pkg.name)
        hub.tag_build(tag, build["id"])


@pytest.fixture
def f99(hub):
    hub.add_host(HOST, arches="x86_64", channels=("default", "createrepo"))
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    for group, names in GROUPS.items():
        hub.add_group(TAG, group, names)
    return hub


def new_repo(hub, tag: str = TAG, timeout: float = 240) -> dict:
    """Run a newRepo task for ``tag``; the closed task's info and result."""
    task_id = hub.regen_repo(tag)
    info = hub.wait_task(task_id, timeout=timeout)
    return {"id": task_id, "state": koji.TASK_STATES[info["state"]],
            "result": hub.task_result(task_id) if koji.TASK_STATES[info["state"]] == "CLOSED"
            else None}


def repomd_types(arch_dir: Path) -> set[str]:
    repomd = ET.parse(arch_dir / "repodata" / "repomd.xml").getroot()
    return {d.get("type") for d in repomd.findall("{http://linux.duke.edu/metadata/repo}data")}


def primary_hrefs(arch_dir: Path) -> dict[str, str]:
    """``name -> location href`` from a repo's primary.xml."""
    repomd = ET.parse(arch_dir / "repodata" / "repomd.xml").getroot()
    md = "{http://linux.duke.edu/metadata/repo}"
    href = [d.find(f"{md}location").get("href") for d in repomd.findall(f"{md}data")
            if d.get("type") == "primary"][0]
    root = ET.fromstring(gzip.decompress((arch_dir / href).read_bytes()))
    return {p.find(f"{REPO_NS}name").text: p.find(f"{REPO_NS}location").get("href")
            for p in root.findall(f"{REPO_NS}package")}


def test_new_repo_is_made_ready_with_the_tagged_builds(f99, rpm_factory, start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("adjutant-testlib-a"))
    start_daemon(f99, HOST)
    done = new_repo(f99)
    assert done["state"] == "CLOSED", f99.task_result(done["id"])
    repo_id, event_id = done["result"]
    repo = f99.session().repoInfo(repo_id)
    assert koji.REPO_STATES[repo["state"]] == "READY"
    arch_dir = f99.topdir / "repos" / TAG / str(repo_id) / "x86_64"
    hrefs = primary_hrefs(arch_dir)
    assert hrefs == {"adjutant-testlib-a": "toplink/packages/adjutant-testlib-a/1.0/1/noarch/"
                                          "adjutant-testlib-a-1.0-1.noarch.rpm"}
    [child] = f99.children(done["id"])
    assert child["method"] == "createrepo" and child["label"] == "x86_64"
    assert "group" in repomd_types(arch_dir)  # comps.xml embedded: `install @build` works
    logdir = f99.topdir / "work" / "tasks" / str(child["id"] % 10000) / str(child["id"])
    assert "createrepo_c --error-exit-val -vd" in (logdir / "createrepo.log").read_text()
    wait_for(lambda: not containers_of(child["id"]), timeout=30,
             what="the container removed after the result")


def task_log(hub, task_id: int, name: str) -> str:
    return (hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id) / name
            ).read_text()


def build_arch_subtask(hub, srpm_rel: str, repo_id: int) -> int:
    """A buildArch subtask (as a build parent makes it) of a parent held by host
    ``importer``, which is in no channel our daemon serves."""
    session = hub.host_session("importer")
    parent = hub.make_task("build", ["unused", TAG, {}], channel="importer-only")
    assert session.host.openTask(parent) is not None
    return session.host.subtask("buildArch", [srpm_rel, TAG, "x86_64", True,
                                              {"repo_id": repo_id}], parent, label="x86_64",
                                arch="x86_64", channel="default")


def test_next_build_arch_installs_a_buildrequires_from_the_new_repo(f99, rpm_factory,
                                                                    start_daemon):
    f99.add_channel("importer-only")
    f99.add_host("importer", password="importer", arches="x86_64", channels=("importer-only",))
    add_builds(f99, rpm_factory, TAG, TESTLIB)
    start_daemon(f99, HOST)
    done = new_repo(f99)
    assert done["state"] == "CLOSED", f99.task_result(done["id"])
    repo_id = done["result"][0]
    pkg = Package("hello-repo-c", arch="c", buildrequires=("adjutant-testlib",))
    task_id = build_arch_subtask(f99, upload_srpm(f99, rpm_factory, pkg), repo_id)
    info = f99.wait_task(task_id, timeout=300)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", f99.task_result(task_id)
    result = f99.task_result(task_id)
    listing = f99.session().getBuildrootListing(result["brootid"])
    assert [row["name"] for row in listing if row["name"] == "adjutant-testlib"] == \
        ["adjutant-testlib"]
    assert "adjutant-testlib" in task_log(f99, task_id, "root.log")


def test_second_new_repo_updates_from_the_first(f99, rpm_factory, start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("first-pkg"))
    start_daemon(f99, HOST)
    first = new_repo(f99)
    assert first["state"] == "CLOSED", f99.task_result(first["id"])
    add_builds(f99, rpm_factory, TAG, Package("second-pkg"))
    second = new_repo(f99)
    assert second["state"] == "CLOSED", f99.task_result(second["id"])
    repo_id = second["result"][0]
    assert repo_id != first["result"][0]
    hrefs = primary_hrefs(f99.topdir / "repos" / TAG / str(repo_id) / "x86_64")
    assert sorted(hrefs) == ["first-pkg", "second-pkg"]
    [child] = f99.children(second["id"])
    log = task_log(f99, child["id"], "createrepo.log")
    assert "--update --skip-stat" in log
    assert f"repos/{TAG}/{first['result'][0]}/x86_64/repodata" in log


@pytest.fixture
def http_dir(tmp_path):
    """A directory served over HTTP on loopback: (directory, base URL)."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_external_repo_is_merged_honouring_the_blocklist(f99, rpm_factory, start_daemon,
                                                        http_dir):
    root, url = http_dir
    ext_dir = root / "ext" / "x86_64"
    ext_dir.mkdir(parents=True)
    for pkg in (Package("ext-tool"), Package("ext-blocked")):
        for rpm in rpm_factory.rpms(pkg).rpms:
            shutil.copy(rpm, ext_dir / rpm.name)
    subprocess.run(["createrepo_c", "-q", str(ext_dir)], check=True)
    add_builds(f99, rpm_factory, TAG, Package("koji-pkg"))
    f99.add_package(TAG, "ext-blocked", block=True)
    f99.add_external_repo("ext", f"{url}/ext/$arch/")
    f99.add_tag_external_repo(TAG, "ext", 10)
    start_daemon(f99, HOST, adjutant={"network_mode": "host"})
    done = new_repo(f99)
    assert done["state"] == "CLOSED", f99.task_result(done["id"])
    arch_dir = f99.topdir / "repos" / TAG / str(done["result"][0]) / "x86_64"
    hrefs = primary_hrefs(arch_dir)
    assert sorted(hrefs) == ["ext-tool", "koji-pkg"]
    assert hrefs["koji-pkg"].startswith("toplink/packages/koji-pkg/")
    assert "origin" in repomd_types(arch_dir)
    [origins_file] = (arch_dir / "repodata").glob("*pkgorigins.gz")
    origins = gzip.decompress(origins_file.read_bytes()).decode()
    assert f"{url}/ext/x86_64/" in origins and "ext-tool" in origins
    [child] = f99.children(done["id"])
    assert "mergerepo_c --koji -b" in task_log(f99, child["id"], "mergerepos.log")


def test_without_the_koji_volume_the_task_is_refused_softly(f99, start_daemon, tmp_path):
    elsewhere = tmp_path / "not-the-koji-volume"
    elsewhere.mkdir()
    start_daemon(f99, HOST, topdir=str(elsewhere))
    task_id = f99.regen_repo(TAG)
    wait_for(lambda: f99.refusals(task_id), timeout=60, what="a refusal of the newRepo task")
    [refusal] = f99.refusals(task_id)[:1]
    assert refusal["soft"] is True
    assert "No access to repos dir" in refusal["msg"]
    assert task_state(f99, task_id) in ("FREE", "OPEN", "ASSIGNED")


def test_a_corrupt_rpm_fails_createrepo_with_its_message(f99, rpm_factory, start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("broken-pkg"))
    path = f99.topdir / "packages" / "broken-pkg" / "1.0" / "1" / "noarch" / \
        "broken-pkg-1.0-1.noarch.rpm"
    path.write_bytes(b"this is not an rpm\n" * 10)
    start_daemon(f99, HOST)
    done = new_repo(f99)
    assert done["state"] == "FAILED"
    [child] = f99.children(done["id"])
    assert koji.TASK_STATES[child["state"]] == "FAILED"
    with pytest.raises(koji.GenericError) as failure:
        f99.session().getTaskResult(child["id"])
    assert "createrepo_c failed" in str(failure.value)
    assert "Cannot read package" in str(failure.value)
    log = task_log(f99, child["id"], "createrepo.log")
    assert "broken-pkg-1.0-1.noarch.rpm" in log
    assert koji.REPO_STATES[f99.session().getRepo(TAG, state=koji.REPO_INIT)["state"]] == "INIT"


def test_copy_old_repodata_clones_an_unchanged_repo(f99, rpm_factory, start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("stable-pkg"))
    start_daemon(f99, HOST, copy_old_repodata="true")
    first = new_repo(f99)
    assert first["state"] == "CLOSED", f99.task_result(first["id"])
    second = new_repo(f99)
    assert second["state"] == "CLOSED", f99.task_result(second["id"])
    assert f99.children(second["id"]) == []  # nothing to createrepo: cloned
    old_id, new_id = first["result"][0], second["result"][0]
    base = f99.topdir / "repos" / TAG
    repo_json = json.loads((base / str(new_id) / "repo.json").read_text())
    assert repo_json["cloned_from_repo_id"] == old_id
    assert repo_json["cloned_archs"] == ["x86_64"]
    assert (base / str(new_id) / "x86_64/repodata/repomd.xml").read_bytes() == \
        (base / str(old_id) / "x86_64/repodata/repomd.xml").read_bytes()
    assert sorted(primary_hrefs(base / str(new_id) / "x86_64")) == ["stable-pkg"]


def test_an_inherited_repo_seeds_the_first_repo_of_a_child_tag(f99, rpm_factory,
                                                               start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("parent-pkg"))
    f99.add_tag("f99-child", arches="x86_64", parents=[TAG])
    start_daemon(f99, HOST)
    parent = new_repo(f99)
    assert parent["state"] == "CLOSED", f99.task_result(parent["id"])
    child = new_repo(f99, "f99-child")
    assert child["state"] == "CLOSED", f99.task_result(child["id"])
    [sub] = f99.children(child["id"])
    log = task_log(f99, sub["id"], "createrepo.log")
    assert f"repos/{TAG}/{parent['result'][0]}/x86_64/repodata" in log and "--update" in log
    arch_dir = f99.topdir / "repos" / "f99-child" / str(child["result"][0]) / "x86_64"
    assert sorted(primary_hrefs(arch_dir)) == ["parent-pkg"]


def test_a_repo_request_is_satisfied_by_the_daemons_new_repo(f99, rpm_factory, start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("requested-pkg"))
    start_daemon(f99, HOST)
    session = f99.session()
    answer = session.repo.request(TAG, min_event="last")
    request = answer["request"]
    assert answer["repo"] is None and request["task_id"]
    info = f99.wait_task(request["task_id"], timeout=240)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", f99.task_result(request["task_id"])
    checked = session.repo.checkRequest(request["id"])
    assert checked["request"]["active"] is False
    assert checked["repo"]["id"] == f99.task_result(request["task_id"])[0]
    assert koji.REPO_STATES[checked["repo"]["state"]] == "READY"


def test_an_external_repo_under_topurl_is_read_through_the_volume_and_recorded_by_url(
        f99, rpm_factory, start_daemon):
    ext_dir = f99.topdir / "ext" / "x86_64"
    ext_dir.mkdir(parents=True)
    for rpm in rpm_factory.rpms(Package("ext-tool")).rpms:
        shutil.copy(rpm, ext_dir / rpm.name)
    subprocess.run(["createrepo_c", "-q", str(ext_dir)], check=True)
    add_builds(f99, rpm_factory, TAG, Package("koji-pkg"))
    f99.add_external_repo("on-topurl", f"{f99.topurl}/ext/$arch/")
    f99.add_tag_external_repo(TAG, "on-topurl", 10)
    # podman's bridge cannot reach the simulator's 127.0.0.1: the merge must read the volume
    start_daemon(f99, HOST)
    done = new_repo(f99)
    assert done["state"] == "CLOSED", f99.task_result(done["id"])
    arch_dir = f99.topdir / "repos" / TAG / str(done["result"][0]) / "x86_64"
    assert sorted(primary_hrefs(arch_dir)) == ["ext-tool", "koji-pkg"]
    repomd = ET.parse(arch_dir / "repodata" / "repomd.xml").getroot()
    md = "{http://linux.duke.edu/metadata/repo}"
    [record] = [d for d in repomd.findall(f"{md}data") if d.get("type") == "origin"]
    origins_file = arch_dir / record.find(f"{md}location").get("href")
    packed = origins_file.read_bytes()
    lines = dict(line.split("\t") for line in gzip.decompress(packed).decode().splitlines())
    # kojid's merge records the tag's URL, so kojid's buildroots find the external repo
    assert lines["ext-tool-1.0-1.noarch"] == f"{f99.topurl}/ext/x86_64/"
    assert not any(origin.startswith("file://" + str(f99.topdir)) for origin in lines.values())
    assert record.find(f"{md}checksum").text == hashlib.sha256(packed).hexdigest()
    assert int(record.find(f"{md}size").text) == len(packed)
    [child] = f99.children(done["id"])
    assert f"file://{f99.topdir}/ext/x86_64/" in task_log(f99, child["id"], "mergerepos.log")
