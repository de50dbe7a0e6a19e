"""The hub's runroot plugin: the `runroot` call that creates a `runroot` task.

As koji's hub plugin does: the caller needs the `runroot` permission (admins have
every permission), `command` must be a string or a list, the task goes to channel
`runroot` unless `channel` names another, at priority 15, with the request
`koji.encode_args(tag, arch, command, **opts)`.  For `noarch` and a tag that cannot
build every arch the hosts know, the hub picks one of the tag's arches that a host of
the channel has; the real hub picks at random, the simulator the first (tests repeat).
"""

from __future__ import annotations

from typing import Any, Optional

import koji

from .api import Context, exported
from .hosts import find_channel
from .tags import find_tag, tag_row
from .tasks import make_task

PERMISSION = 'runroot'


def _channel_arches(ctx: Context, channel: str) -> set[str]:
    chan = find_channel(ctx.state, channel, strict=True)
    return {koji.canonArch(a) for host in ctx.state.hosts.values()
            if host.enabled and chan['id'] in host.channels for a in host.arches.split()}


def _task_arch(ctx: Context, tag: dict, arch: str, channel: str) -> str:
    if arch != 'noarch':
        return arch
    if not tag['arches']:
        raise koji.GenericError('no arches defined for tag %s' % tag['name'])
    every_arch = {a for host in ctx.state.hosts.values() for a in host.arches.split()}
    tag_arches = tag['arches'].split()
    if not every_arch - set(tag_arches):
        return arch
    choices = [a for a in tag_arches if a in _channel_arches(ctx, channel)]
    if not choices:
        raise koji.GenericError('no common arches for tag/channel: %s/%s'
                                % (tag['name'], channel))
    return koji.canonArch(choices[0])


@exported('runroot')
def runroot(ctx: Context, tagInfo: Any, arch: str, command: Any,
            channel: Optional[str] = None, **opts: Any) -> int:
    user = ctx.assert_login()
    if not (ctx.is_admin() or PERMISSION in user.get('perms', ())):
        raise koji.ActionNotAllowed('%s permission required (logged in as %s)'
                                    % (PERMISSION, user['name']))
    arch = koji.parse_arches(arch, strict=True, allow_none=False)
    if not isinstance(command, (str, list)):
        raise koji.GenericError("Invalid type for value '%s': %s" % (command, type(command)))
    channel = channel or 'runroot'
    tag = tag_row(ctx.state, find_tag(ctx.state, tagInfo, strict=True))
    args = koji.encode_args(tagInfo, arch, command, **opts)
    return make_task(ctx.state, 'runroot', list(args), owner=user['id'], channel=channel,
                     arch=_task_arch(ctx, tag, arch, channel), priority=15)
