"""HTTP calls to the podman API service, with its failures turned into our errors.

``PodmanApi`` is the only code that talks to podman-py (``PodmanClient.api``,
the raw API client over the unix socket).  It returns decoded JSON or the raw
response and raises ``RuntimeUnavailable`` when the socket does not answer, so
that a podman service that is down gives one clear error, never a traceback
(``RuntimeDenied`` when the socket is there but this user may not open it).
HTTP error statuses raise ``ApiFailure``, which callers map onto the error
that names the operation (image, create, exec, ...).
"""

from __future__ import annotations

import errno
import json
import os
from typing import IO, Any

import requests
from podman import PodmanClient
from podman.errors import APIError

from koji_adjutant.container.errors import ContainerError, RuntimeDenied, RuntimeUnavailable

JSON_HEADERS = {"Content-Type": "application/json"}
DEFAULT_CALL_TIMEOUT = 60.0


class ApiFailure(ContainerError):
    """An HTTP error status from podman, with podman's own message.

    Callers catch it to raise the error that names their operation; one that
    escapes still reads as a container error with the call and the reason.
    """

    def __init__(self, status: int, message: str, call: str):
        self.status = status
        self.message = message
        self.call = call
        super().__init__(f"podman answered {call} with HTTP {status}: {message}",
                         hint="check the podman service's log")


def _podman_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason or "no message"
    if isinstance(body, dict):
        return str(body.get("message") or body.get("cause") or body)
    return str(body)


def _socket_error(exc: BaseException) -> OSError | None:
    """The socket's own error (``ENOENT``, ``ECONNREFUSED``, ``EACCES``...), however wrapped.

    podman-py, urllib3 and requests each wrap it: in ``__cause__``, ``__context__`` or an
    argument.
    """
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno:
            return current
        todo += [e for e in (current.__cause__, current.__context__, *current.args)
                 if isinstance(e, BaseException)]
    return None


class PodmanApi:
    """A thin client of the libpod REST API at ``base_url``."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_CALL_TIMEOUT,
                 identity: str | None = None):
        self.base_url = base_url
        self.timeout = timeout
        # identity: the SSH key for an ssh:// podman service
        extra = {"identity": identity} if identity else {}
        try:
            self._client = PodmanClient(base_url=base_url, **extra)
        except (ValueError, APIError) as exc:
            raise RuntimeUnavailable(
                f"cannot use podman API address {base_url!r}",
                hint=f"{exc}; give a unix:///path/to/podman.sock or tcp:// URL") from exc

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def unavailable(self, call: str, exc: BaseException) -> RuntimeUnavailable:
        """The error for a socket that does not answer ``call``."""
        cause = _socket_error(exc)
        if cause is not None and cause.errno in (errno.EACCES, errno.EPERM) \
                and self.base_url.startswith("unix://"):
            socket_path = self.base_url.removeprefix("unix://")
            return RuntimeDenied(
                f"permission denied on the podman API socket {socket_path}: uid "
                f"{os.getuid()} may not open it",
                hint="run this as root (or as a user the socket's permissions let in), or use "
                     "your own podman service: systemctl --user "
                     "enable --now podman.socket and set [adjutant] podman_url (or "
                     "KOJI_ADJUTANT_PODMAN_URL) to unix:///run/user/"
                     f"{os.getuid()}/podman/podman.sock")
        reason = os.strerror(cause.errno) if cause is not None else (exc.__cause__ or exc)
        return RuntimeUnavailable(
            f"the podman API service at {self.base_url} did not answer {call} ({reason})",
            hint="start it (systemctl enable --now podman.socket, or run scripts/provision "
                 "on a development machine) and check the socket path ([adjutant] "
                 "podman_url)")

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                body: Any = None, data: bytes | IO[bytes] | None = None,
                timeout: float | None = None,
                stream: bool = False, ok: tuple[int, ...] = ()) -> requests.Response:
        """Send one request; raise ``ApiFailure`` for an error status not listed in ``ok``."""
        call = f"{method} {path}"
        headers = JSON_HEADERS if body is not None else {}
        payload = json.dumps(body) if body is not None else data
        send = getattr(self._client.api, method.lower())
        extra = {"data": payload} if method in ("POST", "PUT") else {}
        try:
            response = send(path, params=params, headers=headers, stream=stream,
                            timeout=timeout or self.timeout, **extra)
        except (APIError, requests.ConnectionError, requests.Timeout, OSError) as exc:
            raise self.unavailable(call, exc) from exc
        if response.status_code >= 400 and response.status_code not in ok:
            message = _podman_message(response)
            response.close()
            raise ApiFailure(response.status_code, message, call)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """``request`` and decode the JSON answer (``None`` for an empty one)."""
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None
