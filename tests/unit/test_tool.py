"""The koji-adjutant operator tool: check-config and version, in-process and as a program."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from koji_adjutant import __version__, tool
from koji_adjutant.errors import EX_CONFIG, EX_OK, EX_USAGE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "etc" / "kojid.conf.example")
CONSOLE_SCRIPT = Path(sys.executable).parent / "koji-adjutant"


@pytest.fixture(autouse=True)
def no_adjutant_environment(monkeypatch):
    """check-config reads KOJI_ADJUTANT_* from the process; CI may set some."""
    for name in list(os.environ):
        if name.startswith("KOJI_ADJUTANT_"):
            monkeypatch.delenv(name)


def test_check_config_example_prints_summary(capsys):
    assert tool.main(["check-config", "-c", EXAMPLE]) == EX_OK
    out, err = capsys.readouterr()
    assert f"files read:    {EXAMPLE}" in out
    assert "hub:           https://koji.example.com/kojihub" in out
    assert "podman:        unix:///run/podman/podman.sock" in out
    assert "monitoring:    127.0.0.1:8080" in out
    assert err == ""


def test_check_config_reports_the_one_error(tmp_path, capsys):
    path = tmp_path / "kojid.conf"
    path.write_text("[kojid]\nserver = https://h/kojihub\ntopurl = https://h/files\n"
                    "maxjobs = plenty\n")
    assert tool.main(["check-config", "-c", str(path)]) == EX_CONFIG
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"koji-adjutant: configuration error: {path}: [kojid] maxjobs: "
                   "expected an integer, got 'plenty'\n")


def test_check_config_shows_environment_overrides_and_warnings(monkeypatch, capsys):
    monkeypatch.setenv("KOJI_ADJUTANT_PULL_POLICY", "never")
    monkeypatch.setenv("KOJI_ADJUTANT_NO_SUCH_KEY", "1")
    assert tool.main(["check-config", "-c", EXAMPLE]) == EX_OK
    out, err = capsys.readouterr()
    assert "(pull never)" in out
    assert "warning: environment variable KOJI_ADJUTANT_NO_SUCH_KEY" in err


def test_check_config_names_login_method(tmp_path, capsys):
    cert = tmp_path / "client.crt"
    cert.write_text("not really a certificate")
    path = tmp_path / "kojid.conf"
    path.write_text(f"[kojid]\nserver = https://h/kojihub\ntopurl = https://h/files\n"
                    f"cert = {cert}\n")
    assert tool.main(["check-config", "-c", str(path)]) == EX_OK
    assert f"login:         TLS client certificate {cert}" in capsys.readouterr().out


def test_check_config_names_password_login(tmp_path, capsys):
    path = tmp_path / "kojid.conf"
    path.write_text("[kojid]\nserver = https://h/kojihub\ntopurl = https://h/files\n"
                    "user = builder1\npassword = secret\n")
    assert tool.main(["check-config", "-c", str(path)]) == EX_OK
    out = capsys.readouterr().out
    assert "login:         password for user builder1" in out and "secret" not in out


def test_version(capsys):
    assert tool.main(["version"]) == EX_OK
    assert capsys.readouterr().out == (f"koji-adjutant {__version__} "
                                       f"(koji library {koji_version()})\n")


def koji_version():
    from importlib.metadata import version
    return version("koji")


@pytest.mark.parametrize("argv", [[], ["no-such-command"], ["check-config", "extra"]])
def test_usage_errors_exit_2(argv, capsys):
    assert tool.main(argv) == EX_USAGE
    assert "usage: koji-adjutant" in capsys.readouterr().err


def test_help_lists_subcommands(capsys):
    assert tool.main(["--help"]) == EX_OK
    out = capsys.readouterr().out
    assert "check-config" in out and "version" in out


def test_subcommand_table_is_extensible(capsys):
    def register_probe(subparsers: argparse._SubParsersAction) -> None:
        parser = subparsers.add_parser("probe")
        parser.add_argument("word")
        parser.set_defaults(run=lambda args: len(args.word))

    parser = tool.build_parser(tool.SUBCOMMANDS + (register_probe,))
    args = parser.parse_args(["probe", "abc"])
    assert args.run(args) == 3
    assert parser.parse_args(["version"]).command == "version"


def run_program(*argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOJI_ADJUTANT_")}
    return subprocess.run(list(argv), capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def test_console_script_check_config_and_version():
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} missing: run pip install -e ."
    done = run_program(str(CONSOLE_SCRIPT), "check-config", "-c", EXAMPLE)
    assert (done.returncode, done.stderr) == (EX_OK, "")
    assert "https://koji.example.com/kojihub" in done.stdout
    done = run_program(str(CONSOLE_SCRIPT), "check-config", "-c", "/nonexistent/kojid.conf")
    assert done.returncode == EX_CONFIG
    assert "/nonexistent/kojid.conf: [kojid] server: required option is missing" in done.stderr
    done = run_program(str(CONSOLE_SCRIPT), "version")
    assert (done.returncode, done.stdout) == (
        EX_OK, f"koji-adjutant {__version__} (koji library {koji_version()})\n")


def test_module_entry_point():
    done = run_program(sys.executable, "-m", "koji_adjutant.tool", "check-config", "-c", EXAMPLE)
    assert done.returncode == EX_OK and "files read:" in done.stdout


def test_check_config_reads_runroot_conf_when_the_plugin_is_listed(tmp_path, capsys):
    runroot = tmp_path / "runroot.conf"
    runroot.write_text("[paths]\ndefault_mounts = /mnt/koji\nsafe_roots = /mnt/koji/tmp\n"
                       "[path0]\nmountpoint = /mnt/koji\npath = /mnt/koji\nfstype = nfs\n"
                       "options = ro\n")
    path = tmp_path / "kojid.conf"
    path.write_text(f"[kojid]\nserver = https://h/kojihub\ntopurl = https://h/files\n"
                    f"plugins = runroot\n[adjutant]\nrunroot_config = {runroot}\n")
    assert tool.main(["check-config", "-c", str(path)]) == EX_OK
    assert (f"runroot:       {runroot}: default mounts /mnt/koji, safe roots /mnt/koji/tmp, "
            f"1 [pathN] section(s)") in capsys.readouterr().out
    runroot.write_text("[paths]\nsafe_roots = tmp\n")
    assert tool.main(["check-config", "-c", str(path)]) == EX_CONFIG
    assert capsys.readouterr().err == (f"koji-adjutant: configuration error: {runroot}: "
                                       f"[paths] safe_roots: 'tmp' is not an absolute path\n")
