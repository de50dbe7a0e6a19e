"""The scheduler: eligibility, load, refusals, run triggers and timeouts (1.14, 10.2)."""

from __future__ import annotations

import koji

from hubsim import HubSim

ST = koji.TASK_STATES


def _assigned(builder) -> list[int]:
    return [t['id'] for t in builder.session.host.getTasks()]


def test_assigns_by_priority_and_only_when_nothing_assigned(hub, builder):
    low = hub.make_task('sleep', [1], priority=30)
    high = hub.make_task('sleep', [1], priority=10)
    builder.ready()
    assert _assigned(builder) == [high, low]
    late = hub.make_task('sleep', [1])
    assert _assigned(builder) == [high, low]
    assert hub.task_info(late)['state'] == ST['FREE']
    for tid in (high, low):
        builder.take(tid)
        builder.session.host.setTaskWeight(tid, 0.2)
    assert _assigned(builder) == [late]


def test_not_ready_or_disabled_hosts_get_nothing(hub, builder, new_builder):
    tid = hub.make_task('sleep', [1])
    assert _assigned(builder) == []
    other = new_builder('builder2', enabled=False)
    other.ready()
    assert _assigned(other) == []
    builder.ready()
    assert _assigned(builder) == [tid]


def test_channel_and_arch_matching(hub, new_builder):
    x86 = new_builder('x86', arches='x86_64 i686')
    arm = new_builder('arm', arches='aarch64', channels=('createrepo',))
    for b in (x86, arm):
        b.ready()
    arm_task = hub.make_task('buildArch', [1], arch='aarch64')
    noarch_repo = hub.make_task('createrepo', [1], channel='createrepo')
    i686 = hub.make_task('buildArch', [1], arch='i686')
    ppc = hub.make_task('buildArch', [1], arch='ppc64le')
    assert _assigned(x86) == [i686]
    assert _assigned(arm) == [noarch_repo]
    assert hub.task_info(arm_task)['state'] == ST['FREE']
    assert hub.task_info(ppc)['state'] == ST['FREE']


def test_methods_reported_by_host_are_ignored(hub, builder):
    builder.session.host.updateHost(0.0, True, data={'methods': ['sleep'], 'maxjobs': 3})
    tid = hub.make_task('build', ['x', 'dist', {}])
    assert _assigned(builder) == [tid]


def test_capacity_uses_hub_computed_load(hub, new_builder):
    small = new_builder('small', capacity=2.0)
    small.ready(load=99.0)
    first, second, third = [hub.make_task('sleep', [i]) for i in range(3)]
    for tid in (first, second):
        small.take(tid)
        small.session.host.setTaskWeight(tid, 1.0)
    assert _assigned(small) == []
    small.session.host.setTaskWeight(second, 0.5)
    assert _assigned(small) == [third]


def test_overcommit_lets_a_heavy_task_onto_an_idle_host(hub, new_builder):
    b = new_builder('b', capacity=1.0)
    b.ready()
    heavy = hub.make_task('sleep', [1])
    b.take(heavy)
    b.session.host.setTaskWeight(heavy, 3.0)
    b.session.host.freeTasks([heavy])
    assert _assigned(b) == [heavy]


def test_maxjobs_from_host_data(hub, builder):
    builder.ready(maxjobs=1)
    a, b = hub.make_task('sleep', [1]), hub.make_task('sleep', [2])
    assert _assigned(builder) == [a]
    builder.take(a)
    assert _assigned(builder) == []
    builder.close(a, None)
    assert _assigned(builder) == [b]


def test_waiting_parents_do_not_count_as_load(hub, new_builder):
    b = new_builder('b', capacity=1.0)
    b.ready()
    parent = hub.make_task('build', ['x', 'dist', {}])
    b.take(parent)
    kid = b.session.host.subtask('sleep', [1], parent)
    assert _assigned(b) == []
    b.session.host.taskSetWait(parent, [kid])
    assert _assigned(b) == [kid]


def test_refusals_are_honoured_and_soft_ones_expire(hub, builder, new_builder):
    builder.ready()
    tid = hub.make_task('sleep', [1])
    assert _assigned(builder) == [tid]
    builder.session.host.refuseTask(tid, soft=True, msg='busy')
    assert _assigned(builder) == []
    hub.advance(901)
    builder.ready()
    assert _assigned(builder) == [tid]
    builder.session.host.refuseTask(tid, soft=False, msg='cannot')
    hub.advance(5000)
    builder.ready()
    assert _assigned(builder) == []
    other = new_builder('builder2')
    other.ready()
    assert _assigned(other) == [tid]


def test_run_interval_limits_runs(tmp_path):
    with HubSim(tmp_path / 'koji', run_interval=60) as hub:
        hub.add_host('b1')
        sess = hub.host_session('b1')
        sess.host.updateHost(0.0, True)
        assert sess.host.getTasks() == []
        tid = hub.make_task('sleep', [1])
        assert sess.host.getTasks() == []
        hub.advance(61)
        sess.host.updateHost(0.0, True)
        assert [t['id'] for t in sess.host.getTasks()] == [tid]
        assert sess.host.getLoadData()[0][0]['channels'] == [1]


def test_ready_timeout_marks_host_not_ready(hub, builder):
    builder.ready()
    hub.advance(181)
    hub.run_scheduler()
    assert builder.session.host.getHost()['ready'] is False
    assert any(m['msg'] == 'Marking host not ready' for m in hub.scheduler_log())


def test_assignment_timeout_after_check_in_is_a_soft_refusal(hub, builder):
    builder.ready()
    tid = hub.make_task('sleep', [1])
    assert _assigned(builder) == [tid]
    hub.advance(150)
    builder.ready()
    hub.advance(160)
    hub.run_scheduler()
    assert hub.task_info(tid)['state'] == ST['FREE']
    [ref] = hub.refusals(tid)
    assert (ref['soft'], ref['by_host'], ref['msg']) == (True, False, 'assignment timeout')
    assert _assigned(builder) == []


def test_assignment_timeout_without_check_in_records_no_refusal(hub, builder):
    builder.ready()
    tid = hub.make_task('sleep', [1])
    assert _assigned(builder) == [tid]
    hub.advance(320)
    hub.run_scheduler()
    assert hub.task_info(tid)['state'] == ST['FREE']
    assert hub.refusals(tid) == []
    assert any(m['msg'] == 'Task assignment timeout' for m in hub.scheduler_log())


def test_unresponsive_host_loses_scheduled_open_tasks_only(hub, builder):
    builder.ready()
    scheduled = hub.make_task('build', ['x', 'dist', {}])
    assert _assigned(builder) == [scheduled]
    builder.take(scheduled)
    direct = hub.make_task('sleep', [1])
    builder.take(direct)
    hub.advance(901)
    hub.run_scheduler()
    assert hub.task_info(scheduled)['state'] == ST['FREE']
    assert hub.task_info(direct)['state'] == ST['OPEN']
    assert any(m['msg'] == 'Freeing task from unresponsive host' for m in hub.scheduler_log())


def test_automatic_arch_refusals(tmp_path):
    with HubSim(tmp_path / 'koji', auto_arch_refusals=True) as hub:
        hub.add_tag('build-tag', arches='aarch64')
        hub.add_host('x86', arches='x86_64')
        hub.add_host('arm', arches='aarch64')
        tid = hub.make_task('buildArch', ['pkg.src.rpm', 'build-tag', 'noarch', True, {}])
        [ref] = hub.refusals(tid)
        assert (ref['host_id'], ref['soft']) == (1, False)
