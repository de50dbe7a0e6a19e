"""Subtasks and waiting: host.subtask/subtask2 and the taskSetWait/taskWait/taskWaitResults trio.

Works on the `tasks` of `HubState` (created through `tasks.make_task`); it owns the
`waiting`/`awaited` flags.  Labels make subtask creation idempotent for a restarted parent
(kojid-contract 2.3 and 10.3).
"""

from __future__ import annotations

from typing import Any, Optional

import koji

from .api import Context, exported
from .hosts import find_host
from .tasks import children_of, get_task, make_task, task_result


@exported('host.subtask', host=True)
def host_subtask(ctx: Context, method: str, arglist: list, parent: int,
                 **opts: Any) -> int:
    if 'owner' in opts:
        raise koji.ActionNotAllowed('The owner option is not allowed here')
    ptask = ctx.assert_host_task(parent)
    label = opts.get('label')
    if label is not None:
        for child in children_of(ctx.state, ptask.id):
            if child.label == label:
                return child.id
    args = list(arglist)
    if opts.get('kwargs'):
        args = list(koji.encode_args(*args, **opts['kwargs']))
    assign = opts.get('assign')
    host_id = find_host(ctx.state, assign, strict=True).id if assign is not None else None
    priority = opts.get('priority')
    if priority is None:
        priority = ptask.priority - 1
    channel = opts.get('channel') or ptask.channel_id
    return make_task(ctx.state, method, args, owner=ptask.owner, channel=channel,
                     arch=opts.get('arch') or ptask.arch, priority=priority,
                     parent=ptask.id, label=label, assign=host_id)


@exported('host.subtask2', host=True)
def host_subtask2(ctx: Context, __parent: int, __taskopts: dict, __method: str,
                  *args: Any, **opts: Any) -> int:
    return host_subtask(ctx, __method, list(koji.encode_args(*args, **opts)), __parent,
                        **__taskopts)


@exported('host.taskSetWait', host=True)
def host_task_set_wait(ctx: Context, parent: int, tasks: Optional[list]) -> None:
    ptask = get_task(ctx.state, parent)
    ptask.waiting = True
    kids = children_of(ctx.state, ptask.id)
    if tasks is None:
        for child in kids:
            child.awaited = True
    elif tasks:
        wanted = {int(t) for t in tasks}
        for child in kids:
            child.awaited = child.id in wanted
    return None


@exported('host.taskWait', host=True)
def host_task_wait(ctx: Context, parent: int) -> list:
    finished, unfinished = [], []
    for child in children_of(ctx.state, int(parent)):
        if not child.awaited:
            continue
        if child.finished:
            finished.append(child)
        else:
            unfinished.append(child.id)
    for child in finished:
        child.awaited = False
    return [[c.id for c in finished], unfinished]


@exported('host.taskWaitResults', host=True)
def host_task_wait_results(ctx: Context, parent: int, tasks: Optional[list],
                           canfail: Optional[list] = None) -> list:
    ptask = get_task(ctx.state, parent)
    kids = children_of(ctx.state, ptask.id)
    if tasks is None:
        chosen = [c for c in kids if c.finished]
    else:
        chosen = [get_task(ctx.state, t) for t in tasks]
    canfail = {int(t) for t in (canfail or [])}
    results = [[t.id, _one_result(t, t.id in canfail)] for t in chosen]
    ptask.waiting = False
    for child in kids:
        child.awaited = False
    return results


def _one_result(task, can_fail: bool) -> Any:
    if not task.finished:
        raise koji.GenericError('Task %i is not finished' % task.id)
    if task.state == koji.TASK_STATES['CANCELED']:
        if can_fail:
            return {'faultCode': koji.GenericError.faultCode,
                    'faultString': 'Task %i is canceled' % task.id}
        raise koji.GenericError('Task %i is canceled' % task.id)
    return task_result(task, raise_fault=not can_fail)
