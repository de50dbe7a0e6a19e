"""kojid's command line: the same options, destinations and meanings (optparse).

``build_option_parser`` returns a parser whose usage errors raise ``UsageError``
instead of exiting, so that loading the configuration stays testable; ``--help``
still prints the help and exits 0, as kojid does. ``cli_overrides`` turns the
parsed values of options that also exist in ``[kojid]`` into typed overrides
(None where the option was not given, so the file value stays).
"""

from __future__ import annotations

import optparse
from collections.abc import Sequence

from koji_adjutant.config import values
from koji_adjutant.config.kojid import convert_value
from koji_adjutant.errors import EX_USAGE, ConfigError

DEFAULT_CONFIG = "/etc/kojid/kojid.conf"
USAGE = "%prog [options]"
DESCRIPTION = ("Koji builder daemon running every buildroot task in a podman container. "
               "Reads /etc/kojid/kojid.conf ([kojid] as kojid does, plus [adjutant]).")

# Options that override a [kojid] key of the same name (value None = not given).
OVERRIDES = ("user", "password", "maxjobs", "minspace", "sleeptime", "admin_emails", "topdir",
             "topurl", "workdir", "chroot_tmpdir", "pluginpath", "plugin", "mockdir",
             "mockuser", "server", "pkgurl")
FLAGS = ("configFile", "daemon", "force_lock", "verbose", "debug", "debug_task",
         "debug_xmlrpc", "debug_mock", "skip_main")


class UsageError(ConfigError):
    """The command line is wrong (kojid exits 2 for these)."""

    exit_code = EX_USAGE


class _Parser(optparse.OptionParser):
    def error(self, msg: str) -> None:
        raise UsageError(f"{msg}; see {self.get_prog_name()} --help")


def build_option_parser(prog: str | None = "kojid") -> optparse.OptionParser:
    """kojid's option parser: every option of kojid with its destination and default."""
    parser = _Parser(usage=USAGE, prog=prog, description=DESCRIPTION)
    add = parser.add_option
    add("-c", "--config", dest="configFile", metavar="FILE", default=DEFAULT_CONFIG,
        help="configuration file, or a directory of *.conf files [default: %default]")
    add("--user", help="user name for password login (development only)")
    add("--password", help="password for password login (development only)")
    add("-f", "--fg", dest="daemon", action="store_false", default=True,
        help="run in the foreground instead of detaching")
    add("--force-lock", action="store_true", default=False,
        help="take over the host's exclusive hub session from another daemon")
    add("-v", "--verbose", action="store_true", default=False, help="log at INFO level")
    add("-d", "--debug", action="store_true", default=False, help="log at DEBUG level")
    add("--debug-task", action="store_true", default=False,
        help="log task handlers at DEBUG level")
    add("--debug-xmlrpc", action="store_true", default=False, help="log XML-RPC traffic")
    add("--debug-mock", action="store_true", default=False, help=optparse.SUPPRESS_HELP)
    add("--skip-main", action="store_true", default=False,
        help="with --fg: log in, check the session, then exit")
    _add_overrides(add)
    return parser


def _add_overrides(add) -> None:
    add("--maxjobs", type="int", metavar="N", help="maximum concurrent tasks")
    add("--minspace", type="int", metavar="MB",
        help="free space required in workdir (and in mockdir, if it exists) before taking "
        "a task, in MB")
    add("--sleeptime", type="int", metavar="SECONDS", help="seconds between idle polls")
    add("--admin-emails", metavar="EMAILS", help="comma-separated addresses for error mail")
    add("--topdir", metavar="DIR", help="local mount of the koji volume")
    add("--topurl", metavar="URL", help="HTTP root of the koji volume (space-separated list)")
    add("--workdir", metavar="DIR", help="local scratch directory")
    add("--chroot-tmpdir", metavar="DIR", help="persistent tmp dir inside buildroots")
    add("--pluginpath", metavar="PATH", help="colon-separated builder plugin search path")
    add("--plugin", action="append", metavar="NAME", help="load a builder plugin (repeatable)")
    add("--mockdir", metavar="DIR", help="root of the buildroot directories")
    add("--mockuser", metavar="USER", help="unprivileged user of buildroot steps")
    add("-s", "--server", metavar="URL", help="hub XML-RPC URL")
    add("--pkgurl", help=optparse.SUPPRESS_HELP)


def parse_command_line(argv: Sequence[str]) -> optparse.Values:
    """Parse kojid's argv; positional arguments are a ``UsageError``."""
    parser = build_option_parser()
    options, args = parser.parse_args(list(argv))
    if args:
        parser.error(f"unexpected argument(s): {' '.join(args)}")
    return options


def cli_overrides(options: optparse.Values) -> dict[str, object]:
    """The typed values of options that override [kojid] keys (None = not given)."""
    result: dict[str, object] = {}
    for key in OVERRIDES:
        value = getattr(options, key)
        option = "--" + key.replace("_", "-")
        try:
            result[key] = _typed(key, value)
        except ValueError as exc:
            raise UsageError(str(exc), key=option) from exc
    return result


def _typed(key: str, value: object) -> object:
    if value is None:
        return None
    if key == "plugin":
        return tuple(value)
    if isinstance(value, int):
        return values.to_int(str(value))
    return convert_value(key, value)


def cli_flags(options: optparse.Values) -> dict[str, object]:
    """The command-line-only attributes (configFile, daemon, debug flags, ...)."""
    return {key: getattr(options, key) for key in FLAGS}
