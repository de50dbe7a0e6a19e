"""Buildroot records, state rules and installed-package lists (2.4, 4.1, 10.5)."""

from __future__ import annotations

import xmlrpc.client

import koji
import pytest

BR = koji.BR_STATES


@pytest.fixture
def setup(hub, builder, small_rpms):
    hub.add_tag('dist-build')
    hub.add_package('dist-build', 'hello')
    build = hub.import_rpms(small_rpms.srpm, [small_rpms.rpm])
    repo = hub.make_repo('dist-build')
    tid = hub.make_task('buildArch', ['x'], arch='x86_64')
    builder.take(tid)
    ext = hub.add_external_repo('probe-ext', 'http://mirror/$arch/')
    return tid, repo['id'], build, ext


def _external(name='probe-unknown', **extra):
    entry = {'name': name, 'version': '1', 'release': '1', 'epoch': None,
             'arch': 'x86_64', 'payloadhash': '0123456789abcdef', 'size': 1234,
             'buildtime': 1700000000}
    entry.update(extra)
    return entry


def test_new_buildroot_row(hub, builder, setup, admin):
    tid, repo_id, _, _ = setup
    brid = builder.session.host.newBuildRoot(repo_id, 'x86_64', task_id=tid)
    row = admin.getBuildroot(brid)
    assert (row['container_type'], row['br_type'], row['state'], row['repo_state']) == \
        ('chroot', 0, BR['INIT'], koji.REPO_STATES['READY'])
    assert (row['task_id'], row['host_name'], row['tag_name']) == (tid, 'builder1',
                                                                   'dist-build')
    assert row['retire_ts'] is None and row['host_os'] is None
    assert [r['id'] for r in admin.listBuildroots(taskID=tid)] == [brid]
    assert admin.listBuildroots(hostID=1, state=(BR['BUILDING'],)) == []


def test_new_buildroot_faults(hub, builder, setup):
    tid, repo_id, _, _ = setup
    host = builder.session.host
    with pytest.raises(xmlrpc.client.Fault) as err:
        host.newBuildRoot(repo_id, 'x86_64')
    assert err.value.faultCode == 1 and 'NotNullViolation' in err.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as err:
        host.newBuildRoot(999999, 'x86_64', task_id=tid)
    assert err.value.faultCode == 1
    other = hub.make_task('sleep', [1])
    with pytest.raises(koji.ActionNotAllowed, match='host 1 does not own task %d' % other):
        host.newBuildRoot(repo_id, 'x86_64', task_id=other)


def test_state_transitions(hub, builder, setup, admin):
    tid, repo_id, _, _ = setup
    host = builder.session.host
    brid = host.newBuildRoot(repo_id, 'x86_64', task_id=tid)
    with pytest.raises(koji.GenericError, match='Cannot change buildroot state to INIT'):
        host.setBuildRootState(brid, 'INIT')
    host.setBuildRootState(brid, 'BUILDING')
    with pytest.raises(koji.GenericError, match='buildroot %d in wrong state 2' % brid):
        host.setBuildRootList(brid, [])
    host.setBuildRootState(brid, BR['EXPIRED'])
    host.setBuildRootState(brid, 'EXPIRED')
    with pytest.raises(koji.GenericError, match='buildroot %d is EXPIRED' % brid):
        host.setBuildRootState(brid, 'BUILDING')
    with pytest.raises(koji.GenericError, match='buildroot %d in wrong state 3' % brid):
        host.updateBuildRootList(brid, [])
    assert admin.getBuildroot(brid)['retire_ts'] is not None
    parent = hub.make_task('build', ['x'])
    builder.take(parent)
    brid2 = host.newBuildRoot(repo_id, 'x86_64', task_id=tid)
    with pytest.raises(koji.ActionNotAllowed,
                       match='Task %d does not have lock on buildroot %d' % (parent, brid2)):
        host.setBuildRootList(brid2, [], task_id=parent)


def test_package_lists(hub, builder, setup, admin):
    tid, repo_id, build, ext = setup
    host = builder.session.host
    brid = host.newBuildRoot(repo_id, 'x86_64', task_id=tid)
    unknown = _external()
    with pytest.raises(koji.GenericError, match="No such rpm: {'name': 'probe-unknown'"):
        host.setBuildRootList(brid, [unknown])
    with pytest.raises(koji.GenericError, match='No such entry in table external_repo: 999'):
        host.setBuildRootList(brid, [dict(unknown, location=999)])
    with pytest.raises(koji.GenericError, match="Invalid value for epoch: '0'"):
        host.setBuildRootList(brid, [dict(unknown, location=ext, epoch='0')])
    known = {'name': 'hello', 'version': '1.0', 'release': '1', 'arch': 'noarch',
             'epoch': None, 'payloadhash': 'wrong', 'size': 1, 'buildtime': 1}
    host.setBuildRootList(brid, [known, dict(unknown, location=ext, external_repo={})])
    listing = admin.getBuildrootListing(brid)
    assert sorted((r['name'], r['external_repo_name'], r['is_update']) for r in listing) == \
        [('hello', 'INTERNAL', False), ('probe-unknown', 'probe-ext', False)]
    with pytest.raises(xmlrpc.client.Fault) as err:
        host.setBuildRootList(brid, [known])
    assert err.value.faultCode == 1
    with pytest.raises(koji.GenericError, match='hash changed for external rpm'):
        host.setBuildRootList(brid, [dict(unknown, location=ext, payloadhash='beef')])
    host.setBuildRootState(brid, 'BUILDING')
    extra = _external('probe-extra')
    host.updateBuildRootList(brid, [known, dict(extra, location='probe-ext')])
    rows = admin.listRPMs(componentBuildrootID=brid)
    assert sorted((r['name'], r['is_update']) for r in rows) == \
        [('hello', False), ('probe-extra', True), ('probe-unknown', False)]
    with pytest.raises(koji.GenericError, match='No such rpm'):
        host.updateBuildRootList(brid, [_external('nope')])


def test_faulting_list_call_changes_nothing(hub, builder, setup, admin):
    tid, repo_id, _, ext = setup
    host = builder.session.host
    brid = host.newBuildRoot(repo_id, 'x86_64', task_id=tid)
    fresh = dict(_external('probe-fresh'), location=ext)
    with pytest.raises(koji.GenericError, match='No such rpm'):
        host.setBuildRootList(brid, [fresh, _external('nope')])
    assert admin.getBuildrootListing(brid) == []
    host.setBuildRootList(brid, [dict(fresh, payloadhash='another')])
    [row] = admin.getBuildrootListing(brid)
    assert row['name'] == 'probe-fresh'
