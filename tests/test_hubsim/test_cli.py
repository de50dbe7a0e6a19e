"""`python -m hubsim`: submitting tasks to a running hub, and serving a standalone hub."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys

import koji

TESTS = pathlib.Path(__file__).resolve().parents[1]


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.run([sys.executable, '-m', 'hubsim', *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_cli_build_chain_build_and_regen_repo(hub):
    hub.add_tag('dist')
    hub.add_target('dist', 'dist', 'dist')
    done = _cli('build', '--server', hub.url, 'dist', 'git+http://x/hello.git#HEAD',
                '--scratch')
    assert done.returncode == 0, done.stderr
    tid = int(done.stdout)
    assert hub.task_info(tid, request=True)['request'] == [
        'git+http://x/hello.git#HEAD', 'dist',
        {'scratch': True, 'wait_builds': [], 'custom_user_metadata': {}}]
    done = _cli('chain-build', '--server', hub.url, 'dist', 'git+http://x/a#1', ':',
                'git+http://x/b#2')
    assert done.returncode == 0, done.stderr
    assert hub.task_info(int(done.stdout), request=True)['request'][0] == [
        ['git+http://x/a#1'], ['git+http://x/b#2']]
    done = _cli('regen-repo', '--server', hub.url, 'dist')
    info = hub.task_info(int(done.stdout), request=True)
    assert (info['method'], info['priority'], info['request']) == ('newRepo', 15, ['dist'])


def test_cli_make_task_cancel_and_faults(hub):
    done = _cli('make-task', '--server', hub.url, 'sleep', '[5]', '--priority', '3')
    tid = int(done.stdout)
    assert hub.task_info(tid, request=True)['request'] == [5]
    assert hub.task_info(tid)['priority'] == 3
    assert _cli('cancel', '--server', hub.url, str(tid)).returncode == 0
    assert hub.task_info(tid)['state'] == koji.TASK_STATES['CANCELED']
    info = json.loads(_cli('task-info', '--server', hub.url, str(tid)).stdout)
    assert info['method'] == 'sleep'
    failed = _cli('build', '--server', hub.url, 'nosuchtarget', 'git+http://x#1')
    assert failed.returncode == 1
    assert 'No such build target: nosuchtarget' in failed.stderr


def test_cli_serve(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    proc = subprocess.Popen([sys.executable, '-m', 'hubsim', 'serve', '--topdir',
                             str(tmp_path / 'koji'), '--host', 'builder1:x86_64',
                             '--tag', 'dist', '--target', 'dist'],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        info = json.loads(proc.stdout.readline())
        sess = koji.ClientSession(info['url'])
        assert sess.getHost('builder1')['arches'] == 'x86_64'
        assert sess.getBuildTarget('dist')['build_tag_name'] == 'dist'
        assert info['topurl'].endswith('/kojifiles')
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
