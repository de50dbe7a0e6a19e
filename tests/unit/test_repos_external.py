"""External repos as a createrepo task merges them (koji_adjutant.repos.external)."""

from koji_adjutant.repos.external import arch_applies, expand_url, merge_sources

TOP = "/mnt/koji"


def ext(url, arches=None):
    return {"url": url, "arches": arches, "merge_mode": "koji"}


def test_arch_substitution_and_trailing_slash():
    assert expand_url("http://mirror/f99/$arch/os", "x86_64") == "http://mirror/f99/x86_64/os/"


def test_arches_limit_where_an_external_repo_applies():
    assert arch_applies(ext("u"), "aarch64")
    assert arch_applies(ext("u", "i686 x86_64"), "x86_64")
    assert arch_applies(ext("u", "i686"), "i386")
    assert not arch_applies(ext("u", "aarch64"), "x86_64")


def test_premerge_repo_comes_first_and_http_needs_the_network():
    sources = merge_sources("/w/premerge", [ext("http://mirror/$arch/"),
                                            ext("http://other/", "aarch64")], "x86_64", TOP)
    assert sources.urls == ("file:///w/premerge/", "http://mirror/x86_64/")
    assert sources.needs_network and sources.local_dirs == ()


def test_urls_under_the_hubs_topurl_are_read_through_the_volume():
    sources = merge_sources("/w/p", [ext("https://koji.example/kojifiles/repos/ext/$arch")],
                            "x86_64", TOP, ["https://koji.example/kojifiles"])
    assert sources.urls[1] == "file:///mnt/koji/repos/ext/x86_64/"
    assert not sources.needs_network and sources.local_dirs == ()


def test_local_directories_outside_the_volume_are_mounted():
    sources = merge_sources("/w/p", [ext("file:///srv/mirror/$arch/"),
                                     ext("file:///mnt/koji/ext/")], "x86_64", TOP)
    assert sources.local_dirs == ("/srv/mirror/x86_64",)
    assert not sources.needs_network
