"""Builds: initBuild, completeBuild import checks, failBuild, scratch, tagging, policy
(2.6, 2.7, 6, 10.7, 10.8)."""

from __future__ import annotations

import os

import koji
import pytest

BS = koji.BUILD_STATES
NVR = {'name': 'hello', 'version': '1.0', 'release': '1', 'epoch': None}


@pytest.fixture
def job(hub, builder):
    """A held build parent, a held buildArch child with an EXPIRED buildroot."""
    hub.add_tag('dist-build')
    hub.add_tag('dist', arches='')
    hub.add_package('dist', 'hello')
    hub.add_target('dist', 'dist-build', 'dist')
    repo = hub.make_repo('dist-build')
    parent = hub.build('git+http://localhost/hello.git#HEAD', 'dist')
    builder.take(parent)
    child = builder.session.host.subtask('buildArch', ['x'], parent, label='noarch')
    builder.take(child)
    host = builder.session.host
    brid = host.newBuildRoot(repo['id'], 'x86_64', task_id=child)
    host.setBuildRootState(brid, 'EXPIRED')
    return parent, child, brid


def _upload(builder, task_id, path, name=None):
    rel = koji.pathinfo.taskrelpath(task_id)
    builder.session.uploadWrapper(str(path), rel, name=name)
    return '%s/%s' % (rel, name or os.path.basename(path))


def test_complete_build_imports_and_tags(hub, builder, job, small_rpms, tmp_path):
    parent, child, brid = job
    srpm = _upload(builder, child, small_rpms.srpm)
    rpm = _upload(builder, child, small_rpms.rpm)
    log = tmp_path / 'build.log'
    log.write_text('built\n')
    log_rel = _upload(builder, child, log)
    host = builder.session.host
    bid = host.initBuild(dict(NVR, task_id=parent, source='git+http://x#abc',
                              extra={'source': {'original_url': 'git+http://x#HEAD'}}))
    assert host.initBuild(dict(NVR, task_id=parent)) == bid
    info = host.completeBuild(parent, bid, srpm, [rpm], {srpm: str(brid)},
                              {'noarch': [log_rel]})
    assert (info['state'], info['nvr'], info['task_id']) == (BS['COMPLETE'], 'hello-1.0-1',
                                                             parent)
    top = hub.topdir
    pkg = top / 'packages/hello/1.0/1'
    assert (pkg / 'src/hello-1.0-1.src.rpm').is_file()
    assert (pkg / 'noarch/hello-1.0-1.noarch.rpm').is_file()
    assert (pkg / 'data/logs/noarch/build.log').read_text() == 'built\n'
    assert (pkg / 'data/sigcache/noarch/hello-1.0-1.noarch.rpm.sig').is_file()
    work_rpm = top / 'work' / rpm
    assert work_rpm.is_symlink() and work_rpm.resolve() == \
        (pkg / 'noarch/hello-1.0-1.noarch.rpm').resolve()
    admin = hub.session()
    rows = {r['arch']: r for r in admin.listRPMs(buildID=bid)}
    assert (rows['src']['buildroot_id'], rows['noarch']['buildroot_id']) == (brid, None)
    assert len(rows['src']['payloadhash']) == 32
    assert rows['noarch']['size'] == small_rpms.rpm.stat().st_size
    assert [b['id'] for b in admin.listBuilds(taskID=parent)] == [bid]
    tagger = host.subtask('tagBuild', [2, bid, False, None, True], parent, label='tag')
    builder.take(tagger)
    host.tagBuild(tagger, 'dist', bid, False, None)
    host.tagNotification(True, 2, None, bid, 1, True)
    with pytest.raises(koji.TagError, match=r'build hello-1.0-1 already tagged \(dist\)'):
        host.tagBuild(tagger, 'dist', bid, False, None)
    assert [b['nvr'] for b in admin.listTagged('dist')] == ['hello-1.0-1']
    assert [b['nvr'] for b in admin.getLatestBuilds('dist')] == ['hello-1.0-1']
    rpms, builds = admin.listTaggedRPMS('dist', latest=True)
    assert sorted(r['arch'] for r in rpms) == ['noarch', 'src'] and len(builds) == 1
    assert admin.getBuild('hello-1.0-1')['id'] == bid
    assert admin.getAverageBuildDuration('hello') >= 0
    assert admin.getNextRelease({'name': 'hello', 'version': '1.0'}) == '2'


def test_import_rejects_wrong_name_nvr_and_missing_file(hub, builder, job, small_rpms):
    parent, child, brid = job
    host = builder.session.host
    bid = host.initBuild(dict(NVR, task_id=parent))
    good_srpm = _upload(builder, child, small_rpms.srpm)
    renamed = _upload(builder, child, small_rpms.srpm, name='hello-renamed.src.rpm')
    with pytest.raises(koji.GenericError, match=r'bad filename: hello-renamed.src.rpm '
                       r'\(expected hello-1.0-1.src.rpm\)'):
        host.completeBuild(parent, bid, renamed, [])
    other = _upload(builder, child, small_rpms.srpm2)
    with pytest.raises(koji.GenericError, match=r'Unable to complete build: release '
                       r'mismatch \(build: 1, rpm: 2\)'):
        host.completeBuild(parent, bid, other, [])
    missing = koji.pathinfo.taskrelpath(child) + '/nothere.noarch.rpm'
    with pytest.raises(koji.GenericError, match='No such file: .*nothere.noarch.rpm'):
        host.completeBuild(parent, bid, good_srpm, [missing])
    binary = _upload(builder, child, small_rpms.rpm)
    with pytest.raises(koji.GenericError, match='not a source package: '):
        host.completeBuild(parent, bid, binary, [])
    with pytest.raises(koji.GenericError, match='no buildroot with ID: 99999'):
        host.completeBuild(parent, bid, good_srpm, [], {good_srpm: 99999})
    with pytest.raises(koji.GenericError, match='Unable to complete build: task_id mismatch '
                       r'\(build: %d, rpm: %d\)' % (parent, child)):
        host.completeBuild(child, bid, good_srpm, [])
    assert hub.session().getBuild(bid)['state'] == BS['BUILDING']


def test_srpm_mismatch_of_binary(hub, builder, job, small_rpms):
    parent, child, _ = job
    host = builder.session.host
    bid = host.initBuild(dict(NVR, task_id=parent))
    srpm = _upload(builder, child, small_rpms.srpm)
    odd = _upload(builder, child, small_rpms.other_rpm)
    with pytest.raises(koji.GenericError, match='srpm mismatch for .*other-2.0-1.noarch.rpm: '
                       r'other-2.0-1.src.rpm \(expected hello-1.0-1.src.rpm\)'):
        host.completeBuild(parent, bid, srpm, [odd])


def test_half_done_import_is_not_rolled_back(hub, builder, job, small_rpms):
    parent, child, _ = job
    host = builder.session.host
    bid = host.initBuild(dict(NVR, task_id=parent))
    srpm = _upload(builder, child, small_rpms.srpm)
    bad = _upload(builder, child, small_rpms.rpm, name='hello-bad2.noarch.rpm')
    with pytest.raises(koji.GenericError, match=r'bad filename: hello-bad2.noarch.rpm'):
        host.completeBuild(parent, bid, srpm, [bad])
    assert (hub.topdir / 'packages/hello/1.0/1/src/hello-1.0-1.src.rpm').is_file()
    assert (hub.topdir / 'work' / srpm).is_symlink()
    assert hub.session().getBuild(bid)['state'] == BS['BUILDING']
    with pytest.raises(koji.GenericError, match='destination is a symlink'):
        _upload(builder, child, small_rpms.srpm)
    with pytest.raises(koji.GenericError, match='Error importing archive file, .*already '
                       'exists'):
        host.completeBuild(parent, bid, srpm, [])
    host.failBuild(parent, bid)
    with pytest.raises(koji.GenericError, match='cannot update build %d, state: FAILED' % bid):
        host.failBuild(parent, bid)
    retry = hub.build('git+http://localhost/hello.git#HEAD', 'dist')
    builder.take(retry)
    assert host.initBuild(dict(NVR, task_id=retry)) == bid
    assert not (hub.topdir / 'packages/hello/1.0/1').exists()


def test_init_build_rules(hub, builder, job, small_rpms):
    parent, child, _ = job
    host = builder.session.host
    with pytest.raises(koji.GenericError, match='No epoch value for build'):
        host.initBuild({'name': 'hello', 'version': '1.0', 'release': '1',
                        'task_id': parent})
    bid = host.initBuild(dict(NVR, task_id=parent))
    with pytest.raises(koji.GenericError, match='Build already in progress \\(task %d\\)'
                       % parent):
        host.initBuild(dict(NVR, task_id=child))
    srpm = _upload(builder, child, small_rpms.srpm)
    host.completeBuild(parent, bid, srpm, [])
    with pytest.raises(koji.GenericError, match='Unable to complete build: state is '
                       'COMPLETE'):
        host.completeBuild(parent, bid, srpm, [])
    with pytest.raises(koji.GenericError, match='Build already exists \\(id=%d, '
                       'state=COMPLETE\\)' % bid):
        host.initBuild(dict(NVR, task_id=parent))
    with pytest.raises(koji.GenericError, match='cannot update build %d, state: COMPLETE'
                       % bid):
        host.failBuild(parent, bid)


def test_cancel_marks_building_build_canceled(hub, builder, job):
    parent, _, _ = job
    bid = builder.session.host.initBuild(dict(NVR, task_id=parent))
    hub.cancel_task(parent)
    assert hub.session().getBuild(bid)['state'] == BS['CANCELED']


def test_move_build_to_scratch_checks_only_existence(hub, builder, job, small_rpms):
    parent, child, _ = job
    host = builder.session.host
    srpm = _upload(builder, child, small_rpms.srpm, name='hello-renamed.src.rpm')
    copy = _upload(builder, child, small_rpms.rpm, name='copy.noarch.rpm')
    log = _upload(builder, child, small_rpms.other_rpm, name='x.rpm')
    host.moveBuildToScratch(parent, srpm, [copy], {'noarch': [log]})
    base = hub.topdir / ('scratch/kojiadmin/task_%d' % parent)
    assert (base / 'hello-renamed.src.rpm').is_file()
    assert (base / 'copy.noarch.rpm').is_file()
    assert (base / 'logs/noarch/x.rpm').is_file()
    assert (hub.topdir / 'work' / copy).is_symlink()


def test_tag_build_package_list_checks(hub, builder, job, small_rpms):
    parent, _, _ = job
    build = hub.import_rpms(small_rpms.other_srpm, [small_rpms.other_rpm])
    with pytest.raises(koji.TagError, match='Package other not in list for dist'):
        builder.session.host.tagBuild(parent, 'dist', build['id'])
    hub.add_package('dist', 'other', block=True)
    with pytest.raises(koji.TagError, match='Package other blocked in dist'):
        builder.session.host.tagBuild(parent, 'dist', build['id'])


def test_policies(hub, builder, job):
    host = builder.session.host
    host.assertPolicy('build_rpm', {'user_id': 2})
    host.assertPolicy('build_from_srpm', {'user_id': 1})
    with pytest.raises(koji.ActionNotAllowed, match=r'policy violation \(build_from_srpm\): '
                       'Only admin can do this via default policy'):
        host.assertPolicy('build_from_srpm', {'user_id': 2})
    assert host.checkPolicy('build_from_scm', {'user_id': 2}) == \
        [False, 'Only admin can do this via default policy']
    assert host.evalPolicy('build_rpm', {}) == 'allow'
    admin = hub.session()
    assert admin.evalPolicy('build_from_scm', {'user_id': 2}) == \
        'deny Only admin can do this via default policy'
    with pytest.raises(koji.GenericError, match='no such policy: tag'):
        admin.evalPolicy('tag', {})
    host.assertPolicy('tag', {})
    hub.set_policy('build_from_scm', lambda data: 'allow use_common make sources')
    assert admin.evalPolicy('build_from_scm', {}) == 'allow use_common make sources'
    hub.set_policy('tag', 'deny frozen')
    with pytest.raises(koji.ActionNotAllowed, match=r'policy violation \(tag\): frozen'):
        host.assertPolicy('tag', {})


def test_identical_noarch_rpms_from_two_arches_import_once(hub, builder, job, small_rpms):
    parent, child, _ = job
    host = builder.session.host
    other = host.subtask('buildArch', ['x'], parent, label='x86_64')
    builder.take(other)
    bid = host.initBuild(dict(NVR, task_id=parent))
    srpm = _upload(builder, child, small_rpms.srpm)
    first = _upload(builder, child, small_rpms.rpm)
    second = _upload(builder, other, small_rpms.rpm)
    host.completeBuild(parent, bid, srpm, [first, second])
    rows = hub.session().listRPMs(buildID=bid)
    assert sorted(r['arch'] for r in rows) == ['noarch', 'src']
    assert (hub.topdir / 'work' / first).is_symlink()
    assert not (hub.topdir / 'work' / second).is_symlink()


def test_changelogs_and_typed_build_queries(hub, builder, job, small_rpms):
    parent, child, _ = job
    build = hub.import_rpms(small_rpms.other_srpm, [small_rpms.other_rpm])
    admin = hub.session()
    [entry] = admin.getChangelogEntries(build['id'])
    assert entry['author'] == 'Test Packager <test@example.com> - 2.0-1'
    assert entry['text'] == '- first build' and entry['date'].startswith('2024-01-01')
    srpm = _upload(builder, child, small_rpms.srpm)
    [entry] = admin.getChangelogEntries(taskID=child, filepath=os.path.basename(srpm))
    assert entry['author'].endswith('- 1.0-1')
    assert admin.getChangelogEntries(build['id'], author='nobody') == []
    with pytest.raises(koji.GenericError, match='does not exist'):
        admin.getChangelogEntries(taskID=child, filepath='nothere.src.rpm', strict=True)
    assert admin.listArchives(buildID=build['id']) == []
    assert admin.getMavenBuild(build['id']) is None
    with pytest.raises(koji.GenericError, match='no such image build'):
        admin.getImageBuild(build['id'], strict=True)


def test_move_tag_is_checked_before_untagging(hub, builder, job, small_rpms):
    parent, _, _ = job
    build = hub.import_rpms(small_rpms.srpm, [small_rpms.rpm])
    hub.add_package('dist-build', 'hello')
    hub.tag_build('dist-build', build['id'])
    hub.tag_build('dist', build['id'])
    with pytest.raises(koji.TagError, match='already tagged'):
        builder.session.host.tagBuild(parent, 'dist', build['id'], False, 'dist-build')
    assert [b['id'] for b in hub.session().listTagged('dist-build')] == [build['id']]
    hub.add_tag('moved')
    hub.add_package('moved', 'hello')
    builder.session.host.tagBuild(parent, 'moved', build['id'], False, 'dist-build')
    assert hub.session().listTagged('dist-build') == []
    assert [b['id'] for b in hub.session().listTagged('moved')] == [build['id']]
