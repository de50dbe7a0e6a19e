"""Signatures, signed copies and dist repos of the hub simulator (kojid-contract 2.5, 3.11)."""

import json

import koji
import pytest



@pytest.fixture
def tagged(hub, small_rpms):
    hub.add_tag('dist-tag', arches='x86_64')
    hub.add_package('dist-tag', 'hello')
    hub.add_package('dist-tag', 'other')
    for srpm, rpm in ((small_rpms.srpm, small_rpms.rpm),
                      (small_rpms.other_srpm, small_rpms.other_rpm)):
        build = hub.import_rpms(srpm, [rpm])
        hub.tag_build('dist-tag', build['id'])
    return hub


def test_imported_rpms_have_an_unsigned_sig_row(tagged):
    session = tagged.session()
    [rpm] = [r for r in session.listRPMs(buildID=session.getBuild('hello-1.0-1')['id'])
             if r['arch'] == 'noarch']
    [row] = session.queryRPMSigs(rpm_id=rpm['id'])
    assert row['sigkey'] == '' and len(row['sighash']) == 32


def test_import_sig_writes_a_signed_copy_listed_with_rpmsigs(tagged, small_rpms, signer,
                                                             tmp_path):
    signed = signer.sign(small_rpms.rpm, tmp_path / 'signed')
    assert tagged.import_sig(signed) == signer.keyid
    copy = (tagged.topdir / 'packages/hello/1.0/1/data/signed' / signer.keyid /
            'noarch/hello-1.0-1.noarch.rpm')
    assert copy.read_bytes() == signed.read_bytes()
    rows, builds = tagged.session().listTaggedRPMS('dist-tag', rpmsigs=True)
    keys = sorted((r['name'], r['arch'], r['sigkey']) for r in rows)
    assert ('hello', 'noarch', signer.keyid) in keys and ('hello', 'noarch', '') in keys
    assert ('other', 'noarch', '') in keys and len(builds) == 2
    plain, _ = tagged.session().listTaggedRPMS('dist-tag')
    assert all('sigkey' not in r for r in plain)


def test_write_signed_rpm_needs_a_stored_signature(tagged):
    with pytest.raises(koji.GenericError, match='No cached signature for package '
                                                'hello-1.0-1.noarch, key deadbeef'):
        tagged.session().writeSignedRPM('hello-1.0-1.noarch', 'deadbeef')


def test_dist_repo_init_creates_the_repo_and_task(tagged):
    task_id = tagged.dist_repo('dist-tag', ['abcd1234'], arch=['x86_64'], inherit=False)
    info = tagged.task_info(task_id, request=True)
    assert info['method'] == 'distRepo' and info['priority'] == 15
    tag, repo_id, keys, opts = info['request']
    assert (tag, keys, opts['arch']) == ('dist-tag', ['abcd1234'], ['x86_64'])
    repo = tagged.session().repoInfo(repo_id)
    assert repo['dist'] is True and koji.REPO_STATES[repo['state']] == 'INIT'
    assert opts['event'] == repo['create_event']
    base = tagged.topdir / 'repos-dist/dist-tag' / str(repo_id)
    assert (base / 'groups/comps.xml').is_file()
    assert json.loads((base / 'repo.json').read_text())['keys'] == ['abcd1234']
    assert tagged.session().getRepo('dist-tag') is None  # not a buildroot repo
    assert tagged.session().getRepo('dist-tag', state=koji.REPO_INIT, dist=True)['id'] == \
        repo_id


def _upload(hub, rel, name, data):
    target = hub.topdir / 'work' / rel
    target.mkdir(parents=True, exist_ok=True)
    (target / name).write_text(data)


def test_dist_repo_move_links_the_chosen_copies(tagged, small_rpms, signer, tmp_path):
    tagged.import_sig(signer.sign(small_rpms.rpm, tmp_path / 'signed'))
    task_id = tagged.dist_repo('dist-tag', [signer.keyid])
    repo_id = tagged.task_info(task_id, request=True)['request'][1]
    tagged.add_host('distbuilder', channels=('createrepo',))
    host = tagged.host_session('distbuilder')
    rows = {r['name']: r for r in tagged.session().listTaggedRPMS('dist-tag', rpmsigs=True)[0]
            if r['arch'] == 'noarch'
            and r['sigkey'] == (signer.keyid if r['name'] == 'hello' else '')}
    kojipkgs = {'%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % r:
                dict(r, sigkey=r['sigkey'] or None) for r in rows.values()}
    rel = 'tasks/99/99'
    _upload(tagged, rel, 'kojipkgs', json.dumps(kojipkgs))
    _upload(tagged, rel + '/repodata', 'repomd.xml', '<repomd/>')
    _upload(tagged, rel, 'repo_manifest', json.dumps(['repodata/repomd.xml',
                                                             'kojipkgs']))
    host.host.distRepoMove(repo_id, rel, 'x86_64')
    host.host.repoDone(repo_id, {})
    arch_dir = tagged.topdir / 'repos-dist/dist-tag' / str(repo_id) / 'x86_64'
    assert (arch_dir / 'repodata/repomd.xml').read_text() == '<repomd/>'
    hello = arch_dir / 'Packages/h/hello-1.0-1.noarch.rpm'
    signed = (tagged.topdir / 'packages/hello/1.0/1/data/signed' / signer.keyid /
              'noarch/hello-1.0-1.noarch.rpm')
    assert hello.stat().st_ino == signed.stat().st_ino
    other = arch_dir / 'Packages/o/other-2.0-1.noarch.rpm'
    assert other.stat().st_ino == (tagged.topdir /
                                   'packages/other/2.0/1/noarch/other-2.0-1.noarch.rpm'
                                   ).stat().st_ino
    repo = tagged.session().getRepo('dist-tag', dist=True)
    assert repo['id'] == repo_id
    assert (tagged.topdir / 'repos-dist/dist-tag/latest').resolve().name == str(repo_id)


def test_dist_repo_move_rejects_a_wrong_kojipkgs_entry(tagged):
    task_id = tagged.dist_repo('dist-tag', [])
    repo_id = tagged.task_info(task_id, request=True)['request'][1]
    tagged.add_host('distbuilder', channels=('createrepo',))
    host = tagged.host_session('distbuilder')
    [row] = [r for r in tagged.session().listTaggedRPMS('dist-tag')[0]
             if r['name'] == 'hello' and r['arch'] == 'noarch']
    rel = 'tasks/98/98'
    _upload(tagged, rel, 'kojipkgs', json.dumps({'hello-1.0-1.noarch.rpm':
                                                       dict(row, size=1)}))
    _upload(tagged, rel, 'repo_manifest', '[]')
    with pytest.raises(koji.GenericError, match='size'):
        host.host.distRepoMove(repo_id, rel, 'x86_64')
