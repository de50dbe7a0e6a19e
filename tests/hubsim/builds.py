"""Builds and rpms: host.initBuild/completeBuild/failBuild/moveBuildToScratch and queries.

Owns `builds` and `rpms` of `HubState` (external rpms created by buildroot listings live in
`rpms` too, with a non-zero `external_repo_id`).  The import checks and their order are the
hub's (kojid-contract 2.6, 6, 10.7); file handling is in `imports.py`.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
from typing import Any, Optional

import koji

from . import imports, notify
from .api import Context, exported, get_user
from .state import HubState, timestr
from .tags import package_id
from .tasks import apply_query_opts

BUILD_STATES = koji.BUILD_STATES
BUILDING, COMPLETE, FAILED = (BUILD_STATES['BUILDING'], BUILD_STATES['COMPLETE'],
                              BUILD_STATES['FAILED'])


def build_row(state: HubState, build: dict) -> dict:
    owner = state.users[build['owner_id']]
    row = {k: build[k] for k in ('id', 'name', 'version', 'release', 'epoch', 'state',
                                 'task_id', 'owner_id', 'source', 'extra', 'draft',
                                 'package_id', 'creation_event_id', 'start_ts',
                                 'completion_ts')}
    row.update(build_id=build['id'], package_name=build['name'], owner_name=owner['name'],
               nvr='%(name)s-%(version)s-%(release)s' % build,
               creation_ts=state.event_ts[build['creation_event_id']],
               creation_time=timestr(state.event_ts[build['creation_event_id']]),
               start_time=timestr(build['start_ts']),
               completion_time=timestr(build['completion_ts']),
               volume_id=0, volume_name='DEFAULT', cg_id=None, cg_name=None,
               promoter_id=None, promoter_name=None, promotion_time=None,
               promotion_ts=None)
    return row


def find_build(state: HubState, info: Any, strict: bool = False) -> Optional[dict]:
    if isinstance(info, dict):
        info = info.get('id') or '%(name)s-%(version)s-%(release)s' % info
    if isinstance(info, str) and info.isdigit():
        info = int(info)
    for build in state.builds.values():
        if build['id'] == info or '%(name)s-%(version)s-%(release)s' % build == info:
            return build
    if strict:
        raise koji.GenericError('No such build: %s' % (info,))
    return None


def new_build(state: HubState, data: dict, owner_id: int, task_id: Optional[int]) -> dict:
    bid = state.next_id('build')
    build = {'id': bid, 'name': data['name'], 'version': data['version'],
             'release': data['release'], 'epoch': data['epoch'], 'task_id': task_id,
             'owner_id': owner_id, 'source': data.get('source'), 'extra': data.get('extra'),
             'draft': bool(data.get('draft')), 'state': BUILDING,
             'package_id': package_id(state, data['name'], create=True),
             'creation_event_id': state.new_event(), 'start_ts': state.now(),
             'completion_ts': None}
    state.builds[bid] = build
    return build


def rpm_row(state: HubState, rpm: dict) -> dict:
    row = dict(rpm)
    row['nvr'] = '%(name)s-%(version)s-%(release)s' % rpm
    if rpm['external_repo_id']:
        row['external_repo_name'] = state.external_repos[rpm['external_repo_id']]['name']
    return row


def add_rpm(state: HubState, info: dict) -> dict:
    rid = state.next_id('rpm')
    row = state.rpms[rid] = dict(info, id=rid)
    if not row['external_repo_id']:
        _record_unsigned(state, row)
    return row


def _record_unsigned(state: HubState, rpm: dict) -> None:
    """The rpmsigs row (sigkey '') of an imported rpm's own signature header."""
    sighdr = os.path.join(imports.build_dir(state, state.builds[rpm['build_id']]), 'data',
                          'sigcache', rpm['arch'],
                          '%(name)s-%(version)s-%(release)s.%(arch)s.rpm.sig' % rpm)
    if os.path.exists(sighdr):
        with open(sighdr, 'rb') as fo:
            digest = hashlib.md5(fo.read()).hexdigest()
        state.rpm_sigs.append({'rpm_id': rpm['id'], 'sigkey': '', 'sighash': digest})


# ---------------------------------------------------------------- host calls

@exported('host.initBuild', host=True)
def host_init_build(ctx: Context, data: dict) -> int:
    task = ctx.assert_host_task(data.get('task_id'))
    if 'epoch' not in data:
        raise koji.GenericError('No epoch value for build')
    old = find_build(ctx.state, data)
    if old is None:
        return new_build(ctx.state, data, task.owner, task.id)['id']
    if old['state'] == BUILDING:
        if old['task_id'] == task.id:
            return old['id']
        raise koji.GenericError('Build already in progress (task %s)' % old['task_id'])
    if old['state'] in (COMPLETE, BUILD_STATES['DELETED']) or _has_history(ctx.state, old):
        raise koji.GenericError('Build already exists (id=%d, state=%s): %r'
                                % (old['id'], BUILD_STATES[old['state']], data))
    imports.remove_stray_files(ctx.state, old)
    old.update(state=BUILDING, task_id=task.id, owner_id=task.owner, epoch=data['epoch'],
               source=data.get('source'), extra=data.get('extra'), completion_ts=None,
               start_ts=ctx.state.now(), creation_event_id=ctx.state.new_event())
    return old['id']


def _has_history(state: HubState, build: dict) -> bool:
    return bool(state.tag_listing.at(None, build_id=build['id']) or
                any(r['build_id'] == build['id'] for r in state.rpms.values()))


@exported('host.completeBuild', host=True)
def host_complete_build(ctx: Context, task_id: int, build_id: int, srpm: str, rpms: list,
                        brmap: Optional[dict] = None, logs: Optional[dict] = None) -> dict:
    state = ctx.state
    ctx.assert_host_task(task_id)
    build = find_build(state, build_id, strict=True)
    log_paths = [p for paths in (logs or {}).values() for p in paths]
    imports.check_exist(state, [srpm] + list(rpms) + log_paths)
    rpms = imports.dedupe_noarch(state, list(rpms))
    brmap = {k: _buildroot_id(state, v) for k, v in (brmap or {}).items()}
    _check_srpm(state, build, int(task_id), srpm)
    rows = [imports.import_rpm_file(state, build, rel, brmap.get(rel))
            for rel in [srpm] + rpms]
    imports.import_logs(state, build, logs or {})
    for row in rows:
        add_rpm(state, row)
    build.update(state=COMPLETE, completion_ts=state.now())
    state.new_event()
    row = build_row(state, build)
    notify.build_notification(state, int(task_id), row, ctx.user)
    return row


def _buildroot_id(state: HubState, value: Any) -> int:
    try:
        brid = int(value)
    except (TypeError, ValueError):
        brid = None
    if brid not in state.buildroots:
        raise koji.GenericError('no buildroot with ID: %s' % value)
    return brid


def _check_srpm(state: HubState, build: dict, task_id: int, srpm: str) -> None:
    full = imports.work_path(state, srpm)
    info = imports.read_header(full)
    if info['sourcepackage'] != 1:
        raise koji.GenericError('not a source package: %s' % full)
    info['task_id'] = task_id
    for key in ('name', 'version', 'release', 'epoch', 'task_id'):
        if build[key] != info[key]:
            raise koji.GenericError('Unable to complete build: %s mismatch (build: %s, '
                                    'rpm: %s)' % (key, build[key], info[key]))
    if build['state'] != BUILDING:
        raise koji.GenericError('Unable to complete build: state is %s'
                                % BUILD_STATES[build['state']])


@exported('host.failBuild', host=True)
def host_fail_build(ctx: Context, task_id: int, build_id: int) -> None:
    ctx.assert_host_task(task_id)
    build = find_build(ctx.state, build_id, strict=True)
    if build['state'] != BUILDING or build['completion_ts'] is not None:
        raise koji.GenericError('cannot update build %d, state: %s'
                                % (build['id'], BUILD_STATES[build['state']]))
    build.update(state=FAILED, completion_ts=ctx.state.now())
    ctx.state.new_event()
    notify.build_notification(ctx.state, int(task_id), build_row(ctx.state, build), ctx.user)


@exported('host.moveBuildToScratch', host=True)
def host_move_build_to_scratch(ctx: Context, task_id: int, srpm: str, rpms: list,
                               logs: Optional[dict] = None) -> None:
    task = ctx.assert_host_task(task_id)
    log_paths = [p for paths in (logs or {}).values() for p in paths]
    imports.check_exist(ctx.state, [srpm] + list(rpms) + log_paths)
    rpms = imports.dedupe_noarch(ctx.state, list(rpms))
    owner = ctx.state.users[task.owner]['name']
    imports.move_to_scratch(ctx.state, owner, task.id, srpm, rpms, logs)


def import_local(state: HubState, srpm: pathlib.Path, rpms: list[pathlib.Path],
                 owner: str) -> dict:
    """Admin import of local files as a COMPLETE build (copies, then the hub's checks)."""
    info = imports.read_header(str(srpm))
    user = get_user(state, owner, strict=True)
    build = new_build(state, info, user['id'], None)
    stage = 'cli-import/%d' % build['id']
    os.makedirs(imports.work_path(state, stage), exist_ok=True)
    rels = []
    for path in [srpm] + rpms:
        rel = '%s/%s' % (stage, path.name)
        shutil.copy2(path, imports.work_path(state, rel))
        rels.append(rel)
    rows = [imports.import_rpm_file(state, build, rel, None) for rel in rels]
    for row in rows:
        add_rpm(state, row)
    build.update(state=COMPLETE, completion_ts=state.now())
    state.new_event()
    return build_row(state, build)


# ---------------------------------------------------------------- root calls

@exported('getBuild')
def get_build(ctx: Context, buildInfo: Any, strict: bool = False) -> Optional[dict]:
    build = find_build(ctx.state, buildInfo, strict=strict)
    return build_row(ctx.state, build) if build else None


@exported('listBuilds')
def list_builds(ctx: Context, packageID: Any = None, userID: Any = None, taskID: Any = None,
                prefix: Optional[str] = None, state: Any = None,
                queryOpts: Optional[dict] = None, **filters: Any) -> Any:
    rows = []
    for build in ctx.state.builds.values():
        if packageID is not None and build['package_id'] != packageID:
            continue
        if userID is not None and build['owner_id'] != get_user(ctx.state, userID,
                                                                strict=True)['id']:
            continue
        if taskID is not None and build['task_id'] != taskID:
            continue
        if prefix and not build['name'].startswith(prefix):
            continue
        if state is not None and build['state'] != state:
            continue
        rows.append(build_row(ctx.state, build))
    return apply_query_opts(rows, queryOpts)


@exported('listRPMs')
def list_rpms(ctx: Context, buildID: Optional[int] = None, buildrootID: Optional[int] = None,
              imageID: Optional[int] = None, componentBuildrootID: Optional[int] = None,
              hostID: Optional[int] = None, arches: Any = None,
              queryOpts: Optional[dict] = None, draft: Optional[bool] = None) -> Any:
    state = ctx.state
    if componentBuildrootID is not None:
        rows = [dict(rpm_row(state, state.rpms[lst['rpm_id']]), is_update=lst['is_update'],
                     component_buildroot_id=lst['buildroot_id'])
                for lst in state.br_listing if lst['buildroot_id'] == componentBuildrootID]
    else:
        rows = [rpm_row(state, r) for r in state.rpms.values()]
    if buildID is not None:
        rows = [r for r in rows if r['build_id'] == buildID]
    if buildrootID is not None:
        rows = [r for r in rows if r['buildroot_id'] == buildrootID]
    if arches is not None:
        wanted = [arches] if isinstance(arches, str) else list(arches)
        rows = [r for r in rows if r['arch'] in wanted]
    return apply_query_opts(rows, queryOpts)


@exported('getRPM')
def get_rpm_call(ctx: Context, rpminfo: Any, strict: bool = False,
                 multi: bool = False) -> Any:
    found = find_rpms(ctx.state, rpminfo)
    if multi:
        return [rpm_row(ctx.state, r) for r in found]
    if not found:
        if strict:
            raise koji.GenericError('No such rpm: %s' % (rpminfo,))
        return None
    return rpm_row(ctx.state, found[0])


def find_rpms(state: HubState, info: Any) -> list[dict]:
    """Rpms by id, 'N-V-R.A' string or dict (id wins; internal before external)."""
    if isinstance(info, int):
        return [state.rpms[info]] if info in state.rpms else []
    if isinstance(info, str):
        info = koji.parse_NVRA(info)
    if info.get('id') is not None:
        return [state.rpms[info['id']]] if info['id'] in state.rpms else []
    keys = ('name', 'version', 'release', 'arch')
    found = [r for r in state.rpms.values() if all(r[k] == info.get(k) for k in keys)]
    if info.get('location') is not None:
        found = [r for r in found if r['external_repo_id'] == info['location']]
    return sorted(found, key=lambda r: (r['external_repo_id'] != 0, r['id']))


@exported('getAverageBuildDuration')
def get_average_build_duration(ctx: Context, package: Any,
                               age: Optional[int] = None) -> Optional[float]:
    now = ctx.state.now()
    spans = [b['completion_ts'] - b['start_ts'] for b in ctx.state.builds.values()
             if b['name'] == package and b['state'] == COMPLETE
             and (age is None or now - b['completion_ts'] < age * 30 * 86400)]
    return sum(spans) / len(spans) if spans else None


@exported('getNextRelease')
def get_next_release(ctx: Context, build_info: dict, incr: int = 1) -> str:
    same = [b for b in ctx.state.builds.values()
            if b['name'] == build_info['name'] and b['version'] == build_info['version']]
    if not same:
        return '1'
    release = max(same, key=lambda b: b['id'])['release']
    if release.isdigit():
        return str(int(release) + incr)
    head, _, tail = release.partition('.')
    if head.isdigit() and tail and '.' not in tail:
        return '%d.%s' % (int(head) + incr, tail)
    raise koji.BuildError('Unable to increment release value: %s' % release)
