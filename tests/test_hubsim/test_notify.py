"""Notification tasks and their recipients (contract 2.6, 3.14; hubsim/notify.py)."""

from __future__ import annotations

import koji
import pytest

from hubsim import HubSim
from hubsim import notify

BS = koji.BUILD_STATES
NVR = {'name': 'hello', 'version': '1.0', 'release': '1', 'epoch': None}
WEB = 'https://koji.example.com/koji'


@pytest.fixture
def hub(tmp_path):
    """This module's hub sends notifications (no DisableNotifications)."""
    sim = HubSim(tmp_path / 'koji', disable_notifications=False, email_domain='example.com',
                 koji_web_url=WEB)
    sim.start()
    yield sim
    sim.stop()
    assert not sim.internal_errors


@pytest.fixture
def parent(hub, builder):
    hub.add_user('pkgowner')
    hub.add_user('watcher')
    hub.add_tag('dist-build')
    hub.add_tag('dist', arches='')
    hub.add_package('dist', 'hello', owner='pkgowner')
    hub.add_target('dist', 'dist-build', 'dist')
    hub.make_repo('dist-build')
    task_id = hub.build('git+http://localhost/hello.git#HEAD', 'dist')
    builder.take(task_id)
    return task_id


def notes(hub, method):
    return [t for t in hub.session().listTasks(opts={'method': method, 'decode': True})]


def test_a_failed_build_creates_a_build_notification_for_its_watchers(hub, builder, parent):
    hub.add_notification('watcher', email='watcher@lists.example.com', package='hello')
    hub.add_notification('watcher', email='only-good-news@example.com', success_only=True)
    hub.add_notification('watcher', email='other-tag@example.com', tag='dist-build')
    host = builder.session.host
    bid = host.initBuild(dict(NVR, task_id=parent))
    host.failBuild(parent, bid)
    [task] = notes(hub, 'buildNotification')
    rcpts, build, target, weburl = task['request']
    assert rcpts == ['kojiadmin@example.com', 'pkgowner@example.com',
                     'watcher@lists.example.com']
    assert (build['id'], build['state'], build['nvr']) == (bid, BS['FAILED'], 'hello-1.0-1')
    assert (target['name'], target['dest_tag_name']) == ('dist', 'dist')
    assert weburl == WEB
    assert (task['parent'], task['arch'], task['priority']) == (None, 'noarch', 20)
    assert task['owner'] == hub.session().getUser(builder.name)['id']
    assert task['channel_id'] == hub.session().getChannel('default')['id']


def test_tag_notifications_go_to_both_tags_and_respect_ignore_success(hub, builder, parent):
    hub.add_tag('dist-testing', arches='')
    hub.add_notification('watcher', email='testing@example.com', tag='dist-testing')
    host = builder.session.host
    bid = host.initBuild(dict(NVR, task_id=parent))
    host.failBuild(parent, bid)
    tags = {t: hub.session().getTag(t)['id'] for t in ('dist', 'dist-testing')}
    host.tagNotification(True, tags['dist'], None, bid, 1, True)
    assert notes(hub, 'tagNotification') == []
    host.tagNotification(False, tags['dist'], tags['dist-testing'], bid, 1, True, 'TagError: x')
    [task] = notes(hub, 'tagNotification')
    assert task['request'] == [['kojiadmin@example.com', 'pkgowner@example.com',
                                'testing@example.com'], False, tags['dist'],
                               tags['dist-testing'], bid, 1, True, 'TagError: x']
    assert len(hub.state.notifications) == 2


def test_notify_on_success_off_leaves_only_the_subscriptions(hub, builder, parent):
    hub.add_notification('watcher', email='watcher@example.com')
    dist = hub.session().getTag('dist')['id']
    with hub.state.lock:
        build = {'package_id': 1, 'owner_id': 1, 'name': 'hello'}
        assert notify.recipients(hub.state, build, dist, BS['COMPLETE']) == [
            'kojiadmin@example.com', 'pkgowner@example.com', 'watcher@example.com']
        hub.state.config = type(hub.state.config)(**dict(
            vars(hub.state.config), notify_on_success=False))
        assert notify.recipients(hub.state, build, dist, BS['COMPLETE']) == [
            'watcher@example.com']
        assert notify.recipients(hub.state, build, dist, BS['FAILED']) == [
            'kojiadmin@example.com', 'pkgowner@example.com', 'watcher@example.com']


def test_disabled_notifications_create_no_tasks(tmp_path, small_rpms):
    sim = HubSim(tmp_path / 'quiet')
    sim.start()
    try:
        sim.add_tag('dist', arches='')
        build = sim.import_rpms(small_rpms.srpm, [small_rpms.rpm])
        sim.add_host('b1')
        host = sim.host_session('b1').host
        host.tagNotification(False, 'dist', None, build['id'], 1, False, 'boom')
        assert sim.session().listTasks(opts={'method': 'tagNotification'}) == []
        assert sim.state.notifications[0]['failure_msg'] == 'boom'
    finally:
        sim.stop()
