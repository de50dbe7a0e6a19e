"""The JSON documents of the status API, built from a ``Monitor`` (schema in ADR 0008).

Each function returns a JSON-ready value or raises ``NotFound``/``BadRequest``;
the HTTP layer turns those into 404/400 answers.  Nothing here returns
configuration values other than the host's identity, limits and the workdir:
no passwords, certificate or key paths.
"""

from __future__ import annotations

import time
from typing import Any

from koji_adjutant.container.errors import ContainerError
from koji_adjutant.monitor import tasklogs
from koji_adjutant.monitor.probes import disk_space, list_containers
from koji_adjutant.monitor.service import Monitor

SCHEMA_VERSION = 1


class NotFound(LookupError):
    """No such task, log or path (HTTP 404)."""


class BadRequest(ValueError):
    """A malformed id, log name or parameter (HTTP 400)."""


def status(mon: Monitor) -> dict[str, Any]:
    state = mon.state
    checkin, error = state.checkin(), state.hub_error()
    healthy, why = state.health(mon.stale_after)
    return {
        "schema": SCHEMA_VERSION,
        "host": {"name": state.host_name, "id": state.host_id},
        "version": state.version,
        "uptime": round(time.time() - state.started_at, 1),
        "healthy": healthy, "health_reason": why,
        "ready": bool(checkin and checkin.ready and error is None),
        "ready_reason": _ready_reason(checkin, error),
        "task_load": checkin.task_load if checkin else None,
        "capacity": checkin.capacity if checkin else None,
        "maxjobs": int(mon.options.maxjobs),
        "running_tasks": len(state.running_ids()),
        "podman": mon.podman.status(),
        "hub": {"reachable": error is None and checkin is not None,
                "last_contact": checkin.at if checkin else None,
                "last_error": error.message if error else None,
                "last_error_at": error.at if error else None},
        "disk": disk_space(mon.workdir),
    }


def _ready_reason(checkin, error) -> str | None:
    if error is not None:
        return f"hub unreachable: {error.message}"
    if checkin is None:
        return "not checked in with the hub yet"
    return checkin.reason


def tasks(mon: Monitor) -> dict[str, Any]:
    return {"schema": SCHEMA_VERSION, "tasks": mon.state.tasks()}


def task(mon: Monitor, task_id: str) -> dict[str, Any]:
    ident = parse_id(task_id)
    record = mon.state.task(ident)
    if record is None:
        raise NotFound(f"task {ident} is not running here and has not run recently")
    return record


def logs(mon: Monitor, task_id: str) -> dict[str, Any]:
    record = task(mon, task_id)
    ident = record["id"]
    listing = mon.tails.names(ident)
    if record["finished"] is None:
        listing.update(tasklogs.list_logs(tasklogs.log_dir(mon.workdir, ident)))
    return {"schema": SCHEMA_VERSION, "task_id": ident, "live": record["finished"] is None,
            "logs": [{"name": n, "size": s} for n, s in sorted(listing.items())]}


def log_text(mon: Monitor, task_id: str, name: str, tail: str | None) -> str:
    """The end of one log of a task (live while it runs, the kept tail afterwards)."""
    record = task(mon, task_id)
    try:
        tasklogs.check_name(name)
    except tasklogs.BadLogName as exc:
        raise BadRequest(str(exc)) from exc
    lines = parse_tail(tail)
    data = None
    if record["finished"] is None:
        data = tasklogs.read_tail(tasklogs.log_dir(mon.workdir, record["id"]) / name)
    if data is None:
        data = mon.tails.get(record["id"], name)
    if data is None:
        raise NotFound(f"task {record['id']} has no log {name!r}")
    return tasklogs.last_lines(data, lines)


def containers(mon: Monitor) -> dict[str, Any]:
    if mon.containers is None:
        return {"schema": SCHEMA_VERSION, "containers": [], "error": "no container runtime"}
    try:
        rows = list_containers(mon.containers)
    except ContainerError as exc:
        mon.count_op("list", False)
        return {"schema": SCHEMA_VERSION, "containers": [],
                "error": str(exc).splitlines()[0]}
    mon.count_op("list", True)
    return {"schema": SCHEMA_VERSION, "containers": rows, "error": None}


def parse_id(text: str) -> int:
    if not text.isdigit() or len(text) > 12 or not text.isascii():
        raise BadRequest(f"task id {text[:40]!r} is not a number")
    return int(text)


def parse_tail(text: str | None) -> int | None:
    """``tail=N``: the last N lines, at most ``MAX_TAIL_LINES`` (bigger values are capped)."""
    if text is None:
        return None
    if not text.isascii() or not text.isdigit():
        raise BadRequest(f"tail must be a number of lines, not {text[:40]!r}")
    return min(int(text[:12]) if len(text) <= 12 else tasklogs.MAX_TAIL_LINES,
               tasklogs.MAX_TAIL_LINES)
