"""Buildroots: host.newBuildRoot, state changes, installed-package lists, and queries.

Owns `buildroots` and `br_listing` of `HubState`.  State rules (INIT -> WAITING/BUILDING/
EXPIRED, lists only in INIT, updates only in BUILDING) and the rpm lookup rules (unknown
internal rpms rejected, external ones created on the fly for an existing external repo)
are the hub's (kojid-contract 2.4, 4.1, 10.5), including its raw database faults.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

import koji

from .api import Context, RawFault, exported
from .builds import add_rpm, find_rpms
from .state import HubState, timestr
from .tags import find_external_repo
from .tasks import apply_query_opts

BR_STATES = koji.BR_STATES
INIT, BUILDING, EXPIRED = BR_STATES['INIT'], BR_STATES['BUILDING'], BR_STATES['EXPIRED']
EXTERNAL_FIELDS = ('name', 'version', 'release', 'arch', 'payloadhash')


@exported('host.newBuildRoot', host=True)
def host_new_buildroot(ctx: Context, repo: int, arch: str,
                       task_id: Optional[int] = None) -> int:
    if task_id is None:
        raise RawFault('psycopg2.errors.NotNullViolation: null value in column "task_id" '
                       'of relation "standard_buildroot" violates not-null constraint')
    ctx.assert_host_task(task_id)
    if int(repo) not in ctx.state.repos:
        raise RawFault('psycopg2.errors.ForeignKeyViolation: insert or update on table '
                       '"standard_buildroot" violates foreign key constraint '
                       '"standard_buildroot_repo_id_fkey" (repo_id)=(%s)' % repo)
    koji.parse_arches(arch, strict=True)
    state = ctx.state
    brid = state.next_id('buildroot')
    state.buildroots[brid] = {'id': brid, 'arch': arch, 'host_id': ctx.host.id,
                              'repo_id': int(repo), 'task_id': int(task_id), 'state': INIT,
                              'create_event_id': state.new_event(),
                              'retire_event_id': None}
    return brid


def _owned(ctx: Context, brootid: int, task_id: Optional[int]) -> dict:
    broot = ctx.state.buildroots.get(int(brootid))
    if broot is None:
        raise koji.GenericError('No such buildroot: %s' % brootid)
    if broot['host_id'] != ctx.host.id:
        raise koji.GenericError('Host %d not owner of buildroot %d'
                                % (ctx.host.id, broot['id']))
    if task_id is not None:
        ctx.assert_host_task(task_id)
        if broot['task_id'] != int(task_id):
            raise koji.ActionNotAllowed('Task %s does not have lock on buildroot %d'
                                        % (task_id, broot['id']))
    return broot


@exported('host.setBuildRootState', host=True)
def host_set_buildroot_state(ctx: Context, brootid: int, state: Any,
                             task_id: Optional[int] = None) -> None:
    broot = _owned(ctx, brootid, task_id)
    new = BR_STATES[state] if isinstance(state, str) else int(state)
    if isinstance(state, int) and BR_STATES.get(new) is None:
        raise koji.GenericError('Invalid buildroot state: %s' % state)
    if new == INIT:
        raise koji.GenericError('Cannot change buildroot state to INIT')
    if broot['state'] == EXPIRED:
        if new == EXPIRED:
            return None
        raise koji.GenericError('buildroot %d is EXPIRED' % broot['id'])
    broot['state'] = new
    if new == EXPIRED:
        broot['retire_event_id'] = ctx.state.new_event()
    return None


def _resolve(state: HubState, entry: dict) -> dict:
    """The rpm row for one list entry (external ones created on the fly)."""
    if entry.get('location') is None:
        found = find_rpms(state, entry)
        if not found:
            raise koji.GenericError('No such rpm: %r' % (entry,))
        return found[0]
    repo = find_external_repo(state, entry['location'])
    if repo is None:
        raise koji.GenericError('No such entry in table external_repo: %s' % entry['location'])
    _validate_external(entry)
    for rpm in find_rpms(state, dict(entry, location=repo['id'], id=None)):
        if rpm['payloadhash'] != entry['payloadhash']:
            raise koji.GenericError('hash changed for external rpm: %s-%s-%s.%s@%s (%s -> %s)'
                                    % (entry['name'], entry['version'], entry['release'],
                                       entry['arch'], repo['name'], rpm['payloadhash'],
                                       entry['payloadhash']))
        return rpm
    row = {k: entry[k] for k in EXTERNAL_FIELDS + ('epoch', 'size', 'buildtime')}
    row.update(buildroot_id=None, build_id=None, external_repo_id=repo['id'],
               metadata_only=False, extra=None, draft=False)
    return add_rpm(state, row)


@contextlib.contextmanager
def _rpm_rollback(state: HubState) -> Iterator[None]:
    """On a fault, drop the external rpms the call created (the hub's rollback)."""
    before = set(state.rpms)
    try:
        yield
    except Exception:
        for rid in set(state.rpms) - before:
            del state.rpms[rid]
        raise


def _validate_external(entry: dict) -> None:
    for field in EXTERNAL_FIELDS + ('epoch', 'size', 'buildtime'):
        if field not in entry:
            raise koji.GenericError('%s field missing: %r' % (field, entry))
    for field in EXTERNAL_FIELDS:
        if not isinstance(entry[field], str):
            raise koji.GenericError('Invalid value for %s: %r' % (field, entry[field]))
    if entry['epoch'] is not None and not isinstance(entry['epoch'], int):
        raise koji.GenericError('Invalid value for epoch: %r' % (entry['epoch'],))
    for field in ('size', 'buildtime'):
        if not isinstance(entry[field], int):
            raise koji.GenericError('Invalid value for %s: %r' % (field, entry[field]))


def _listed(state: HubState, brid: int) -> set[int]:
    return {row['rpm_id'] for row in state.br_listing if row['buildroot_id'] == brid}


@exported('host.setBuildRootList', host=True)
def host_set_buildroot_list(ctx: Context, brootid: int, rpmlist: list,
                            task_id: Optional[int] = None) -> None:
    broot = _owned(ctx, brootid, task_id)
    if broot['state'] != INIT:
        raise koji.GenericError('buildroot %d in wrong state %d'
                                % (broot['id'], broot['state']))
    with _rpm_rollback(ctx.state):
        rows = [_resolve(ctx.state, entry) for entry in rpmlist]
        seen = _listed(ctx.state, broot['id'])
        for row in rows:
            if row['id'] in seen:
                raise RawFault('psycopg2.errors.UniqueViolation: duplicate key value violates'
                               ' unique constraint "buildroot_listing_buildroot_id_rpm_id_key"'
                               ' (buildroot_id, rpm_id)=(%d, %d)' % (broot['id'], row['id']))
            seen.add(row['id'])
    _insert(ctx.state, broot['id'], rows, is_update=False)


@exported('host.updateBuildRootList', host=True)
def host_update_buildroot_list(ctx: Context, brootid: int, rpmlist: list,
                               task_id: Optional[int] = None) -> None:
    broot = _owned(ctx, brootid, task_id)
    if broot['state'] != BUILDING:
        raise koji.GenericError('buildroot %d in wrong state %d'
                                % (broot['id'], broot['state']))
    with _rpm_rollback(ctx.state):
        rows = [_resolve(ctx.state, entry) for entry in rpmlist]
        seen = _listed(ctx.state, broot['id'])
        new = [row for row in rows if row['id'] not in seen]
        ids = [row['id'] for row in new]
        if len(ids) != len(set(ids)):
            raise RawFault('psycopg2.errors.UniqueViolation: duplicate key value violates '
                           'unique constraint "buildroot_listing_buildroot_id_rpm_id_key"')
    _insert(ctx.state, broot['id'], new, is_update=True)


def _insert(state: HubState, brid: int, rows: list[dict], is_update: bool) -> None:
    for row in rows:
        state.br_listing.append({'buildroot_id': brid, 'rpm_id': row['id'],
                                 'is_update': is_update})


def buildroot_row(state: HubState, broot: dict) -> dict:
    repo = state.repos[broot['repo_id']]
    host = state.hosts[broot['host_id']]
    create_ts = state.event_ts[broot['create_event_id']]
    retire = broot['retire_event_id']
    retire_ts = state.event_ts[retire] if retire else None
    repo_ts = state.event_ts[repo['create_event']]
    return {'id': broot['id'], 'br_type': koji.BR_TYPES['STANDARD'], 'cg_id': None,
            'cg_name': None, 'cg_version': None, 'container_arch': broot['arch'],
            'arch': broot['arch'], 'container_type': 'chroot', 'host_os': None,
            'host_arch': None, 'extra': None, 'state': broot['state'],
            'task_id': broot['task_id'], 'host_id': host.id, 'host_name': host.name,
            'repo_id': repo['id'], 'repo_state': repo['state'], 'tag_id': repo['tag_id'],
            'tag_name': state.tags[repo['tag_id']]['name'],
            'create_event_id': broot['create_event_id'],
            'create_event_time': timestr(create_ts), 'create_ts': create_ts,
            'retire_event_id': retire, 'retire_event_time': timestr(retire_ts),
            'retire_ts': retire_ts, 'repo_create_event_id': repo['create_event'],
            'repo_create_event_time': timestr(repo_ts)}


def _matches(value: Any, wanted: Any) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, (list, tuple)):
        return value in wanted
    return value == wanted


@exported('listBuildroots')
def list_buildroots(ctx: Context, hostID: Any = None, tagID: Any = None, state: Any = None,
                    rpmID: Any = None, archiveID: Any = None, taskID: Any = None,
                    buildrootID: Any = None, repoID: Any = None,
                    queryOpts: Optional[dict] = None) -> Any:
    rows = []
    for broot in ctx.state.buildroots.values():
        row = buildroot_row(ctx.state, broot)
        checks = ((row['host_id'], hostID), (row['tag_id'], tagID), (row['state'], state),
                  (row['task_id'], taskID), (row['id'], buildrootID),
                  (row['repo_id'], repoID))
        if not all(_matches(v, w) for v, w in checks):
            continue
        if rpmID is not None and rpmID not in _listed(ctx.state, broot['id']):
            continue
        rows.append(row)
    return apply_query_opts(rows, queryOpts)


@exported('getBuildroot')
def get_buildroot(ctx: Context, buildrootID: int, strict: bool = False) -> Optional[dict]:
    broot = ctx.state.buildroots.get(int(buildrootID))
    if broot is None:
        if strict:
            raise koji.GenericError('No such buildroot: %r' % buildrootID)
        return None
    return buildroot_row(ctx.state, broot)


@exported('getBuildrootListing')
def get_buildroot_listing(ctx: Context, id: int) -> list:
    out = []
    for lst in ctx.state.br_listing:
        if lst['buildroot_id'] != int(id):
            continue
        rpm = ctx.state.rpms[lst['rpm_id']]
        ext = rpm['external_repo_id']
        out.append({'rpm_id': rpm['id'], 'is_update': lst['is_update'],
                    'name': rpm['name'], 'version': rpm['version'],
                    'release': rpm['release'], 'epoch': rpm['epoch'], 'arch': rpm['arch'],
                    'build_id': rpm['build_id'], 'draft': rpm['draft'],
                    'external_repo_id': ext,
                    'external_repo_name': ctx.state.external_repos[ext]['name']
                    if ext else 'INTERNAL'})
    return out
