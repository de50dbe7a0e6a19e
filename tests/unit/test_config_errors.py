"""Every class of bad configuration gives one ConfigError naming file, key and expected form."""

import optparse

import pytest

from koji_adjutant.config import ConfigError, UsageError, build_option_parser, load_config
from koji_adjutant.errors import EX_USAGE

MINIMAL = """\
[kojid]
server = https://hub.example.com/kojihub
topurl = https://hub.example.com/kojifiles
"""


def error_for(path, *args, environ=None):
    with pytest.raises(ConfigError) as err:
        load_config(["-c", path, *args], environ or {})
    return err.value


# (what is appended to a valid file, section, key named, words the message must contain)
BAD_FILE_VALUES = [
    ("maxjobs = ten\n", "kojid", "maxjobs", "expected an integer, got 'ten'"),
    ("sleeptime = -5\n", "kojid", "sleeptime", "expected an integer >= 0"),
    ("timeout = 1.5\n", "kojid", "timeout", "expected an integer"),
    ("use_createrepo_c = maybe\n", "kojid", "use_createrepo_c",
     "expected a boolean: one of 1/yes/true/on or 0/no/false/off, got 'maybe'"),
    ("buildroot_cleanup = 5\n", "kojid", "buildroot_cleanup", "unknown option"),
    ("log_level = LOUD\n", "kojid", "log_level", "expected a log level name"),
    ("RLIMIT_NOFILE = many\n", "kojid", "RLIMIT_NOFILE", 'expected "SOFT" or "SOFT HARD"'),
    ("RLIMIT_NOFILE = 1 2 3\n", "kojid", "RLIMIT_NOFILE", 'expected "SOFT" or "SOFT HARD"'),
    ("RLIMIT_NOFILE = 4096 1024\n", "kojid", "RLIMIT_NOFILE", "above the hard limit"),
    ("rlimit_files = 10\n", "kojid", "RLIMIT_FILES", "unknown resource limit"),
    ("[adjutant]\npull_policy = sometimes\n", "adjutant", "pull_policy",
     "expected one of always, if-not-present, never"),
    ("[adjutant]\nmonitoring_bind = localhost\n", "adjutant", "monitoring_bind",
     "expected HOST:PORT"),
    ("[adjutant]\nmonitoring_bind = 127.0.0.1:99999\n", "adjutant", "monitoring_bind",
     "port from 0 to 65535"),
    ("[adjutant]\nmonitoring_bind = 10.1.2.3:8080\n", "adjutant", "monitoring_bind",
     "monitoring_allow_remote = true"),
    ("[adjutant]\nlabels = site:ams\n", "adjutant", "labels", "expected key=value pairs"),
    ("[adjutant]\nlabels = a=1,a=2\n", "adjutant", "labels", "given twice"),
    ("[adjutant]\npodman_url = /run/podman/podman.sock\n", "adjutant", "podman_url",
     "expected a URL starting with unix://"),
    ("[adjutant]\ncpus = half\n", "adjutant", "cpus", "expected a number"),
    ("[adjutant]\nmemory = 4 GB\n", "adjutant", "memory", "expected a size such as 512m"),
    ("[adjutant]\npids = 0\n", "adjutant", "pids", "expected an integer >= 1"),
    ("[adjutant]\nscm_network = sometimes\n", "adjutant", "scm_network", "expected a boolean"),
    ("[adjutant]\ndefault_image = \n", "adjutant", "default_image", "expected one word"),
    ("[adjutant]\npodman_socket = /x\n", "adjutant", "podman_socket", "unknown option"),
]


@pytest.mark.parametrize("extra, section, key, words", BAD_FILE_VALUES,
                         ids=[case[2] + ":" + case[0].split("\n")[-2] for case in BAD_FILE_VALUES])
def test_bad_value_names_file_section_key_and_form(conf, extra, section, key, words):
    path = conf(MINIMAL + extra)
    err = error_for(path)
    assert (err.path, err.section, err.key) == (path, section, key)
    assert words in str(err)
    assert str(err).startswith(f"{path}: [{section}] {key}: ")


def test_unknown_section(conf):
    path = conf(MINIMAL + "[Kojid]\nmaxjobs = 1\n")
    err = error_for(path)
    assert err.path == path
    assert "invalid section [Kojid]" in str(err) and "[kojid] and [adjutant]" in str(err)


@pytest.mark.parametrize("missing", ["server", "topurl"])
def test_missing_required_key(conf, missing):
    text = "".join(line + "\n" for line in MINIMAL.splitlines() if not line.startswith(missing))
    path = conf(text)
    err = error_for(path)
    assert (err.path, err.section, err.key) == (path, "kojid", missing)
    assert f"not set in any of: {path}" in str(err)


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_required_key_is_missing(conf, value):
    err = error_for(conf(MINIMAL.replace("https://hub.example.com/kojihub", value)))
    assert err.key == "server" and "required option is missing" in str(err)


def test_bad_server_and_topurl_urls(conf):
    assert error_for(conf(MINIMAL.replace("https://hub.example.com/kojihub",
                                          "hub.example.com"))).key == "server"
    err = error_for(conf(MINIMAL.replace("https://hub.example.com/kojifiles",
                                         "http://a/k ftp://b/k")))
    assert err.key == "topurl" and "'ftp://b/k'" in str(err)


@pytest.mark.parametrize("text, words", [
    ("maxjobs = 3\n[kojid]\n", "a setting before any section header"),
    (MINIMAL + "maxjobs = 1\nmaxjobs = 2\n", "[kojid] maxjobs is set twice"),
    (MINIMAL + "[kojid]\nsleeptime = 1\n", "section [kojid] appears twice"),
    (MINIMAL + "just some words\n", "not an INI file"),
])
def test_syntax_errors_name_the_file(conf, text, words):
    path = conf(text)
    err = error_for(path)
    assert err.path == path and words in str(err)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "kojid.conf"
    path.write_bytes(MINIMAL.encode() + b"vendor = \xff\n")
    assert "not valid UTF-8" in str(error_for(str(path)))


def test_bad_environment_value_names_the_variable(conf):
    err = error_for(conf(MINIMAL), environ={"KOJI_ADJUTANT_PULL_POLICY": "sometimes"})
    assert (err.path, err.key) == ("environment", "KOJI_ADJUTANT_PULL_POLICY")
    assert "expected one of always" in str(err)


def test_remote_bind_from_environment_names_the_variable(conf):
    err = error_for(conf(MINIMAL), environ={"KOJI_ADJUTANT_MONITORING_BIND": "0.0.0.0:80"})
    assert err.key == "KOJI_ADJUTANT_MONITORING_BIND" and "not a loopback" in str(err)


@pytest.mark.parametrize("args, words", [
    (["extra-arg"], "unexpected argument(s): extra-arg"),
    (["--maxjobs", "many"], "invalid integer value: 'many'"),
    (["--no-such-option"], "no such option: --no-such-option"),
    (["--topurl", "not-a-url"], "expected a URL"),
    (["--sleeptime", "-1"], "expected an integer >= 0"),
])
def test_bad_command_line_is_a_usage_error(conf, args, words):
    err = error_for(conf(MINIMAL), *args)
    assert isinstance(err, UsageError) and err.exit_code == EX_USAGE
    assert words in str(err)


def test_usage_error_names_the_option(conf):
    err = error_for(conf(MINIMAL), "--topurl", "not-a-url")
    assert err.key == "--topurl"


def test_help_lists_every_visible_kojid_option(capsys):
    parser = build_option_parser()
    text = parser.format_help()
    for option in ("--config", "--user", "--password", "--fg", "--force-lock", "--verbose",
                   "--debug", "--debug-task", "--debug-xmlrpc", "--skip-main", "--maxjobs",
                   "--minspace", "--sleeptime", "--admin-emails", "--topdir", "--topurl",
                   "--workdir", "--chroot-tmpdir", "--pluginpath", "--plugin", "--mockdir",
                   "--mockuser", "--server"):
        assert option in text
    assert "--debug-mock" not in text and "--pkgurl" not in text
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--help"])
    assert exit_info.value.code == 0
    assert "Usage: kojid [options]" in capsys.readouterr().out


def test_option_destinations_match_kojid():
    parser = build_option_parser()
    dests = {opt.get_opt_string(): opt.dest for opt in parser.option_list
             if opt.dest is not None}
    assert dests["--config"] == "configFile" and dests["--fg"] == "daemon"
    assert parser.get_option("-c") is parser.get_option("--config")
    assert parser.get_option("-s").dest == "server"
    assert parser.get_option("-f").action == "store_false"
    assert parser.get_option("--plugin").action == "append"
    defaults = parser.get_default_values()
    assert defaults.configFile == "/etc/kojid/kojid.conf" and defaults.daemon is True
    assert defaults.maxjobs is None and defaults.topurl is None
    assert isinstance(parser, optparse.OptionParser)
