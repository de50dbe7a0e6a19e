"""koji-adjutant's configuration: kojid's command line and kojid.conf, read once.

``load_config(argv, environ)`` is the one entry point. It parses kojid's command
line, reads the file or directory given by ``-c`` (default
``/etc/kojid/kojid.conf``) the way kojid does, and returns a frozen ``Config``:

* ``kojid``: ``KojidOptions``, the object kojid calls ``options`` (CLI > file >
  defaults), handed as-is to the koji library;
* ``adjutant``: ``AdjutantOptions``, the ``[adjutant]`` section
  (``KOJI_ADJUTANT_<KEY>`` environment > file > defaults);
* ``files``: the files actually read; ``warnings``: messages for the daemon to log.

Every problem is raised once as ``ConfigError`` naming file, section and key
(``UsageError``, a subclass, for a bad command line). Loading is pure: it creates
no directories, touches no koji globals and applies no resource limits.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from koji_adjutant.config.adjutant import AdjutantOptions, build_adjutant_options, env_name
from koji_adjutant.config.cli import (DEFAULT_CONFIG, UsageError, build_option_parser,
                                      cli_flags, cli_overrides, parse_command_line)
from koji_adjutant.config.files import RawConfig, read_config_files
from koji_adjutant.config.kojid import KojidOptions, build_kojid_options
from koji_adjutant.errors import ConfigError

__all__ = [
    "AdjutantOptions", "Config", "ConfigError", "DEFAULT_CONFIG", "KojidOptions", "RawConfig",
    "UsageError", "build_option_parser", "env_name", "load_config", "read_config_files",
]

# Sections a configuration may hold; [DEFAULT] is read as part of [kojid], as kojid does.
ALLOWED_SECTIONS = ("kojid", "adjutant", "DEFAULT")


@dataclass(frozen=True)
class Config:
    """The whole, validated configuration of one daemon or tool run."""

    kojid: KojidOptions
    adjutant: AdjutantOptions
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def load_config(argv: Sequence[str] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Parse kojid's ``argv`` (default ``sys.argv[1:]``) and load the configuration.

    ``environ`` (default ``os.environ``) supplies ``KOJI_ADJUTANT_*`` overrides.
    Raises ``UsageError`` for a bad command line and ``ConfigError`` for a bad or
    incomplete configuration; ``--help`` prints the help and raises SystemExit(0).
    """
    options = parse_command_line(sys.argv[1:] if argv is None else argv)
    flags = cli_flags(options)
    overrides = cli_overrides(options)
    raw = read_config_files(flags["configFile"])
    _check_sections(raw)
    kojid = build_kojid_options(raw, {**overrides, **flags})
    adjutant, warnings = build_adjutant_options(raw, os.environ if environ is None else environ)
    return Config(kojid=kojid, adjutant=adjutant, files=raw.files,
                  warnings=tuple(_obsolete_warnings(kojid) + warnings))


def _check_sections(raw: RawConfig) -> None:
    for section in raw.sections:
        if section not in ALLOWED_SECTIONS:
            raise ConfigError(f"invalid section [{section}]; a kojid configuration may only "
                              "have [kojid] and [adjutant]", path=raw.section_path(section))


def _obsolete_warnings(kojid: KojidOptions) -> list[str]:
    warnings = []
    if kojid.debug_mock:
        warnings.append("--debug-mock is obsolete and has no effect")
    if kojid.pkgurl is not None:
        warnings.append("pkgurl is obsolete and ignored (packages are fetched from topurl)")
    return warnings
