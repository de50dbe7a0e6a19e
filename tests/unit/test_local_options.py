"""Local builds: options without a hub, the default image, --repo URLs, the plan, topurl."""

import argparse

import pytest

from koji_adjutant.buildroot.environment import BuildEnvironment
from koji_adjutant.errors import ConfigError
from koji_adjutant.local.cli import local_plan
from koji_adjutant.local.options import LOCAL_DEFAULT_IMAGE, local_options
from koji_adjutant.local.repos import LocalRepos
from koji_adjutant.local.reproduce import BadTask, default_topurl
from koji_adjutant.local.sources import BadSource


def test_without_a_configuration_the_provisioned_image_is_the_default(tmp_path):
    options = local_options(str(tmp_path / "missing.conf"), workdir=tmp_path, environ={})
    assert options.adjutant.default_image == LOCAL_DEFAULT_IMAGE
    assert options.workdir == str(tmp_path)
    assert options.server == "local"
    assert (options.vendor, options.packager) == ("Koji", "Koji")


def test_the_configuration_names_the_image_and_the_macros(tmp_path):
    conf = tmp_path / "kojid.conf"
    conf.write_text("[kojid]\nvendor = Example Corp\n"
                    "[adjutant]\ndefault_image = registry.example.com/el9:latest\n")
    options = local_options(str(conf), workdir=tmp_path, environ={})
    assert options.adjutant.default_image == "registry.example.com/el9:latest"
    assert options.vendor == "Example Corp"


def test_the_environment_names_the_image(tmp_path):
    options = local_options(str(tmp_path / "none"), workdir=tmp_path,
                            environ={"KOJI_ADJUTANT_DEFAULT_IMAGE": "example/img:1"})
    assert options.adjutant.default_image == "example/img:1"


def test_a_bad_configuration_is_a_config_error(tmp_path):
    conf = tmp_path / "kojid.conf"
    conf.write_text("[adjutant]\nno_such_key = 1\n")
    with pytest.raises(ConfigError, match="no_such_key"):
        local_options(str(conf), workdir=tmp_path, environ={})


def test_file_repos_are_mounted_and_need_no_network(tmp_path):
    (tmp_path / "repo" / "repodata").mkdir(parents=True)
    (tmp_path / "repo" / "repodata" / "repomd.xml").write_text("<repomd/>")
    repos = LocalRepos.checked((str(tmp_path / "repo"),))
    assert repos.urls == (f"file://{tmp_path}/repo",)
    assert repos.via_volume
    [mount] = repos.mounts()
    assert (str(mount.source), mount.target, mount.read_only) == \
        (f"{tmp_path}/repo", f"{tmp_path}/repo", True)
    assert repos.group_packages("build") == [] and repos.read("x86_64/rpmlist.jsonl") is None


def test_http_repos_need_a_network():
    repos = LocalRepos.checked(("https://mirror.example.com/el9/",))
    assert not repos.via_volume and repos.mounts() == ()
    assert repos.urls == ("https://mirror.example.com/el9",)


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/repo", "expected a file://"),
    ("file:///nonexistent/repo", "has no repodata/repomd.xml"),
])
def test_bad_repos_are_refused(url, message):
    with pytest.raises(BadSource, match=message):
        LocalRepos.checked((url,))


def test_each_repo_is_a_dnf_repo_of_its_own():
    env = BuildEnvironment("local", 0, "x86_64", "x86_64", "build", (), {},
                           extra_repos=("file:///a", "https://b"))
    conf = env.dnf_conf()
    assert "[build]" not in conf
    assert "[extra-1]\nname=extra-1\nbaseurl=file:///a" in conf
    assert "[extra-2]\nname=extra-2\nbaseurl=https://b" in conf


def _args(**kw):
    values = {"define": [], "dist": None, "repo": [], "image": None, "arch": None}
    values.update(kw)
    return argparse.Namespace(**values)


def test_the_plan_carries_defines_dist_and_image(tmp_path):
    options = local_options(str(tmp_path / "none"), workdir=tmp_path, environ={})
    plan = local_plan(_args(define=["%with_x 1", "vendor_tag  two words"], dist=".f99",
                            image="example/img:2", arch="noarch"), options)
    assert plan.tag_config["extra"] == {"rpm.macro.with_x": "1",
                                        "rpm.macro.vendor_tag": "two words",
                                        "rpm.macro.dist": ".f99"}
    assert plan.arch == "noarch"
    assert plan.images("buildArch", "x86_64").image == "example/img:2"
    env = BuildEnvironment.from_tag(options, plan.tag_config, plan.repo, "x86_64", "build", ())
    assert env.macros["%dist"] == ".f99" and env.macros["%with_x"] == "1"


def test_a_define_without_value_is_refused(tmp_path):
    options = local_options(str(tmp_path / "none"), workdir=tmp_path, environ={})
    with pytest.raises(BadSource, match="expected 'MACRO VALUE'"):
        local_plan(_args(define=["lonely"]), options)


def test_the_default_topurl_follows_the_usual_layout():
    assert default_topurl("https://koji.example.com/kojihub") == \
        "https://koji.example.com/kojifiles"
    with pytest.raises(BadTask, match="--topurl"):
        default_topurl("https://koji.example.com/rpc")

