"""Client-side task submission: what `koji build`, `koji chain-build`, `koji regen-repo`
and admin `makeTask` create on the hub.

No state of its own: each function validates its input and creates one task through
`tasks.make_task`, with the request shapes the 1.36 CLI sends (kojid-contract 3.2, 3.7, 3.10).
"""

from __future__ import annotations

from typing import Any, Optional

import koji

from .api import Context, exported
from .state import HubState
from .tags import find_tag, find_target
from .tasks import make_task

PRIO_DEFAULT = koji.PRIO_DEFAULT


def submit_build(state: HubState, owner: int, src: str, target: Any,
                 opts: Optional[dict] = None, priority: Optional[int] = None,
                 channel: Optional[str] = None) -> int:
    """A `build` task; opts as the CLI stores them (a plain third positional struct)."""
    if target is not None:
        find_target(state, target, strict=True)
    full = {'wait_builds': [], 'custom_user_metadata': {}}
    full.update(opts or {})
    return make_task(state, 'build', [src, target, full], owner=owner,
                     channel=channel or 'default', priority=_priority(priority))


def submit_chain_build(state: HubState, owner: int, srcs: list, target: Any,
                       opts: Optional[dict] = None, priority: Optional[int] = None,
                       channel: Optional[str] = None) -> int:
    find_target(state, target, strict=True)
    if not srcs or not all(isinstance(level, list) and level for level in srcs):
        raise koji.ParameterError('srcs must be a non-empty list of non-empty lists')
    return make_task(state, 'chainbuild', [srcs, target, dict(opts or {})], owner=owner,
                     channel=channel or 'default', priority=_priority(priority))


def submit_new_repo(state: HubState, owner: int, tag: Any, event: Optional[int] = None,
                    opts: Optional[dict] = None) -> int:
    """A `newRepo` task as `koji regen-repo --make-task TAG` creates it."""
    tinfo = find_tag(state, tag, strict=True)
    args: list[Any] = [tinfo['name']]
    kwargs = {}
    if event is not None:
        kwargs['event'] = event
    if opts:
        kwargs['opts'] = opts
    if kwargs:
        args = list(koji.encode_args(*args, **kwargs))
    return make_task(state, 'newRepo', args, owner=owner, channel='createrepo',
                     priority=koji.PRIO_DEFAULT - 5)


def _priority(priority: Optional[int]) -> int:
    return PRIO_DEFAULT if priority is None else PRIO_DEFAULT + int(priority)


@exported('build')
def build(ctx: Context, src: str, target: Any, opts: Optional[dict] = None,
          priority: Optional[int] = None, channel: Optional[str] = None) -> int:
    user = ctx.assert_login()
    if priority is not None and priority < 0 and not user.get('admin'):
        raise koji.ActionNotAllowed('only admins may create high-priority tasks')
    return submit_build(ctx.state, user['id'], src, target, opts, priority, channel)


@exported('chainBuild')
def chain_build(ctx: Context, srcs: list, target: Any, opts: Optional[dict] = None,
                priority: Optional[int] = None, channel: Optional[str] = None) -> int:
    user = ctx.assert_login()
    return submit_chain_build(ctx.state, user['id'], srcs, target, opts, priority, channel)


@exported('newRepo')
def new_repo(ctx: Context, tag: Any, event: Optional[int] = None, src: bool = False,
             debuginfo: bool = False, separate_src: bool = False) -> int:
    user = ctx.assert_login()
    opts = {k: True for k, v in (('src', src), ('debuginfo', debuginfo),
                                 ('separate_src', separate_src)) if v}
    return submit_new_repo(ctx.state, user['id'], tag, event, opts or None)


@exported('makeTask')
def make_task_call(ctx: Context, method: str, arglist: list, **opts: Any) -> int:
    ctx.assert_admin()
    allowed = {'channel', 'arch', 'priority', 'label'}
    unknown = set(opts) - allowed
    if unknown:
        raise koji.ParameterError('unknown task options: %s' % ', '.join(sorted(unknown)))
    return make_task(ctx.state, method, list(arglist), owner=ctx.user['id'], **opts)
