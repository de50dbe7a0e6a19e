"""The task state machine, results, cancellation, subtasks and waiting (2.2, 2.3, 10.2, 10.3)."""

from __future__ import annotations

import threading

import koji
import pytest
from koji.xmlrpcplus import dumps

ST = koji.TASK_STATES


def test_build_task_request_shape(hub, admin):
    hub.add_tag('dist')
    hub.add_target('dist', 'dist', 'dist')
    tid = hub.build('git+http://localhost/hello.git#HEAD', 'dist', {'scratch': True})
    info = admin.getTaskInfo(tid, request=True)
    assert info['request'] == ['git+http://localhost/hello.git#HEAD', 'dist',
                               {'scratch': True, 'wait_builds': [],
                                'custom_user_metadata': {}}]
    assert (info['method'], info['arch'], info['priority'], info['weight']) == \
        ('build', 'noarch', 20, 1.0)
    assert info['waiting'] is None and info['awaited'] is None
    assert admin.getChannel(info['channel_id'])['name'] == 'default'
    assert admin.getTaskRequest(tid)[1] == 'dist'
    first, missing = admin.getTaskInfo([tid, 999])
    assert first['id'] == tid and missing is None


def test_open_close_and_result_round_trip(hub, builder, admin):
    tid = hub.make_task('sleep', [1])
    opened = builder.take(tid)
    assert opened['state'] == ST['OPEN'] and opened['start_ts']
    assert opened['request'].startswith('<?xml')
    assert builder.session.host.openTask(tid) is None
    with pytest.raises(koji.GenericError, match='Task %d is not finished' % tid):
        admin.getTaskResult(tid)
    builder.session.host.setTaskWeight(tid, 0.2)
    assert builder.session.host.getHostTasks() == [{'id': tid, 'waiting': None,
                                                    'weight': 0.2}]
    value = {'x': 1, 'big': 2 ** 40, 'none': None}
    builder.close(tid, value)
    assert admin.getTaskResult(tid) == value
    assert admin.taskFinished(tid)
    with pytest.raises(koji.ActionNotAllowed, match='host 1 does not own task %d' % tid):
        builder.close(tid, 1)


def test_failed_task_result_reraises_koji_fault(hub, builder, admin):
    tid = hub.make_task('sleep', [1])
    builder.take(tid)
    builder.fail(tid, koji.BuildError.faultCode, 'probe build failure')
    with pytest.raises(koji.BuildError, match='probe build failure'):
        admin.getTaskResult(tid)
    assert admin.getTaskResult(tid, raise_fault=False) == {
        'faultCode': 1005, 'faultString': 'probe build failure'}
    with pytest.raises(koji.BuildError):
        hub.task_result(tid)


def test_cancel_cascades_to_descendants(hub, builder, admin):
    parent = hub.make_task('build', ['x', 'dist', {}])
    builder.take(parent)
    child = builder.session.host.subtask('buildArch', ['a'], parent, label='x86_64')
    grandchild = hub.make_task('sleep', [1], parent=child)
    admin.cancelTask(parent)
    states = [hub.task_info(t)['state'] for t in (parent, child, grandchild)]
    assert states == [ST['CANCELED']] * 3
    with pytest.raises(koji.GenericError, match='Task %d is canceled' % parent):
        admin.getTaskResult(parent)
    with pytest.raises(koji.ActionNotAllowed):
        builder.close(parent, None)


def test_cancel_task_children_and_permissions(hub, builder, admin):
    parent = hub.make_task('build', ['x', 'dist', {}])
    builder.take(parent)
    kid = builder.session.host.subtask('sleep', [1], parent)
    hub.add_user('mallory', 'pw')
    with pytest.raises(koji.ActionNotAllowed):
        hub.session('mallory', 'pw').cancelTask(kid)
    builder.session.cancelTaskChildren(parent)
    assert hub.task_info(kid)['state'] == ST['CANCELED']
    assert hub.task_info(parent)['state'] == ST['OPEN']


def test_free_tasks_rules(hub, builder):
    held = hub.make_task('sleep', [1])
    done = hub.make_task('sleep', [1])
    free = hub.make_task('sleep', [1])
    builder.take(held)
    builder.take(done)
    builder.close(done, None)
    with pytest.raises(koji.GenericError, match='No such task: 999999'):
        builder.session.host.freeTasks([held, 999999])
    assert hub.task_info(held)['state'] == ST['OPEN']
    builder.session.host.freeTasks([held, done, free])
    assert [hub.task_info(t)['state'] for t in (held, done, free)] == \
        [ST['FREE'], ST['CLOSED'], ST['FREE']]
    assert hub.task_info(held)['host_id'] is None


def test_refuse_task_frees_and_records(hub, builder):
    tid = hub.make_task('sleep', [1])
    builder.ready()
    assert [t['id'] for t in builder.session.host.getTasks()] == [tid]
    builder.session.host.refuseTask(tid, soft=True, msg='not today')
    assert hub.task_info(tid)['state'] == ST['FREE']
    [ref] = hub.refusals(tid)
    assert (ref['soft'], ref['by_host'], ref['msg']) == (True, True, 'not today')
    assert builder.session.host.getTasks() == []
    other = hub.make_task('sleep', [1])
    builder.session.host.refuseTask(other, soft=False, msg='not mine')
    assert hub.refusals(other) == []


def test_subtask_options_and_labels(hub, builder, admin):
    parent = hub.make_task('build', ['x', 'dist', {}])
    builder.take(parent)
    host = builder.session.host
    kid = host.subtask('sleep', [1], parent, label='probe-a', arch='noarch')
    assert host.subtask('other', [2], parent, label='probe-a', arch='x86_64') == kid
    info = admin.getTaskInfo(kid, request=True)
    assert (info['state'], info['priority'], info['parent'], info['owner']) == \
        (ST['FREE'], 19, parent, 1)
    kw = host.subtask('sleep', [], parent, channel='createrepo', priority=7, arch='x86_64',
                      kwargs={'n': 4})
    info = admin.getTaskInfo(kw, request=True)
    assert info['request'] == [{'__starstar': True, 'n': 4}]
    assert (info['channel_id'], info['priority'], info['arch']) == (2, 7, 'x86_64')
    assigned = host.subtask('sleep', [1], parent, assign='builder1')
    assert hub.task_info(assigned)['state'] == ST['ASSIGNED']
    with pytest.raises(koji.ActionNotAllowed, match='The owner option is not allowed here'):
        host.subtask('sleep', [1], parent, owner='kojiadmin')
    s2 = host.subtask2(parent, {'label': 'two'}, 'sleep', 5)
    assert admin.getTaskRequest(s2) == [5]
    assert [c['id'] for c in admin.getTaskChildren(parent)] == [kid, kw, assigned, s2]


def test_wait_protocol(hub, builder):
    host = builder.session.host
    parent = hub.make_task('build', ['x', 'dist', {}])
    builder.take(parent)
    kids = [host.subtask('sleep', [i], parent, label=str(i)) for i in range(4)]
    host.taskSetWait(parent, kids)
    assert host.taskWait(parent) == [[], kids]
    assert host.getHostTasks()[0]['waiting'] is True
    builder.take(kids[0])
    builder.close(kids[0], {'x': 1})
    assert host.getHostTasks()[0]['alert'] is True
    assert host.taskWait(parent) == [[kids[0]], kids[1:]]
    assert 'alert' not in host.getHostTasks()[0]
    assert host.taskWaitResults(parent, [kids[0]]) == [[kids[0], {'x': 1}]]
    assert hub.task_info(parent)['waiting'] is False


def test_wait_results_faults_and_canfail(hub, builder):
    host = builder.session.host
    parent = hub.make_task('build', ['x', 'dist', {}])
    builder.take(parent)
    failed, canceled, running = [host.subtask('sleep', [i], parent) for i in range(3)]
    builder.take(failed)
    builder.fail(failed, 1005, 'probe build failure')
    hub.cancel_task(canceled)
    with pytest.raises(koji.BuildError):
        host.taskWaitResults(parent, [failed])
    with pytest.raises(koji.GenericError, match='Task %d is canceled' % canceled):
        host.taskWaitResults(parent, [canceled])
    assert host.taskWaitResults(parent, [failed, canceled], canfail=[failed, canceled]) == [
        [failed, {'faultCode': 1005, 'faultString': 'probe build failure'}],
        [canceled, {'faultCode': 1000, 'faultString': 'Task %d is canceled' % canceled}]]
    with pytest.raises(koji.GenericError, match='Task %d is not finished' % running):
        host.taskWaitResults(parent, [running], canfail=[running])
    assert [r[0] for r in host.taskWaitResults(parent, None, canfail=[failed, canceled])] \
        == [failed, canceled]


def test_list_tasks_and_output(hub, builder, admin):
    a = hub.make_task('sleep', [1])
    b = hub.make_task('newRepo', ['dist'], channel='createrepo', priority=15)
    builder.take(a)
    open_ids = [t['id'] for t in admin.listTasks({'state': [ST['OPEN']]})]
    assert open_ids == [a]
    rows = admin.listTasks({'method': 'newRepo', 'decode': True})
    assert [(r['id'], r['request']) for r in rows] == [(b, ['dist'])]
    assert admin.listTasks(queryOpts={'order': '-id', 'limit': 1})[0]['id'] == b
    assert admin.listTaskOutput(a) == []


def test_wait_task_polls_until_finished(hub, builder):
    tid = hub.make_task('sleep', [1])
    with pytest.raises(TimeoutError, match='still FREE'):
        hub.wait_task(tid, timeout=0.1)
    builder.take(tid)
    assert hub.wait_task(tid, timeout=1, states=('OPEN',))['state'] == ST['OPEN']
    builder.close(tid, 'done')
    assert hub.wait_task(tid)['state'] == ST['CLOSED']


def test_concurrent_clients(hub, new_builder):
    builders = [new_builder('b%d' % i, capacity=100.0) for i in range(4)]
    ids = [hub.make_task('sleep', [i]) for i in range(40)]
    errors = []

    def work(b):
        sess = b.session.subsession()
        try:
            for tid in ids:
                if sess.host.openTask(tid) is not None:
                    sess.host.closeTask(tid, dumps((b.name,), methodresponse=1))
        except Exception as ex:  # collected and asserted below
            errors.append(ex)

    threads = [threading.Thread(target=work, args=(b,)) for b in builders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {hub.task_info(t)['state'] for t in ids} == {ST['CLOSED']}
