"""Tasks: creation, the state machine, and the task calls of hosts and clients.

Owns `tasks`, `refusals` and scheduler `runs` of `HubState` (the scheduler itself is in
`scheduler.py`).  States and transitions follow kojid-contract 1.11-1.13, 2.2 and 10.2:
FREE -> ASSIGNED (scheduler) -> OPEN (host.openTask) -> CLOSED/FAILED (the holding host),
anything active -> CANCELED (cancelTask, with descendants), ASSIGNED/OPEN -> FREE
(freeTasks, refuseTask, scheduler timeouts).  Results are stored as the raw XML-RPC
methodResponse documents the host sent and decoded on read.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any, Optional

import koji
from koji.xmlrpcplus import dumps

from . import scheduler
from .api import Context, exported, get_user
from .hosts import find_channel
from .state import TASK_STATES, HubState, Task

FREE, OPEN, CLOSED = TASK_STATES['FREE'], TASK_STATES['OPEN'], TASK_STATES['CLOSED']
CANCELED, ASSIGNED, FAILED = (TASK_STATES['CANCELED'], TASK_STATES['ASSIGNED'],
                              TASK_STATES['FAILED'])


def make_task(state: HubState, method: str, args: list, owner: int, channel: Any = 'default',
              arch: str = 'noarch', priority: int = 20, parent: Optional[int] = None,
              label: Optional[str] = None, assign: Optional[int] = None) -> int:
    """Create a task the way the hub's make_task does; returns its id."""
    chan = find_channel(state, channel, strict=True)
    tid = state.next_id('task')
    task = Task(id=tid, method=method, request=dumps(tuple(args), method, allow_none=1),
                owner=owner, channel_id=chan['id'], arch=koji.parse_arches(arch, strict=True),
                priority=int(priority), create_ts=state.now(), parent=parent, label=label)
    if assign is not None:
        task.state = ASSIGNED
        task.host_id = assign
    state.tasks[tid] = task
    if state.config.auto_arch_refusals:
        scheduler.auto_arch_refusals(state, task, list(args))
    return tid


def get_task(state: HubState, task_id: Any, strict: bool = True) -> Optional[Task]:
    task = state.tasks.get(int(task_id))
    if task is None and strict:
        raise koji.GenericError('No such task: %s' % task_id)
    return task


def decode_request(task: Task) -> list:
    params, _ = xmlrpc.client.loads(task.request)
    return list(params)


def task_row(task: Task, request: bool = False) -> dict:
    row = task.row()
    if request:
        row['request'] = decode_request(task)
    return row


def task_result(task: Task, raise_fault: bool = True) -> Any:
    """The decoded close value; a failed task's fault is raised (or returned as a dict)."""
    if task.state == CANCELED:
        raise koji.GenericError('Task %i is canceled' % task.id)
    if task.state not in (CLOSED, FAILED):
        raise koji.GenericError('Task %i is not finished' % task.id)
    try:
        params, _ = xmlrpc.client.loads(task.result)
    except xmlrpc.client.Fault as fault:
        if raise_fault:
            raise
        return {'faultCode': fault.faultCode, 'faultString': fault.faultString}
    return params[0]


def finish(state: HubState, task: Task, new_state: int, result: Optional[str] = None) -> None:
    task.state = new_state
    task.result = result
    task.completion_ts = state.now()
    state.refusals[:] = [r for r in state.refusals if r['task_id'] != task.id]
    scheduler.end_runs(state, task.id)
    if new_state == CANCELED:
        for build in state.builds.values():
            if build['task_id'] == task.id and build['state'] == koji.BUILD_STATES['BUILDING']:
                build['state'] = koji.BUILD_STATES['CANCELED']
                build['completion_ts'] = state.now()


def free(state: HubState, task: Task) -> None:
    task.state = FREE
    task.host_id = None
    scheduler.end_runs(state, task.id)


def cancel(state: HubState, task: Task, recurse: bool = True) -> bool:
    if task.finished:
        return False
    finish(state, task, CANCELED)
    if recurse:
        cancel_children(state, task)
    return True


def cancel_children(state: HubState, task: Task) -> None:
    for child in children_of(state, task.id):
        cancel(state, child, recurse=True)


def children_of(state: HubState, task_id: int) -> list[Task]:
    return sorted((t for t in state.tasks.values() if t.parent == task_id),
                  key=lambda t: t.id)


def _assert_can_cancel(ctx: Context, task: Task) -> None:
    user = ctx.assert_login()
    if task.owner == user['id'] or user.get('admin'):
        return
    if ctx.session and task.host_id is not None:
        host = ctx.state.hosts.get(task.host_id)
        if host is not None and host.user_id == user['id']:
            return
    raise koji.ActionNotAllowed('Cannot cancel task, not owner')


# ---------------------------------------------------------------- host calls

@exported('host.getTasks', host=True)
def host_get_tasks(ctx: Context) -> list:
    if not _assigned_to(ctx.state, ctx.host.id):
        scheduler.maybe_run(ctx.state)
    return [_short_row(t) for t in _assigned_to(ctx.state, ctx.host.id)]


@exported('host.getLoadData', host=True)
def host_get_load_data(ctx: Context) -> list:
    if not _assigned_to(ctx.state, ctx.host.id):
        scheduler.maybe_run(ctx.state)
    hosts = []
    for host in ctx.state.hosts.values():
        if host.enabled and host.ready:
            hosts.append(dict(host.row(), channels=list(host.channels)))
    tasks = [_short_row(t) for t in ctx.state.tasks.values() if t.state == ASSIGNED]
    return [hosts, tasks]


def _assigned_to(state: HubState, host_id: int) -> list[Task]:
    found = [t for t in state.tasks.values() if t.state == ASSIGNED and t.host_id == host_id]
    return sorted(found, key=lambda t: (t.priority, t.create_ts, t.id))


def _short_row(task: Task) -> dict:
    return {'id': task.id, 'state': task.state, 'channel_id': task.channel_id,
            'host_id': task.host_id, 'arch': task.arch, 'method': task.method,
            'priority': task.priority, 'create_ts': task.create_ts}


@exported('host.getHostTasks', host=True)
def host_get_host_tasks(ctx: Context) -> list:
    out = []
    for task in sorted(ctx.state.tasks.values(), key=lambda t: t.id):
        if task.state != OPEN or task.host_id != ctx.host.id:
            continue
        row = {'id': task.id, 'waiting': task.waiting, 'weight': task.weight}
        if task.waiting and any(c.awaited and c.finished
                                for c in children_of(ctx.state, task.id)):
            row['alert'] = True
        out.append(row)
    return out


@exported('host.openTask', host=True)
def host_open_task(ctx: Context, task_id: int) -> Optional[dict]:
    task = get_task(ctx.state, task_id)
    if task.state == FREE or (task.state == ASSIGNED and task.host_id == ctx.host.id):
        task.state = OPEN
        task.host_id = ctx.host.id
        task.start_ts = ctx.state.now()
        return dict(task.row(), request=task.request)
    return None


@exported('host.setTaskWeight', host=True)
def host_set_task_weight(ctx: Context, task_id: int, weight: float) -> None:
    ctx.assert_host_task(task_id).weight = float(weight)


@exported('host.closeTask', host=True)
def host_close_task(ctx: Context, task_id: int, response: str) -> None:
    finish(ctx.state, ctx.assert_host_task(task_id), CLOSED, response)


@exported('host.failTask', host=True)
def host_fail_task(ctx: Context, task_id: int, response: str) -> None:
    finish(ctx.state, ctx.assert_host_task(task_id), FAILED, response)


@exported('host.freeTasks', host=True)
def host_free_tasks(ctx: Context, tasks: list) -> None:
    found = [get_task(ctx.state, tid) for tid in tasks]
    for task in found:
        if task.state == OPEN and task.host_id == ctx.host.id:
            free(ctx.state, task)


@exported('host.refuseTask', host=True)
def host_refuse_task(ctx: Context, task_id: int, soft: bool = True, msg: str = '') -> None:
    task = get_task(ctx.state, task_id)
    if task.host_id != ctx.host.id or task.state not in (ASSIGNED, OPEN):
        return None
    scheduler.add_refusal(ctx.state, task.id, ctx.host.id, soft=soft, by_host=True, msg=msg)
    ctx.state.log('Host refused task: %s' % msg, task.id, ctx.host.id)
    free(ctx.state, task)
    return None


# ---------------------------------------------------------------- root calls

@exported('getTaskInfo')
def get_task_info(ctx: Context, task_id: Any, request: bool = False,
                  strict: bool = False) -> Any:
    if isinstance(task_id, (list, tuple)):
        return [get_task_info(ctx, tid, request, strict) for tid in task_id]
    task = get_task(ctx.state, task_id, strict=strict)
    return task_row(task, request) if task else None


@exported('getTaskRequest')
def get_task_request(ctx: Context, taskId: int) -> list:
    return decode_request(get_task(ctx.state, taskId))


@exported('getTaskResult')
def get_task_result(ctx: Context, taskId: int, raise_fault: bool = True) -> Any:
    return task_result(get_task(ctx.state, taskId), raise_fault)


@exported('taskFinished')
def task_finished(ctx: Context, taskId: int) -> bool:
    return get_task(ctx.state, taskId).finished


@exported('getTaskChildren')
def get_task_children(ctx: Context, task_id: int, request: bool = False,
                      strict: bool = False) -> list:
    get_task(ctx.state, task_id, strict=strict)
    return [task_row(t, request) for t in children_of(ctx.state, int(task_id))]


@exported('getTaskDescendents')
def get_task_descendents(ctx: Context, task_id: int, request: bool = False) -> dict:
    out: dict[str, list] = {}
    pending = [int(task_id)]
    while pending:
        tid = pending.pop()
        kids = children_of(ctx.state, tid)
        out[str(tid)] = [task_row(t, request) for t in kids]
        pending.extend(t.id for t in kids)
    return out


@exported('cancelTask')
def cancel_task(ctx: Context, task_id: int, recurse: bool = True) -> None:
    task = get_task(ctx.state, task_id)
    _assert_can_cancel(ctx, task)
    cancel(ctx.state, task, recurse)


@exported('cancelTaskChildren')
def cancel_task_children(ctx: Context, task_id: int) -> None:
    task = get_task(ctx.state, task_id)
    _assert_can_cancel(ctx, task)
    cancel_children(ctx.state, task)


_LIST_FILTERS = ('method', 'owner', 'host_id', 'channel_id', 'parent', 'arch', 'label')


@exported('listTasks')
def list_tasks(ctx: Context, opts: Optional[dict] = None,
               queryOpts: Optional[dict] = None) -> Any:
    opts = dict(opts or {})
    if isinstance(opts.get('owner'), str):
        opts['owner'] = get_user(ctx.state, opts['owner'], strict=True)['id']
    rows = []
    for task in ctx.state.tasks.values():
        if 'state' in opts and task.state not in opts['state']:
            continue
        if 'not_state' in opts and task.state in opts['not_state']:
            continue
        if any(k in opts and getattr(task, k) != opts[k] for k in _LIST_FILTERS):
            continue
        row = task.row()
        row['request'] = decode_request(task) if opts.get('decode') else task.request
        rows.append(row)
    return apply_query_opts(rows, queryOpts)


def apply_query_opts(rows: list, query_opts: Optional[dict]) -> Any:
    """The hub's queryOpts: order (with '-' for descending), offset, limit, countOnly."""
    query_opts = query_opts or {}
    order = query_opts.get('order', 'id')
    reverse = order.startswith('-')
    key = order.lstrip('-')
    rows.sort(key=lambda r: (r.get(key) is None, r.get(key)), reverse=reverse)
    if query_opts.get('countOnly'):
        return len(rows)
    offset = query_opts.get('offset', 0)
    limit = query_opts.get('limit')
    return rows[offset:offset + limit] if limit is not None else rows[offset:]
