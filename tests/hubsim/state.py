"""The simulator's in-memory model: clock, events, users, sessions, hosts, channels, tasks.

`HubState` owns every record of the simulated hub and the one lock that serialises all
calls (the hub's "one DB transaction per call").  Records are plain mutable dataclasses or
dicts; nothing here speaks XML-RPC.  Versioned data (tag config, inheritance, package lists,
tagged builds, ...) lives in `Versioned` tables so any query can be answered "as of" a past
event, the way koji's versioned tables work.
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time
from typing import Any, Callable, Iterator, Optional

import koji

TASK_STATES = koji.TASK_STATES
FINISHED = (TASK_STATES['CLOSED'], TASK_STATES['FAILED'], TASK_STATES['CANCELED'])
ACTIVE = (TASK_STATES['FREE'], TASK_STATES['ASSIGNED'], TASK_STATES['OPEN'])


@dataclasses.dataclass(frozen=True)
class HubConfig:
    """Scheduler and policy settings, named as in hub.conf."""

    run_interval: float = 0.0
    max_jobs: int = 15
    capacity_overcommit: float = 5.0
    ready_timeout: float = 180.0
    assign_timeout: float = 300.0
    soft_refusal_timeout: float = 900.0
    host_timeout: float = 900.0
    auto_arch_refusals: bool = False
    auto_repo_tasks: bool = True
    missing_policy_ok: bool = True
    disable_notifications: bool = True
    email_domain: Optional[str] = None
    notify_on_success: bool = True
    koji_web_url: str = 'http://localhost.localdomain/koji'


class Clock:
    """Wall-clock time plus an offset that tests move forward with `advance`."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


def timestr(ts: Optional[float]) -> Optional[str]:
    """Format a timestamp the way the hub renders timestamptz columns."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(' ')


class Versioned:
    """Rows with create/revoke events; `at(event)` gives the rows active then."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, event: int, **fields: Any) -> dict:
        row = dict(fields, create_event=event, revoke_event=None)
        self.rows.append(row)
        return row

    def revoke(self, row: dict, event: int) -> None:
        row['revoke_event'] = event

    def at(self, event: Optional[int] = None, **match: Any) -> list[dict]:
        out = []
        for row in self.rows:
            if event is None:
                if row['revoke_event'] is not None:
                    continue
            elif row['create_event'] > event or (
                    row['revoke_event'] is not None and row['revoke_event'] <= event):
                continue
            if all(row.get(k) == v for k, v in match.items()):
                out.append(row)
        return out

    def events(self, **match: Any) -> Iterator[int]:
        for row in self.rows:
            if all(row.get(k) == v for k, v in match.items()):
                yield row['create_event']
                if row['revoke_event'] is not None:
                    yield row['revoke_event']


@dataclasses.dataclass
class Session:
    id: int
    key: str
    user_id: int
    authtype: int
    start_ts: float
    master: Optional[int] = None
    exclusive: bool = False
    expired: bool = False
    callnum: Optional[int] = None
    update_ts: float = 0.0

    def info(self) -> dict:
        return {'id': self.id, 'user_id': self.user_id, 'authtype': self.authtype,
                'master': self.master, 'exclusive': self.exclusive or None,
                'expired': self.expired, 'callnum': self.callnum,
                'start_ts': self.start_ts, 'start_time': timestr(self.start_ts),
                'update_ts': self.update_ts, 'update_time': timestr(self.update_ts),
                'renew_ts': None, 'renew_time': None}


@dataclasses.dataclass
class Host:
    id: int
    user_id: int
    name: str
    arches: str
    capacity: float
    channels: list[int]
    enabled: bool = True
    ready: bool = False
    task_load: float = 0.0
    update_ts: Optional[float] = None
    data: Optional[dict] = None
    description: Optional[str] = None
    comment: Optional[str] = None

    def row(self) -> dict:
        return {'id': self.id, 'user_id': self.user_id, 'name': self.name,
                'update_ts': self.update_ts, 'ready': self.ready,
                'task_load': self.task_load, 'arches': self.arches,
                'capacity': self.capacity, 'description': self.description,
                'comment': self.comment, 'enabled': self.enabled}


@dataclasses.dataclass
class Task:
    id: int
    method: str
    request: str
    owner: int
    channel_id: int
    arch: str
    priority: int
    create_ts: float
    parent: Optional[int] = None
    label: Optional[str] = None
    state: int = TASK_STATES['FREE']
    host_id: Optional[int] = None
    weight: float = 1.0
    waiting: Optional[bool] = None
    awaited: Optional[bool] = None
    start_ts: Optional[float] = None
    completion_ts: Optional[float] = None
    result: Optional[str] = None

    def row(self) -> dict:
        return {'id': self.id, 'state': self.state,
                'create_time': timestr(self.create_ts), 'create_ts': self.create_ts,
                'start_time': timestr(self.start_ts), 'start_ts': self.start_ts,
                'completion_time': timestr(self.completion_ts),
                'completion_ts': self.completion_ts,
                'channel_id': self.channel_id, 'host_id': self.host_id,
                'parent': self.parent, 'label': self.label, 'waiting': self.waiting,
                'awaited': self.awaited, 'owner': self.owner, 'method': self.method,
                'arch': self.arch, 'priority': self.priority, 'weight': self.weight}

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class HubState:
    """Every record of the simulated hub, guarded by `lock`."""

    def __init__(self, topdir, config: HubConfig, clock: Clock) -> None:
        self.topdir = topdir
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.event_id = 0
        self.event_ts: dict[int, float] = {}
        self._ids: dict[str, int] = {}
        self.users: dict[int, dict] = {}
        self.sessions: dict[int, Session] = {}
        self.hosts: dict[int, Host] = {}
        self.channels: dict[int, dict] = {}
        self.tasks: dict[int, Task] = {}
        self.refusals: list[dict] = []
        self.runs: list[dict] = []
        self.last_run: Optional[float] = None
        self.scheduler_log: list[dict] = []
        self.upload_owners: dict[str, int] = {}
        self.policies: dict[str, Callable[[dict], str]] = {}
        self.internal_errors: list[str] = []
        self.notifications: list[dict] = []
        self.build_notifications: list[dict] = []
        self.tags: dict[int, dict] = {}
        self.tag_config = Versioned()
        self.inheritance = Versioned()
        self.packages: dict[int, str] = {}
        self.tag_packages = Versioned()
        self.tag_listing = Versioned()
        self.groups = Versioned()
        self.external_repos: dict[int, dict] = {}
        self.tag_external_repos = Versioned()
        self.targets: dict[int, dict] = {}
        self.builds: dict[int, dict] = {}
        self.rpms: dict[int, dict] = {}
        self.rpm_sigs: list[dict] = []
        self.repos: dict[int, dict] = {}
        self.repo_requests: dict[int, dict] = {}
        self.buildroots: dict[int, dict] = {}
        self.br_listing: list[dict] = []
        self.new_event()

    def next_id(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def new_event(self) -> int:
        self.event_id += 1
        self.event_ts[self.event_id] = self.clock.now()
        return self.event_id

    def now(self) -> float:
        return self.clock.now()

    def log(self, msg: str, task_id: Optional[int] = None,
            host_id: Optional[int] = None) -> None:
        self.scheduler_log.append({'msg': msg, 'task_id': task_id, 'host_id': host_id,
                                   'ts': self.now()})
