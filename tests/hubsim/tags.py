"""Tags, inheritance, package lists, groups, external repos and build targets, with history.

Owns `tags`, `tag_config`, `inheritance`, `packages`, `tag_packages`, `groups`,
`external_repos`, `tag_external_repos` and `targets` of `HubState`.  Every change is made
at a new event and old rows are revoked, never edited, so getTag/getBuildConfig/
getFullInheritance/getPackageConfig/getExternalRepoList answer for any past `event`.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import koji

from .api import Context, exported, get_user
from .state import HubState


def find_tag(state: HubState, info: Any, strict: bool = False,
             event: Optional[int] = None) -> Optional[dict]:
    """Look a tag up by id, name or {'id'/'name'} dict (existing at `event`)."""
    if isinstance(info, dict):
        info = info.get('id', info.get('name'))
    for tag in state.tags.values():
        if tag['id'] == info or tag['name'] == info:
            if event is None or state.tag_config.at(event, tag_id=tag['id']):
                return tag
    if strict:
        raise koji.GenericError('No such tagInfo: %r' % (info,))
    return None


def add_tag(state: HubState, name: str, arches: Optional[str] = 'x86_64',
            parents: Iterable[Any] = (), extra: Optional[dict] = None,
            locked: bool = False, perm: Optional[str] = None) -> int:
    if find_tag(state, name) is not None:
        raise ValueError('tag %s already exists' % name)
    event = state.new_event()
    tid = state.next_id('tag')
    state.tags[tid] = {'id': tid, 'name': name}
    state.tag_config.add(event, tag_id=tid, arches=arches or '', extra=dict(extra or {}),
                         locked=locked, perm=perm, maven_support=False,
                         maven_include_all=False)
    for idx, parent in enumerate(parents):
        pname, prio = (parent if isinstance(parent, (tuple, list)) else (parent, idx * 10))
        ptag = find_tag(state, pname, strict=True)
        state.inheritance.add(event, tag_id=tid, parent_id=ptag['id'], priority=prio,
                              maxdepth=None, intransitive=False, noconfig=False,
                              pkg_filter='')
    return tid


def edit_tag(state: HubState, name: Any, extra: Optional[dict] = None,
             remove_extra: Iterable[str] = (), arches: Optional[str] = None,
             locked: Optional[bool] = None) -> int:
    """Change a tag's config at a new event; returns that event."""
    tag = find_tag(state, name, strict=True)
    old = state.tag_config.at(None, tag_id=tag['id'])[0]
    new = {k: v for k, v in old.items() if k not in ('create_event', 'revoke_event')}
    new['extra'] = dict(old['extra'], **(extra or {}))
    for key in remove_extra:
        new['extra'].pop(key, None)
    if arches is not None:
        new['arches'] = arches
    if locked is not None:
        new['locked'] = locked
    event = state.new_event()
    state.tag_config.revoke(old, event)
    state.tag_config.add(event, **new)
    return event


def tag_config(state: HubState, tag_id: int, event: Optional[int] = None) -> dict:
    rows = state.tag_config.at(event, tag_id=tag_id)
    if not rows:
        raise koji.GenericError('Tag %s has no config at event %s' % (tag_id, event))
    return rows[0]


def tag_row(state: HubState, tag: dict, event: Optional[int] = None) -> dict:
    cfg = tag_config(state, tag['id'], event)
    return {'id': tag['id'], 'name': tag['name'], 'perm_id': None, 'perm': cfg['perm'],
            'arches': cfg['arches'], 'locked': cfg['locked'],
            'maven_support': cfg['maven_support'],
            'maven_include_all': cfg['maven_include_all'], 'extra': dict(cfg['extra'])}


def full_inheritance(state: HubState, tag_id: int, event: Optional[int] = None) -> list:
    """Parents depth-first in priority order, each tag once (koji's readFullInheritance)."""
    out: list[dict] = []
    seen = {tag_id}

    def walk(child: int, depth: int) -> None:
        links = sorted(state.inheritance.at(event, tag_id=child), key=lambda r: r['priority'])
        for link in links:
            pid = link['parent_id']
            if pid in seen:
                continue
            seen.add(pid)
            out.append({'child_id': child, 'parent_id': pid,
                        'name': state.tags[pid]['name'], 'depth': depth, 'currdepth': depth,
                        'priority': link['priority'], 'maxdepth': None,
                        'intransitive': False, 'noconfig': False, 'pkg_filter': '',
                        'filter': [], 'nextdepth': None})
            walk(pid, depth + 1)

    walk(tag_id, 1)
    return out


def tag_order(state: HubState, tag_id: int, event: Optional[int] = None) -> list[int]:
    """The tag followed by its inherited parents, in inheritance order."""
    return [tag_id] + [link['parent_id'] for link in full_inheritance(state, tag_id, event)]


def build_config(state: HubState, tag: dict, event: Optional[int] = None) -> dict:
    row = tag_row(state, tag, event)
    order = tag_order(state, tag['id'], event)
    cfg_inh: dict[str, Any] = {'extra': {}, 'arches': None}
    if not row['arches']:
        for tid in order[1:]:
            arches = tag_config(state, tid, event)['arches']
            if arches:
                row['arches'] = arches
                cfg_inh['arches'] = {'tag_id': tid, 'tag_name': state.tags[tid]['name']}
                break
    extra: dict[str, Any] = {}
    for tid in reversed(order):
        for key, value in tag_config(state, tid, event)['extra'].items():
            extra[key] = value
            cfg_inh['extra'][key] = {'tag_id': tid, 'tag_name': state.tags[tid]['name']}
    row['extra'] = extra
    row['config_inheritance'] = cfg_inh
    return row


def package_id(state: HubState, name: str, create: bool = False) -> Optional[int]:
    for pid, pname in state.packages.items():
        if pname == name:
            return pid
    if not create:
        return None
    pid = state.next_id('package')
    state.packages[pid] = name
    return pid


def add_package(state: HubState, tag: Any, package: str, owner: Any = 'kojiadmin',
                block: bool = False, extra_arches: Optional[str] = None) -> int:
    tinfo = find_tag(state, tag, strict=True)
    pid = package_id(state, package, create=True)
    user = get_user(state, owner, strict=True)
    event = state.new_event()
    for old in state.tag_packages.at(None, tag_id=tinfo['id'], package_id=pid):
        state.tag_packages.revoke(old, event)
    state.tag_packages.add(event, tag_id=tinfo['id'], package_id=pid, owner_id=user['id'],
                           blocked=block, extra_arches=extra_arches)
    return pid


def package_config(state: HubState, tag: dict, pkg_name: str,
                   event: Optional[int] = None) -> Optional[dict]:
    pid = package_id(state, pkg_name)
    if pid is None:
        return None
    for tid in tag_order(state, tag['id'], event):
        rows = state.tag_packages.at(event, tag_id=tid, package_id=pid)
        if rows:
            row = rows[0]
            owner = state.users[row['owner_id']]
            return {'tag_id': tid, 'tag_name': state.tags[tid]['name'],
                    'package_id': pid, 'package_name': pkg_name, 'blocked': row['blocked'],
                    'extra_arches': row['extra_arches'], 'owner_id': owner['id'],
                    'owner_name': owner['name']}
    return None


def add_group(state: HubState, tag: Any, group: str, packages: Iterable[str]) -> None:
    tinfo = find_tag(state, tag, strict=True)
    event = state.new_event()
    for old in state.groups.at(None, tag_id=tinfo['id'], name=group):
        state.groups.revoke(old, event)
    state.groups.add(event, tag_id=tinfo['id'], name=group, packages=list(packages))


def tag_groups(state: HubState, tag: dict, event: Optional[int] = None) -> list[dict]:
    """Groups with inheritance (nearest tag wins), in the shape koji.generate_comps takes."""
    found: dict[str, dict] = {}
    for tid in tag_order(state, tag['id'], event):
        for row in state.groups.at(event, tag_id=tid):
            found.setdefault(row['name'], row)
    out = []
    for name, row in sorted(found.items()):
        pkgs = [{'package': p, 'type': 'mandatory', 'basearchonly': None, 'requires': None,
                 'blocked': False} for p in row['packages']]
        out.append({'name': name, 'display_name': name, 'description': None,
                    'langonly': None, 'is_default': True, 'uservisible': True,
                    'biarchonly': False, 'grouplist': [], 'packagelist': pkgs,
                    'exported': True, 'group_id': 0, 'tag_id': row['tag_id'],
                    'blocked': False})
    return out


def add_external_repo(state: HubState, name: str, url: str) -> int:
    rid = state.next_id('external_repo')
    state.external_repos[rid] = {'id': rid, 'name': name, 'url': url}
    return rid


def find_external_repo(state: HubState, info: Any, strict: bool = False) -> Optional[dict]:
    for repo in state.external_repos.values():
        if repo['id'] == info or repo['name'] == info:
            return repo
    if strict:
        raise koji.GenericError('No such entry in table external_repo: %s' % (info,))
    return None


def add_tag_external_repo(state: HubState, tag: Any, repo: Any, priority: int,
                          merge_mode: str = 'koji', arches: Optional[str] = None) -> None:
    tinfo = find_tag(state, tag, strict=True)
    rinfo = find_external_repo(state, repo, strict=True)
    state.tag_external_repos.add(state.new_event(), tag_id=tinfo['id'],
                                 external_repo_id=rinfo['id'], priority=priority,
                                 merge_mode=merge_mode, arches=arches)


def external_repo_list(state: HubState, tag: dict, event: Optional[int] = None) -> list:
    out, seen = [], set()
    for tid in tag_order(state, tag['id'], event):
        rows = sorted(state.tag_external_repos.at(event, tag_id=tid),
                      key=lambda r: r['priority'])
        for row in rows:
            if row['external_repo_id'] in seen:
                continue
            seen.add(row['external_repo_id'])
            repo = state.external_repos[row['external_repo_id']]
            out.append({'tag_id': tid, 'tag_name': state.tags[tid]['name'],
                        'external_repo_id': repo['id'], 'external_repo_name': repo['name'],
                        'url': repo['url'], 'merge_mode': row['merge_mode'],
                        'arches': row['arches'], 'priority': row['priority']})
    return out


def add_target(state: HubState, name: str, build_tag: Any, dest_tag: Any) -> int:
    btag = find_tag(state, build_tag, strict=True)
    dtag = find_tag(state, dest_tag, strict=True)
    state.new_event()
    tid = state.next_id('target')
    state.targets[tid] = {'id': tid, 'name': name, 'build_tag': btag['id'],
                          'build_tag_name': btag['name'], 'dest_tag': dtag['id'],
                          'dest_tag_name': dtag['name']}
    return tid


def find_target(state: HubState, info: Any, strict: bool = False) -> Optional[dict]:
    if isinstance(info, dict):
        info = info.get('id', info.get('name'))
    for target in state.targets.values():
        if target['id'] == info or target['name'] == info:
            return dict(target)
    if strict:
        raise koji.GenericError('No such build target: %s' % (info,))
    return None


# ---------------------------------------------------------------- exported calls

@exported('getTag')
def get_tag(ctx: Context, tagInfo: Any, strict: bool = False, event: Optional[int] = None,
            blocked: bool = False) -> Optional[dict]:
    tag = find_tag(ctx.state, tagInfo, strict=strict, event=event)
    return tag_row(ctx.state, tag, event) if tag else None


@exported('getBuildConfig')
def get_build_config(ctx: Context, tag: Any, event: Optional[int] = None) -> dict:
    return build_config(ctx.state, find_tag(ctx.state, tag, strict=True, event=event), event)


@exported('getFullInheritance')
def get_full_inheritance(ctx: Context, tag: Any, event: Optional[int] = None,
                         reverse: bool = False) -> list:
    tinfo = find_tag(ctx.state, tag, strict=True, event=event)
    return full_inheritance(ctx.state, tinfo['id'], event)


@exported('getInheritanceData')
def get_inheritance_data(ctx: Context, tag: Any, event: Optional[int] = None) -> list:
    tinfo = find_tag(ctx.state, tag, strict=True, event=event)
    return [link for link in full_inheritance(ctx.state, tinfo['id'], event)
            if link['child_id'] == tinfo['id']]


@exported('getPackageConfig')
def get_package_config(ctx: Context, tag: Any, pkg: Any,
                       event: Optional[int] = None) -> Optional[dict]:
    tinfo = find_tag(ctx.state, tag, strict=True, event=event)
    name = pkg if isinstance(pkg, str) else ctx.state.packages.get(pkg)
    return package_config(ctx.state, tinfo, name, event) if name else None


@exported('getExternalRepoList')
def get_external_repo_list(ctx: Context, tag_info: Any, event: Optional[int] = None) -> list:
    return external_repo_list(ctx.state, find_tag(ctx.state, tag_info, strict=True), event)


@exported('getExternalRepo')
def get_external_repo(ctx: Context, info: Any, strict: bool = False,
                      event: Optional[int] = None) -> Optional[dict]:
    repo = find_external_repo(ctx.state, info, strict=strict)
    return dict(repo) if repo else None


@exported('getBuildTarget')
def get_build_target(ctx: Context, info: Any, event: Optional[int] = None,
                     strict: bool = False) -> Optional[dict]:
    return find_target(ctx.state, info, strict=strict)


@exported('getBuildTargets')
def get_build_targets(ctx: Context, info: Any = None, event: Optional[int] = None,
                      buildTagID: Any = None, destTagID: Any = None,
                      queryOpts: Optional[dict] = None) -> list:
    out = []
    for target in ctx.state.targets.values():
        if info is not None and info not in (target['id'], target['name']):
            continue
        if buildTagID is not None and buildTagID not in (target['build_tag'],
                                                         target['build_tag_name']):
            continue
        if destTagID is not None and destTagID not in (target['dest_tag'],
                                                       target['dest_tag_name']):
            continue
        out.append(dict(target))
    return out
