"""runroot.conf and the runroot request: mounts allowed and refused, arch, command, result."""

import subprocess
from pathlib import Path

import koji
import pytest

from koji_adjutant.config.runroot import load_runroot_config
from koji_adjutant.errors import ConfigError
from koji_adjutant.tasks.runroot import buildroot_arch, command_name, shell_argv, upload_names


@pytest.fixture
def site(tmp_path):
    """Host directories behind two mountpoints: /mnt/archive (ro) and /mnt/workdir."""
    archive, work = tmp_path / "archive", tmp_path / "workdir"
    (archive / "old").mkdir(parents=True)
    (work / "tmp" / "job").mkdir(parents=True)
    (tmp_path / "prehistoric" / "x").mkdir(parents=True)
    return tmp_path


def write_conf(site: Path, text: str) -> str:
    path = site / "runroot.conf"
    path.write_text(text)
    return str(path)


def standard(site: Path) -> str:
    return write_conf(site, f"""[paths]
default_mounts = /mnt/archive
safe_roots = /mnt/workdir/tmp,/mnt/archive/prehistory
path_subs =
    /mnt/archive/prehistory,/mnt/prehistoric

[path0]
mountpoint = /mnt/archive
path = {site}/archive
fstype = nfs
options = ro,hard,intr,nosuid,nodev,noatime,tcp

[path1]
mountpoint = /mnt/workdir
path = {site}/workdir
fstype = nfs
options = ro,hard,intr

[path2]
mountpoint = /mnt/prehistoric
path = {site}/prehistoric
fstype = none
options = bind
""")


def by_target(mounts):
    return {m.target: (str(m.source), m.read_only) for m in mounts}


def test_default_mounts_are_read_only_as_their_options_say(site):
    config = load_runroot_config(standard(site))
    assert by_target(config.mounts([])) == {"/mnt/archive": (f"{site}/archive", True)}


def test_an_extra_mount_in_a_safe_root_is_writable(site):
    config = load_runroot_config(standard(site))
    mounts = by_target(config.mounts(["/mnt/workdir/tmp/job/"]))
    assert mounts["/mnt/workdir/tmp/job"] == (f"{site}/workdir/tmp/job", False)
    assert mounts["/mnt/archive"] == (f"{site}/archive", True)


def test_path_subs_apply_after_the_safe_root_check(site):
    config = load_runroot_config(standard(site))
    mounts = by_target(config.mounts(["/mnt/archive/prehistory/x"]))
    assert mounts["/mnt/prehistoric/x"] == (f"{site}/prehistoric/x", False)


@pytest.mark.parametrize("requested", [
    "/mnt/workdir", "/mnt/workdir/tmpfoo", "/mnt/workdir/tmp/../../../etc", "/etc",
    "mnt/workdir/tmp/job", "//mnt/workdir/tmp/job"])
def test_extra_mounts_outside_the_safe_roots_are_refused_with_the_plugins_message(
        site, requested):
    config = load_runroot_config(standard(site))
    with pytest.raises(koji.GenericError, match="^read-write mount point is not safe: "):
        config.mounts([requested])


def test_a_symlink_on_the_host_cannot_lead_a_mount_out_of_its_directory(site):
    secret = site / "secret"
    secret.mkdir()
    (site / "workdir" / "tmp" / "escape").symlink_to(secret)
    config = load_runroot_config(standard(site))
    with pytest.raises(koji.GenericError, match="symbolic link on the builder leads out of"):
        config.mounts(["/mnt/workdir/tmp/escape"])


def test_a_missing_host_directory_is_named(site):
    config = load_runroot_config(standard(site))
    with pytest.raises(koji.GenericError,
                       match=f"^No such directory or mount: {site}/workdir/tmp/nothing$"):
        config.mounts(["/mnt/workdir/tmp/nothing"])


def test_a_mount_no_section_holds_is_a_config_problem(site):
    path = write_conf(site, "[paths]\nsafe_roots = /srv/tmp\n")
    with pytest.raises(koji.GenericError, match="missing corresponding mountpoint for /srv/tmp/a"):
        load_runroot_config(path).mounts(["/srv/tmp/a"])


def test_a_missing_file_means_no_mounts_and_nothing_safe(tmp_path):
    config = load_runroot_config(str(tmp_path / "absent.conf"))
    assert config.mounts([]) == ()
    with pytest.raises(koji.GenericError, match="not safe"):
        config.mounts(["/mnt/workdir/tmp/job"])


@pytest.mark.parametrize("text, key, message", [
    ("[paths]\nsafe_roots = tmp\n", "safe_roots", "'tmp' is not an absolute path"),
    ("[paths]\npath_subs = /a,/b,/c\n", "path_subs", "bad runroot substitution"),
    ("[path0]\nmountpoint = /mnt/a\npath = nfs.example.com:/vol/a\nfstype = nfs\noptions = ro\n",
     "path", "is not a host directory"),
    ("[path0]\nmountpoint = /mnt/a\npath = /srv/a\nfstype = nfs\n", "options",
     "missing option options in section [path0]"),
    ("[path0]\nmountpoint = /mnt/a\npath = /srv/a\nfstype = nfs\noptions = ro,bg\n",
     "options", "background mount not allowed"),
    ("[runroot]\ninternal_dev_setup = maybe\n", "internal_dev_setup", "Not a boolean"),
    ("[paths]\ndefault_mounts = /mnt/koji\n", "default_mounts",
     "/mnt/koji is in no [pathN] section's mountpoint"),
])
def test_config_errors_name_the_file_and_key(tmp_path, text, key, message):
    path = write_conf(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_runroot_config(path)
    assert caught.value.path == path and caught.value.key == key
    assert message in str(caught.value)


def test_path_sections_are_taken_in_numeric_order(site):
    path = write_conf(site, f"""[path10]
mountpoint = /mnt
path = {site}/workdir
fstype = none
options = bind
[path2]
mountpoint = /mnt/archive
path = {site}/archive
fstype = none
options = bind,ro
[paths]
default_mounts = /mnt/archive
""")
    config = load_runroot_config(path)
    assert [s.name for s in config.paths] == ["path2", "path10"]
    assert by_target(config.mounts([])) == {"/mnt/archive": (f"{site}/archive", True)}


def test_noarch_takes_the_first_tag_arch_this_host_has():
    assert buildroot_arch("noarch", "x86_64 aarch64", "t", "ppc64le aarch64 x86_64") == "aarch64"
    assert buildroot_arch("i686", "x86_64", "t", "x86_64") == "i686"


@pytest.mark.parametrize("host, tag, message", [
    ("", "x86_64", "No arch list for this host"),
    ("x86_64", "", "No arch list for tag: t"),
    ("x86_64", "s390x", r"host does not match tag arches: t \(s390x\)"),
])
def test_noarch_without_a_common_arch_fails_as_the_plugin(host, tag, message):
    with pytest.raises(koji.BuildError, match=message):
        buildroot_arch("noarch", host, "t", tag)


@pytest.mark.parametrize("command, output", [
    ("echo a 'b  c' | tr a z", "z b  c"),
    (["printf", "%s|", "it's", "$HOME", "a b"], "it's|$HOME|a b|"),
    ("echo done # a comment", "done"),
])
def test_the_command_line_runs_a_string_through_the_shell_and_a_list_word_for_word(
        command, output):
    result = subprocess.run(shell_argv(command), capture_output=True, text=True, check=True)
    assert result.stdout.strip() == output


def test_stderr_joins_the_output_and_stdin_is_empty():
    argv = shell_argv("echo to-err >&2; cat; echo end")
    result = subprocess.run(argv, capture_output=True, text=True, input="not read", check=True)
    assert result.stdout.split() == ["to-err", "end"]


@pytest.mark.parametrize("command, name", [
    ("LANG=C /usr/bin/lorax --product x", "lorax"),
    (["FOO=1", "/bin/sh", "-c", "x"], "sh"),
    ("A=1 B=2", "(none)"),
])
def test_the_result_names_the_command(command, name):
    assert command_name(command) == name


def test_a_command_of_another_type_is_refused():
    with pytest.raises(koji.ParameterError, match="string or a list of strings, not dict"):
        shell_argv({"a": 1})


def test_an_extra_mount_on_a_default_mounts_target_makes_it_writable(site):
    path = write_conf(site, f"""[paths]
default_mounts = /mnt/workdir/tmp
safe_roots = /mnt/workdir/tmp
[path0]
mountpoint = /mnt/workdir
path = {site}/workdir
fstype = none
options = bind,ro
""")
    mounts = load_runroot_config(path).mounts(["/mnt/workdir/tmp"])
    assert by_target(mounts) == {"/mnt/workdir/tmp": (f"{site}/workdir/tmp", False)}


def test_upload_logs_keep_their_names_and_may_not_share_one():
    assert upload_names(["/mnt/c/logs/pungi.log", "tmp/x.log"]) == {
        "/mnt/c/logs/pungi.log": "pungi.log", "tmp/x.log": "x.log"}
    for paths in (["/a/pungi.log", "/b/pungi.log"], ["/tmp/runroot.log"], ["/"]):
        with pytest.raises(koji.ParameterError, match="^upload_logs: .* would be uploaded as"):
            upload_names(paths)
