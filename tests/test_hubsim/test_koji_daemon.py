"""koji's own TaskManager (the kojid main loop pieces) run unchanged against the simulator:
scheduling, openTask, setTaskWeight, forking with subsessions, closeTask/failTask, the
SIGUSR2 wake-up of waiting parents via getHostTasks alerts, and freeTasks on shutdown."""

from __future__ import annotations

import dataclasses
import time

import koji
import koji.daemon
import koji.tasks
import pytest

ST = koji.TASK_STATES


@dataclasses.dataclass
class Options:
    workdir: str
    mockdir: str
    maxjobs: int = 5
    minspace: int = 1
    sleeptime: int = 0
    failed_buildroot_lifetime: int = 3600
    buildroot_basic_cleanup_delay: int = 120
    buildroot_final_cleanup_delay: int = 86400
    topdir: str = ''
    topurl: str = ''


class ProbeParentTask(koji.tasks.BaseTaskHandler):
    """Spawns a sleep subtask (and a failing one) and waits for them."""

    Methods = ['probeParent']
    _taskWeight = 0.1

    def handler(self, fail):
        host = self.session.host
        kids = [host.subtask(method='sleep', arglist=[0], label='ok', parent=self.id)]
        if fail:
            kids.append(host.subtask(method='default', arglist=[], label='bad',
                                     parent=self.id))
        results = self.wait(kids, all=True, failany=True)
        return sorted(results)


@pytest.fixture
def manager(hub, tmp_path):
    hub.add_host('builder1', capacity=4.0)
    session = hub.host_session('builder1')
    opts = Options(workdir=str(tmp_path / 'work'), mockdir=str(tmp_path / 'mock'),
                   topdir=str(hub.topdir), topurl=hub.topurl)
    (tmp_path / 'mock').mkdir()
    tm = koji.daemon.TaskManager(opts, session)
    tm.findHandlers(vars(koji.tasks))
    tm.registerHandler(ProbeParentTask)
    yield tm
    tm.shutdown()


def _run_until_done(hub, tm, task_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tm.updateTasks()
        tm.getNextTask()
        info = hub.task_info(task_id)
        if info['state'] in (ST['CLOSED'], ST['FAILED'], ST['CANCELED']):
            return info
        time.sleep(0.05)
    raise AssertionError('task %d not finished: %s' % (task_id, hub.task_info(task_id)))


def test_task_manager_runs_a_task(hub, manager):
    tid = hub.make_task('sleep', [0])
    info = _run_until_done(hub, manager, tid)
    assert info['state'] == ST['CLOSED']
    assert hub.task_result(tid) is None
    assert info['weight'] == koji.tasks.SleepTask._taskWeight
    host = hub.session().getHost('builder1')
    assert host['ready'] is True


def test_task_manager_wakes_waiting_parent(hub, manager):
    tid = hub.make_task('probeParent', [False])
    info = _run_until_done(hub, manager, tid)
    assert info['state'] == ST['CLOSED']
    [child] = hub.children(tid)
    assert hub.task_result(tid) == [child['id']]
    assert child['state'] == ST['CLOSED']


def test_task_manager_reports_subtask_failure(hub, manager):
    tid = hub.make_task('probeParent', [True])
    info = _run_until_done(hub, manager, tid)
    assert info['state'] == ST['FAILED']
    with pytest.raises(koji.GenericError, match='Invalid method: default'):
        hub.task_result(tid)
    assert sorted(c['state'] for c in hub.children(tid)) == [ST['CLOSED'], ST['FAILED']]


def test_shutdown_frees_held_tasks(hub, manager):
    tid = hub.make_task('sleep', [30])
    deadline = time.monotonic() + 10
    while hub.task_info(tid)['state'] != ST['OPEN'] and time.monotonic() < deadline:
        manager.updateTasks()
        manager.getNextTask()
    assert hub.task_info(tid)['state'] == ST['OPEN']
    manager.shutdown()
    assert hub.task_info(tid)['state'] == ST['FREE']
    assert hub.session().getHost('builder1')['ready'] is False
