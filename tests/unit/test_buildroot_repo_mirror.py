"""A koji repo without the koji volume: its metadata mirrored by the daemon from the topurl.

A real repo (createrepo_c with sqlite databases, as kojid's ``-d``) is served
over HTTP on loopback as a hub's ``/kojifiles`` would serve it.
"""

import functools
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from koji_adjutant.buildroot.download import DownloadFailed, Downloader
from koji_adjutant.buildroot.repo import MIRROR_DIR, RepoSource
from koji_adjutant.errors import TaskFailed


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def topurl(tmp_path):
    """``<topurl>/repos/f99-build/7/x86_64`` holding a createrepo_c -d repo of one file."""
    arch_dir = tmp_path / "served" / "repos" / "f99-build" / "7" / "x86_64"
    arch_dir.mkdir(parents=True)
    (arch_dir / "README").write_text("no packages needed to make repodata\n")
    subprocess.run(["createrepo_c", "-q", "-d", str(arch_dir)], check=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        Quiet, directory=str(tmp_path / "served")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", arch_dir
    server.shutdown()
    server.server_close()


def source(url: str) -> RepoSource:
    return RepoSource("f99-build", 7, "x86_64", "/nonexistent", (url,), via_volume=False)


def test_without_the_volume_dnf_reads_the_mirror_and_the_daemon_the_topurl(topurl):
    url, _ = topurl
    repo = source(url)
    assert repo.baseurls == (f"file://{MIRROR_DIR}",) and repo.mounts() == ()
    assert repo.mirrored and not repo.needs_network
    assert repo.package_base == f"{url}/repos/f99-build/7/x86_64"


def test_the_mirror_holds_what_dnf_reads_checked_and_nothing_else(topurl, tmp_path):
    url, arch_dir = topurl
    dest = tmp_path / "mirror"
    source(url).mirror_metadata(dest, Downloader(tmp_path / "unused").fetch_file)
    served = {p.name for p in (arch_dir / "repodata").iterdir()}
    mirrored = {p.name for p in (dest / "repodata").iterdir()}
    assert {n for n in served if re.search(r"-(primary|filelists)\.xml", n)} | {"repomd.xml"} \
        == mirrored
    assert any("sqlite" in n for n in served) and any("other" in n for n in served)
    for name in mirrored:
        assert (dest / "repodata" / name).read_bytes() == \
            (arch_dir / "repodata" / name).read_bytes()


def test_a_metadata_file_that_does_not_match_repomd_fails_the_task(topurl, tmp_path):
    url, arch_dir = topurl
    [primary] = (arch_dir / "repodata").glob("*-primary.xml.gz")
    data = primary.read_bytes()
    primary.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    with pytest.raises(DownloadFailed, match="checksum mismatch"):
        source(url).mirror_metadata(tmp_path / "m", Downloader(tmp_path / "u",
                                                                attempts=1).fetch_file)
    assert not list((tmp_path / "m" / "repodata").glob("*primary*"))


def test_a_metadata_location_outside_repodata_fails_the_task(topurl, tmp_path):
    url, arch_dir = topurl
    repomd = arch_dir / "repodata" / "repomd.xml"
    text = repomd.read_text()
    repomd.write_text(re.sub(r'href="repodata/([^"]*-primary\.xml\.gz)"',
                             r'href="../../../\1"', text))
    with pytest.raises(TaskFailed, match="unusable metadata file '../../../"):
        source(url).mirror_metadata(tmp_path / "m", Downloader(tmp_path / "u").fetch_file)


def test_a_repo_without_repomd_fails_with_its_url(topurl, tmp_path):
    url, arch_dir = topurl
    shutil.rmtree(arch_dir / "repodata")
    with pytest.raises(TaskFailed, match=f"has no {url}/repos/f99-build/7/x86_64/repodata"):
        source(url).mirror_metadata(tmp_path / "m", Downloader(tmp_path / "u").fetch_file)
