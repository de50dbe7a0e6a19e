"""The hub scheduler: assigns FREE tasks to ready hosts and applies the timeouts.

Owns the scheduler `runs` (active assignment rows), `refusals` and `last_run` of `HubState`.
It has no thread: `maybe_run` is called from `host.getTasks`/`host.getLoadData` when the
caller has nothing ASSIGNED (and from `scheduler.doRun`), at most once per run_interval.
Each run marks stale hosts not ready, assigns FREE tasks (priority, then create time) by
channel, arch (+ noarch), maxjobs, capacity against the hub-computed load, and refusals,
then frees tasks whose assignment or host timed out (kojid-contract 1.14 and 10.2).
"""

from __future__ import annotations

from typing import Optional

import koji

from .api import Context, exported
from .state import TASK_STATES, Host, HubState, Task
from .tags import find_tag, tag_config

FREE, OPEN, ASSIGNED = TASK_STATES['FREE'], TASK_STATES['OPEN'], TASK_STATES['ASSIGNED']
AUTO_REFUSE_METHODS = ('buildArch', 'buildMaven', 'wrapperRPM', 'rebuildSRPM',
                       'buildSRPMFromSCM')


def maybe_run(state: HubState, force: bool = False) -> bool:
    """Run the scheduler unless the previous run is younger than run_interval."""
    now = state.now()
    if not force and state.last_run is not None and \
            now - state.last_run < state.config.run_interval:
        return False
    state.last_run = now
    _mark_stale_hosts(state, now)
    _assign_free_tasks(state, now)
    _check_active_runs(state, now)
    return True


def _mark_stale_hosts(state: HubState, now: float) -> None:
    for host in state.hosts.values():
        if host.ready and (host.update_ts is None or
                           now - host.update_ts > state.config.ready_timeout):
            host.ready = False
            state.log('Marking host not ready', host_id=host.id)


class _Load:
    """A host's hub-side load while one run assigns tasks."""

    def __init__(self, state: HubState, host: Host) -> None:
        mine = [t for t in state.tasks.values()
                if t.host_id == host.id and t.state in (ASSIGNED, OPEN)]
        self.host = host
        self.count = len(mine)
        self.load = sum(t.weight for t in mine if not t.waiting)
        self.maxjobs = (host.data or {}).get('maxjobs') or state.config.max_jobs

    def fits(self, state: HubState, task: Task) -> bool:
        if self.count >= self.maxjobs:
            return False
        spare = self.host.capacity - self.load
        return spare > max(0.0, task.weight - state.config.capacity_overcommit)


def _assign_free_tasks(state: HubState, now: float) -> None:
    loads = [_Load(state, h) for h in state.hosts.values() if h.enabled and h.ready]
    free = sorted((t for t in state.tasks.values() if t.state == FREE),
                  key=lambda t: (t.priority, t.create_ts, t.id))[:1000]
    for task in free:
        chan = state.channels.get(task.channel_id)
        if not chan or not chan['enabled']:
            continue
        fits = [ld for ld in loads if _eligible(state, ld, task, now)]
        if not fits:
            continue
        best = min(fits, key=lambda ld: (ld.load + ld.count, ld.host.id))
        task.state = ASSIGNED
        task.host_id = best.host.id
        state.runs.append({'id': state.next_id('run'), 'task_id': task.id,
                           'host_id': best.host.id, 'active': True, 'create_ts': now})
        state.log('Assigning task', task.id, best.host.id)
        best.count += 1
        best.load += task.weight


def _eligible(state: HubState, load: _Load, task: Task, now: float) -> bool:
    host = load.host
    if task.channel_id not in host.channels:
        return False
    if task.arch not in host.arches.split() + ['noarch']:
        return False
    if has_refusal(state, task.id, host.id, now):
        return False
    return load.fits(state, task)


def has_refusal(state: HubState, task_id: int, host_id: int, now: float) -> bool:
    for ref in state.refusals:
        if ref['task_id'] != task_id or ref['host_id'] != host_id:
            continue
        if not ref['soft'] or now - ref['ts'] < state.config.soft_refusal_timeout:
            return True
    return False


def _check_active_runs(state: HubState, now: float) -> None:
    for run in [r for r in state.runs if r['active']]:
        task = state.tasks[run['task_id']]
        host = state.hosts[run['host_id']]
        if not host.enabled or task.host_id != host.id:
            continue
        if task.state == ASSIGNED and now - run['create_ts'] > state.config.assign_timeout:
            _release(state, task, 'Task assignment timeout')
            if host.update_ts is not None and host.update_ts > run['create_ts']:
                add_refusal(state, task.id, host.id, soft=True, by_host=False,
                            msg='assignment timeout')
                state.log('Host refused task: assignment timeout', task.id, host.id)
        elif task.state == OPEN and (host.update_ts is None or
                                     now - host.update_ts > state.config.host_timeout):
            _release(state, task, 'Freeing task from unresponsive host')


def _release(state: HubState, task: Task, msg: str) -> None:
    state.log(msg, task.id, task.host_id)
    task.state = FREE
    task.host_id = None
    end_runs(state, task.id)


def end_runs(state: HubState, task_id: int) -> None:
    for run in state.runs:
        if run['task_id'] == task_id:
            run['active'] = False


def add_refusal(state: HubState, task_id: int, host_id: int, soft: bool, by_host: bool,
                msg: str) -> None:
    state.refusals = [r for r in state.refusals
                      if not (r['task_id'] == task_id and r['host_id'] == host_id)]
    state.refusals.append({'id': state.next_id('refusal'), 'task_id': task_id,
                           'host_id': host_id, 'by_host': by_host, 'soft': bool(soft),
                           'msg': msg, 'ts': state.now()})


def auto_arch_refusals(state: HubState, task: Task, args: list) -> None:
    """Hard refusals for noarch build tasks on hosts that share no arch with the tag."""
    if task.arch != 'noarch' or task.method not in AUTO_REFUSE_METHODS or len(args) < 2:
        return
    tag_ref = args[1]['build_tag'] if isinstance(args[1], dict) else args[1]
    tag = find_tag(state, tag_ref)
    if tag is None:
        return
    tag_arches = {koji.canonArch(a) for a in tag_config(state, tag['id'])['arches'].split()}
    for host in state.hosts.values():
        if not host.enabled or task.channel_id not in host.channels:
            continue
        if not tag_arches & {koji.canonArch(a) for a in host.arches.split()}:
            add_refusal(state, task.id, host.id, soft=False, by_host=False,
                        msg='automatic arch refusal')


@exported('scheduler.doRun')
def do_run(ctx: Context, force: bool = False) -> bool:
    ctx.assert_admin()
    return maybe_run(ctx.state, force=force)


@exported('scheduler.getTaskRefusals')
def get_task_refusals(ctx: Context, taskID: Optional[int] = None,
                      hostID: Optional[int] = None) -> list:
    return [dict(r) for r in ctx.state.refusals
            if (taskID is None or r['task_id'] == taskID)
            and (hostID is None or r['host_id'] == hostID)]


@exported('scheduler.getTaskRuns')
def get_task_runs(ctx: Context, taskID: Optional[int] = None,
                  hostID: Optional[int] = None, active: Optional[bool] = None) -> list:
    return [dict(r) for r in ctx.state.runs
            if (taskID is None or r['task_id'] == taskID)
            and (hostID is None or r['host_id'] == hostID)
            and (active is None or r['active'] == active)]


@exported('scheduler.getLogMessages')
def get_log_messages(ctx: Context, clauses: Optional[list] = None,
                     fields: Optional[list] = None) -> list:
    return [dict(m) for m in ctx.state.scheduler_log]
