"""Dist repos (`koji dist-repo`): the root `distRepo` call and `host.distRepoMove`.

Owns `topdir/repos-dist`.  `distRepo(tag, keys, **task_opts)` does what the hub's
dist_repo_init does (a repo row with `dist` true in state INIT, `repos-dist/<tag>/<id>/` with
`repo.json` and `groups/comps.xml`) and creates the `distRepo` task (channel createrepo,
priority 15) with `task_opts['event']` set.  `host.distRepoMove` reads the uploaded
`repo_manifest` and `kojipkgs`, checks every kojipkgs entry against the rpm table, moves the
uploaded files into `repos-dist/<tag>/<id>/<arch>/` and hard-links each rpm (its signed copy
when `sigkey` is set) into `Packages/<first letter>/`.  `host.repoDone(repo_id, {})` then
marks the repo READY and points `repos-dist/<tag>/latest` at it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from typing import Any

import koji

from . import tasks as tasks_mod
from .api import Context, exported
from .imports import build_dir
from .repos import INIT, repo_dir
from .state import HubState
from .tags import find_tag, tag_groups

CHECKED_FIELDS = ('name', 'version', 'release', 'arch', 'epoch', 'size', 'payloadhash',
                  'build_id')


def dist_repo_init(state: HubState, tag: Any, keys: list, task_opts: dict) -> tuple[int, int]:
    tinfo = find_tag(state, tag, strict=True)
    event = task_opts.get('event')
    event = state.new_event() if event is None else int(event)
    rid = state.next_id('repo')
    repo = {'id': rid, 'tag_id': tinfo['id'], 'create_event': event, 'state': INIT,
            'state_ts': state.now(), 'create_ts': state.now(), 'dist': True,
            'opts': {}, 'custom_opts': {}, 'task_id': None}
    state.repos[rid] = repo
    base = repo_dir(state, repo)
    os.makedirs(os.path.join(base, 'groups'), exist_ok=True)
    comps = task_opts.get('comps')
    if comps:
        shutil.copyfile(os.path.join(str(state.topdir), 'work', comps),
                        os.path.join(base, 'groups', 'comps.xml'))
    else:
        with open(os.path.join(base, 'groups', 'comps.xml'), 'w') as fo:
            fo.write(koji.generate_comps(tag_groups(state, tinfo, event), expand_groups=True))
    with open(os.path.join(base, 'repo.json'), 'w') as fo:
        json.dump({'id': rid, 'tag': tinfo['name'], 'tag_id': tinfo['id'], 'event_id': event,
                   'keys': list(keys), 'task_opts': task_opts}, fo, indent=2)
    return rid, event


def _check_rpm(state: HubState, fn: str, info: dict) -> dict:
    rpm = state.rpms.get(info.get('id'))
    if rpm is None:
        raise koji.GenericError('Unknown rpm in kojipkgs: %s' % fn)
    for key in CHECKED_FIELDS:
        if rpm[key] != info.get(key):
            raise koji.GenericError('rpm mismatch for %s: %s is %r, kojipkgs says %r'
                                    % (fn, key, rpm[key], info.get(key)))
    return rpm


def _link(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError as ex:
        if ex.errno != errno.EXDEV:
            raise
        shutil.copyfile(src, dst)


def dist_repo_move(state: HubState, repo_id: int, uploadpath: str, arch: str) -> None:
    repo = state.repos.get(int(repo_id))
    if repo is None or not repo['dist']:
        raise koji.GenericError('No such dist repo: %s' % repo_id)
    if repo['state'] != INIT:
        raise koji.GenericError('Repo %d not in INIT state (got %d)' % (repo['id'],
                                                                        repo['state']))
    workdir = os.path.join(str(state.topdir), 'work', uploadpath)
    archdir = os.path.join(repo_dir(state, repo), koji.canonArch(arch))
    with open(os.path.join(workdir, 'repo_manifest')) as fo:
        manifest = json.load(fo)
    with open(os.path.join(workdir, 'kojipkgs')) as fo:
        kojipkgs = json.load(fo)
    links = []
    for fn, info in sorted(kojipkgs.items()):
        rpm = _check_rpm(state, fn, info)
        bdir = build_dir(state, state.builds[rpm['build_id']])
        rel = koji.pathinfo.signed(rpm, info['sigkey']) if info.get('sigkey') else \
            koji.pathinfo.rpm(rpm)
        src = os.path.join(bdir, rel)
        if not os.path.exists(src):
            raise koji.GenericError('File missing: %s' % src)
        links.append((src, os.path.join(archdir, 'Packages', fn[0].lower(), fn)))
    for rel in manifest:
        src = os.path.join(workdir, rel)
        if not os.path.exists(src):
            raise koji.GenericError('uploaded file missing: %s' % src)
    for rel in manifest:
        dst = os.path.join(archdir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.move(os.path.join(workdir, rel), dst)
    for src, dst in links:
        _link(src, dst)


# ---------------------------------------------------------------- exported calls

@exported('distRepo')
def dist_repo(ctx: Context, tag: Any, keys: list, **task_opts: Any) -> int:
    ctx.assert_admin()
    user = ctx.assert_login()
    rid, event = dist_repo_init(ctx.state, tag, keys, task_opts)
    task_opts['event'] = event
    task_id = tasks_mod.make_task(ctx.state, 'distRepo', [tag, rid, keys, task_opts],
                                  owner=user['id'], channel='createrepo',
                                  priority=koji.PRIO_DEFAULT - 5)
    ctx.state.repos[rid]['task_id'] = task_id
    return task_id


@exported('host.distRepoMove', host=True)
def host_dist_repo_move(ctx: Context, repo_id: int, uploadpath: str, arch: str) -> None:
    dist_repo_move(ctx.state, repo_id, uploadpath, arch)
