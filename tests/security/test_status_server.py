"""The status server against hostile clients and hostile files under a task's logs.

A real ``MonitorEndpoint`` on an ephemeral 127.0.0.1 port, spoken to over
real sockets: slow clients that trickle header lines and reconnect when cut
off, a FIFO and symlinks to /etc/shadow planted among a task's logs, and
requests whose ``Host`` names another server (DNS rebinding).  Every loop here
is bounded in time.
"""

import http.client
import os
import select
import socket
import threading
import time
from types import SimpleNamespace

import pytest
import requests

from koji_adjutant.monitor.server import MAX_CONNECTIONS, MonitorEndpoint
from koji_adjutant.monitor.service import Monitor
from koji_adjutant.monitor.tasklogs import log_dir, read_tail

# the server's CLIENT_BUDGET is 5 s; the old server cut a client off only after 10 s
# without a single byte
CUT_OFF_WITHIN = 8.0


@pytest.fixture
def monitor(tmp_path):
    """A monitor that has checked in (so /healthz is 200), served on 127.0.0.1:PORT."""
    options = SimpleNamespace(workdir=str(tmp_path), sleeptime=1, maxjobs=3, topurl=None,
                              adjutant=SimpleNamespace(podman_url="unix:///nonexistent.sock"))
    mon = Monitor(options, "builder1", 5)
    mon.checked_in(SimpleNamespace(ready=True, status="", task_load=0.0, hostdata={}))
    endpoint = MonitorEndpoint(mon, "127.0.0.1:0", str(tmp_path))
    endpoint.start()
    mon.url, mon.port = endpoint.server.url, endpoint.server.server_address[1]
    yield mon
    endpoint.close()
    mon.stop()


def start_task(mon, task_id: int) -> None:
    mon.task_taken(task_id, {"id": task_id, "method": "buildArch", "arch": "noarch",
                             "request": []}, pid=999999)


def exchange(port: int, request: bytes, method: str = "GET") -> tuple[int, bytes, dict]:
    """Send ``request`` as written; (status, body, headers) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        answer = http.client.HTTPResponse(conn, method=method)
        answer.begin()
        return answer.status, answer.read(), dict(answer.getheaders())


def closed_or_answered(conn: socket.socket) -> bool:
    """Whether the server has closed ``conn`` or answered on it (either ends the request)."""
    return bool(select.select([conn], [], [], 0)[0])


class Tricklers:
    """``count`` clients each sending a header line every ``interval`` s, never an end.

    A client the server cuts off connects again at once, as a slowloris attacker
    would; the thread stops when told or after ``limit`` seconds.
    """

    def __init__(self, port: int, count: int, interval: float = 0.5, limit: float = 60.0):
        self.port, self.interval, self.limit = port, interval, limit
        self.reconnects = 0
        self.conns = [self._connect() for _ in range(count)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _connect(self) -> socket.socket | None:
        try:
            conn = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            return conn
        except OSError:
            return None

    def _run(self) -> None:
        ends = time.monotonic() + self.limit
        while not self._stop.wait(self.interval) and time.monotonic() < ends:
            for i, conn in enumerate(self.conns):
                if conn is not None and not closed_or_answered(conn):
                    try:
                        conn.sendall(b"X-Slow: 1\r\n")
                        continue
                    except OSError:
                        pass
                if conn is not None:
                    conn.close()
                self.conns[i] = self._connect()
                self.reconnects += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for conn in self.conns:
            if conn is not None:
                conn.close()


def test_a_crowd_of_slow_clients_does_not_keep_healthz_from_answering(monitor):
    crowd = Tricklers(monitor.port, MAX_CONNECTIONS + 16)
    try:
        time.sleep(1.0)  # every slot is taken by now
        for _ in range(8):  # across the clients' budget running out and their reconnects
            started = time.monotonic()
            answer = requests.get(monitor.url + "healthz", timeout=5)
            assert (answer.status_code, answer.json()) == (200, {"healthy": True,
                                                                 "reason": "ok"})
            assert time.monotonic() - started < 2.0
            time.sleep(1.0)
        assert crowd.reconnects > 0  # the server did cut slow clients off
    finally:
        crowd.stop()


def test_a_trickling_client_is_cut_off_after_a_few_seconds_in_total(monitor):
    with socket.create_connection(("127.0.0.1", monitor.port), timeout=5) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        cut_after = None
        while time.monotonic() - started < 2 * CUT_OFF_WITHIN:
            time.sleep(0.5)  # one line every half second: no single read ever waits long
            if closed_or_answered(conn):
                cut_after = time.monotonic() - started
                break
            try:
                conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                cut_after = time.monotonic() - started
                break
        assert cut_after is not None and cut_after < CUT_OFF_WITHIN
        assert conn.recv(4096) == b""  # closed, never answered: the request never ended


def test_a_fifo_among_the_logs_is_refused_without_blocking(monitor):
    start_task(monitor, 42)
    directory = log_dir(monitor.workdir, 42)
    directory.mkdir(parents=True)
    (directory / "build.log").write_text("built\n")
    fifo = directory / "pipe.log"
    os.mkfifo(fifo)
    try:
        started = time.monotonic()
        answer = requests.get(monitor.url + "api/v1/tasks/42/logs/pipe.log", timeout=5)
        assert answer.status_code == 404 and "no log 'pipe.log'" in answer.json()["error"]
        assert time.monotonic() - started < 2.0
        listing = requests.get(monitor.url + "api/v1/tasks/42/logs", timeout=5).json()
        assert listing["logs"] == [{"name": "build.log", "size": 6}]
        # the sampler thread reads tails the same way: it must not hang either
        result = []
        reader = threading.Thread(target=lambda: result.append(read_tail(fifo)), daemon=True)
        reader.start()
        reader.join(timeout=2.0)
        assert result == [None]
    finally:
        _release_blocked_readers(fifo)


def _release_blocked_readers(fifo) -> None:
    """Open the FIFO for writing once, so that a reader stuck in open() gets EOF."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody is reading it, nothing to release
        pass


def test_symlinks_to_etc_shadow_under_the_logs_are_refused(monitor):
    start_task(monitor, 42)
    directory = log_dir(monitor.workdir, 42)
    directory.mkdir(parents=True)
    (directory / "shadow.log").symlink_to("/etc/shadow")
    start_task(monitor, 43)  # its whole log directory is a symlink to /etc
    log_dir(monitor.workdir, 43).parent.mkdir(parents=True)
    log_dir(monitor.workdir, 43).symlink_to("/etc")
    for task_id, name in ((42, "shadow.log"), (43, "shadow")):
        started = time.monotonic()
        answer = requests.get(f"{monitor.url}api/v1/tasks/{task_id}/logs/{name}", timeout=5)
        assert answer.status_code == 404 and "root:" not in answer.text
        assert time.monotonic() - started < 2.0
        listing = requests.get(f"{monitor.url}api/v1/tasks/{task_id}/logs", timeout=5).json()
        assert listing["logs"] == []
        monitor.sample_task(task_id)
        assert monitor.tails.names(task_id) == {}


@pytest.mark.parametrize("ours, other", [
    ("127.0.0.1:{port}", "evil.example"), ("127.0.0.1", "evil.example:{port}"),
    ("localhost:{port}", "127.0.0.1.evil.example:{port}"),
    ("LocalHost.", "localhost.evil.example"), ("[::1]:{port}", "127.0.0.2:{port}"),
    ("[::1]", "[::1]evil"), ("localhost", "127.0.0.1:{port}:1"),
])
def test_a_host_naming_another_server_is_refused_and_ours_is_answered(monitor, ours, other):
    port = monitor.port
    status, body, _ = exchange(port, f"GET /healthz HTTP/1.1\r\nHost: {ours.format(port=port)}"
                                     "\r\nConnection: close\r\n\r\n".encode())
    assert (status, body) == (200, b'{"healthy": true, "reason": "ok"}')
    status, body, headers = exchange(
        port, f"GET /api/v1/status HTTP/1.1\r\nHost: {other.format(port=port)}\r\n\r\n".encode())
    assert status == 421 and headers["Connection"] == "close"
    assert b"does not name this server" in body and b"builder1" not in body
    assert len(body) < 200


def test_every_method_and_an_absolute_target_are_host_checked(monitor):
    evil = b"Host: evil.example\r\n\r\n"
    assert exchange(monitor.port, b"HEAD /api/v1/status HTTP/1.1\r\n" + evil,
                    method="HEAD")[:2] == (421, b"")
    assert exchange(monitor.port, b"POST /api/v1/status HTTP/1.1\r\n" + evil)[0] == 421
    absolute = (b"GET http://evil.example/api/v1/status HTTP/1.1\r\n"
                b"Host: 127.0.0.1\r\n\r\n")
    assert exchange(monitor.port, absolute)[0] == 421


def test_no_host_or_two_hosts_are_refused(monitor):
    assert exchange(monitor.port, b"GET /healthz HTTP/1.1\r\n\r\n")[0] == 400
    two = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"
    status, body, _ = exchange(monitor.port, two)
    assert status == 400 and b"exactly one Host" in body


def test_a_non_loopback_bind_answers_its_address_and_host_names():
    from koji_adjutant.monitor.hosts import HostPolicy  # absent before the Host check

    policy = HostPolicy("192.0.2.7", ["Builder1.example.com", "builder1"])
    for host in ("192.0.2.7:8080", "192.0.2.7", "builder1.example.com:8080", "BUILDER1"):
        assert policy.allows(host), host
    for host in ("localhost", "127.0.0.1", "192.0.2.8", "evil.example", "builder1.evil"):
        assert not policy.allows(host), host


def test_a_wildcard_bind_answers_ip_literals_and_host_names_only():
    from koji_adjutant.monitor.hosts import HostPolicy  # absent before the Host check

    policy = HostPolicy("::", ["builder1.example.com"])
    for host in ("192.0.2.7:8080", "[2001:db8::1]:8080", "127.0.0.1", "localhost",
                 "builder1.example.com"):
        assert policy.allows(host), host
    for host in ("evil.example", "192.0.2.7.nip.io", "[evil]", ""):
        assert not policy.allows(host), host
