"""The hub session: made once, logged in as the builder host in kojid's order (contract 1.5).

1. SSL client certificate (``cert``, or ``/etc/kojid/client.crt`` when it exists);
2. user and password;
3. GSSAPI with the host principal and keytab, when requests-gssapi is importable.

Then the session is made exclusive (``--force-lock`` takes over another one),
which is the only lock kojid has: a second daemon for the same host fails here.
Every failure raises ``LoginFailed`` with one line saying what to fix.  The
session is a ``WatchedSession`` whose ``HubOutage`` (``hub/outage.py``) hears of
every failed try from the moment the login worked.
"""

import logging
import os
import socket

import koji
import requests
from koji.xmlrpcplus import Fault

from koji_adjutant.errors import AdjutantError
from koji_adjutant.hub.outage import HubOutage, WatchedSession, short_reason

logger = logging.getLogger("koji.build")
DEFAULT_CERT = "/etc/kojid/client.crt"
DEFAULT_SERVERCA = "/etc/kojid/serverca.crt"


class LoginFailed(AdjutantError):
    """The daemon cannot log in to the hub as its host."""


def _gssapi_available() -> bool:
    try:
        import requests_gssapi  # noqa: F401
    except ImportError:
        return False
    return True


def _cert_paths(options) -> tuple[str | None, str | None]:
    cert = options.cert or (DEFAULT_CERT if os.path.isfile(DEFAULT_CERT) else None)
    serverca = options.serverca or (DEFAULT_SERVERCA if os.path.isfile(DEFAULT_SERVERCA) else None)
    return cert, serverca


def _authenticate(session: koji.ClientSession, options) -> str:
    cert, serverca = _cert_paths(options)
    if cert and os.path.isfile(cert):
        session.ssl_login(cert, None, serverca)
        return f"certificate {cert}"
    if options.user:
        session.login()
        return f"password of user {options.user}"
    if _gssapi_available():
        principal = options.krb_principal or options.host_principal_format % socket.getfqdn()
        ccache = options.ccache
        if ccache and os.path.isfile(ccache) and os.path.getsize(ccache) == 0:
            os.unlink(ccache)
        if options.keytab and not os.path.isfile(options.keytab) and not (
                ccache and os.path.isfile(ccache)):
            # GSSAPI would only say "401 Unauthorized"; name the missing piece instead
            raise LoginFailed(f"keytab {options.keytab} does not exist (and there is no "
                              f"ccache {ccache}): create it for {principal} or set keytab, or "
                              "set cert or user and password in kojid.conf")
        session.gssapi_login(principal=principal, keytab=options.keytab, ccache=ccache)
        return f"Kerberos principal {principal}"
    raise LoginFailed("No username/password/certificate supplied and Kerberos missing or "
                      "not configured: set cert (or user and password) in kojid.conf")


def client_session(url: str, opts: dict | None = None) -> WatchedSession:
    """The one place a hub session is made (the daemon's, and anonymous ones)."""
    return WatchedSession(url, opts)


def logout(session: koji.ClientSession) -> None:
    """Log out: this also frees the host's exclusive session for the next process."""
    session.logout()


def this_host(session: koji.ClientSession) -> dict:
    """The host record of the logged-in session; ``LoginFailed`` for a non-host user."""
    try:
        return session.host.getHost()
    except koji.AuthError as exc:
        raise LoginFailed(f"the hub user is not a builder host: {exc}") from exc


def connect(options, force_lock: bool = False) -> WatchedSession:
    """Return a logged-in, exclusive hub session for this builder host."""
    session_opts = koji.grab_session_options(options)
    session = client_session(options.server, session_opts)
    try:
        how = _authenticate(session, options)
    except LoginFailed:
        raise
    except koji.AuthError as exc:
        raise LoginFailed(f"hub {options.server} refused the login: {exc}") from exc
    except requests.RequestException as exc:
        # koji does not retry a login; urllib3's "Max retries exceeded" would say it did
        raise LoginFailed(f"cannot log in to hub {options.server}: {short_reason(exc)}; "
                          "check that it runs and that server in kojid.conf is its "
                          "URL") from exc
    except (koji.GenericError, Fault, OSError) as exc:
        raise LoginFailed(f"cannot log in to hub {options.server}: {exc}") from exc
    logger.info("logged in to %s with %s", options.server, how)
    try:
        session.exclusiveSession(force=force_lock)
    except koji.AuthLockError as exc:
        raise LoginFailed("Unable to get lock. Trying using --force-lock") from exc
    if not session.logged_in:
        raise LoginFailed(f"hub {options.server} did not log us in")
    answer = session.echo("OK")
    if answer != ["OK"]:
        raise LoginFailed(f"hub {options.server} answered echo('OK') with {answer!r}")
    session.outage = HubOutage(options.server)
    return session
