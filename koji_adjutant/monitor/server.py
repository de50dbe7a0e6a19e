"""The embedded HTTP server: the status API, ``/healthz``, ``/metrics`` and the page.

A stdlib ``ThreadingHTTPServer`` in daemon threads of the main process.
Every request is a read-only ``GET`` (``HEAD`` too); answers are JSON except
``/metrics`` (Prometheus text), logs (plain text) and ``/`` (HTML).  A slow
client holds only its own thread, for at most ``CLIENT_BUDGET`` seconds a
request, and at most ``MAX_CONNECTIONS`` are served at once: when all are
taken the longest-waiting one is shut down, and only when all are busy
answering does a new one get a 503 (``monitor.connections``).  Only requests
whose ``Host`` names this server are answered (``monitor.hosts``: DNS
rebinding); others get 421, a missing or repeated ``Host`` 400.
"""

from __future__ import annotations

import http.server
import io
import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from koji_adjutant.monitor import documents
from koji_adjutant.monitor.connections import BudgetSocketIO, ClientBudget, Slots
from koji_adjutant.monitor.hosts import HostPolicy
from koji_adjutant.monitor.page import PAGE
from koji_adjutant.monitor.service import Monitor

logger = logging.getLogger("koji.build.monitor")

MAX_CONNECTIONS = 64
ADDRESS_FILE = "monitoring.address"
_TASK = r"/api/v1/tasks/([^/]+)"
_ROUTES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^/$"), "page"),
    (re.compile(r"^/healthz$"), "healthz"),
    (re.compile(r"^/metrics$"), "metrics"),
    (re.compile(r"^/api/v1/status$"), "status"),
    (re.compile(r"^/api/v1/tasks$"), "tasks"),
    (re.compile(rf"^{_TASK}$"), "task"),
    (re.compile(rf"^{_TASK}/logs$"), "logs"),
    (re.compile(rf"^{_TASK}/logs/([^/]*)$"), "log"),
    (re.compile(r"^/api/v1/containers$"), "containers"),
]


class MonitorHandler(http.server.BaseHTTPRequestHandler):
    """Answers one connection's requests (keep-alive) from ``server.monitor``."""

    protocol_version = "HTTP/1.1"
    # headers and body are separate writes: without this, keep-alive answers wait for
    # the client's delayed ACK (40 ms)
    disable_nagle_algorithm = True
    server: MonitorServer
    server_version = "koji-adjutant-monitor"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("monitor %s - %s", self.address_string(), format % args)

    # -- the connection ------------------------------------------------------------

    def setup(self) -> None:
        """Reads and writes of the connection draw on one ``ClientBudget`` per request."""
        self.connection = self.request
        if self.disable_nagle_algorithm:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        self.budget = ClientBudget()
        # answers are written unbuffered, as StreamRequestHandler does (wbufsize 0)
        self.wfile = BudgetSocketIO(self.connection, self.budget)
        self.rfile = io.BufferedReader(self.wfile)

    def handle_one_request(self) -> None:
        self.budget.renew()
        self.server.slots.waiting(self.connection)
        super().handle_one_request()

    def parse_request(self) -> bool:
        """The request line and headers, answered only if ``Host`` names this server."""
        parsed = super().parse_request()  # reads the headers: the connection still waits
        self.server.slots.working(self.connection)
        return parsed and self._host_is_ours()

    def _host_is_ours(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            self._refuse(400, "a request needs exactly one Host header")
            return False
        # an absolute request target names the server too (RFC 9112 section 3.2.2)
        target = "" if self.path.startswith("/") else urlsplit(self.path).netloc
        for value in (hosts[0], target):
            if value and not self.server.hosts.allows(value):
                self._refuse(421, f"{value[:100]!r} does not name this server; ask for "
                             "the address it listens on")
                return False
        return True

    def finish(self) -> None:
        self.server.slots.working(self.connection)
        super().finish()

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        url = urlsplit(self.path)
        for pattern, name in _ROUTES:
            match = pattern.match(url.path)
            if match:
                break
        else:
            return self._json(404, {"error": f"no such path: {url.path[:200]}"}, head)
        try:
            getattr(self, f"_get_{name}")(match.groups(), parse_qs(url.query), head)
        except documents.BadRequest as exc:
            self._json(400, {"error": str(exc)}, head)
        except documents.NotFound as exc:
            self._json(404, {"error": str(exc)}, head)

    def _method_not_allowed(self) -> None:
        self._refuse(405, "read-only: only GET and HEAD are served", {"Allow": "GET, HEAD"})

    def _refuse(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        """An error answer that also closes the connection."""
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        # a request body is never read: the connection cannot carry another request
        self.send_header("Connection", "close")
        self.close_connection = True
        body = json.dumps({"error": message}).encode()
        self._finish(body, "application/json", self.command == "HEAD")

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    # -- routes ------------------------------------------------------------------

    def _get_page(self, groups, query, head) -> None:
        self._send(200, PAGE.encode(), "text/html; charset=utf-8", head)

    def _get_healthz(self, groups, query, head) -> None:
        healthy, why = self.monitor.state.health(self.monitor.stale_after)
        self._json(200 if healthy else 503, {"healthy": healthy, "reason": why}, head)

    def _get_metrics(self, groups, query, head) -> None:
        self._send(200, self.monitor.metrics.render(), self.monitor.metrics.content_type, head)

    def _get_status(self, groups, query, head) -> None:
        self._json(200, documents.status(self.monitor), head)

    def _get_tasks(self, groups, query, head) -> None:
        self._json(200, documents.tasks(self.monitor), head)

    def _get_task(self, groups, query, head) -> None:
        self._json(200, documents.task(self.monitor, groups[0]), head)

    def _get_logs(self, groups, query, head) -> None:
        self._json(200, documents.logs(self.monitor, groups[0]), head)

    def _get_log(self, groups, query, head) -> None:
        tail = query.get("tail", [None])[-1]
        text = documents.log_text(self.monitor, groups[0], groups[1], tail)
        self._send(200, text.encode("utf-8"), "text/plain; charset=utf-8", head)

    def _get_containers(self, groups, query, head) -> None:
        self._json(200, documents.containers(self.monitor), head)

    # -- answers -----------------------------------------------------------------

    @property
    def monitor(self) -> Monitor:
        return self.server.monitor

    def _json(self, code: int, value: Any, head: bool) -> None:
        body = json.dumps(value, sort_keys=True, default=str).encode()
        self._send(code, body, "application/json", head)

    def _send(self, code: int, body: bytes, ctype: str, head: bool) -> None:
        self.send_response(code)
        self._finish(body, ctype, head)

    def _finish(self, body: bytes, ctype: str, head: bool) -> None:
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)


class MonitorServer(http.server.ThreadingHTTPServer):
    """The listening socket and its request threads (daemon threads)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], monitor: Monitor,
                 host_names: Iterable[str] = ()):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.monitor = monitor
        self.slots = Slots(MAX_CONNECTIONS)
        self.hosts = HostPolicy(address[0], host_names)
        super().__init__(address, MonitorHandler)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire():
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        # a client gone or shut down to make room: nothing the operator must act on
        logger.debug("monitor %s: connection ended with an error", client_address[0],
                     exc_info=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"


def _refuse_busy(request: socket.socket) -> None:
    try:
        request.settimeout(1.0)
        request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 27\r\nConnection: close\r\n\r\n"
                        b'{"error": "too many users"}')
    except OSError:
        pass


def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT`` (as validated by the configuration) as a tuple."""
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


class MonitorEndpoint:
    """The bound server and its serving thread; ``close`` stops both."""

    def __init__(self, monitor: Monitor, bind: str, workdir: str,
                 host_names: Iterable[str] = ()):
        self.monitor = monitor
        self.server = MonitorServer(parse_bind(bind), monitor, host_names)
        self.address_file = os.path.join(workdir, ADDRESS_FILE)
        self._thread: threading.Thread | None = None
        # forked task processes must not keep the port open after the daemon is gone
        os.register_at_fork(after_in_child=self._close_in_child)

    def _close_in_child(self) -> None:
        try:
            self.server.socket.close()
        except OSError:
            pass

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.2}, name="monitor-http",
                                        daemon=True)
        self._thread.start()
        tmp = self.address_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.server.url + "\n")
        os.replace(tmp, self.address_file)
        logger.warning("monitoring: serving %s (status %sapi/v1/status)", self.server.url,
                       self.server.url)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            os.unlink(self.address_file)
        except FileNotFoundError:
            pass
