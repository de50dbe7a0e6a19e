"""Reading kojid.conf: a file, or a directory of ``*.conf`` files, into raw sections.

kojid reads its configuration with ``koji.read_config_files(path, raw=True)``: a
directory stands for every regular file in it whose name ends in ``.conf``, in
sorted order, later files overriding earlier ones; a missing path is not an
error; values are taken literally (no ``%`` interpolation, so
``host_principal_format = compile/%s@EXAMPLE.COM`` survives). This module keeps
those rules but parses each file on its own, so that every value remembers the
file it came from and an error can name that file. Reading is all it does: no
validation of sections or keys happens here.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass

import koji

from koji_adjutant.errors import ConfigError

# configparser's special [DEFAULT] section would otherwise leak into every section;
# kojid only ever reads [kojid], so DEFAULT is kept as an ordinary section and
# merged under [kojid] by the caller.
_NO_DEFAULT_SECTION = "\0no default section"


@dataclass(frozen=True)
class Entry:
    """One raw value and the file that set it (the last one, if several did)."""

    value: str
    path: str


@dataclass(frozen=True)
class RawConfig:
    """Raw sections merged over the files read, in the order they were read."""

    path: str
    files: tuple[str, ...]
    sections: dict[str, dict[str, Entry]]
    section_files: dict[str, str]

    def section(self, name: str) -> dict[str, Entry]:
        """The entries of one section (empty if no file has it)."""
        return self.sections.get(name, {})

    def section_path(self, name: str) -> str:
        """The first file that has section ``name`` (for error messages)."""
        if name in self.section_files:
            return self.section_files[name]
        return self.files[0] if self.files else self.path


def config_file_list(path: str) -> tuple[str, ...]:
    """The files kojid would read for ``path`` (file, directory of *.conf, or nothing)."""
    if os.path.isdir(path):
        try:
            return tuple(koji.config_directory_contents(path))
        except OSError as exc:
            raise ConfigError(f"cannot list the configuration directory: {exc.strerror}; "
                              "make it readable by the daemon", path=path) from exc
    if os.path.isfile(path):
        return (path,)
    return ()


def read_config_files(path: str) -> RawConfig:
    """Read ``path`` (a file or a directory of ``*.conf``) the way kojid does.

    Raises ``ConfigError`` naming the file for unreadable files and syntax errors.
    """
    files = config_file_list(str(path))
    sections: dict[str, dict[str, Entry]] = {}
    section_files: dict[str, str] = {}
    for name in files:
        parser = _parse_one(name)
        for section in parser.sections():
            section_files.setdefault(section, name)
            merged = sections.setdefault(section, {})
            for key, value in parser.items(section):
                merged[key] = Entry(value=value, path=name)
    return RawConfig(path=str(path), files=files, sections=sections,
                     section_files=section_files)


def _parse_one(path: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(default_section=_NO_DEFAULT_SECTION)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle, source=path)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}; make it readable by the "
                          "daemon", path=path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the file is not valid UTF-8 text (byte {exc.start})",
                          path=path) from exc
    except configparser.Error as exc:
        raise ConfigError(_syntax_message(exc), path=path) from exc
    return parser


def _syntax_message(exc: configparser.Error) -> str:
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return (f"line {exc.lineno}: a setting before any section header; "
                "start the file with [kojid]")
    if isinstance(exc, configparser.DuplicateOptionError):
        return (f"line {exc.lineno}: [{exc.section}] {exc.option} is set twice in this "
                "file; keep one")
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] appears twice in this file; merge them"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno, line = exc.errors[0]
        return (f"not an INI file kojid can read: line {lineno}: {line} is neither "
                "a [section] header nor key = value (continuation lines must be indented)")
    return f"not an INI file kojid can read: {exc.message.strip()}"
