"""The build tag's mock.* extras: honoured, named in root.log, or refused (mock_extras)."""

import pytest

from koji_adjutant.buildroot.mock_extras import module_commands, review
from koji_adjutant.errors import TaskFailed

SIGN = {"mock.plugin_conf.sign_enable": True, "mock.plugin_conf.sign_opts.cmd": "rpmsign",
        "mock.plugin_conf.sign_opts.opts": "--addsign %(rpms)s"}


def notes(extra, br_arch="x86_64", allowed=False, native="x86_64"):
    return review(extra, br_arch, allowed, native=native)


def test_no_mock_extras_no_notes_and_honoured_ones_are_silent():
    assert notes({}) == ()
    assert notes({"mock.yum.best": 1, "mock.yum.module_hotfixes": True,
                  "mock.package_manager": "dnf", "rpm.macro.dist": ".f99"}) == ()


def test_meaningless_extras_are_named_with_the_reason():
    found = notes({"mock.new_chroot": False, "mock.use_bootstrap": True,
                   "mock.bootstrap_image_ready": True, "mock.releasever": "9",
                   "mock.package_manager": "dnf5", "mock.bootstrap_image": "fedora:41",
                   "mock.forcearch": True, "mock.chroot_additional_packages": "x"})
    assert found == (
        "mock.forcearch ignored: this x86_64 builder builds x86_64 natively",
        "mock.new_chroot = False ignored: every buildroot is a container with its own "
        "namespaces",
        "mock.use_bootstrap = True ignored: there is no bootstrap chroot: the buildroot's "
        "image comes from the image policy (ADR 0004)",
        "mock.bootstrap_image_ready = True ignored: there is no bootstrap chroot: the "
        "buildroot's image comes from the image policy (ADR 0004)",
        "mock.releasever = '9' ignored: no repository of the buildroot uses $releasever",
        "mock.package_manager = 'dnf5' ignored: packages are installed with the image's dnf "
        "from the same koji repository",
        "mock.bootstrap_image = 'fedora:41' (forbidden on this builder by kojid.conf "
        "mock_bootstrap_image) ignored: the buildroot's image comes from the image policy "
        "(ADR 0004)",
        "mock.chroot_additional_packages ignored: not a setting kojid gives mock")
    assert "(allowed by kojid.conf mock_bootstrap_image)" in notes(
        {"mock.bootstrap_image": "fedora:41"}, allowed=True)[0]


def test_forcearch_is_refused_where_it_would_emulate():
    assert notes({"mock.forcearch": True}, br_arch="i686") == (
        "mock.forcearch ignored: this x86_64 builder builds i686 natively",)
    assert notes({"mock.forcearch": False}, br_arch="aarch64") == ()
    with pytest.raises(TaskFailed, match="mock.forcearch: aarch64 would be emulated on this "
                                         "x86_64 builder"):
        notes({"mock.forcearch": True}, br_arch="aarch64")


def test_module_commands_are_honoured_and_checked():
    assert module_commands({}) == () and module_commands({"mock.module_setup_commands": []}) == ()
    extra = {"mock.module_setup_commands": [["disable", "postgresql"], ["enable", "nodejs:18"],
                                            ("reset", "ruby:3.1:8090020231211:c0ffee/common")]}
    assert module_commands(extra) == (("disable", "postgresql"), ("enable", "nodejs:18"),
                                      ("reset", "ruby:3.1:8090020231211:c0ffee/common"))
    assert notes(extra) == ()  # honoured: nothing to name


@pytest.mark.parametrize("commands,message", [
    ("enable nodejs:18", "must be a list of \\[action, module\\] pairs"),
    ([["enable"]], "\\['enable'\\] is not an \\[action, module\\] pair"),
    ([["install", "nodejs:18/development"]],
     "'install' 'nodejs:18/development' cannot be run; koji-adjutant runs enable, disable, "
     "reset only"),
    ([["enable", "--setopt=reposdir=/etc"]], "'--setopt=reposdir=/etc' is not a module"),
    ([["enable", "a b"]], "'a b' is not a module"),
])
def test_module_commands_that_cannot_be_run_refuse_the_build(commands, message):
    with pytest.raises(TaskFailed, match="^mock.module_setup_commands"):
        module_commands({"mock.module_setup_commands": commands})
    with pytest.raises(TaskFailed, match=message):
        module_commands({"mock.module_setup_commands": commands})


def test_the_sign_plugin_is_refused_and_checked_as_kojid_checks_it():
    with pytest.raises(TaskFailed, match="enables mock's sign plugin"):
        notes(SIGN)
    incomplete = {"mock.plugin_conf.sign_enable": True}
    with pytest.raises(TaskFailed, match="^Tag is not configured properly for mock's sign "
                                         "plugin"):
        notes(incomplete)
    assert notes(dict(SIGN, **{"mock.plugin_conf.sign_enable": False})) == ()
