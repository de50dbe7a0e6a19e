"""Tagging builds and the tag content queries: host.tagBuild, listTagged, listTaggedRPMS,
getLatestBuilds, host.tagNotification.

Owns `tag_listing` of `HubState` (versioned, so content queries answer for past events).
Tagging checks follow kojid-contract 2.6/10.7: the package must be listed and not blocked
in the tag (with inheritance), a build can be tagged once, `tag` policy as the task owner.
"""

from __future__ import annotations

from typing import Any, Optional

import koji

from . import notify, policy
from .api import Context, exported, get_user
from .builds import build_row, find_build, rpm_row
from .state import HubState
from .tags import find_tag, package_config, tag_order


def tag_build(state: HubState, tag: Any, build: Any, owner: str = 'kojiadmin',
              force: bool = False) -> int:
    """Tag `build` into `tag` (package list checked unless force); returns the event."""
    tinfo = find_tag(state, tag, strict=True)
    binfo = find_build(state, build, strict=True)
    user = get_user(state, owner, strict=True)
    check_taggable(state, tinfo, binfo, force)
    event = state.new_event()
    state.tag_listing.add(event, tag_id=tinfo['id'], build_id=binfo['id'],
                          owner_id=user['id'])
    return event


def check_taggable(state: HubState, tag: dict, build: dict, force: bool) -> None:
    if build['state'] != koji.BUILD_STATES['COMPLETE']:
        raise koji.TagError('build %s not complete: state %s'
                            % (_nvr(build), koji.BUILD_STATES[build['state']]))
    if not force:
        _check_package_list(state, tag, build)
    if state.tag_listing.at(None, tag_id=tag['id'], build_id=build['id']):
        raise koji.TagError('build %s already tagged (%s)' % (_nvr(build), tag['name']))


def _nvr(build: dict) -> str:
    return '%(name)s-%(version)s-%(release)s' % build


def _check_package_list(state: HubState, tag: dict, build: dict) -> None:
    cfg = package_config(state, tag, build['name'])
    if cfg is None:
        raise koji.TagError('Package %s not in list for %s' % (build['name'], tag['name']))
    if cfg['blocked']:
        raise koji.TagError('Package %s blocked in %s' % (build['name'], tag['name']))


def tagged_builds(state: HubState, tag: dict, event: Optional[int] = None,
                  inherit: bool = False, latest: bool = False,
                  package: Optional[str] = None) -> list[dict]:
    """Build rows with tag_id/tag_name, newest tagging first (per tag in inheritance order)."""
    tids = tag_order(state, tag['id'], event) if inherit else [tag['id']]
    out, seen_pkgs, seen_builds = [], set(), set()
    for tid in tids:
        rows = sorted(state.tag_listing.at(event, tag_id=tid),
                      key=lambda r: r['create_event'], reverse=True)
        for row in rows:
            build = state.builds[row['build_id']]
            if package is not None and build['name'] != package:
                continue
            if row['build_id'] in seen_builds or (latest and build['name'] in seen_pkgs):
                continue
            cfg = package_config(state, tag, build['name'], event)
            if cfg is None or cfg['blocked']:
                continue
            seen_builds.add(row['build_id'])
            seen_pkgs.add(build['name'])
            out.append(dict(build_row(state, build), tag_id=tid,
                            tag_name=state.tags[tid]['name'],
                            create_event=row['create_event']))
    return out


@exported('listTagged')
def list_tagged(ctx: Context, tag: Any, event: Optional[int] = None, inherit: bool = False,
                prefix: Optional[str] = None, latest: bool = False,
                package: Optional[str] = None, owner: Any = None, type: Any = None,
                strict: bool = True, extra: bool = False,
                draft: Optional[bool] = None) -> list:
    tinfo = find_tag(ctx.state, tag, strict=True)
    rows = tagged_builds(ctx.state, tinfo, event, inherit, latest, package)
    if prefix:
        rows = [r for r in rows if r['name'].startswith(prefix)]
    if owner is not None:
        uid = get_user(ctx.state, owner, strict=True)['id']
        rows = [r for r in rows if r['owner_id'] == uid]
    return rows


@exported('getLatestBuilds')
def get_latest_builds(ctx: Context, tag: Any, event: Optional[int] = None,
                      package: Optional[str] = None, type: Any = None,
                      draft: Optional[bool] = None) -> list:
    tinfo = find_tag(ctx.state, tag, strict=True)
    return tagged_builds(ctx.state, tinfo, event, inherit=True, latest=True, package=package)


@exported('listTaggedRPMS')
def list_tagged_rpms(ctx: Context, tag: Any, event: Optional[int] = None,
                     inherit: bool = False, latest: bool = False,
                     package: Optional[str] = None, arch: Any = None,
                     rpmsigs: bool = False, owner: Any = None, type: Any = None,
                     strict: bool = True, extra: bool = True,
                     draft: Optional[bool] = None) -> list:
    tinfo = find_tag(ctx.state, tag, strict=True)
    builds = tagged_builds(ctx.state, tinfo, event, inherit, latest, package)
    rpms = tagged_rpms(ctx.state, builds, arch)
    if rpmsigs:
        rpms = with_sigkeys(ctx.state, rpms)
    return [rpms, builds]


def with_sigkeys(state: HubState, rpms: list[dict]) -> list[dict]:
    """One row per (rpm, signature) with `sigkey`; None for an rpm without any (the hub's
    LEFT OUTER JOIN on rpmsigs)."""
    out = []
    for rpm in rpms:
        keys = [s['sigkey'] for s in state.rpm_sigs if s['rpm_id'] == rpm['id']]
        out.extend(dict(rpm, sigkey=key) for key in (keys or [None]))
    return out


def tagged_rpms(state: HubState, builds: list[dict], arch: Any = None) -> list[dict]:
    ids = {b['id'] for b in builds}
    arches = None if arch is None else ([arch] if isinstance(arch, str) else list(arch))
    return [rpm_row(state, r) for r in sorted(state.rpms.values(), key=lambda r: r['id'])
            if r['build_id'] in ids and (arches is None or r['arch'] in arches)]


@exported('host.tagBuild', host=True)
def host_tag_build(ctx: Context, task_id: int, tag: Any, build: Any, force: bool = False,
                   fromtag: Any = None) -> None:
    task = ctx.assert_host_task(task_id)
    tinfo = find_tag(ctx.state, tag, strict=True)
    binfo = find_build(ctx.state, build, strict=True)
    owner = ctx.state.users[task.owner]
    data = {'tag': tinfo['id'], 'build': binfo['id'], 'fromtag': fromtag,
            'user_id': owner['id'], 'operation': 'move' if fromtag else 'tag'}
    allowed, reason = policy.check(ctx.state, 'tag', data)
    if not allowed:
        raise koji.ActionNotAllowed('policy violation (tag): %s' % reason)
    force = bool(force and owner.get('admin'))
    check_taggable(ctx.state, tinfo, binfo, force)
    if fromtag is not None:
        _untag(ctx.state, find_tag(ctx.state, fromtag, strict=True), binfo)
    tag_build(ctx.state, tinfo, binfo['id'], owner['name'], force=force)


def _untag(state: HubState, tag: dict, build: dict) -> None:
    rows = state.tag_listing.at(None, tag_id=tag['id'], build_id=build['id'])
    if not rows:
        raise koji.TagError('build %s not in tag %s' % (_nvr(build), tag['name']))
    event = state.new_event()
    for row in rows:
        state.tag_listing.revoke(row, event)


@exported('host.tagNotification', host=True)
def host_tag_notification(ctx: Context, is_successful: bool, tag_id: Any, from_id: Any,
                          build_id: Any, user_id: Any, ignore_success: bool = False,
                          failure_msg: str = '') -> None:
    ctx.state.notifications.append({'is_successful': is_successful, 'tag_id': tag_id,
                                    'from_id': from_id, 'build_id': build_id,
                                    'user_id': user_id, 'ignore_success': ignore_success,
                                    'failure_msg': failure_msg})
    notify.tag_notification(ctx.state, find_build(ctx.state, build_id), is_successful, tag_id,
                            from_id, build_id, user_id, ignore_success, failure_msg, ctx.user)
    return None
