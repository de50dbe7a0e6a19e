"""A hub that does not answer, as the daemon's session sees it (koji_adjutant.hub.outage)."""

import logging
import socket
import threading
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import pytest
import requests

from koji_adjutant.daemon import loop
from koji_adjutant.hub import outage


def http_error(status: int, reason: str) -> requests.exceptions.HTTPError:
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    return requests.exceptions.HTTPError(f"{status} Server Error: {reason}", response=response)


def refused() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        "HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /kojihub "
        "(Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=1): Failed to "
        "establish a new connection: [Errno 111] Connection refused\"))")


class Listener:
    def __init__(self):
        self.heard = []

    def hub_unreachable(self, reason):
        self.heard.append(reason)

    def hub_answered(self):
        self.heard.append("answered")


def test_connection_errors_timeouts_and_5xx_mean_the_hub_does_not_answer():
    assert outage.hub_unreachable(refused())
    assert outage.hub_unreachable(requests.exceptions.ReadTimeout("read timed out"))
    assert outage.hub_unreachable(http_error(503, "Service Unavailable"))
    assert not outage.hub_unreachable(http_error(404, "Not Found"))
    assert not outage.hub_unreachable(ValueError("a bug"))


def test_the_reason_is_the_short_end_of_the_error():
    assert outage.short_reason(refused()) == "Connection refused"
    assert outage.short_reason(http_error(503, "Service Unavailable")) == \
        "503 Service Unavailable"
    assert outage.short_reason(requests.exceptions.ReadTimeout("read timed out")) == \
        "read timed out"


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog):
    watched = outage.HubOutage("https://koji.example.com/kojihub")
    listener = Listener()
    watched.listeners.append(listener)
    caplog.set_level(logging.DEBUG, logger="koji.build")
    watched.answered()
    for _ in range(3):
        watched.failed(refused())
    watched.answered()
    watched.answered()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0] == ("hub https://koji.example.com/kojihub does not answer "
                           "(Connection refused); trying again until it does")
    assert warnings[1].startswith("hub https://koji.example.com/kojihub answers again, after ")
    assert len(warnings) == 2
    assert listener.heard == ["Connection refused"] * 3 + ["answered"]


@pytest.fixture
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there until a test serves


class HubPath(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/kojihub",)


def serve_echo(port: int) -> SimpleXMLRPCServer:
    server = SimpleXMLRPCServer(("127.0.0.1", port), requestHandler=HubPath, logRequests=False,
                                allow_none=True)
    server.register_function(lambda *args: list(args), "echo")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_session_reports_each_failed_try_before_the_retries_give_up(free_port, caplog):
    url = f"http://127.0.0.1:{free_port}/kojihub"
    session = outage.WatchedSession(url, {"anon_retry": True, "max_retries": 2,
                                          "retry_interval": 0})
    session.outage = outage.HubOutage(url)
    listener = Listener()
    outage.listen(session, listener)
    caplog.set_level(logging.WARNING, logger="koji.build")
    with pytest.raises(requests.exceptions.ConnectionError):
        session.echo("hello")
    assert listener.heard == ["Connection refused"] * 3  # the first try and two retries
    assert [r.getMessage() for r in caplog.records] == [
        f"hub {url} does not answer (Connection refused); trying again until it does"]
    server = serve_echo(free_port)
    try:
        assert session.echo("hello") == ["hello"]
    finally:
        server.shutdown()
        server.server_close()
    assert listener.heard[-1] == "answered" and not session.outage.down


def test_an_exit_during_an_outage_names_the_tasks_the_hub_keeps():
    assert loop.left_with_the_hub("https://hub/kojihub", [7, 12]) == (
        "hub https://hub/kojihub does not answer; exiting without freeing task(s) 7, 12: "
        "they stay open on the hub until this daemon starts again and frees them, or the "
        "hub frees them after its HostTimeout (15 minutes by default)")
    assert "no task was held" in loop.left_with_the_hub("https://hub/kojihub", [])
