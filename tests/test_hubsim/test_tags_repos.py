"""Tags with history, targets, repo skeletons, repoDone and repo requests (2.5, 2.9, 10.4)."""

from __future__ import annotations

import gzip
import json
import os

import koji
import pytest
import requests


@pytest.fixture
def tags(hub):
    hub.add_tag('base', arches='x86_64 i686', extra={'rebuild_srpm': False, 'k': 'base'})
    hub.add_tag('mid', arches='', parents=['base'], extra={'k': 'mid'})
    hub.add_tag('build', arches=None, parents=['mid'], extra={'mock.new_chroot': 0})
    hub.add_tag('dest', arches='x86_64')
    hub.add_target('dist', 'build', 'dest')
    return hub


def test_build_config_inherits_arches_and_extra(tags, admin):
    cfg = admin.getBuildConfig('build')
    assert cfg['arches'] == 'x86_64 i686'
    assert cfg['extra'] == {'rebuild_srpm': False, 'k': 'mid', 'mock.new_chroot': 0}
    assert cfg['config_inheritance']['extra']['k']['tag_name'] == 'mid'
    assert admin.getTag('build')['arches'] == ''
    assert admin.getTag({'id': 3, 'name': 'build'})['name'] == 'build'
    chain = admin.getFullInheritance('build')
    assert [(link['name'], link['depth']) for link in chain] == [('mid', 1), ('base', 2)]
    assert [link['currdepth'] for link in chain] == [1, 2]  # the key kojid sorts on
    with pytest.raises(koji.GenericError, match='No such tagInfo'):
        admin.getTag('nope', strict=True)


def test_build_config_answers_for_past_events(tags, admin):
    before = admin.getLastEvent()['id']
    tags.edit_tag('mid', extra={'k': 'changed'}, arches='ppc64le')
    tags.edit_tag('base', remove_extra=['rebuild_srpm'])
    assert admin.getBuildConfig('build', event=before)['extra']['k'] == 'mid'
    assert admin.getBuildConfig('build', event=before)['arches'] == 'x86_64 i686'
    now = admin.getBuildConfig('build')
    assert (now['extra']['k'], now['arches']) == ('changed', 'ppc64le')
    assert 'rebuild_srpm' not in now['extra']
    assert admin.tagLastChangeEvent('build') > before
    assert admin.tagLastChangeEvent('build', inherit=False) <= before
    assert admin.tagFirstChangeEvent('build', after=before) == before + 1
    assert admin.getEvent(before)['id'] == before


def test_targets_packages_and_external_repos(tags, admin):
    target = admin.getBuildTarget('dist')
    assert (target['build_tag_name'], target['dest_tag_name']) == ('build', 'dest')
    assert admin.getBuildTarget('nope') is None
    tags.add_package('base', 'hello', extra_arches='noarch')
    tags.add_package('mid', 'gone', block=True)
    cfg = admin.getPackageConfig('build', 'hello')
    assert (cfg['tag_name'], cfg['blocked'], cfg['extra_arches']) == ('base', False, 'noarch')
    assert admin.getPackageConfig('build', 'gone')['blocked'] is True
    assert admin.getPackageConfig('dest', 'hello') is None
    rid = tags.add_external_repo('ext', 'http://mirror/$arch/')
    tags.add_tag_external_repo('base', 'ext', 5, merge_mode='simple')
    [ext] = admin.getExternalRepoList('build')
    assert (ext['external_repo_id'], ext['merge_mode'], ext['tag_name']) == \
        (rid, 'simple', 'base')


def test_repo_init_skeleton_and_done(hub, builder, small_rpms):
    hub.add_tag('dist-build', arches='x86_64')
    hub.add_package('dist-build', 'hello')
    hub.add_package('dist-build', 'other', block=True)
    hub.add_group('dist-build', 'build', ['bash', 'rpm-build'])
    build = hub.import_rpms(small_rpms.srpm, [small_rpms.rpm])
    hub.tag_build('dist-build', build['id'])
    tid = hub.regen_repo('dist-build')
    info = hub.task_info(tid, request=True)
    assert (info['method'], info['priority'], info['request']) == \
        ('newRepo', 15, ['dist-build'])
    builder.take(tid)
    repo_id, event = builder.session.host.repoInit('dist-build', task_id=tid)
    base = hub.topdir / 'repos' / 'dist-build' / str(repo_id)
    meta = json.loads((base / 'repo.json').read_text())
    assert meta['opts'] == {'src': False, 'debuginfo': False, 'separate_src': False,
                            'maven': False} and meta['event_id'] == event
    assert '<id>build</id>' in (base / 'groups' / 'comps.xml').read_text()
    arch = base / 'x86_64'
    assert (arch / 'pkglist').read_text() == \
        'toplink/packages/hello/1.0/1/noarch/hello-1.0-1.noarch.rpm\n'
    [row] = [json.loads(line) for line in (arch / 'rpmlist.jsonl').read_text().splitlines()]
    assert row['name'] == 'hello' and row['arch'] == 'noarch'
    assert (arch / 'blocklist').read_text() == 'other\n'
    assert os.readlink(arch / 'toplink') == '../../../..'
    assert (arch / 'toplink' / 'packages' / 'hello' / '1.0' / '1' / 'noarch').is_dir()
    admin = hub.session()
    assert admin.repoInfo(repo_id)['state'] == koji.REPO_STATES['INIT']
    _finish_repo(hub, builder, tid, repo_id)
    assert admin.repoInfo(repo_id)['state'] == koji.REPO_STATES['READY']
    assert os.readlink(base.parent / 'latest') == str(repo_id)
    assert (arch / 'repodata' / 'repomd.xml').read_text() == 'repomd'
    assert admin.getRepo('dist-build')['id'] == repo_id
    assert admin.repo.get('dist-build')['id'] == repo_id
    url = '%s/repos/dist-build/%d/x86_64/pkglist' % (hub.topurl, repo_id)
    assert requests.get(url).text.startswith('toplink/')
    with pytest.raises(koji.GenericError, match='Repo %d not in INIT state \\(got 1\\)'
                       % repo_id):
        builder.session.host.repoDone(repo_id, {})


def _finish_repo(hub, builder, parent, repo_id):
    host = builder.session.host
    sub = host.subtask('createrepo', [repo_id, 'x86_64', None], parent, label='x86_64')
    builder.take(sub)
    path = koji.pathinfo.taskrelpath(sub)
    builder.session.rawUpload(b'repomd', 0, path, 'repomd.xml')
    builder.close(sub, [path, ['repomd.xml']])
    with pytest.raises(koji.GenericError, match='uploaded file missing'):
        host.repoDone(repo_id, {'x86_64': [path, ['nothere.xml']]})
    host.repoDone(repo_id, {'x86_64': [path, ['repomd.xml']]})
    assert not (hub.topdir / 'work' / path / 'repomd.xml').exists()


def test_repo_request_creates_new_repo_task_and_is_satisfied(hub, builder):
    hub.add_tag('dist-build')
    admin = hub.session()
    req = admin.repo.request('dist-build', min_event='last')
    assert req['repo'] is None and req['duplicate'] is False
    again = admin.repo.request('dist-build', min_event='last')
    assert again['duplicate'] is True
    task_id = req['request']['task_id']
    info = hub.task_info(task_id, request=True)
    assert info['method'] == 'newRepo'
    assert info['request'][0] == {'id': 1, 'name': 'dist-build'}
    builder.take(task_id)
    repo_id, _ = builder.session.host.repoInit({'id': 1, 'name': 'dist-build'},
                                               task_id=task_id)
    builder.session.host.repoDone(repo_id, {})
    check = admin.repo.checkRequest(req['request']['id'])
    assert check['repo']['id'] == repo_id and check['request']['active'] is False
    assert admin.repo.request('dist-build', min_event='last')['repo']['id'] == repo_id
    hub.edit_tag('dist-build', extra={'x': 1})
    assert admin.repo.get('dist-build', min_event='last') is None
    assert admin.getRepo('dist-build')['id'] == repo_id


def test_separate_src_and_arch_dirs(hub, builder):
    hub.add_tag('multi', arches='x86_64 i686 noarch')
    tid = hub.make_task('newRepo', ['multi'], channel='createrepo')
    builder.take(tid)
    repo_id, _ = builder.session.host.repoInit('multi', task_id=tid,
                                               opts={'separate_src': True})
    base = hub.topdir / 'repos' / 'multi' / str(repo_id)
    assert sorted(p.name for p in base.iterdir() if p.name not in ('groups', 'repo.json')) \
        == ['i386', 'src', 'x86_64']


def test_failed_new_repo_task_makes_request_inactive(hub, builder):
    hub.add_tag('dist-build')
    admin = hub.session()
    req = admin.repo.request('dist-build')['request']
    builder.take(req['task_id'])
    builder.fail(req['task_id'], 1000, 'createrepo broke')
    check = admin.repo.checkRequest(req['id'])
    assert check['repo'] is None
    assert (check['request']['active'], check['request']['task_state']) == \
        (False, koji.TASK_STATES['FAILED'])


def test_tagged_content_answers_for_past_events(hub, small_rpms):
    hub.add_tag('dist')
    hub.add_package('dist', 'hello')
    first = hub.import_rpms(small_rpms.srpm, [small_rpms.rpm])
    second = hub.import_rpms(small_rpms.srpm2, [small_rpms.rpm2])
    event = hub.tag_build('dist', first['id'])
    hub.tag_build('dist', second['id'])
    admin = hub.session()
    assert [b['nvr'] for b in admin.listTagged('dist', event=event)] == ['hello-1.0-1']
    assert [b['nvr'] for b in admin.listTagged('dist')] == ['hello-1.0-2', 'hello-1.0-1']
    assert [b['nvr'] for b in admin.getLatestBuilds('dist')] == ['hello-1.0-2']
    rpms, builds = admin.listTaggedRPMS('dist', event=event, arch='noarch')
    assert [r['release'] for r in rpms] == ['1'] and len(builds) == 1
    repo = hub.make_repo('dist')
    assert admin.getRepo('dist', event=event) is None
    assert admin.getRepo('dist', event=repo['create_event'])['id'] == repo['id']
    assert admin.tagLastChangeEvent('dist') <= repo['create_event']


def test_make_repo_with_real_repodata(hub, small_rpms):
    hub.add_tag('dist-build', arches='x86_64')
    hub.add_package('dist-build', 'hello')
    hub.add_group('dist-build', 'build', ['hello'])
    build = hub.import_rpms(small_rpms.srpm, [small_rpms.rpm])
    hub.tag_build('dist-build', build['id'])
    repo = hub.make_repo('dist-build', repodata=True)
    repodata = hub.topdir / ('repos/dist-build/%d/x86_64/repodata' % repo['id'])
    repomd = (repodata / 'repomd.xml').read_text()
    assert 'primary' in repomd and 'group' in repomd
    [primary] = repodata.glob('*-primary.xml.gz')
    assert b'<name>hello</name>' in gzip.decompress(primary.read_bytes())
    url = '%s/repos/dist-build/%d/x86_64/toplink/packages/hello/1.0/1/noarch/' \
        'hello-1.0-1.noarch.rpm' % (hub.topurl, repo['id'])
    assert requests.get(url).content == small_rpms.rpm.read_bytes()
    hub.add_tag('empty')
    empty = hub.make_repo('empty', repodata=True)
    assert (hub.topdir / ('repos/empty/%d/x86_64/repodata/repomd.xml' % empty['id'])).is_file()
