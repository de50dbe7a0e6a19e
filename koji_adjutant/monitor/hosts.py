"""Which ``Host`` headers the status server answers: only names of its own address.

DNS rebinding: a web page from ``evil.example`` makes that name resolve to
127.0.0.1, and the browser of anyone on the builder then sends the page's
requests to the status server as same-origin requests, ``Host: evil.example``.
So the server answers a request only when its ``Host`` names the address the
server is bound to (``HostPolicy.allows``):

- bound to a loopback address: ``localhost``, ``127.0.0.1``, ``[::1]`` and the
  bind address itself;
- bound to one other address: that address as configured (a name or an IP
  literal) and the machine's host names (the koji host name, ``gethostname()``);
- bound to every address (``0.0.0.0``, ``[::]``): the machine's host names,
  ``localhost`` and any IP literal; a literal cannot be rebound (the page's
  origin is then the address itself, not the attacker's name).

Names are compared without case and without a trailing dot, literals in their
canonical form.  The port may be given or not and is not compared: rebinding is
about names, and port forwards (``ssh -L``, ``podman -p``) change the port.
A request with no ``Host`` or with several gets 400 (RFC 9112 section 3.2); a
``Host`` naming another server gets 421 Misdirected Request, with a short JSON
body either way (see ``monitor.server``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_PORT_RE = re.compile(r"(:[0-9]{0,5})?")


def host_of(value: str) -> str | None:
    """The host a ``Host`` value names (``NAME``, ``V4`` or ``[V6]``, with ``:PORT`` or
    not), in canonical form; None if the value is malformed."""
    value = value.strip()
    if value.startswith("["):
        inside, sep, rest = value[1:].partition("]")
        address = _ip(inside) if sep else None
        host = str(address) if address is not None and address.version == 6 else None
    else:
        name, sep, port = value.partition(":")
        host, rest = _canonical(name), sep + port
    if host is None or not _PORT_RE.fullmatch(rest):
        return None
    return host


def _canonical(name: str) -> str | None:
    name = name.lower().rstrip(".")
    address = _ip(name)
    return str(address) if address is not None else (name or None)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class HostPolicy:
    """The ``Host`` values a server bound to ``bind_host`` answers (module docstring)."""

    def __init__(self, bind_host: str, host_names: Iterable[str] = ()):
        bind = _canonical(bind_host.strip("[]")) or bind_host
        address = _ip(bind)
        self.any_literal = address is not None and address.is_unspecified
        names = {bind}
        if bind == "localhost" or (address is not None and address.is_loopback):
            names.update(LOOPBACK_NAMES)
        else:
            names.update(n for n in map(_canonical, host_names) if n)
        if self.any_literal:
            names.add("localhost")
        self.names = frozenset(names)

    def allows(self, value: str) -> bool:
        """Whether ``value`` (a ``Host`` header or a request target's authority) names us."""
        host = host_of(value)
        if host is None:
            return False
        return host in self.names or (self.any_literal and _ip(host) is not None)

