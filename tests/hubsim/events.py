"""Events: the hub's event counter as seen by clients, and when a tag last/first changed.

Reads the event table and the versioned tables of `HubState`; owns nothing.  A tag's change
events are the create/revoke events of its config, inheritance, package list, tagged
builds, groups and external repos (and, with inherit, those of its parents).
"""

from __future__ import annotations

from typing import Any, Optional

import koji

from .api import Context, exported
from .state import HubState
from .tags import find_tag, tag_order

TAG_TABLES = ('tag_config', 'inheritance', 'tag_packages', 'tag_listing', 'groups',
              'tag_external_repos')


def last_change_event(state: HubState, tag: dict, event: Optional[int] = None,
                      inherit: bool = True) -> Optional[int]:
    events = list(_change_events(state, tag, event, inherit))
    return max(events) if events else None


def _change_events(state: HubState, tag: dict, event: Optional[int], inherit: bool):
    tids = tag_order(state, tag['id'], event) if inherit else [tag['id']]
    for table in TAG_TABLES:
        for tid in tids:
            for ev in getattr(state, table).events(tag_id=tid):
                if event is None or ev <= event:
                    yield ev


# ---------------------------------------------------------------- exported calls

@exported('tagLastChangeEvent')
def tag_last_change_event(ctx: Context, tag: Any, event: Optional[int] = None,
                          inherit: bool = True) -> Optional[int]:
    return last_change_event(ctx.state, find_tag(ctx.state, tag, strict=True), event, inherit)


@exported('tagFirstChangeEvent')
def tag_first_change_event(ctx: Context, tag: Any, after: Optional[int] = None,
                           inherit: bool = True) -> Optional[int]:
    tinfo = find_tag(ctx.state, tag, strict=True)
    events = [ev for ev in _change_events(ctx.state, tinfo, None, inherit)
              if after is None or ev > after]
    return min(events) if events else None


@exported('getLastEvent')
def get_last_event(ctx: Context, before: Optional[float] = None,
                   strict: bool = True) -> Optional[dict]:
    ids = [ev for ev, ts in ctx.state.event_ts.items() if before is None or ts < before]
    if not ids:
        if strict:
            raise koji.GenericError('Unable to find event before %s' % before)
        return None
    return {'id': max(ids), 'ts': ctx.state.event_ts[max(ids)]}


@exported('getEvent')
def get_event(ctx: Context, id: int, strict: bool = True) -> Optional[dict]:
    ts = ctx.state.event_ts.get(int(id))
    if ts is None:
        if strict:
            raise koji.GenericError('No such event: %s' % id)
        return None
    return {'id': int(id), 'ts': ts}
