"""Sessions, authentication and the exclusive-session lock (contract 1.5, 2.1, 10.1)."""

from __future__ import annotations

import time

import koji
import pytest

from hubsim import HubSim
from kdc import REALM


def test_starts_fast_and_stops_cleanly(tmp_path):
    start = time.monotonic()
    hub = HubSim(tmp_path / 'koji')
    hub.start()
    assert time.monotonic() - start < 1.0
    assert hub.anon_session().echo('OK') == ['OK']
    hub.stop()
    with pytest.raises(RuntimeError, match='not started'):
        hub.url


def test_password_login_and_user(hub):
    sess = hub.session()
    assert sess.getLoggedInUser()['name'] == 'kojiadmin'
    assert sess.getSessionInfo()['start_ts'] > 0
    assert sess.getUser('kojiadmin')['usertype'] == koji.USERTYPES['NORMAL']
    bad = hub.anon_session(user='kojiadmin', password='wrong')
    with pytest.raises(koji.AuthError):
        bad.login()


def test_anonymous_and_non_host_are_refused_host_calls(hub, builder):
    with pytest.raises(koji.AuthError, match='Not logged-in'):
        hub.anon_session().host.getID()
    with pytest.raises(koji.AuthError, match='User 1 is not a host'):
        hub.session().host.getID()


def test_host_calls_need_an_exclusive_session(hub, builder):
    builder.session.logout()
    plain = hub.session('builder1', 'builder1')
    with pytest.raises(koji.AuthError, match='This method requires an exclusive session'):
        plain.host.getID()
    plain.exclusiveSession()
    assert plain.host.getID() == builder.host_id


def test_exclusive_session_locks_other_sessions(hub, builder):
    other = hub.session('builder1', 'builder1')
    with pytest.raises(koji.AuthLockError, match='User locked by another session'):
        other.echo('hi')
    with pytest.raises(koji.AuthLockError, match='Cannot get exclusive session'):
        other.exclusiveSession()
    sub = builder.session.subsession()
    assert sub.host.getID() == builder.host_id
    with pytest.raises(koji.GenericError, match='subsessions cannot become exclusive'):
        sub.exclusiveSession()


def test_forced_takeover(hub, builder):
    sub = builder.session.subsession()
    new = hub.session('builder1', 'builder1')
    new.exclusiveSession(force=True)
    assert new.host.getID() == builder.host_id
    with pytest.raises(koji.AuthError, match='Invalid session or bad credentials'):
        builder.session.echo('x')
    with pytest.raises(koji.AuthLockError, match='User locked by another session'):
        sub.echo('x')


def test_logout_child_and_logout(hub, builder):
    sub = builder.session.subsession()
    child_id = sub.sinfo['session-id']
    builder.session.logoutChild(child_id)
    with pytest.raises(koji.AuthError):
        sub.echo('x')
    sess = hub.session()
    sess.logout()
    assert not sess.logged_in


def test_callnum_going_backwards_is_a_sequence_error(hub):
    sess = hub.session()
    sess.echo(1)
    sess.echo(2)
    sess.callnum = 0
    with pytest.raises(koji.SequenceError):
        sess.echo(3)


def test_ssl_login_uses_certificate_cn(hub_tls):
    hub_tls.add_host('builder1')
    sess = hub_tls.anon_session()
    sess.ssl_login(cert=str(hub_tls.client_cert('builder1')), serverca=str(hub_tls.ca_cert))
    assert sess.getLoggedInUser()['name'] == 'builder1'
    sess.exclusiveSession()
    sub = sess.subsession()
    assert sub.host.getID() == 1
    assert hub_tls.url.startswith('https://')
    assert hub_tls.topurl.startswith('http://')


def test_ssl_login_unknown_cn_fails(hub_tls):
    sess = hub_tls.anon_session()
    with pytest.raises(koji.AuthError, match='unable to obtain a session'):
        sess.ssl_login(cert=str(hub_tls.client_cert('nobody')), serverca=str(hub_tls.ca_cert))


def test_unknown_method_and_bad_arguments(hub):
    sess = hub.session()
    with pytest.raises(koji.GenericError, match='Invalid method: noSuchCall'):
        sess.noSuchCall()
    with pytest.raises(koji.ParameterError):
        sess.getTaskInfo()


def test_multicall(hub):
    sess = hub.session()
    with sess.multicall() as m:
        echo = m.echo('a')
        bad = m.getTaskInfo(999, strict=True)
    assert echo.result == ['a']
    with pytest.raises(koji.GenericError, match='No such task: 999'):
        bad.result


def test_password_login_over_https(hub_tls):
    sess = hub_tls.session()
    assert sess.getLoggedInUser()['name'] == 'kojiadmin'
    hub_tls.add_host('builder1')
    host = hub_tls.host_session('builder1')
    assert host.getLoggedInUser()['name'] == 'builder1'


def test_stop_ends_kept_alive_connections(tmp_path):
    hub = HubSim(tmp_path / 'koji')
    hub.start()
    sess = hub.session()
    assert sess.echo('before') == ['before']
    hub.stop()
    sess.opts['max_retries'] = 0
    with pytest.raises(Exception) as err:
        sess.echo('after')
    assert not isinstance(err.value, koji.GenericError)


def test_hub_version_is_announced(hub):
    sess = hub.session()
    assert sess.getKojiVersion() == '1.35.3'
    assert sess.hub_version == (1, 35, 3)


def test_gssapi_login_maps_the_principal_to_its_host_user(hub_krb, kdc, tmp_path):
    principal = f'compile/builder1.test@{REALM}'
    hub_krb.add_host('builder1', krb_principal=principal)
    keytab = kdc.keytab('compile/builder1.test')
    sess = hub_krb.anon_session(max_retries=1)  # gssapi_login tries max_retries times
    sess.gssapi_login(principal=principal, keytab=str(keytab),
                      ccache=f'FILE:{tmp_path}/ccache')
    user = sess.getLoggedInUser()
    assert (user['name'], user['krb_principals']) == ('builder1', [principal])
    assert sess.getSessionInfo()['authtype'] == koji.AUTHTYPES['GSSAPI']
    sess.exclusiveSession()
    assert sess.host.getID() == 1


def test_gssapi_login_of_an_unknown_principal_fails(hub_krb, kdc, tmp_path):
    keytab = kdc.keytab('compile/stranger.test')
    sess = hub_krb.anon_session(max_retries=1)  # gssapi_login tries max_retries times
    with pytest.raises(koji.AuthError, match='unable to obtain a session'):
        sess.gssapi_login(principal=f'compile/stranger.test@{REALM}', keytab=str(keytab),
                          ccache=f'FILE:{tmp_path}/ccache')
