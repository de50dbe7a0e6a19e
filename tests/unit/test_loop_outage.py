"""The main loop's view of a hub that does not answer (koji_adjutant.daemon.loop)."""

import logging

import requests

from koji_adjutant.daemon import loop


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


def test_connection_errors_timeouts_and_5xx_mean_the_hub_does_not_answer():
    assert loop.hub_unreachable(refused())
    assert loop.hub_unreachable(requests.exceptions.ReadTimeout("read timed out"))
    assert loop.hub_unreachable(http_error(503, "Service Unavailable"))
    assert not loop.hub_unreachable(http_error(404, "Not Found"))
    assert not loop.hub_unreachable(ValueError("a bug"))


def test_the_reason_is_the_short_end_of_the_error():
    assert loop.short_reason(refused()) == "Connection refused"
    assert loop.short_reason(http_error(503, "Service Unavailable")) == "503 Service Unavailable"
    assert loop.short_reason(requests.exceptions.ReadTimeout("read timed out")) == "read timed out"


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog):
    outage = loop.HubOutage("https://koji.example.com/kojihub")
    caplog.set_level(logging.DEBUG, logger="koji.build")
    outage.answered()
    for _ in range(3):
        outage.failed(refused())
    outage.answered()
    outage.answered()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0] == ("hub https://koji.example.com/kojihub does not answer "
                           "(Connection refused); trying again until it does")
    assert warnings[1].startswith("hub https://koji.example.com/kojihub answers again, after ")
    assert len(warnings) == 2
