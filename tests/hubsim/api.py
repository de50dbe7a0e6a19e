"""The table of exported hub calls and the per-call context they receive.

Modules register their functions with `@exported("name")` (root calls) or
`@exported("host.name", host=True)` (calls that require a host with an exclusive session,
checked as the hub's `Host.verify()` does).  `Context` carries the state, the caller's
session/user/host and the TLS peer's CN; it owns no resources.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Optional

import koji

from .state import HubState, Host, Session, Task

REGISTRY: dict[str, Callable] = {}
HUB_VERSION = '1.35.3'


class RawFault(Exception):
    """An error the real hub leaks as a raw fault 1 (a database error and its traceback)."""


@dataclasses.dataclass
class Context:
    state: HubState
    method: str
    session: Optional[Session] = None
    peer_cn: Optional[str] = None
    host: Optional[Host] = None
    krb_principal: Optional[str] = None  # set by a GSSAPI (Negotiate) sslLogin

    @property
    def user(self) -> Optional[dict]:
        if self.session is None:
            return None
        return self.state.users[self.session.user_id]

    def assert_login(self) -> dict:
        if self.session is None:
            raise koji.AuthError('Not logged-in')
        return self.user

    def is_admin(self) -> bool:
        return bool(self.user and self.user.get('admin'))

    def assert_admin(self) -> None:
        user = self.assert_login()
        if not user.get('admin'):
            raise koji.ActionNotAllowed('admin permission required (logged in as %s)'
                                        % user['name'])

    def verify_host(self) -> Host:
        """The hub's Host.verify(): a host user with an exclusive (sub)session."""
        user = self.assert_login()
        host = find_host_by_user(self.state, user['id'])
        if host is None:
            raise koji.AuthError('User %i is not a host' % user['id'])
        if not self.holds_exclusive():
            raise koji.AuthError('This method requires an exclusive session')
        self.host = host
        return host

    def holds_exclusive(self) -> bool:
        sess = self.session
        if sess.exclusive:
            return True
        master = self.state.sessions.get(sess.master) if sess.master else None
        return bool(master and master.exclusive and not master.expired)

    def assert_host_task(self, task_id: int) -> Task:
        """The hub's assertHost: task OPEN and held by the calling host."""
        task = self.state.tasks.get(int(task_id))
        if task is None:
            raise koji.GenericError('No such task: %s' % task_id)
        if task.state != koji.TASK_STATES['OPEN'] or task.host_id != self.host.id:
            raise koji.ActionNotAllowed('host %i does not own task %i'
                                        % (self.host.id, task.id))
        return task


def find_host_by_user(state: HubState, user_id: int) -> Optional[Host]:
    for host in state.hosts.values():
        if host.user_id == user_id:
            return host
    return None


def exported(name: str, host: bool = False) -> Callable:
    """Register `func(ctx, *args, **kwargs)` as hub call `name`."""
    def deco(func: Callable) -> Callable:
        if host:
            def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> Any:
                ctx.verify_host()
                return func(ctx, *args, **kwargs)
            wrapper.__signature__ = inspect.signature(func)
            REGISTRY[name] = wrapper
        else:
            REGISTRY[name] = func
        return func
    return deco


def call(ctx: Context, args: tuple, kwargs: dict) -> Any:
    """Run the registered function for ctx.method, mapping bad arguments to ParameterError."""
    func = REGISTRY.get(ctx.method)
    if func is None:
        raise koji.GenericError('Invalid method: %s' % ctx.method)
    sig = inspect.signature(func)
    try:
        sig.bind(ctx, *args, **kwargs)
    except TypeError as ex:
        raise koji.ParameterError('%s: %s' % (ctx.method, ex)) from None
    return func(ctx, *args, **kwargs)


def get_user(state: HubState, info: Any, strict: bool = False) -> Optional[dict]:
    """Find a user by id, name or Kerberos principal."""
    for user in state.users.values():
        if user['id'] == info or user['name'] == info or info in user['krb_principals']:
            return user
    if strict:
        raise koji.GenericError('No such user: %r' % (info,))
    return None


def user_row(user: dict) -> dict:
    return {'id': user['id'], 'name': user['name'], 'status': 0,
            'usertype': user['usertype'], 'krb_principals': list(user['krb_principals'])}
