"""Converters from configuration text to typed values.

Every converter takes the raw text of one value and returns the typed value, or
raises ``ValueError`` whose message states the expected form. The section
modules (``kojid``, ``adjutant``, ``cli``) turn that into a ``ConfigError`` naming
the file and key, so the converters know nothing of where a value came from. Nothing here reads files or the environment.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import re
import resource
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# configparser's getboolean() accepts exactly these words (case-insensitive).
BOOLEAN_WORDS = {
    "1": True, "yes": True, "true": True, "on": True,
    "0": False, "no": False, "false": False, "off": False,
}

PODMAN_URL_SCHEMES = ("unix", "http+unix", "ssh", "http+ssh", "tcp", "http")
PULL_POLICIES = ("always", "if-not-present", "never")

# digits, then a unit: k, m, g or t, optionally followed by "b" or "ib" (4g, 4G, 512MiB)
_SIZE_RE = re.compile(r"^([0-9]+)(?:([kmgt])(?:i?b)?|b)?$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


class FrozenMapping(Mapping[str, str]):
    """A read-only, hashable, picklable string mapping for frozen config objects."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None):
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def __getstate__(self) -> dict[str, str]:
        return self._data

    def __setstate__(self, state: dict[str, str]) -> None:
        self._data = dict(state)


def to_bool(text: str) -> bool:
    """A boolean as configparser's ``getboolean`` reads it."""
    try:
        return BOOLEAN_WORDS[text.strip().lower()]
    except KeyError:
        raise ValueError("expected a boolean: one of 1/yes/true/on or 0/no/false/off, "
                         f"got {text!r}") from None


def to_int(text: str, minimum: int = 0) -> int:
    """An integer as Python's ``int()`` reads it, not below ``minimum``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected an integer, got {text!r}") from None
    if value < minimum:
        raise ValueError(f"expected an integer >= {minimum}, got {value}")
    return value


def to_positive_float(text: str) -> float:
    """A number greater than zero (CPU counts such as ``1.5``)."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"expected a number such as 2 or 1.5, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"expected a finite number greater than 0, got {text!r}")
    return value


def to_size(text: str) -> int:
    """A size in bytes: digits with an optional unit, e.g. ``4g``, ``4096m``, ``512MiB``.

    Units are powers of 1024, as podman reads them: k, m, g, t, alone or followed
    by ``b`` or ``ib`` (``4g``, ``4GB`` and ``4GiB`` are the same); no unit (or ``b``)
    means bytes.
    """
    match = _SIZE_RE.match(text.strip())
    size = int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()] if match else 0
    if size <= 0:
        raise ValueError("expected a size such as 512m, 4g or 512MiB (digits, then k, m, g "
                         f"or t; plain digits are bytes), greater than 0; got {text!r}")
    return size


def render_size(size: int) -> str:
    """A byte count in the largest binary unit that divides it (``8 GiB``, ``1536 MiB``)."""
    for unit, name in ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def to_choice(text: str, choices: tuple[str, ...]) -> str:
    """One word out of ``choices`` (case-insensitive)."""
    value = text.strip().lower()
    if value not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}; got {text!r}")
    return value


def to_log_level(text: str) -> str:
    """A Python logging level name (DEBUG, INFO, WARNING, ERROR, CRITICAL), upper-cased."""
    value = text.strip().upper()
    names = logging.getLevelNamesMapping()
    if value not in names:
        raise ValueError("expected a log level name: one of "
                         f"{', '.join(sorted(names, key=names.__getitem__))}; got {text!r}")
    return value


def to_words(text: str) -> tuple[str, ...]:
    """A whitespace-separated list (kojid's ``plugin`` and ``topurl``)."""
    return tuple(text.split())


def to_url(text: str, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme is one of ``schemes`` and which names a host or a path."""
    value = text.strip()
    parsed = urllib.parse.urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ValueError(f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}"
                         f", got {text!r}")
    return value


def to_url_list(text: str, schemes: tuple[str, ...]) -> tuple[str, ...]:
    """One or more URLs separated by whitespace (kojid's ``topurl``)."""
    urls = tuple(to_url(word, schemes) for word in text.split())
    if not urls:
        raise ValueError("expected at least one URL")
    return urls


def to_rlimit(name: str, text: str) -> str:
    """An ``RLIMIT_*`` value: "soft" or "soft hard" integers (-1 means unlimited)."""
    if getattr(resource, name, None) is None:
        known = sorted(n for n in dir(resource) if n.startswith("RLIMIT_"))
        raise ValueError(f"unknown resource limit; expected one of {', '.join(known)}")
    words = text.split()
    try:
        limits = [int(word) for word in words]
    except ValueError:
        limits = []
    if len(limits) not in (1, 2) or any(limit < -1 for limit in limits):
        raise ValueError('expected "SOFT" or "SOFT HARD" as integers (-1 = unlimited), '
                         f"got {text!r}")
    if len(limits) == 2 and _exceeds(limits[0], limits[1]):
        raise ValueError(f"the soft limit {limits[0]} is above the hard limit {limits[1]}")
    return " ".join(words)


def _exceeds(soft: int, hard: int) -> bool:
    if hard == -1:
        return False
    return soft == -1 or soft > hard


def to_labels(text: str) -> FrozenMapping:
    """Container labels: ``key=value`` pairs separated by commas or whitespace."""
    labels: dict[str, str] = {}
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not _LABEL_KEY_RE.match(key):
            raise ValueError("expected key=value pairs separated by commas or spaces, keys of "
                             f"letters, digits and . _ / - (e.g. site=ams,team=rel); got {item!r}")
        if key in labels:
            raise ValueError(f"label {key!r} is given twice")
        labels[key] = value
    return FrozenMapping(labels)


def to_bind(text: str) -> str:
    """A listen address ``HOST:PORT``; IPv6 hosts in brackets (``[::1]:8080``)."""
    value = text.strip()
    host, port = split_bind(value)
    if not _valid_host(host, bracketed=value.startswith("[")):
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got {text!r}")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT with a port from 0 to 65535, got {text!r}")
    return value


def split_bind(value: str) -> tuple[str, str]:
    """Split ``HOST:PORT`` (or ``[V6]:PORT``) into host and port text."""
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or not rest.startswith(":"):
            return "", ""
        return host, rest[1:]
    host, sep, port = value.rpartition(":")
    if not sep or ":" in host:
        return "", ""
    return host, port


def is_loopback_bind(value: str) -> bool:
    """Whether a ``HOST:PORT`` listens only on the loopback interface."""
    host, _port = split_bind(value)
    if host == "localhost":
        return True
    return _is_ip(host) and ipaddress.ip_address(host).is_loopback


def _valid_host(host: str, bracketed: bool) -> bool:
    if bracketed:
        return _is_ipv6(host)
    return _is_ip(host) or bool(_HOSTNAME_RE.match(host))


def _is_ipv6(host: str) -> bool:
    return _is_ip(host) and ipaddress.ip_address(host).version == 6


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def unknown_key_message(key: str, known: Iterable[str], listed: str) -> str:
    """The message for an unknown key: a close match if there is one, else where to look."""
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown option; {hint}{listed}"


def render(value: Any) -> str:
    """The text a config file would hold for a typed value (used by summaries)."""
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        return " ".join(value) if value else "(none)"
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    return str(value)
