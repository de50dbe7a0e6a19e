"""make_koji_repo: a hub simulator tag's repo with repodata, served over the hub's topurl."""

from __future__ import annotations

import gzip
import pathlib
import xml.etree.ElementTree as ET

import requests

from rpmkit import Package, make_koji_repo

NS = {'repo': 'http://linux.duke.edu/metadata/repo',
      'common': 'http://linux.duke.edu/metadata/common'}


def repomd(repo_dir: pathlib.Path) -> dict[str, str]:
    """data type -> location href of the repo's repomd.xml."""
    root = ET.parse(repo_dir / 'repodata' / 'repomd.xml').getroot()
    return {d.get('type'): d.find('repo:location', NS).get('href')
            for d in root.findall('repo:data', NS)}


def primary_locations(repo_dir: pathlib.Path) -> dict[str, str]:
    """package name -> location href, from primary.xml.gz."""
    href = repomd(repo_dir)['primary']
    root = ET.fromstring(gzip.decompress((repo_dir / href).read_bytes()))
    return {p.find('common:name', NS).text: p.find('common:location', NS).get('href')
            for p in root.findall('common:package', NS)}


def test_repo_lists_tagged_packages_through_toplink(hub, rpm_factory):
    tool = rpm_factory.rpms(Package('repo-tool', arch='c'))
    data = rpm_factory.rpms(Package('repo-data', requires=('repo-tool',)))
    repo = make_koji_repo(hub, 'f-build', [tool, data], {'build': ['bash', 'repo-tool']})

    assert repo['tag_name'] == 'f-build' and repo['arch'] == 'x86_64'
    assert repo['path'] == 'repos/f-build/%d/x86_64' % repo['id']
    assert repo['url'] == hub.topurl + '/' + repo['path']
    assert hub.anon_session().getRepo('f-build')['id'] == repo['id']
    repo_dir = pathlib.Path(repo['repo_dir'])
    assert repo_dir == hub.topdir / repo['path']
    assert {'primary', 'filelists', 'other', 'group', 'primary_db'} <= set(repomd(repo_dir))
    locations = primary_locations(repo_dir)
    assert locations == {
        'repo-tool': 'toplink/packages/repo-tool/1.0/1/x86_64/repo-tool-1.0-1.x86_64.rpm',
        'repo-data': 'toplink/packages/repo-data/1.0/1/noarch/repo-data-1.0-1.noarch.rpm'}
    for built, href in ((tool, locations['repo-tool']), (data, locations['repo-data'])):
        got = requests.get('%s/%s' % (repo['url'], href), timeout=10)
        assert got.status_code == 200
        assert got.content == built.rpms[0].read_bytes()


def test_repo_metadata_and_groups_are_served(hub, rpm_factory):
    tool = rpm_factory.rpms(Package('repo-tool', arch='c'))
    repo = make_koji_repo(hub, 'g-build', [tool], {'build': ['bash', 'repo-tool'],
                                                   'srpm-build': ['rpm-build']})
    got = requests.get(repo['url'] + '/repodata/repomd.xml', timeout=10)
    assert got.status_code == 200
    comps_href = repomd(pathlib.Path(repo['repo_dir']))['group']
    comps = requests.get('%s/%s' % (repo['url'], comps_href), timeout=10)
    groups = {g.findtext('id'): sorted(p.text for p in g.iter('packagereq'))
              for g in ET.fromstring(comps.content).iter('group')}
    assert groups == {'build': ['bash', 'repo-tool'], 'srpm-build': ['rpm-build']}


def test_builds_already_on_the_hub_are_reused(hub, rpm_factory):
    tool = rpm_factory.rpms(Package('repo-tool', arch='c'))
    first = make_koji_repo(hub, 'h-build', [tool])
    second = make_koji_repo(hub, 'h-build', [tool])
    assert second['id'] > first['id']
    assert len(hub.anon_session().listTagged('h-build')) == 1
    assert primary_locations(pathlib.Path(second['repo_dir'])) == {
        'repo-tool': 'toplink/packages/repo-tool/1.0/1/x86_64/repo-tool-1.0-1.x86_64.rpm'}


def test_empty_tag_gets_an_empty_repo(hub):
    repo = make_koji_repo(hub, 'empty-build', [])
    repo_dir = pathlib.Path(repo['repo_dir'])
    assert (repo_dir / 'repodata' / 'EMPTY_REPO').is_file()
    assert primary_locations(repo_dir) == {}
