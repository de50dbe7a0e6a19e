"""Mail notifications: who hears of a build or a tag operation, and the notification tasks.

With `disable_notifications` (the default, as most test hubs run) the hub only records
host.tagNotification calls in `state.notifications`.  Without it, it behaves as
kojid-contract 2.6 and 3.14 describe: completeBuild and failBuild create a top-level
`buildNotification` task, host.tagNotification a `tagNotification` task, each only when
somebody is to be told.  Recipients are the subscriptions added with `add_notification`
(`build_notifications`: package and tag match or are None; `success_only` ones are left
out for failures) plus, with `email_domain` set and `notify_on_success` on (or a failure),
the build owner and the package owner in the tag, as `user@email_domain`.  Opt-out blocks,
user status and group users are not simulated.
"""

from __future__ import annotations

from typing import Any, Optional

import koji

from .api import get_user
from .state import HubState
from .tags import find_tag, find_target, package_config, package_id
from .tasks import decode_request, get_task, make_task

COMPLETE = koji.BUILD_STATES['COMPLETE']


def add_notification(state: HubState, user: Any, email: Optional[str] = None,
                     package: Any = None, tag: Any = None, success_only: bool = False) -> None:
    urow = get_user(state, user, strict=True)
    state.build_notifications.append({
        'user_id': urow['id'],
        'email': email or '%s@%s' % (urow['name'], state.config.email_domain or 'localhost'),
        'package_id': package_id(state, package, create=True) if package else None,
        'tag_id': find_tag(state, tag, strict=True)['id'] if tag else None,
        'success_only': success_only})


def recipients(state: HubState, build: dict, tag_id: Optional[int], build_state: int) -> list:
    found = set()
    for sub in state.build_notifications:
        if sub['package_id'] not in (None, build['package_id']):
            continue
        if sub['tag_id'] not in (None, tag_id):
            continue
        if build_state != COMPLETE and sub['success_only']:
            continue
        found.add(sub['email'])
    domain = state.config.email_domain
    if domain and (state.config.notify_on_success or build_state != COMPLETE):
        found.add('%s@%s' % (state.users[build['owner_id']]['name'], domain))
        if tag_id is not None:
            cfg = package_config(state, state.tags[tag_id], build['name'])
            if cfg and not cfg['blocked']:
                found.add('%s@%s' % (cfg['owner_name'], domain))
    return sorted(found)


def _build_target(state: HubState, task_id: int) -> Optional[dict]:
    task = get_task(state, task_id, strict=False)
    if task is None or task.method != 'build':
        return None
    return find_target(state, decode_request(task)[1])


def build_notification(state: HubState, task_id: int, build_row: dict, caller: dict) -> None:
    """The hub's build_notification, after completeBuild or failBuild."""
    if state.config.disable_notifications:
        return
    target = _build_target(state, task_id)
    rcpts = recipients(state, state.builds[build_row['id']],
                       target['dest_tag'] if target else None, build_row['state'])
    if rcpts:
        make_task(state, 'buildNotification',
                  [rcpts, build_row, target, state.config.koji_web_url], owner=caller['id'])


def tag_notification(state: HubState, build: Optional[dict], is_successful: bool, tag_id: Any,
                     from_id: Any, build_id: Any, user_id: Any, ignore_success: bool,
                     failure_msg: str, caller: dict) -> None:
    """The hub's tag_notification: one task for the new and the old tag's recipients."""
    if state.config.disable_notifications or build is None:
        return
    build_state = COMPLETE if is_successful else koji.BUILD_STATES['FAILED']
    rcpts = set()
    for tag in (tag_id, from_id):
        if tag is not None:
            rcpts.update(recipients(state, build, find_tag(state, tag, strict=True)['id'],
                                    build_state))
    if rcpts and not (is_successful and ignore_success):
        make_task(state, 'tagNotification',
                  [sorted(rcpts), is_successful, tag_id, from_id, build_id, user_id,
                   ignore_success, failure_msg], owner=caller['id'])
