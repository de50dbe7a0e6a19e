"""``koji-adjutant``: the operator tool (check-config, version, and later subcommands).

Each subcommand lives in its own module, which exposes
``register(subparsers)``: it adds its parser and sets ``run`` (a callable taking
the parsed ``argparse.Namespace`` and returning an exit code) as the parser
default. ``SUBCOMMANDS`` is the one table of those ``register`` functions;
adding a command (e.g. ``local`` with its own nested ``build``/``reproduce``
subparsers) is one more module and one more line there. ``version`` is small
enough to live here. ``main`` returns the exit code instead of
exiting, so tests call it directly.

Exit codes: 0 success, 2 bad command line, 78 configuration error (see
``koji_adjutant.errors``).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from importlib import metadata

import koji

from koji_adjutant import __version__
from koji_adjutant.config import check
from koji_adjutant.errors import EX_OK, EX_USAGE
from koji_adjutant.local import cli as local_cli
from koji_adjutant.repos import tools as repo_tools

PROG = "koji-adjutant"


def _register_version(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("version", help="print the versions of koji-adjutant "
                                   "and the koji library it uses")
    parser.set_defaults(run=_run_version)


def _run_version(args: argparse.Namespace) -> int:
    print(f"{PROG} {__version__} (koji library {_koji_version()})")
    return EX_OK


def _koji_version() -> str:
    try:
        return metadata.version("koji")
    except metadata.PackageNotFoundError:
        return f"unpackaged, from {koji.__file__}"


Register = Callable[[argparse._SubParsersAction], None]

# One register function per subcommand module, in the order ``--help`` lists them.
SUBCOMMANDS: tuple[Register, ...] = (
    functools.partial(check.register, probes=(repo_tools.check_config_probe,)),
    local_cli.register,
    _register_version,
)


def build_parser(subcommands: Sequence[Register] = SUBCOMMANDS) -> argparse.ArgumentParser:
    """The top-level parser with one subparser per entry of ``subcommands``."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Operator tool of koji-adjutant, the podman-based kojid.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in subcommands:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; return its exit code (2 for a bad command line)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # argparse exits itself for --help/--version (0) and usage errors (2).
        return EX_OK if exc.code in (0, None) else EX_USAGE
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
