"""The daemon's download of external repo packages: the resolver's output, the plan, the fetch.

The downloads go to a real HTTP server on loopback (stdlib), which can serve
a package, a different body, a longer body, errors, or nothing at all.
"""

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from koji_adjutant.buildroot.download import DownloadFailed, Downloader
from koji_adjutant.buildroot.packages import ExternalRepo
from koji_adjutant.buildroot.prefetch import (MARK, NO_API, UNRESOLVED, Download, Prefetch,
                                              Wanted, parse, plan)
from koji_adjutant.errors import TaskFailed

BODY = b"an rpm, as far as this test cares\n" * 100
SHA = hashlib.sha256(BODY).hexdigest()
ORIGIN = "http://127.0.0.1:8/ext/x86_64/"
EXT = (ExternalRepo(7, "dist-ext", "http://127.0.0.1:8/ext/$arch/"),)


def line(**fields) -> str:
    data = {"nvra": "tool-1.0-1.noarch", "url": ORIGIN + "tool-1.0-1.noarch.rpm",
            "checksum_type": "sha256", "checksum": SHA, "size": len(BODY), "repo": "build",
            "location": "tool-1.0-1.noarch.rpm"}
    data.update(fields)
    return MARK + json.dumps(data)


def wanted(**fields) -> Wanted:
    return parse([line(**fields)]).packages[0]


# -- the resolver's output ----------------------------------------------------

def test_resolver_lines_become_packages_and_other_lines_are_ignored():
    res = parse(["Last metadata expiration check: 0:00:01 ago\n", line(), line(nvra="b-1-1.x")])
    assert [p.nvra for p in res.packages] == ["tool-1.0-1.noarch", "b-1-1.x"]
    assert res.packages[0] == Wanted("tool-1.0-1.noarch", ORIGIN + "tool-1.0-1.noarch.rpm",
                                     "sha256", SHA, len(BODY), "build", "tool-1.0-1.noarch.rpm")
    assert not res.no_api and res.unresolved is None


def test_an_image_without_the_dnf_module_and_an_unresolvable_install_are_told_apart():
    assert parse(["x", NO_API]).no_api
    res = parse([UNRESOLVED + json.dumps("nothing provides libfoo")])
    assert res.unresolved == "nothing provides libfoo" and res.packages == ()


def test_malformed_resolver_output_fails_the_task():
    with pytest.raises(TaskFailed, match="unexpected output of the install resolver"):
        parse([MARK + json.dumps({"nvra": "x"})])


# -- the plan -----------------------------------------------------------------

def test_packages_on_the_volume_are_left_to_dnf_and_external_ones_are_downloaded():
    on_volume = wanted(nvra="k-1-1.noarch", url="file:///mnt/koji/repos/t/1/x86_64/k.rpm")
    external = wanted()
    [download] = plan([on_volume, external], {"tool-1.0-1.noarch": ORIGIN}, EXT, "x86_64")
    assert download == Download(external, external.url, f"external repo dist-ext at {ORIGIN}",
                                "tool-1.0-1.noarch.rpm")


KOJI_BASE = "http://hub/kojifiles/repos/t/1/x86_64"


def test_without_the_volume_koji_packages_come_from_the_topurl_by_their_location():
    koji_pkg = wanted(nvra="k-1-1.noarch", location="toplink/packages/k/1/1/noarch/k.rpm",
                      url="file:///var/cache/koji-adjutant/repo/toplink/packages/k/1/1/"
                          "noarch/k.rpm")
    [download] = plan([koji_pkg], {"k-1-1.noarch": "file:///w/repo_1_premerge/"}, EXT,
                      "x86_64", KOJI_BASE)
    assert download.url == KOJI_BASE + "/toplink/packages/k/1/1/noarch/k.rpm"
    assert str(download.failure("HTTP 404")) == (
        f"cannot download k.rpm from the koji repo at {KOJI_BASE}: HTTP 404")


@pytest.mark.parametrize("location", ["../../../etc/k.rpm", "/etc/k.rpm", "a//k.rpm"])
def test_a_koji_location_outside_the_repo_is_never_fetched(location):
    koji_pkg = wanted(location=location, url="file:///var/cache/koji-adjutant/repo/k.rpm")
    with pytest.raises(TaskFailed, match="unusable location"):
        plan([koji_pkg], {}, EXT, "x86_64", KOJI_BASE)


def test_without_the_volume_a_package_on_the_volume_fails_clearly():
    on_volume = wanted(url="file:///mnt/koji/repos/ext/tool.rpm")
    with pytest.raises(TaskFailed, match="which this builder does not have"):
        plan([on_volume], {}, EXT, "x86_64", KOJI_BASE)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/api/v1/status",              # a service of the builder
    "http://127.0.0.1:8/other/tool-1.0-1.noarch.rpm",   # another path on the repo's host
    ORIGIN + "../../../secret/tool-1.0-1.noarch.rpm",   # out of the repo by ..
])
def test_a_url_outside_the_packages_origin_is_never_fetched(url):
    with pytest.raises(TaskFailed, match="neither the koji repo nor an external repo"):
        plan([wanted(url=url)], {"tool-1.0-1.noarch": ORIGIN}, EXT, "x86_64", KOJI_BASE)


def test_a_package_without_an_external_origin_is_not_fetched():
    with pytest.raises(TaskFailed, match="neither the koji repo"):
        plan([wanted()], {}, EXT, "x86_64")


def test_unusable_file_names_and_checksum_types_fail_the_task():
    with pytest.raises(TaskFailed, match="unusable file name"):
        plan([wanted(url=ORIGIN + "sub/.hidden.rpm")], {"tool-1.0-1.noarch": ORIGIN}, EXT,
             "x86_64")
    with pytest.raises(TaskFailed, match="unknown checksum type"):
        plan([wanted(checksum_type="crc32")], {"tool-1.0-1.noarch": ORIGIN}, EXT, "x86_64")


def test_an_origin_the_task_cannot_name_is_given_by_its_url():
    [download] = plan([wanted()], {"tool-1.0-1.noarch": ORIGIN}, (), "x86_64")
    assert str(download.failure("Connection refused")) == (
        f"cannot download tool-1.0-1.noarch.rpm from external repo at {ORIGIN}: "
        f"Connection refused")


# -- the downloads --------------------------------------------------------------

class Repo:
    """A loopback HTTP server whose answers the test sets: a list of (status, body)."""

    def __init__(self):
        self.answers: list[tuple[int, bytes]] = []
        self.requests = 0
        repo = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                repo.requests += 1
                status, body = repo.answers.pop(0) if repo.answers else (200, BODY)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ext/x86_64/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def download(self, **fields) -> Download:
        pkg = wanted(url=self.url + "tool-1.0-1.noarch.rpm", **fields)
        return Download(pkg, pkg.url, f"external repo dist-ext at {self.url}",
                        "tool-1.0-1.noarch.rpm")


@pytest.fixture
def repo():
    served = Repo()
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_a_download_is_checked_and_readable_by_the_container(repo, tmp_path):
    path = Downloader(tmp_path / "pf").fetch(repo.download())
    assert path.read_bytes() == BODY
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_package_already_fetched_for_this_buildroot_is_not_fetched_again(repo, tmp_path):
    downloader = Downloader(tmp_path)
    downloader.fetch(repo.download())
    downloader.fetch(repo.download())
    assert repo.requests == 1


def test_a_wrong_body_is_refused_and_nothing_is_left(repo, tmp_path):
    repo.answers = [(200, b"x" * len(BODY))]
    with pytest.raises(DownloadFailed, match="sha256 checksum mismatch"):
        Downloader(tmp_path, attempts=1).fetch(repo.download())
    assert list(tmp_path.iterdir()) == []


def test_a_body_longer_than_the_metadata_says_is_cut_off(repo, tmp_path):
    repo.answers = [(200, BODY * 50)]
    with pytest.raises(DownloadFailed, match=f"larger than the {len(BODY)} bytes"):
        Downloader(tmp_path, attempts=1).fetch(repo.download())
    assert list(tmp_path.iterdir()) == []


def test_a_missing_package_fails_at_once_with_the_status(repo, tmp_path):
    repo.answers = [(404, b"")]
    with pytest.raises(DownloadFailed) as failed:
        Downloader(tmp_path).fetch(repo.download())
    assert str(failed.value) == (f"cannot download tool-1.0-1.noarch.rpm from external repo "
                                 f"dist-ext at {repo.url}: HTTP 404")
    assert repo.requests == 1


def test_a_server_error_is_tried_again(repo, tmp_path):
    repo.answers = [(503, b"busy")]
    assert Downloader(tmp_path).fetch(repo.download()).read_bytes() == BODY
    assert repo.requests == 2


def test_a_stopped_repo_fails_in_seconds_with_one_line(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]   # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/ext/x86_64/"
    pkg = wanted(url=url + "tool-1.0-1.noarch.rpm")
    download = Download(pkg, pkg.url, f"external repo dist-ext at {url}", "tool-1.0-1.noarch.rpm")
    began = time.monotonic()
    with pytest.raises(DownloadFailed) as failed:
        Downloader(tmp_path).fetch(download)
    assert time.monotonic() - began < 10
    assert str(failed.value) == (f"cannot download tool-1.0-1.noarch.rpm from external repo "
                                 f"dist-ext at {url}: Connection refused")


# -- one buildroot's prefetch -----------------------------------------------------

def test_prefetch_is_needed_only_for_external_http_origins():
    assert Prefetch.needed({"a": "file:///w/repo_1_premerge/", "b": ORIGIN})
    assert not Prefetch.needed({"a": "file:///w/repo_1_premerge/"})
    assert not Prefetch.needed({})


def prefetch(tmp_path, origin=ORIGIN) -> Prefetch:
    return Prefetch(tmp_path, {"tool-1.0-1.noarch": origin}, EXT, "x86_64", None, "img:1")


def test_an_image_without_dnf_for_python_fails_with_its_name(tmp_path):
    with pytest.raises(TaskFailed, match="the image img:1 has no python3 with the dnf module"):
        prefetch(tmp_path).files([NO_API], 0, log=print)
    with pytest.raises(TaskFailed, match="the image img:1 has no python3"):
        prefetch(tmp_path).files(["sh: python3: not found"], 127, log=print)


def test_a_resolver_that_fails_points_at_root_log(tmp_path):
    with pytest.raises(TaskFailed, match=r"resolver exit status 1\); see root.log"):
        prefetch(tmp_path).files(["Traceback (most recent call last):", "TypeError: x"], 1,
                                 log=print)


def test_an_unresolvable_install_downloads_nothing_and_leaves_the_error_to_dnf(tmp_path):
    logged = []
    assert prefetch(tmp_path).files([UNRESOLVED + json.dumps("no match for x")], 0,
                                    log=logged.append) == []
    assert logged == ["prefetch: dnf cannot resolve the install: no match for x\n"]


def test_the_files_are_given_to_dnf_by_their_container_paths(repo, tmp_path):
    logged = []
    pf = prefetch(tmp_path, origin=repo.url)
    paths = pf.files([line(url=repo.url + "tool-1.0-1.noarch.rpm")], 0, log=logged.append)
    assert paths == ["/var/cache/koji-adjutant/prefetch/tool-1.0-1.noarch.rpm"]
    assert (tmp_path / "packages" / "tool-1.0-1.noarch.rpm").read_bytes() == BODY
    assert "prefetch: 1 package(s) downloaded by the builder" in logged[0]
