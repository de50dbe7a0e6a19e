"""The hub's runroot plugin call: permission, request, channel, priority and arch."""

from __future__ import annotations

import koji
import pytest


@pytest.fixture
def composer(hub):
    hub.add_channel('runroot')
    hub.add_tag('f99-build', arches='x86_64 aarch64')
    hub.add_user('composer', password='composer')
    return hub.session('composer', 'composer')


def test_runroot_needs_the_runroot_permission(hub, composer):
    with pytest.raises(koji.ActionNotAllowed, match='runroot permission required'):
        composer.runroot('f99-build', 'x86_64', 'true')
    hub.grant_permission('composer', 'runroot')
    assert composer.runroot('f99-build', 'x86_64', 'true') > 0


def test_the_request_is_the_plugins_arguments_with_options_as_keywords(hub, composer, admin):
    hub.grant_permission('composer', 'runroot')
    tid = composer.runroot('f99-build', 'x86_64', ['ls', '-l'], packages=['lorax'],
                           mounts=['/mnt/koji/compose'], weight=3, new_chroot=True)
    info = admin.getTaskInfo(tid, request=True)
    assert info['method'] == 'runroot' and info['priority'] == 15 and info['arch'] == 'x86_64'
    assert admin.getChannel(info['channel_id'])['name'] == 'runroot'
    assert koji.decode_args(*info['request']) == (
        ('f99-build', 'x86_64', ['ls', '-l']),
        {'packages': ['lorax'], 'mounts': ['/mnt/koji/compose'], 'weight': 3,
         'new_chroot': True})


def test_noarch_takes_a_tag_arch_of_the_channels_hosts_when_the_tag_lacks_some(hub, admin):
    hub.add_channel('runroot')
    hub.add_host('b1', arches='x86_64 ppc64le', channels=('runroot',))
    hub.add_tag('narrow', arches='aarch64 x86_64')
    tid = admin.runroot('narrow', 'noarch', 'true')
    assert admin.getTaskInfo(tid)['arch'] == 'x86_64'
    hub.add_tag('everything', arches='x86_64 ppc64le')
    assert admin.getTaskInfo(admin.runroot('everything', 'noarch', 'true'))['arch'] == 'noarch'


def test_a_command_of_another_type_is_refused(hub, admin):
    hub.add_channel('runroot')
    hub.add_tag('f99-build')
    with pytest.raises(koji.GenericError, match='Invalid type for value'):
        admin.runroot('f99-build', 'x86_64', 42)
