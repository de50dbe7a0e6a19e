"""Hub policies the builder consults: host.assertPolicy/checkPolicy/evalPolicy and evalPolicy.

Owns `policies` of `HubState`: name -> rule, where a rule is an action string or a callable
`rule(data) -> action` (data gets an extra `is_admin` key computed from `user_id`).
Defaults are the hub's (kojid-contract 2.7 and 10.8): `build_rpm` allows everyone;
`build_from_srpm`, `build_from_repo_id` and `build_from_scm` allow only admins; other names
are missing policies (allowed by assert/check under MissingPolicyOk, "no such policy" for eval).
"""

from __future__ import annotations

from typing import Callable, Optional, Union

import koji

from .api import Context, exported
from .state import HubState

Rule = Union[str, Callable[[dict], str]]
ADMIN_ONLY = 'deny Only admin can do this via default policy'


def _admin_only(data: dict) -> str:
    return 'allow' if data.get('is_admin') else ADMIN_ONLY


DEFAULTS: dict[str, Rule] = {
    'build_rpm': 'allow',
    'build_from_srpm': _admin_only,
    'build_from_repo_id': _admin_only,
    'build_from_scm': _admin_only,
}


def set_policy(state: HubState, name: str, rule: Optional[Rule]) -> None:
    """Install a rule; None removes the policy (it becomes a missing policy)."""
    state.policies[name] = rule


def _rule(state: HubState, name: str) -> Optional[Rule]:
    if name in state.policies:
        return state.policies[name]
    return DEFAULTS.get(name)


def evaluate(state: HubState, name: str, data: dict) -> Optional[str]:
    """The action string, or None when the policy does not exist."""
    rule = _rule(state, name)
    if rule is None:
        return None
    data = dict(data or {})
    user = state.users.get(data.get('user_id'))
    data['is_admin'] = bool(user and user.get('admin'))
    return rule(data) if callable(rule) else rule


def check(state: HubState, name: str, data: dict, default: str = 'deny',
          strict: bool = False) -> tuple[bool, str]:
    action = evaluate(state, name, data)
    if action is None:
        if state.config.missing_policy_ok:
            return True, 'missing policy'
        action = default
    verb, _, reason = action.partition(' ')
    return verb.lower() == 'allow', reason


@exported('host.assertPolicy', host=True)
def host_assert_policy(ctx: Context, name: str, data: dict, default: str = 'deny') -> None:
    allowed, reason = check(ctx.state, name, data, default)
    if not allowed:
        raise koji.ActionNotAllowed('policy violation (%s): %s' % (name, reason))


@exported('host.checkPolicy', host=True)
def host_check_policy(ctx: Context, name: str, data: dict, default: str = 'deny',
                      strict: bool = False) -> list:
    allowed, reason = check(ctx.state, name, data, default)
    return [allowed, reason]


def _eval(ctx: Context, name: str, data: dict) -> str:
    action = evaluate(ctx.state, name, data)
    if action is None:
        raise koji.GenericError('no such policy: %s' % name)
    return action


@exported('host.evalPolicy', host=True)
def host_eval_policy(ctx: Context, name: str, data: dict) -> str:
    return _eval(ctx, name, data)


@exported('evalPolicy')
def eval_policy(ctx: Context, name: str, data: dict) -> str:
    return _eval(ctx, name, data)
