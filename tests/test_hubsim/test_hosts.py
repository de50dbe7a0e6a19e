"""Hosts and channels as the builder and clients read them (2.2, 10.1)."""

from __future__ import annotations

import koji
import pytest


def test_host_identity_and_update(hub, builder, admin):
    host = builder.session.host
    assert host.getID() == builder.host_id
    row = host.getHost()
    assert (row['name'], row['arches'], row['capacity'], row['enabled'], row['ready']) == \
        ('builder1', 'x86_64', 2.0, True, False)
    assert host.isEnabled() is True
    data = {'methods': ['build', 'sleep'], 'maxjobs': 7}
    assert host.updateHost(0.5, True, data=data) is None
    row = admin.getHost('builder1')
    assert (row['ready'], row['task_load']) == (True, 0.5) and row['update_ts']
    assert admin.scheduler.getHostData(builder.host_id) == [
        {'host_id': builder.host_id, 'data': data}]
    with pytest.raises(koji.ParameterError, match='Host data should be a dictionary'):
        host.updateHost(0.0, True, data=['x'])
    assert admin.scheduler.getHostData(builder.host_id)[0]['data'] == data


def test_list_hosts_and_channels(hub, new_builder, admin):
    new_builder('x86', arches='x86_64 i686')
    new_builder('arm', arches='aarch64', channels=('createrepo',), enabled=False)
    assert [h['name'] for h in admin.listHosts(arches=['i686'])] == ['x86']
    assert [h['name'] for h in admin.listHosts(channelID='createrepo')] == ['arm']
    assert [h['name'] for h in admin.listHosts(enabled=True)] == ['x86']
    assert admin.getChannel('createrepo')['id'] == 2
    assert admin.getChannel(99) is None
    with pytest.raises(koji.GenericError, match='No such channel: nope'):
        admin.getChannel('nope', strict=True)
    assert [c['name'] for c in admin.listChannels(hostID='arm')] == ['createrepo']
    assert admin.getHost('nope') is None
    hub.set_host('arm', enabled=True)
    assert len(admin.listHosts(enabled=True)) == 2
