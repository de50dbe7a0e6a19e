"""Repositories: host.repoInit/repoDone, repo requests, and the repo queries.

Owns `repos` and `repo_requests` of `HubState` and everything under `topdir/repos`.
repoInit writes the skeleton of kojid-contract 2.5/10.4 (repo.json, groups/comps.xml and per
arch pkglist, rpmlist.jsonl, blocklist and a relative toplink); repoDone moves the uploaded
repodata in, marks the repo READY, points `latest` at it and satisfies pending requests.
A new repo request immediately gets a `newRepo` task (the hub's repo queue, simplified: a
request whose task failed or was canceled becomes inactive, there are no retries).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any, Optional

import koji

from . import tasks as tasks_mod
from .api import Context, exported
from .state import HubState, timestr
from .tagged import tagged_builds, tagged_rpms
from .events import last_change_event
from .tags import find_tag, tag_config, tag_groups, tag_order

REPO_STATES = koji.REPO_STATES
INIT, READY, EXPIRED = REPO_STATES['INIT'], REPO_STATES['READY'], REPO_STATES['EXPIRED']
DEFAULT_OPTS = {'src': False, 'debuginfo': False, 'separate_src': False, 'maven': False}


def repo_dir(state: HubState, repo: dict) -> str:
    """`repos/<tag>/<id>`, or `repos-dist/<tag>/<id>` for a dist repo."""
    return os.path.join(str(state.topdir), 'repos-dist' if repo['dist'] else 'repos',
                        state.tags[repo['tag_id']]['name'], str(repo['id']))


def repo_init(state: HubState, tag: Any, task_id: Optional[int] = None,
              event: Optional[int] = None, opts: Optional[dict] = None) -> list:
    tinfo = find_tag(state, tag, strict=True)
    event = state.new_event() if event is None else int(event)
    full_opts = dict(DEFAULT_OPTS, **(opts or {}))
    rid = state.next_id('repo')
    repo = {'id': rid, 'tag_id': tinfo['id'], 'create_event': event, 'state': INIT,
            'state_ts': state.now(), 'create_ts': state.now(), 'dist': False,
            'opts': full_opts, 'custom_opts': dict(opts or {}), 'task_id': task_id}
    state.repos[rid] = repo
    _write_skeleton(state, repo, tinfo, event, full_opts)
    return [rid, event]


def _repo_arches(state: HubState, tag: dict, event: int, opts: dict) -> list[str]:
    own = tag_config(state, tag['id'], event)['arches'].split()
    arches = sorted({koji.canonArch(a) for a in own} - {'src', 'noarch'})
    return arches + (['src'] if opts['separate_src'] else [])


def _write_skeleton(state: HubState, repo: dict, tag: dict, event: int, opts: dict) -> None:
    base = repo_dir(state, repo)
    os.makedirs(os.path.join(base, 'groups'), exist_ok=True)
    with open(os.path.join(base, 'groups', 'comps.xml'), 'w') as fo:
        fo.write(koji.generate_comps(tag_groups(state, tag, event), expand_groups=True))
    builds = {b['id']: b for b in tagged_builds(state, tag, event, inherit=True, latest=True)}
    rpms = tagged_rpms(state, list(builds.values()))
    blocked = sorted(_blocked_names(state, tag, event))
    for arch in _repo_arches(state, tag, event, opts):
        chosen = [r for r in rpms if _rpm_in_arch(r, arch, opts)]
        _write_arch(base, arch, chosen, builds, blocked)
    with open(os.path.join(base, 'repo.json'), 'w') as fo:
        json.dump({'id': repo['id'], 'tag': tag['name'], 'tag_id': tag['id'],
                   'task_id': repo['task_id'], 'event_id': event, 'opts': opts,
                   'custom_opts': repo['custom_opts'], 'with_src': opts['src'],
                   'with_separate_src': opts['separate_src'],
                   'with_debuginfo': opts['debuginfo']}, fo, indent=2)


def _rpm_in_arch(rpm: dict, arch: str, opts: dict) -> bool:
    if rpm['arch'] == 'src':
        return arch == 'src' or (opts['src'] and arch != 'src')
    if arch == 'src':
        return False
    if koji.is_debuginfo(rpm['name']) and not opts['debuginfo']:
        return False
    return rpm['arch'] == 'noarch' or koji.canonArch(rpm['arch']) == arch


def _blocked_names(state: HubState, tag: dict, event: int) -> set[str]:
    names = set()
    seen = set()
    for tid in tag_order(state, tag['id'], event):
        for row in state.tag_packages.at(event, tag_id=tid):
            if row['package_id'] in seen:
                continue
            seen.add(row['package_id'])
            if row['blocked']:
                names.add(state.packages[row['package_id']])
    return names


def _write_arch(base: str, arch: str, rpms: list[dict], builds: dict,
                blocked: list[str]) -> None:
    archdir = os.path.join(base, arch)
    os.makedirs(archdir, exist_ok=True)
    lines, jsonl = [], []
    for rpm in rpms:
        build = builds[rpm['build_id']]
        fname = '%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % rpm
        lines.append('toplink/packages/%s/%s/%s/%s/%s\n' % (
            build['name'], build['version'], build['release'], rpm['arch'], fname))
        jsonl.append(json.dumps({k: rpm[k] for k in (
            'name', 'version', 'release', 'arch', 'id', 'epoch', 'draft', 'payloadhash',
            'size', 'buildtime', 'buildroot_id', 'build_id', 'metadata_only')}) + '\n')
    for name, content in (('pkglist', lines), ('rpmlist.jsonl', jsonl),
                          ('blocklist', [n + '\n' for n in blocked])):
        with open(os.path.join(archdir, name), 'w') as fo:
            fo.writelines(content)
    os.symlink('../../../..', os.path.join(archdir, 'toplink'))


def repo_done(state: HubState, repo_id: int, data: dict, expire: bool = False,
              repo_json_updates: Optional[dict] = None) -> None:
    repo = state.repos.get(int(repo_id))
    if repo is None:
        raise koji.GenericError('No such repo: %s' % repo_id)
    if repo['state'] != INIT:
        raise koji.GenericError('Repo %d not in INIT state (got %d)'
                                % (repo['id'], repo['state']))
    base = repo_dir(state, repo)
    moves = []
    for arch, (uploadpath, files) in data.items():
        archdir = os.path.join(base, koji.canonArch(arch))
        if not os.path.isdir(archdir):
            raise koji.GenericError('Repo arch directory missing: %s' % archdir)
        for fn in files:
            src = os.path.join(str(state.topdir), 'work', uploadpath, fn)
            if not os.path.exists(src):
                raise koji.GenericError('uploaded file missing: %s' % src)
            dst = os.path.join(archdir, fn) if fn.endswith('pkglist') else \
                os.path.join(archdir, 'repodata', fn)
            moves.append((src, dst))
    for src, dst in moves:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.move(src, dst)
    if repo_json_updates:
        _update_repo_json(base, repo_json_updates)
    _mark_done(state, repo, EXPIRED if expire else READY)


def _update_repo_json(base: str, updates: dict) -> None:
    path = os.path.join(base, 'repo.json')
    with open(path) as fo:
        data = json.load(fo)
    data.update(updates)
    with open(path, 'w') as fo:
        json.dump(data, fo, indent=2)


def _mark_done(state: HubState, repo: dict, new_state: int) -> None:
    repo['state'] = new_state
    repo['state_ts'] = state.now()
    if new_state == READY and (repo['dist'] or repo['opts'] == DEFAULT_OPTS):
        latest = os.path.join(os.path.dirname(repo_dir(state, repo)), 'latest')
        if os.path.lexists(latest):
            os.unlink(latest)
        os.symlink(str(repo['id']), latest)
    for req in state.repo_requests.values():
        if req['active'] and req['tag_id'] == repo['tag_id'] and _satisfies(
                state, repo, req['min_event'], req['at_event'], req['opts']):
            req.update(active=False, repo_id=repo['id'])


def make_ready_repo(state: HubState, tag: Any, repodata: bool = False) -> dict:
    """repoInit + READY; with `repodata`, createrepo_c writes real metadata per arch."""
    rid, _event = repo_init(state, tag)
    if repodata:
        base = repo_dir(state, state.repos[rid])
        for arch in sorted(os.listdir(base)):
            if os.path.isfile(os.path.join(base, arch, 'pkglist')):
                _createrepo(os.path.join(base, arch), os.path.join(base, 'groups',
                                                                   'comps.xml'))
    _mark_done(state, state.repos[rid], READY)
    return repo_info_row(state, state.repos[rid])


def _createrepo(archdir: str, comps: str) -> None:
    cmd = ['createrepo_c', '--error-exit-val', '-q', '-o', archdir,
           '-i', os.path.join(archdir, 'pkglist'), '-g', comps, archdir]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError('make_repo(repodata=True) needs createrepo_c on the host '
                           '(apt-get install createrepo-c)') from None
    if proc.returncode != 0:
        raise RuntimeError('createrepo_c failed in %s: %s' % (archdir, proc.stderr.strip()))


def _satisfies(state: HubState, repo: dict, min_event: Optional[int],
               at_event: Optional[int], opts: Optional[dict]) -> bool:
    if repo['state'] != READY or repo['dist']:
        return False
    if at_event is not None and repo['create_event'] != at_event:
        return False
    if min_event is not None and repo['create_event'] < min_event:
        return False
    return repo['opts'] == dict(DEFAULT_OPTS, **(opts or {}))


def repo_info_row(state: HubState, repo: dict) -> dict:
    tag = state.tags[repo['tag_id']]
    create_ts = state.event_ts[repo['create_event']]
    begin = last_change_event(state, tag, repo['create_event'])
    later = [ev for ev in _tag_events(state, tag) if ev > repo['create_event']]
    end = min(later) if later else None
    task = state.tasks.get(repo['task_id']) if repo['task_id'] else None
    return {'id': repo['id'], 'tag_id': tag['id'], 'tag_name': tag['name'],
            'create_event': repo['create_event'], 'create_ts': create_ts,
            'creation_time': timestr(create_ts), 'creation_ts': create_ts,
            'state': repo['state'], 'state_time': timestr(repo['state_ts']),
            'state_ts': repo['state_ts'], 'begin_event': begin,
            'begin_ts': state.event_ts.get(begin), 'end_event': end,
            'end_ts': state.event_ts.get(end), 'dist': repo['dist'], 'opts': dict(repo['opts']),
            'custom_opts': dict(repo['custom_opts']), 'task_id': repo['task_id'],
            'task_state': task.state if task else None}


def _tag_events(state: HubState, tag: dict) -> list[int]:
    last = last_change_event(state, tag)
    return [ev for ev in range(1, (last or 0) + 1)
            if last_change_event(state, tag, ev) == ev]


def best_repo(state: HubState, tag: dict, min_event: Optional[int] = None,
              at_event: Optional[int] = None, opts: Optional[dict] = None,
              max_event: Optional[int] = None) -> Optional[dict]:
    found = [r for r in state.repos.values() if r['tag_id'] == tag['id']
             and _satisfies(state, r, min_event, at_event, opts)
             and (max_event is None or r['create_event'] <= max_event)]
    if not found:
        return None
    return repo_info_row(state, max(found, key=lambda r: (r['create_event'], r['id'])))


def _min_event(state: HubState, tag: dict, min_event: Any) -> Optional[int]:
    return last_change_event(state, tag) if min_event == 'last' else min_event


# ---------------------------------------------------------------- exported calls

@exported('host.repoInit', host=True)
def host_repo_init(ctx: Context, tag: Any, task_id: Optional[int] = None,
                   event: Optional[int] = None, opts: Optional[dict] = None) -> list:
    return repo_init(ctx.state, tag, task_id, event, opts)


@exported('host.repoDone', host=True)
def host_repo_done(ctx: Context, repo_id: int, data: dict, expire: bool = False,
                   repo_json_updates: Optional[dict] = None) -> None:
    repo_done(ctx.state, repo_id, data, expire, repo_json_updates)


@exported('repoInfo')
def repo_info(ctx: Context, repo_id: int, strict: bool = False) -> Optional[dict]:
    repo = ctx.state.repos.get(int(repo_id))
    if repo is None:
        if strict:
            raise koji.GenericError('Repo %s does not exist' % repo_id)
        return None
    return repo_info_row(ctx.state, repo)


@exported('getRepo')
def get_repo(ctx: Context, tag: Any, state: Optional[int] = None,
             event: Optional[int] = None, dist: bool = False,
             min_event: Optional[int] = None) -> Optional[dict]:
    tinfo = find_tag(ctx.state, tag, strict=True)
    wanted = READY if state is None else state
    found = [r for r in ctx.state.repos.values() if r['tag_id'] == tinfo['id']
             and r['state'] == wanted and r['dist'] == bool(dist)
             and (event is None or r['create_event'] <= event)
             and (min_event is None or r['create_event'] >= min_event)]
    if not found:
        return None
    return repo_info_row(ctx.state, max(found, key=lambda r: (r['create_event'], r['id'])))


@exported('repo.get')
def repo_get(ctx: Context, tag: Any, min_event: Any = None, at_event: Any = None,
             opts: Optional[dict] = None) -> Optional[dict]:
    tinfo = find_tag(ctx.state, tag, strict=True)
    return best_repo(ctx.state, tinfo, _min_event(ctx.state, tinfo, min_event), at_event,
                     opts)


@exported('repo.request')
def repo_request(ctx: Context, tag: Any, min_event: Any = None, at_event: Any = None,
                 opts: Optional[dict] = None, priority: Optional[int] = None,
                 force: bool = False) -> dict:
    user = ctx.assert_login()
    state = ctx.state
    tinfo = find_tag(state, tag, strict=True)
    min_ev = _min_event(state, tinfo, min_event)
    if not force:
        repo = best_repo(state, tinfo, min_ev, at_event, opts)
        if repo is not None:
            return {'repo': repo, 'request': None, 'duplicate': False}
    for req in state.repo_requests.values():
        if req['active'] and req['tag_id'] == tinfo['id'] and req['min_event'] == min_ev \
                and req['at_event'] == at_event and req['opts'] == (opts or {}):
            return {'repo': None, 'request': _request_row(state, req), 'duplicate': True}
    req = _new_request(state, user, tinfo, min_ev, at_event, opts, priority)
    return {'repo': None, 'request': _request_row(state, req), 'duplicate': False}


def _new_request(state: HubState, user: dict, tag: dict, min_ev: Optional[int],
                 at_event: Optional[int], opts: Optional[dict],
                 priority: Optional[int]) -> dict:
    rid = state.next_id('repo_request')
    req = {'id': rid, 'owner': user['id'], 'tag_id': tag['id'], 'min_event': min_ev,
           'at_event': at_event, 'opts': dict(opts or {}), 'priority': priority or 0,
           'active': True, 'task_id': None, 'repo_id': None, 'tries': 0,
           'create_ts': state.now()}
    state.repo_requests[rid] = req
    if state.config.auto_repo_tasks:
        kwargs = {'opts': dict(opts or {})}
        if at_event is not None:
            kwargs['event'] = at_event
        args = list(koji.encode_args({'id': tag['id'], 'name': tag['name']}, **kwargs))
        req['task_id'] = tasks_mod.make_task(state, 'newRepo', args, owner=user['id'],
                                             channel='createrepo',
                                             priority=koji.PRIO_DEFAULT - 5)
        req['tries'] = 1
    return req


def _request_row(state: HubState, req: dict) -> dict:
    task = state.tasks.get(req['task_id']) if req['task_id'] else None
    return dict(req, tag_name=state.tags[req['tag_id']]['name'],
                task_state=task.state if task else None,
                create_time=timestr(req['create_ts']))


@exported('repo.checkRequest')
def repo_check_request(ctx: Context, req_id: int) -> dict:
    req = ctx.state.repo_requests.get(int(req_id))
    if req is None:
        raise koji.GenericError('No such repo request: %s' % req_id)
    task = ctx.state.tasks.get(req['task_id']) if req['task_id'] else None
    if req['active'] and task is not None and task.state in (
            koji.TASK_STATES['FAILED'], koji.TASK_STATES['CANCELED']):
        req['active'] = False
    repo = ctx.state.repos.get(req['repo_id']) if req['repo_id'] else None
    out = {'repo': repo_info_row(ctx.state, repo) if repo else None,
           'request': _request_row(ctx.state, req)}
    if req['task_id']:
        out['task'] = ctx.state.tasks[req['task_id']].row()
    return out
