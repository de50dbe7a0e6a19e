"""Sessions and authentication: login, sslLogin, exclusive sessions, subsessions, logout.

Owns the `sessions` table of `HubState`.  `authenticate` is what the server runs for every
request that carries a session id/key (headers or query): it finds the session, checks the
call sequence number and applies the exclusive-session lock the way the hub does
(kojid-contract 1.5, 2.1, 10.1).
"""

from __future__ import annotations

import secrets
from typing import Any, Optional

import koji

from .api import HUB_VERSION, Context, exported, get_user, user_row
from .state import HubState, Session

# calls another session of a locked user may still make (the hub's lock exceptions)
LOCK_EXEMPT = ('exclusiveSession', 'login', 'logout', 'sslLogin')


def authenticate(state: HubState, session_id: Optional[str], key: Optional[str],
                 callnum: Optional[str], method: str) -> Optional[Session]:
    """Resolve the caller's session, raising the hub's AuthError/AuthLockError faults."""
    if session_id is None:
        return None
    try:
        sess = state.sessions.get(int(session_id))
    except ValueError:
        sess = None
    if sess is None or sess.expired or sess.key != key:
        raise koji.AuthError('Invalid session or bad credentials')
    if method not in LOCK_EXEMPT:
        locker = exclusive_session_of(state, sess.user_id)
        if locker is not None and locker.id not in (sess.id, sess.master):
            raise koji.AuthLockError('User locked by another session')
    _check_callnum(sess, callnum)
    sess.update_ts = state.now()
    return sess


def _check_callnum(sess: Session, callnum: Optional[str]) -> None:
    if callnum is None:
        return
    try:
        num = int(callnum)
    except ValueError:
        raise koji.AuthError('Invalid callnum: %r' % callnum) from None
    if sess.callnum is not None and sess.callnum > num:
        raise koji.SequenceError('%d > %d (session %d)' % (sess.callnum, num, sess.id))
    sess.callnum = num


def exclusive_session_of(state: HubState, user_id: int) -> Optional[Session]:
    for sess in state.sessions.values():
        if sess.user_id == user_id and sess.exclusive and not sess.expired:
            return sess
    return None


def new_session(state: HubState, user: dict, authtype: int,
                master: Optional[int] = None) -> dict:
    sid = state.next_id('session')
    sess = Session(id=sid, key='%s-%s' % (sid, secrets.token_hex(10)), user_id=user['id'],
                   authtype=authtype, start_ts=state.now(), master=master,
                   update_ts=state.now())
    state.sessions[sid] = sess
    return {'session-id': sid, 'session-key': sess.key, 'header-auth': True}


def _check_user_enabled(user: dict) -> None:
    if user.get('disabled'):
        raise koji.AuthError('logins by %s are not allowed' % user['name'])


@exported('login')
def login(ctx: Context, user: str, password: str, opts: Optional[dict] = None,
          renew: bool = False, exclusive: bool = False) -> dict:
    found = get_user(ctx.state, user)
    if found is None or found.get('password') is None or found['password'] != password:
        raise koji.AuthError('invalid username or password')
    _check_user_enabled(found)
    return new_session(ctx.state, found, koji.AUTHTYPES['NORMAL'])


@exported('sslLogin')
def ssl_login(ctx: Context, proxyuser: Optional[str] = None, renew: bool = False,
              exclusive: bool = False, proxyauthtype: Optional[int] = None) -> dict:
    if ctx.krb_principal:
        # what mod_auth_gssapi leaves in REMOTE_USER; the hub maps it to a user by principal
        found = get_user(ctx.state, ctx.krb_principal)
        if found is None:
            raise koji.AuthError('Unknown Kerberos principal: %s' % ctx.krb_principal)
        _check_user_enabled(found)
        return new_session(ctx.state, found, koji.AUTHTYPES['GSSAPI'])
    if not ctx.peer_cn:
        raise koji.AuthError('could not get user for client certificate')
    found = get_user(ctx.state, ctx.peer_cn)
    if found is None:
        raise koji.AuthError('Unknown user: %s' % ctx.peer_cn)
    _check_user_enabled(found)
    return new_session(ctx.state, found, koji.AUTHTYPES['SSL'])


@exported('exclusiveSession')
def exclusive_session(ctx: Context, force: bool = False) -> None:
    ctx.assert_login()
    sess = ctx.session
    if sess.master is not None:
        raise koji.GenericError('subsessions cannot become exclusive')
    if sess.exclusive:
        return None
    other = exclusive_session_of(ctx.state, sess.user_id)
    if other is not None:
        if not force:
            raise koji.AuthLockError('Cannot get exclusive session')
        other.expired = True
        other.exclusive = False
    sess.exclusive = True
    return None


@exported('sharedSession')
def shared_session(ctx: Context) -> None:
    ctx.assert_login()
    if ctx.session.master is not None:
        raise koji.GenericError('subsessions cannot become shared')
    ctx.session.exclusive = False
    return None


@exported('subsession')
def subsession(ctx: Context) -> dict:
    user = ctx.assert_login()
    sess = ctx.session
    return new_session(ctx.state, user, sess.authtype, master=sess.id)


def _expire_tree(state: HubState, sess: Session) -> None:
    sess.expired = True
    sess.exclusive = False
    for other in state.sessions.values():
        if other.master == sess.id:
            other.expired = True


@exported('logout')
def logout(ctx: Context, session_id: Optional[int] = None) -> None:
    if ctx.session is None:
        return None
    if session_id is None or int(session_id) == ctx.session.id:
        _expire_tree(ctx.state, ctx.session)
        return None
    return logout_child(ctx, session_id)


@exported('logoutChild')
def logout_child(ctx: Context, session_id: int) -> None:
    ctx.assert_login()
    child = ctx.state.sessions.get(int(session_id))
    if child is None or child.master != ctx.session.id:
        raise koji.AuthError('session ID %r is not a subsession of %r'
                             % (session_id, ctx.session.id))
    child.expired = True
    return None


@exported('echo')
def echo(ctx: Context, *args: Any) -> list:
    return list(args)


@exported('getLoggedInUser')
def get_logged_in_user(ctx: Context) -> Optional[dict]:
    if ctx.session is None:
        return None
    return user_row(ctx.user)


@exported('getSessionInfo')
def get_session_info(ctx: Context, details: bool = False,
                     user_id: Optional[int] = None) -> Optional[Any]:
    if user_id is not None:
        ctx.assert_login()
        return [s.info() for s in ctx.state.sessions.values()
                if s.user_id == int(user_id) and not s.expired]
    if ctx.session is None:
        return None
    return ctx.session.info()


@exported('getUser')
def get_user_call(ctx: Context, userInfo: Any = None, strict: bool = False,
                  krb_princs: bool = True, groups: bool = False) -> Optional[dict]:
    if userInfo is None:
        user = ctx.assert_login()
    else:
        if isinstance(userInfo, dict):
            userInfo = userInfo.get('id', userInfo.get('name'))
        user = get_user(ctx.state, userInfo, strict=strict)
    if user is None:
        return None
    return user_row(user)


@exported('getAllPerms')
def get_all_perms(ctx: Context) -> list:
    return [{'id': 1, 'name': 'admin', 'description': None}]


@exported('getPerms')
def get_perms(ctx: Context, userID: Any = None) -> list:
    user = ctx.user if userID is None else get_user(ctx.state, userID, strict=True)
    return ['admin'] if user and user.get('admin') else []


@exported('hasPerm')
def has_perm(ctx: Context, perm: str, strict: bool = False) -> bool:
    return perm == 'admin' and ctx.is_admin()


@exported('getAPIVersion')
def get_api_version(ctx: Context) -> int:
    return koji.API_VERSION


@exported('getKojiVersion')
def get_koji_version(ctx: Context) -> str:
    return HUB_VERSION
