"""``koji dist-repo`` (distRepo + createdistrepo) through the daemon, the hub simulator and
the real test image, with rpms signed for real (rpmsign) and imported as signed copies."""

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import koji
import pytest

from daemon_harness import wait_for
from rpmkit import Package
from test_repos import containers_of

TAG = "dist-f99"
HOST = "dist-builder"
REPO_NS = "{http://linux.duke.edu/metadata/repo}"
COMMON_NS = "{http://linux.duke.edu/metadata/common}"
pytestmark = pytest.mark.podman


@pytest.fixture
def dist_tag(hub, rpm_factory, signer, tmp_path):
    """A tag with signed-signed, unsigned and a -debuginfo package; a createrepo host."""
    hub.add_host(HOST, arches="x86_64", channels=("createrepo",))
    hub.add_tag(TAG, arches="x86_64")
    hub.add_group(TAG, "build", ["bash"])
    for name in ("signed-pkg", "unsigned-pkg", "tool-debuginfo"):
        built = rpm_factory.rpms(Package(name))
        build = hub.import_rpms(built.srpm, built.rpms)
        hub.add_package(TAG, name)
        hub.tag_build(TAG, build["id"])
        if name != "unsigned-pkg":
            for rpm in built.rpms:
                assert hub.import_sig(signer.sign(rpm, tmp_path / "signed")) == signer.keyid
    return hub


def run_dist_repo(hub, keys, **opts) -> dict:
    task_id = hub.dist_repo(TAG, keys, **opts)
    repo_id = hub.task_info(task_id, request=True)["request"][1]
    info = hub.wait_task(task_id, timeout=240)
    return {"task": task_id, "repo": repo_id, "state": koji.TASK_STATES[info["state"]],
            "dir": hub.topdir / "repos-dist" / TAG / str(repo_id) / "x86_64"}


def primary_names(repo_dir: Path) -> dict[str, str]:
    repomd = ET.parse(repo_dir / "repodata" / "repomd.xml").getroot()
    [href] = [d.find(f"{REPO_NS}location").get("href") for d in repomd.findall(f"{REPO_NS}data")
              if d.get("type") == "primary"]
    root = ET.fromstring(gzip.decompress((repo_dir / href).read_bytes()))
    return {p.find(f"{COMMON_NS}name").text: p.find(f"{COMMON_NS}location").get("href")
            for p in root.findall(f"{COMMON_NS}package")}


def task_file(hub, task_id: int, name: str) -> Path:
    return hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id) / name


def test_signed_copies_and_allowed_unsigned_with_debuginfo_split(dist_tag, signer,
                                                                 start_daemon):
    start_daemon(dist_tag, HOST)
    done = run_dist_repo(dist_tag, [signer.keyid], allow_missing_signatures=True,
                         split_debuginfo=True, arch=["x86_64"])
    assert done["state"] == "CLOSED", dist_tag.task_result(done["task"])
    assert dist_tag.task_result(done["task"]) == \
        f"Dist repository #{done['repo']} successfully generated"
    assert koji.REPO_STATES[dist_tag.session().repoInfo(done["repo"])["state"]] == "READY"
    main = primary_names(done["dir"])
    assert main == {"signed-pkg": "Packages/s/signed-pkg-1.0-1.noarch.rpm",
                    "unsigned-pkg": "Packages/u/unsigned-pkg-1.0-1.noarch.rpm"}
    assert primary_names(done["dir"] / "debug") == {
        "tool-debuginfo": "../Packages/t/tool-debuginfo-1.0-1.noarch.rpm"}
    packages = dist_tag.topdir / "packages"
    signed_copy = (packages / "signed-pkg/1.0/1/data/signed" / signer.keyid /
                   "noarch/signed-pkg-1.0-1.noarch.rpm")
    assert (done["dir"] / "Packages/s/signed-pkg-1.0-1.noarch.rpm").stat().st_ino == \
        signed_copy.stat().st_ino
    unsigned = packages / "unsigned-pkg/1.0/1/noarch/unsigned-pkg-1.0-1.noarch.rpm"
    assert (done["dir"] / "Packages/u/unsigned-pkg-1.0-1.noarch.rpm").stat().st_ino == \
        unsigned.stat().st_ino
    [child] = dist_tag.children(done["task"])
    assert child["method"] == "createdistrepo"
    assert "unsigned-pkg-1.0-1.noarch.rpm" in \
        task_file(dist_tag, child["id"], "missing_signatures.log").read_text()
    wait_for(lambda: not containers_of(child["id"], HOST), timeout=30,
             what="the container removed after the result")


def test_missing_signatures_fail_clearly_unless_allowed(dist_tag, signer, start_daemon):
    start_daemon(dist_tag, HOST)
    failed = run_dist_repo(dist_tag, [signer.keyid])
    assert failed["state"] == "FAILED"
    [child] = dist_tag.children(failed["task"])
    with pytest.raises(koji.GenericError) as error:
        dist_tag.session().getTaskResult(child["id"])
    assert "Unsigned packages found" in str(error.value)
    assert "unsigned-pkg-1.0-1.noarch" in str(error.value)
    log = task_file(dist_tag, child["id"], "missing_signatures.log").read_text()
    assert "unsigned-pkg-1.0-1.noarch.rpm" in log and "signed-pkg-1.0-1.noarch" not in \
        log.replace("unsigned-pkg", "")
    skipped = run_dist_repo(dist_tag, [signer.keyid.upper()], skip_missing_signatures=True)
    assert skipped["state"] == "CLOSED", dist_tag.task_result(skipped["task"])
    assert sorted(primary_names(skipped["dir"])) == ["signed-pkg", "tool-debuginfo"]
    assert (skipped["dir"] / "kojipkgs").is_file()
    assert not (skipped["dir"] / "Packages/u").exists()


def test_multilib_is_refused_with_a_clear_message(dist_tag, signer, start_daemon):
    start_daemon(dist_tag, HOST)
    done = run_dist_repo(dist_tag, [signer.keyid], multilib="tmp/multilib.conf")
    assert done["state"] == "FAILED"
    with pytest.raises(koji.GenericError, match="multilib dist repos are not supported"):
        dist_tag.session().getTaskResult(done["task"])


def test_written_signed_copies_and_a_zchunk_request(dist_tag, signer, start_daemon):
    start_daemon(dist_tag, HOST)
    written = dist_tag.topdir / "packages/signed-pkg/1.0/1/data/signed" / signer.keyid / \
        "noarch/signed-pkg-1.0-1.noarch.rpm"
    written.unlink()  # the hub must write it again from the stored signature
    done = run_dist_repo(dist_tag, [signer.keyid], skip_missing_signatures=True,
                         write_signed_rpms=True)
    assert done["state"] == "CLOSED", dist_tag.task_result(done["task"])
    assert written.is_file()
    [child] = dist_tag.children(done["task"])
    assert f"signed-pkg-1.0-1.noarch.rpm {signer.keyid}" in \
        task_file(dist_tag, child["id"], "written_signed_rpms.log").read_text()
    zck = run_dist_repo(dist_tag, [signer.keyid], skip_missing_signatures=True, zck=True)
    # Debian's createrepo_c 0.17.3 in the test image is built without zchunk.
    assert zck["state"] == "FAILED"
    [child] = dist_tag.children(zck["task"])
    with pytest.raises(koji.GenericError, match="without zchunk support"):
        dist_tag.session().getTaskResult(child["id"])


def test_deltas_against_an_earlier_dist_repo(dist_tag, rpm_factory, start_daemon):
    def tag_version(version: str) -> None:
        built = rpm_factory.rpms(Package("delta-pkg", version=version,
                                         files={"/usr/share/delta-pkg/data": "x" * 20000
                                                + version}))
        build = dist_tag.import_rpms(built.srpm, built.rpms)
        dist_tag.tag_build(TAG, build["id"])

    dist_tag.add_package(TAG, "delta-pkg")
    tag_version("1.0")
    start_daemon(dist_tag, HOST)
    first = run_dist_repo(dist_tag, [], latest=True)
    assert first["state"] == "CLOSED", dist_tag.task_result(first["task"])
    tag_version("2.0")
    second = run_dist_repo(dist_tag, [], latest=True, delta=[first["repo"]])
    assert second["state"] == "CLOSED", dist_tag.task_result(second["task"])
    assert primary_names(second["dir"])["delta-pkg"] == "Packages/d/delta-pkg-2.0-1.noarch.rpm"
    [child] = dist_tag.children(second["task"])
    log = task_file(dist_tag, child["id"], "createrepo.log").read_text()
    assert f"--deltas --oldpackagedirs {first['dir']}/Packages/d" in log
    drpms = sorted(p.name for p in (second["dir"] / "drpms").iterdir())
    assert drpms == ["delta-pkg-1.0-1_2.0-1.noarch.drpm"]
    repomd = (second["dir"] / "repodata" / "repomd.xml").read_text()
    assert 'type="prestodelta"' in repomd
