"""The buildroot environment derived from kojid options and tag config (contract 4.3)."""

from types import SimpleNamespace

from koji_adjutant.buildroot.environment import BuildEnvironment, build_host, target_arch_for

OPTIONS = SimpleNamespace(vendor="Koji", packager="Koji", distribution="Koji",
                          mockhost="koji-linux-gnu", yum_proxy=None, mock_bootstrap_image=False)
REPO = {"id": 7}


def env(extra=None, arch="x86_64", **options):
    opts = SimpleNamespace(**{**vars(OPTIONS), **options})
    tag = {"name": "f99-build", "extra": extra or {}}
    return BuildEnvironment.from_tag(opts, tag, REPO, arch, "build",
                                     ("http://kojifiles/repos/f99-build/7/x86_64",))


def test_macros_in_kojid_order_and_fixed_ones_win():
    e = env({"rpm.macro.dist": ".f99", "rpm.macro.vendor": "Example",
             "rpm.macro._topdir": "/elsewhere", "rpm.macro._host": "bad"})
    assert e.macros["%dist"] == ".f99"
    assert e.macros["%vendor"] == "Example"
    assert e.macros["%packager"] == "Koji"
    assert e.macros["%_topdir"] == "/builddir/build"
    assert e.macros["%_host"] == "x86_64-koji-linux-gnu"
    assert e.macros["%_host_cpu"] == "x86_64"
    assert e.macros["%_rpmfilename"] == "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"
    text = e.macros_file()
    assert "%dist .f99\n" in text and "%_topdir /builddir/build\n" in text


def test_rpm_env_and_target_arch():
    e = env({"rpm.env.LANG": "C", "rpm.env.FOO": 1}, arch="armhfp")
    assert dict(e.env) == {"FOO": "1", "LANG": "C"}
    assert e.target_arch == "armv7hl" and e.br_arch == "armhfp"
    assert target_arch_for("i686") == "i686"


def test_dnf_conf_has_only_the_koji_repo():
    e = env({"mock.yum.module_hotfixes": True, "mock.yum.best": 1}, yum_proxy="http://proxy:3128")
    conf = e.dnf_conf()
    assert "reposdir=/dev/null" in conf
    assert "[build]" in conf and conf.count("[") == 2
    assert "baseurl=http://kojifiles/repos/f99-build/7/x86_64" in conf
    assert "proxy=http://proxy:3128" in conf
    assert "module_hotfixes=1" in conf and "best=1" in conf
    assert "gpgcheck=0" in conf and "install_weak_deps=0" in conf


def test_multiline_macro_is_continued():
    e = env({"rpm.macro.script": "line1\nline2"})
    assert "%script line1\\\nline2\n" in e.macros_file()


def test_build_host_is_the_first_valid_host_name():
    assert build_host("builder-1.example.com", "machine") == "builder-1.example.com"
    # names the kernel would refuse as a host name fall through to the next candidate
    assert build_host("builder_1", "machine") == "machine"
    assert build_host("a" * 65, None, "") == "koji-buildroot"
    assert build_host("x." * 32 + "y", "-bad", "ok") == "ok"
    assert build_host("builder.", "builder\n") == "koji-buildroot"
