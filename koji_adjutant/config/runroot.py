"""The runroot plugin's configuration (``runroot.conf``) and the mounts it allows.

The file has the format of koji's runroot builder plugin: ``[paths]``
``default_mounts`` and ``safe_roots`` (comma-separated absolute paths),
``path_subs`` (one ``prefix,replacement`` pair a line) and ``[pathN]``
sections (``mountpoint``, ``path``, ``fstype``, ``options``; in the order of N,
the first whose mountpoint holds a path serves it).  ``[runroot]
internal_dev_setup`` is accepted: a container always gets podman's ``/dev``.

koji-adjutant bind-mounts host directories (ADR 0017): a section's ``path``
must be a directory of the builder host (mount an NFS export on the host and
name that directory).  ``RunrootConfig.mounts`` turns a task's request into
``BindMount``s (the task makes them container mounts): a default mount is
read-only when its options say ``ro``; an extra mount is writable and must lie
inside a safe root (path components, not string prefixes), after which
``path_subs`` apply; no mount may lead out of its section's directory through
a symbolic link on the host.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import koji

from koji_adjutant.errors import ConfigError

DEFAULT_PATH = "/etc/kojid/plugins/runroot.conf"
_SECTION_RE = re.compile(r"^path(\d+)$")


@dataclass(frozen=True)
class BindMount:
    """Host directory ``source`` at ``target`` in the buildroot."""

    source: Path
    target: str
    read_only: bool


@dataclass(frozen=True)
class PathSection:
    """One ``[pathN]``: container paths under ``mountpoint`` come from host dir ``path``."""

    name: str
    mountpoint: str
    path: str
    fstype: str
    options: tuple[str, ...]

    def holds(self, path: str) -> bool:
        return _within(path, self.mountpoint)


@dataclass(frozen=True)
class RunrootConfig:
    """The typed ``runroot.conf`` (module docstring); ``file`` names it in messages."""

    file: str
    default_mounts: tuple[str, ...] = ()
    safe_roots: tuple[str, ...] = ()
    path_subs: tuple[tuple[str, str], ...] = ()
    paths: tuple[PathSection, ...] = ()
    internal_dev_setup: bool | None = None

    def mounts(self, extra: Iterable[str]) -> tuple[BindMount, ...]:
        """The default mounts and the task's ``extra`` ones; a later one on a target wins."""
        chosen = {}
        for path in self.default_mounts:
            mount = self._mount(path, writable=False)
            chosen[mount.target] = mount
        for path in extra:
            mount = self._mount(self._substituted(self._safe(path)), writable=True)
            chosen[mount.target] = mount
        return tuple(chosen.values())

    def _safe(self, requested: str) -> str:
        path = os.path.normpath(requested)
        if not any(_within(path, root) for root in self.safe_roots) or "/../" in path:
            raise koji.GenericError(f"read-write mount point is not safe: {path}")
        return path

    def _substituted(self, path: str) -> str:
        for prefix, replacement in self.path_subs:
            if path.startswith(prefix):
                path = replacement + path[len(prefix):]
        return path

    def _mount(self, path: str, writable: bool) -> BindMount:
        path = os.path.normpath(path)
        section = next((s for s in self.paths if s.holds(path)), None)
        if section is None:
            raise koji.GenericError(f"bad config: missing corresponding mountpoint for {path} "
                                    f"(no [pathN] of {self.file} holds it)")
        relative = os.path.relpath(path, section.mountpoint)
        source = Path(section.path, relative) if relative != "." else Path(section.path)
        if not source.is_dir():
            raise koji.GenericError(f"No such directory or mount: {source}")
        real, top = source.resolve(), Path(section.path).resolve()
        if real != top and top not in real.parents:
            raise koji.GenericError(f"mount point is not safe: {path} (a symbolic link on the "
                                    f"builder leads out of {section.path})")
        read_only = "ro" in section.options and not writable
        # the resolved path: what was checked is what podman mounts
        return BindMount(real, path, read_only)


def _within(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it, by whole path components."""
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root if root == "/" else root + "/")


def load_runroot_config(file: str) -> RunrootConfig:
    """Read ``file`` (missing: no mounts at all, as the plugin); ConfigError when bad."""
    try:
        parser = koji.read_config_files(file)
    except configparser.Error as exc:
        raise ConfigError(str(exc).splitlines()[0], path=file) from exc
    entries = parser["paths"] if parser.has_section("paths") else {}
    config = RunrootConfig(
        file=file,
        default_mounts=_path_list(file, "default_mounts", entries.get("default_mounts", "")),
        safe_roots=_path_list(file, "safe_roots", entries.get("safe_roots", "")),
        path_subs=_path_subs(file, entries.get("path_subs", "")),
        paths=tuple(_path_section(file, parser, name) for name in _path_sections(parser)),
        internal_dev_setup=_dev_setup(file, parser))
    for path in config.default_mounts:
        if not any(section.holds(os.path.normpath(path)) for section in config.paths):
            raise ConfigError(f"{path} is in no [pathN] section's mountpoint", path=file,
                              section="paths", key="default_mounts")
    return config


def _path_list(file: str, key: str, text: str) -> tuple[str, ...]:
    paths = tuple(p.strip() for p in text.split(",") if p.strip())
    for path in paths:
        _absolute(file, "paths", key, path)
    return paths


def _path_subs(file: str, text: str) -> tuple[tuple[str, str], ...]:
    subs = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        pair = [part.strip() for part in line.split(",")]
        if len(pair) != 2:
            raise ConfigError(f"bad runroot substitution {line!r}: expected 'prefix,replacement'",
                              path=file, section="paths", key="path_subs")
        _absolute(file, "paths", "path_subs", pair[0])
        subs.append((pair[0], pair[1]))
    return tuple(subs)


def _path_sections(parser) -> list[str]:
    found = [(int(m.group(1)), name) for name in parser.sections()
             if (m := _SECTION_RE.match(name))]
    return [name for _, name in sorted(found)]


def _path_section(file: str, parser, name: str) -> PathSection:
    values = {}
    for key in ("mountpoint", "path", "fstype", "options"):
        if not parser.has_option(name, key):
            raise ConfigError(f"missing option {key} in section [{name}]", path=file,
                              section=name, key=key)
        values[key] = parser.get(name, key).strip()
    _absolute(file, name, "mountpoint", values["mountpoint"])
    if not values["path"].startswith("/"):
        raise ConfigError(f"{values['path']!r} is not a host directory: koji-adjutant "
                          f"bind-mounts host directories; mount it on the builder and "
                          f"give that directory", path=file, section=name, key="path")
    options = tuple(o.strip() for o in values["options"].split(",") if o.strip())
    if "bg" in options:
        raise ConfigError("background mount not allowed", path=file, section=name,
                          key="options")
    return PathSection(name, values["mountpoint"], values["path"], values["fstype"], options)


def _dev_setup(file: str, parser) -> bool | None:
    if not parser.has_option("runroot", "internal_dev_setup"):
        return None
    try:
        return parser.getboolean("runroot", "internal_dev_setup")
    except ValueError as exc:
        raise ConfigError(str(exc), path=file, section="runroot",
                          key="internal_dev_setup") from exc


def _absolute(file: str, section: str, key: str, path: str) -> None:
    if not path.startswith("/"):
        raise ConfigError(f"{path!r} is not an absolute path", path=file, section=section,
                          key=key)
