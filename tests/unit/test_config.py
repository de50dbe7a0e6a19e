"""Loading kojid.conf: upstream files, directories, precedence, environment, decisions."""

import dataclasses
import logging
import os
import pickle
import resource
import textwrap

import koji
import koji.util
import pytest

from koji_adjutant.config import (AdjutantOptions, Config, ConfigError, KojidOptions,
                                  load_config, read_config_files)
from koji_adjutant.config.kojid import FILE_KEYS, NON_FILE_ATTRIBUTES

# Written in the style of the kojid.conf that Fedora's koji-builder package installs:
# key=value without spaces, ';' comments, commented-out defaults, a multi-line value.
UPSTREAM_KOJID_CONF = """\
[kojid]
; idle poll interval
sleeptime=15

; concurrent task limit
maxjobs=10

; MB needed per buildroot
minspace=8192

; koji volume mount
topdir=/mnt/koji

; scratch space
workdir=/tmp/koji

; buildroot area
mockdir=/var/lib/mock

; build user
mockuser=kojibuilder

; header values
; vendor=Koji
; packager=Koji
; distribution=Koji

mockhost=koji-linux-gnu

; rpmbuild_timeout=86400

; hub
server=http://hub.example.com/kojihub

; files
topurl=http://hub.example.com/kojifiles

use_createrepo_c=True

; scm allow-list, one entry per line
allowed_scms=
    scm.example.com:/cvs/example:yes
    git.example.org:/example
    svn.example.org:/users/*:no

; allowed_scms_use_config = true

; mail
smtphost=example.com
from_addr=Koji Build System <buildsys@example.com>

; kerberos
host_principal_format = compile/%s@EXAMPLE.COM
;keytab = /etc/kojid/kojid.keytab

; tls
;cert = /etc/kojid/client.crt
;serverca = /etc/kojid/serverca.crt

; limits
RLIMIT_NOFILE = 4096 8192
rlimit_core = 0
"""

MINIMAL = """\
[kojid]
server = https://hub.example.com/kojihub
topurl = https://hub.example.com/kojifiles
"""


def load(path, *args, environ=None):
    return load_config(["-c", path, *args], environ or {})


def test_upstream_kojid_conf_is_accepted_unchanged(conf):
    config = load(conf(UPSTREAM_KOJID_CONF))
    k = config.kojid
    assert (k.sleeptime, k.maxjobs, k.minspace) == (15, 10, 8192)
    assert (k.topdir, k.workdir, k.mockdir, k.mockuser) == ("/mnt/koji", "/tmp/koji",
                                                             "/var/lib/mock", "kojibuilder")
    assert k.server == "http://hub.example.com/kojihub"
    assert k.topurl == "http://hub.example.com/kojifiles"
    assert k.topurls == ("http://hub.example.com/kojifiles",)
    assert k.use_createrepo_c is True
    assert k.allowed_scms.split() == ["scm.example.com:/cvs/example:yes",
                                      "git.example.org:/example", "svn.example.org:/users/*:no"]
    assert k.host_principal_format == "compile/%s@EXAMPLE.COM"
    assert k.from_addr == "Koji Build System <buildsys@example.com>"
    assert dict(k.rlimits) == {"RLIMIT_NOFILE": "4096 8192", "RLIMIT_CORE": "0"}
    assert config.warnings == ()
    assert config.adjutant == AdjutantOptions()


def test_defaults_are_kojids_when_only_required_keys_are_set(conf):
    k = load(conf(MINIMAL)).kojid
    assert (k.sleeptime, k.maxjobs, k.minspace, k.workdir) == (15, 10, 8192, "/var/tmp/koji")
    assert (k.buildroot_basic_cleanup_delay, k.buildroot_final_cleanup_delay,
            k.failed_buildroot_lifetime) == (120, 86400, 14400)
    assert (k.use_createrepo_c, k.createrepo_skip_stat, k.offline_retry) == (True, True, True)
    assert (k.log_timestamps, k.no_ssl_verify, k.allowed_scms_use_policy) == (False,) * 3
    assert k.timeout is None and k.log_level is None and k.admin_emails is None
    assert (k.plugin, dict(k.rlimits)) == ((), {})
    assert (k.daemon, k.single, k.mockpath) == (True, False, "/usr/bin/mock")
    assert (k.anon_retry, k.auth_timeout, k.upload_blocksize) == (None, None, None)


def test_types_are_converted_at_load_time(conf):
    k = load(conf(MINIMAL + textwrap.dedent("""\
        sleeptime = 7
        timeout = 30
        log_timestamps = yes
        offline_retry = Off
        build_arch_can_fail = 1
        log_level = info
        literal_task_arches = i?86 armv7*
        """))).kojid
    assert (k.sleeptime, k.timeout) == (7, 30)
    assert (k.log_timestamps, k.offline_retry, k.build_arch_can_fail) == (True, False, True)
    assert k.log_level == "INFO"
    assert k.literal_task_arches == "i?86 armv7*"


def test_topurl_list_first_is_topurl(conf):
    k = load(conf("""\
        [kojid]
        server = https://hub/kojihub
        topurl = https://a.example/kojifiles  http://b.example/kojifiles
        """)).kojid
    assert k.topurl == "https://a.example/kojifiles"
    assert k.topurls == ("https://a.example/kojifiles", "http://b.example/kojifiles")


@pytest.mark.parametrize("key", ["plugin", "plugins"])
def test_plugin_and_plugins_are_synonyms(conf, key):
    k = load(conf(MINIMAL + f"{key} = runroot  save_failed_tree\n")).kojid
    assert k.plugin == ("runroot", "save_failed_tree")


def test_directory_reads_sorted_conf_files_later_wins(conf, tmp_path):
    directory = tmp_path / "kojid.conf.d"
    directory.mkdir()
    conf(MINIMAL + "maxjobs = 4\nsleeptime = 3\n", "20-site.conf", directory)
    conf("[kojid]\nmaxjobs = 6\n", "30-host.conf", directory)
    conf("[kojid]\nmaxjobs = 1\nminspace = 10\n", "10-base.conf", directory)
    conf("[kojid]\nthis is not = read\n", "99-notes.txt", directory)
    (directory / "40-dir.conf").mkdir()
    config = load(str(directory))
    assert config.files == tuple(str(directory / n) for n in
                                 ("10-base.conf", "20-site.conf", "30-host.conf"))
    assert (config.kojid.maxjobs, config.kojid.sleeptime, config.kojid.minspace) == (6, 3, 10)


def test_error_in_directory_names_the_file_that_set_the_key(conf, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    conf(MINIMAL, "10-base.conf", directory)
    bad = conf("[kojid]\nmaxjobs = lots\n", "20-bad.conf", directory)
    with pytest.raises(ConfigError) as err:
        load(str(directory))
    assert err.value.path == bad and err.value.key == "maxjobs"


def test_read_config_files_keeps_values_raw_and_remembers_files(conf):
    path = conf(UPSTREAM_KOJID_CONF)
    raw = read_config_files(path)
    assert raw.files == (path,)
    entry = raw.section("kojid")["host_principal_format"]
    assert (entry.value, entry.path) == ("compile/%s@EXAMPLE.COM", path)
    assert read_config_files(path + ".missing").files == ()


def test_default_section_counts_as_kojid(conf):
    k = load(conf("[DEFAULT]\nmaxjobs = 2\nsleeptime = 9\n" + MINIMAL + "sleeptime = 5\n")).kojid
    assert (k.maxjobs, k.sleeptime) == (2, 5)


def test_command_line_wins_over_file_and_file_over_defaults(conf):
    path = conf(MINIMAL + "maxjobs = 4\nminspace = 100\nworkdir = /srv/work\nplugin = a b\n")
    k = load(path, "--maxjobs", "8", "--topurl", "http://x/k http://y/k", "--plugin", "c",
             "--plugin", "d", "-s", "https://other/kojihub", "--workdir", "/w", "--fg",
             "--force-lock", "-v", "-d", "--debug-task", "--debug-xmlrpc", "--skip-main",
             "--user", "me", "--password", "pw", "--admin-emails", "a@x,b@x").kojid
    assert (k.maxjobs, k.minspace, k.workdir) == (8, 100, "/w")
    assert (k.topurl, k.topurls) == ("http://x/k", ("http://x/k", "http://y/k"))
    assert k.plugin == ("c", "d") and k.server == "https://other/kojihub"
    assert (k.daemon, k.force_lock, k.verbose, k.debug, k.debug_task, k.debug_xmlrpc,
            k.skip_main) == (False,) + (True,) * 6
    assert (k.user, k.password, k.admin_emails) == ("me", "pw", "a@x,b@x")
    assert k.configFile == path


def test_server_and_topurl_may_come_from_the_command_line_only(tmp_path):
    config = load_config(["-c", str(tmp_path / "absent.conf"), "--server", "http://h/kojihub",
                          "--topurl", "http://h/kojifiles"], {})
    assert config.files == ()
    assert config.kojid.server == "http://h/kojihub"


def test_environment_overrides_adjutant_section(conf):
    path = conf(MINIMAL + "[adjutant]\npull_policy = always\ncpus = 2\nscm_network = false\n")
    config = load(path, environ={"KOJI_ADJUTANT_PULL_POLICY": "never",
                                 "KOJI_ADJUTANT_MEMORY": "4G",
                                 "KOJI_ADJUTANT_BUILD_NETWORK": "yes",
                                 "KOJI_ADJUTANT_LABELS": "site=ams, team=rel"})
    a = config.adjutant
    assert (a.pull_policy, a.cpus, a.memory, a.scm_network, a.build_network) == (
        "never", 2.0, 4 << 30, False, True)
    assert dict(a.labels) == {"site": "ams", "team": "rel"}
    assert config.warnings == ()


def test_unknown_environment_variable_is_a_warning(conf):
    config = load(conf(MINIMAL), environ={"KOJI_ADJUTANT_PODMAN_URI": "unix:///x",
                                          "PATH": "/bin"})
    assert config.warnings == ("environment variable KOJI_ADJUTANT_PODMAN_URI is not a "
                               "koji-adjutant setting and is ignored",)


def test_adjutant_section_values(conf):
    a = load(conf(MINIMAL + textwrap.dedent("""\
        [adjutant]
        podman_url = ssh://core@builder.example.com:2222/run/podman/podman.sock
        podman_identity = /etc/kojid/podman_ed25519
        default_image = quay.io/almalinux/almalinux:9
        pull_timeout = 300
        pids = 4096
        cpus = 1.5
        labels = site=ams
        monitoring_bind = [::1]:9100
        policy_enabled = no
        """))).adjutant
    assert a.podman_url.startswith("ssh://core@builder.example.com:2222/")
    assert a.podman_identity == "/etc/kojid/podman_ed25519"
    assert (a.default_image, a.pull_timeout, a.pids, a.cpus) == (
        "quay.io/almalinux/almalinux:9", 300, 4096, 1.5)
    assert (a.monitoring_bind, a.policy_enabled) == ("[::1]:9100", False)


def test_the_obsolete_policy_cache_ttl_is_ignored_with_a_warning(conf):
    config = load(conf(MINIMAL + "[adjutant]\npolicy_cache_ttl = 60\n"))
    assert not hasattr(config.adjutant, "policy_cache_ttl")
    assert config.warnings == ("[adjutant] policy_cache_ttl is obsolete and ignored: each "
                               "task reads the hub's image policy once (ADR 0004)",)


def test_remote_monitoring_bind_allowed_when_asked(conf):
    a = load(conf(MINIMAL + "[adjutant]\nmonitoring_bind = 0.0.0.0:8080\n"
                  "monitoring_allow_remote = true\n")).adjutant
    assert a.monitoring_bind == "0.0.0.0:8080"
    a = load(conf(MINIMAL + "[adjutant]\nmonitoring_bind = 0.0.0.0:8080\n"
                  "monitoring_enabled = false\n")).adjutant
    assert a.monitoring_enabled is False


# ---- decisions recorded in docs/adr/0002-configuration-compatibility.md ----

@pytest.mark.parametrize("text, expected", [("False", False), ("no", False), ("0", False),
                                            ("True", True), ("on", True)])
def test_mock_bootstrap_image_is_a_real_boolean(conf, text, expected):
    k = load(conf(MINIMAL + f"mock_bootstrap_image = {text}\n")).kojid
    assert k.mock_bootstrap_image is expected


def test_mock_bootstrap_image_rejects_non_boolean_text(conf):
    path = conf(MINIMAL + "mock_bootstrap_image = fedora:39\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert (err.value.path, err.value.key) == (path, "mock_bootstrap_image")
    assert "expected a boolean" in str(err.value)


def test_keepalive_and_ca_are_accepted_silently(conf):
    config = load(conf(MINIMAL + "keepalive = True\nca = /etc/kojid/ca.crt\n"))
    assert config.warnings == ()
    assert not hasattr(config.kojid, "keepalive") and not hasattr(config.kojid, "ca")


def test_other_sections_abort(conf):
    path = conf(MINIMAL + "[kojira]\nmaxjobs = 1\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert err.value.path == path
    assert "invalid section [kojira]" in str(err.value)


def test_task_avail_delay_is_accepted_and_typed(conf):
    assert load(conf(MINIMAL + "task_avail_delay = 30\n")).kojid.task_avail_delay == 30
    with pytest.raises(ConfigError, match="task_avail_delay: expected an integer"):
        load(conf(MINIMAL + "task_avail_delay = soon\n"))


def test_obsolete_options_only_warn(conf):
    config = load(conf(MINIMAL), "--debug-mock", "--pkgurl", "http://old/packages")
    assert config.kojid.debug_mock is True and config.kojid.pkgurl == "http://old/packages"
    assert config.warnings == ("--debug-mock is obsolete and has no effect",
                               "pkgurl is obsolete and ignored (packages are fetched from "
                               "topurl)")


def test_empty_optional_values_mean_unset(conf):
    k = load(conf(MINIMAL + "admin_emails =\ntimeout =\ncert =\nlog_level =\n")).kojid
    assert (k.admin_emails, k.timeout, k.cert, k.log_level) == (None, None, None, None)


# ---- the options object the koji library reads ----

def test_options_object_serves_the_koji_library(conf):
    k = load(conf(MINIMAL + "max_retries = 3\nuse_fast_upload = false\n"), "--user", "u",
             "--password", "p", "-d").kojid
    session_opts = koji.grab_session_options(k)
    assert session_opts == {"user": "u", "password": "p", "debug_xmlrpc": False, "debug": True,
                            "max_retries": 3, "retry_interval": 60, "offline_retry": True,
                            "offline_retry_interval": 120, "use_fast_upload": False,
                            "no_ssl_verify": False}
    for name in ("maxjobs", "minspace", "mockdir", "topdir", "topurl", "workdir", "single",
                 "buildroot_basic_cleanup_delay", "buildroot_final_cleanup_delay",
                 "failed_buildroot_lifetime"):
        assert hasattr(k, name)


def test_file_keys_are_exactly_kojids_keys():
    kojid_1_3 = """sleeptime maxjobs minspace buildroot_basic_cleanup_delay
        buildroot_final_cleanup_delay failed_buildroot_lifetime literal_task_arches admin_emails
        log_level topdir topurl workdir chroot_tmpdir pluginpath plugin mockdir mockuser
        packager vendor distribution mockhost smtphost smtp_user smtp_pass from_addr
        krb_principal host_principal_format keytab ccache server user password retry_interval
        max_retries offline_retry offline_retry_interval log_timestamps timeout no_ssl_verify
        use_fast_upload use_createrepo_c createrepo_skip_stat createrepo_update
        distrepo_skip_stat copy_old_repodata mock_bootstrap_image pkgurl allowed_scms
        allowed_scms_use_config allowed_scms_use_policy scm_credentials_dir
        support_rpm_source_layout yum_proxy maven_repo_ignore rpmbuild_timeout
        oz_install_timeout xz_options task_avail_delay cert serverca allow_noverifyssl
        allow_password_in_scm_url build_arch_can_fail""".split()
    assert sorted(FILE_KEYS) == sorted(kojid_1_3)
    names = {f.name for f in dataclasses.fields(KojidOptions)}
    assert names == set(kojid_1_3) | NON_FILE_ATTRIBUTES


def test_loading_is_pure(conf, tmp_path):
    workdir = tmp_path / "not-created"
    basedir = koji.BASEDIR
    load(conf(MINIMAL + f"workdir = {workdir}\ntopdir = /srv/koji\n"))
    assert not workdir.exists()
    assert koji.BASEDIR == basedir


def test_config_is_frozen_and_picklable(conf):
    config = load(conf(UPSTREAM_KOJID_CONF + "[adjutant]\nlabels = a=b\n"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.kojid.maxjobs = 1
    assert pickle.loads(pickle.dumps(config)) == config
    assert isinstance(config, Config)
    assert "pw" not in repr(load(conf(MINIMAL), "--password", "pw"))


def test_missing_file_is_not_an_error_by_itself(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(["-c", str(tmp_path / "nope.conf")], {})
    assert err.value.key == "server"
    assert f"no configuration file found at {tmp_path / 'nope.conf'}" in str(err.value)


def test_environ_defaults_to_process_environment(conf, monkeypatch):
    monkeypatch.setenv("KOJI_ADJUTANT_STOP_TIMEOUT", "3")
    assert load_config(["-c", conf(MINIMAL)]).adjutant.stop_timeout == 3
    assert os.environ["KOJI_ADJUTANT_STOP_TIMEOUT"] == "3"


def test_rlimits_are_accepted_by_the_koji_library(conf, caplog):
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    text = " ".join(str(-1 if v == resource.RLIM_INFINITY else v) for v in (soft, hard))
    k = load(conf(MINIMAL + f"RLIMIT_CORE = {text}\n")).kojid
    with caplog.at_level(logging.INFO, logger="koji"):
        koji.util.setup_rlimits(k.rlimits)
    assert resource.getrlimit(resource.RLIMIT_CORE) == (soft, hard)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "Setting resource limit: RLIMIT_CORE" in caplog.records[0].getMessage()


def test_empty_directory_says_so(tmp_path):
    with pytest.raises(ConfigError, match="no \\*.conf file in the directory"):
        load_config(["-c", str(tmp_path)], {})
