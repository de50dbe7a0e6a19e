"""Users, hosts and channels: creation (for the test API) and the calls that read them.

Owns `users`, `hosts` and `channels` of `HubState`.  `host.updateHost` is the only call that
moves a host's `update_ts`, which the scheduler's ready and host timeouts look at (1.14).
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import koji

from .api import Context, exported, get_user
from .state import Host, HubState


def add_user(state: HubState, name: str, password: Optional[str] = None,
             admin: bool = False, usertype: int = koji.USERTYPES['NORMAL'],
             krb_principal: Optional[str] = None) -> int:
    if get_user(state, name) is not None:
        raise ValueError('user %s already exists' % name)
    uid = state.next_id('user')
    state.users[uid] = {'id': uid, 'name': name, 'password': password, 'admin': admin,
                        'usertype': usertype,
                        'krb_principals': [krb_principal] if krb_principal else []}
    return uid


def add_channel(state: HubState, name: str, enabled: bool = True) -> int:
    if find_channel(state, name) is not None:
        raise ValueError('channel %s already exists' % name)
    cid = state.next_id('channel')
    state.channels[cid] = {'id': cid, 'name': name, 'description': None,
                           'enabled': enabled, 'comment': None}
    return cid


def find_channel(state: HubState, info: Any, strict: bool = False) -> Optional[dict]:
    for chan in state.channels.values():
        if chan['id'] == info or chan['name'] == info:
            return chan
    if strict:
        raise koji.GenericError('No such channel: %s' % (info,))
    return None


def add_host(state: HubState, name: str, arches: str = 'x86_64', capacity: float = 2.0,
             channels: Iterable[str] = ('default',), enabled: bool = True,
             password: Optional[str] = None, krb_principal: Optional[str] = None) -> int:
    uid = add_user(state, name, password=password, usertype=koji.USERTYPES['HOST'],
                   krb_principal=krb_principal)
    chan_ids = [find_channel(state, c, strict=True)['id'] for c in channels]
    hid = state.next_id('host')
    state.hosts[hid] = Host(id=hid, user_id=uid, name=name, arches=arches,
                            capacity=float(capacity), channels=chan_ids, enabled=enabled)
    return hid


def find_host(state: HubState, info: Any, strict: bool = False) -> Optional[Host]:
    for host in state.hosts.values():
        if host.id == info or host.name == info:
            return host
    if strict:
        raise koji.GenericError('Invalid hostInfo: %s' % (info,))
    return None


@exported('host.getID', host=True)
def host_get_id(ctx: Context) -> int:
    return ctx.host.id


@exported('host.getHost', host=True)
def host_get_host(ctx: Context) -> dict:
    return ctx.host.row()


@exported('host.isEnabled', host=True)
def host_is_enabled(ctx: Context) -> bool:
    return ctx.host.enabled


@exported('host.updateHost', host=True)
def host_update_host(ctx: Context, task_load: float, ready: bool,
                     data: Optional[dict] = None) -> None:
    if data is not None and not isinstance(data, dict):
        raise koji.ParameterError('Host data should be a dictionary')
    host = ctx.host
    host.task_load = float(task_load)
    host.ready = bool(ready)
    host.update_ts = ctx.state.now()
    if data is not None:
        host.data = data
    return None


@exported('host.setHostData', host=True)
def host_set_host_data(ctx: Context, hostdata: Any) -> None:
    if not isinstance(hostdata, dict):
        raise koji.ParameterError('Host data should be a dictionary')
    ctx.host.data = hostdata
    return None


@exported('scheduler.getHostData')
def scheduler_get_host_data(ctx: Context, hostID: Any = None) -> list:
    hosts = ctx.state.hosts.values() if hostID is None else \
        [find_host(ctx.state, hostID, strict=True)]
    return [{'host_id': h.id, 'data': h.data} for h in hosts if h.data is not None]


@exported('getHost')
def get_host(ctx: Context, hostInfo: Any, strict: bool = False,
             event: Optional[int] = None) -> Optional[dict]:
    host = find_host(ctx.state, hostInfo, strict=strict)
    return host.row() if host else None


@exported('listHosts')
def list_hosts(ctx: Context, arches: Optional[list] = None, channelID: Any = None,
               ready: Optional[bool] = None, enabled: Optional[bool] = None,
               userID: Optional[int] = None, queryOpts: Optional[dict] = None) -> list:
    chan = find_channel(ctx.state, channelID, strict=True) if channelID is not None else None
    out = []
    for host in ctx.state.hosts.values():
        if arches and not set(arches) & set(host.arches.split()):
            continue
        if chan is not None and chan['id'] not in host.channels:
            continue
        if ready is not None and host.ready != bool(ready):
            continue
        if enabled is not None and host.enabled != bool(enabled):
            continue
        if userID is not None and host.user_id != int(userID):
            continue
        out.append(host.row())
    return out


@exported('listChannels')
def list_channels(ctx: Context, hostID: Any = None, event: Optional[int] = None,
                  enabled: Optional[bool] = None) -> list:
    chans = list(ctx.state.channels.values())
    if hostID is not None:
        host = find_host(ctx.state, hostID, strict=True)
        chans = [c for c in chans if c['id'] in host.channels]
    if enabled is not None:
        chans = [c for c in chans if c['enabled'] == bool(enabled)]
    return [dict(c) for c in chans]


@exported('getChannel')
def get_channel(ctx: Context, channelInfo: Any, strict: bool = False) -> Optional[dict]:
    chan = find_channel(ctx.state, channelInfo, strict=strict)
    return dict(chan) if chan else None


@exported('enableHost')
def enable_host(ctx: Context, hostname: str) -> None:
    ctx.assert_admin()
    find_host(ctx.state, hostname, strict=True).enabled = True


@exported('disableHost')
def disable_host(ctx: Context, hostname: str) -> None:
    ctx.assert_admin()
    find_host(ctx.state, hostname, strict=True).enabled = False
