"""HTTP transport: the XML-RPC endpoint, raw fast uploads, and topdir served as topurl.

`HubServer` owns its listening sockets and the serving threads.  Every XML-RPC request runs
under `HubState.lock` (one call = one transaction).  Session credentials are read the way
koji's ClientSession sends them (Koji-Session-* headers, or session-id/session-key/callnum
query parameters); the TLS peer certificate's CN is what `sslLogin` logs in.  Faults carry
koji fault codes; errors the real hub leaks from its database come back as raw fault 1.
"""

from __future__ import annotations

import http.server
import os
import socket
import ssl
import sys
import threading
import traceback
import urllib.parse
import xmlrpc.client
from typing import Any, Optional

import koji
from koji.xmlrpcplus import dumps

from . import api, sessions, uploads
from .api import HUB_VERSION
from .state import HubState

HUB_PATH = '/kojihub'
FILES_PATH = '/kojifiles'


def gssapi_accept(keytab: Any, token_b64: str) -> tuple[str, Optional[str]]:
    """Accept one SPNEGO/Kerberos token with the service keys in ``keytab``.

    Returns the initiator's principal and the base64 reply token (for mutual
    authentication), or raises if the token is not acceptable."""
    import base64

    import gssapi
    creds = gssapi.Credentials(usage='accept', store={'keytab': str(keytab)})
    ctx = gssapi.SecurityContext(creds=creds, usage='accept')
    out = ctx.step(base64.b64decode(token_b64))
    if not ctx.complete:
        raise ValueError('the GSSAPI exchange needs more than one step')
    return str(ctx.initiator_name), base64.b64encode(out).decode() if out else None


def _fault_response(exc: BaseException, state: HubState) -> str:
    if isinstance(exc, koji.GenericError):
        fault = xmlrpc.client.Fault(exc.faultCode, str(exc))
    elif isinstance(exc, xmlrpc.client.Fault):
        fault = exc
    else:
        text = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if not isinstance(exc, api.RawFault):
            state.internal_errors.append(text)
            sys.stderr.write('hubsim internal error:\n%s' % text)
        fault = xmlrpc.client.Fault(1, text)
    return dumps(fault, methodresponse=1, allow_none=1)


class HubRequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True
    server: 'HubHTTPServer'

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length)
        if not url.path.startswith(HUB_PATH):
            self._send(404, b'not found', 'text/plain')
            return
        query = dict(urllib.parse.parse_qsl(url.query))
        peer_cn = self._peer_cn()
        headers = {'Koji-Version': HUB_VERSION}
        principal = None
        if (url.path == HUB_PATH + '/ssllogin' and peer_cn is None
                and self.server.gssapi_keytab is not None):
            negotiated = self._negotiate()
            if negotiated is None:
                return
            principal, token = negotiated
            if token:
                headers['WWW-Authenticate'] = 'Negotiate ' + token
        response = self.server.dispatch(body, query, self._creds(query), peer_cn,
                                        self.headers.get('Content-Type'), principal)
        self._send(200, response.encode('utf-8'), 'text/xml', extra_headers=headers)

    def _negotiate(self) -> Optional[tuple[str, Optional[str]]]:
        """SPNEGO as mod_auth_gssapi does it on /kojihub/ssllogin: a 401 challenge, then
        the client's token accepted with the HTTP service keytab.  Returns (principal,
        mutual-auth token) or None when a 401 was sent."""
        auth = self.headers.get('Authorization', '')
        if not auth.startswith('Negotiate '):
            self._send(401, b'GSSAPI authentication required', 'text/plain',
                       extra_headers={'WWW-Authenticate': 'Negotiate'})
            return None
        try:
            principal, token = gssapi_accept(self.server.gssapi_keytab, auth.split(' ', 1)[1])
        except Exception as ex:  # a bad or foreign token: what the module answers, 401
            self._send(401, ('GSSAPI authentication failed: %s' % ex).encode(), 'text/plain',
                       extra_headers={'WWW-Authenticate': 'Negotiate'})
            return None
        return principal, token

    def _creds(self, query: dict) -> tuple:
        hdr = self.headers
        if hdr.get('Koji-Session-Id'):
            return (hdr.get('Koji-Session-Id'), hdr.get('Koji-Session-Key'),
                    hdr.get('Koji-Session-Callnum'))
        return (query.get('session-id'), query.get('session-key'), query.get('callnum'))

    def _peer_cn(self) -> Optional[str]:
        if not isinstance(self.connection, ssl.SSLSocket):
            return None
        cert = self.connection.getpeercert()
        for rdn in (cert or {}).get('subject', ()):
            for key, value in rdn:
                if key == 'commonName':
                    return value
        return None

    def do_GET(self) -> None:
        self._serve_file(head=False)

    def do_HEAD(self) -> None:
        self._serve_file(head=True)

    def _serve_file(self, head: bool) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if not path.startswith(FILES_PATH + '/'):
            self._send(404, b'not found', 'text/plain')
            return
        top = os.path.realpath(str(self.server.state.topdir))
        full = os.path.realpath(os.path.join(top, path[len(FILES_PATH) + 1:]))
        if not (full == top or full.startswith(top + os.sep)) or not os.path.isfile(full):
            self._send(404, b'not found', 'text/plain')
            return
        with open(full, 'rb') as fo:
            data = fo.read()
        self._send(200, b'' if head else data, 'application/octet-stream',
                   length=len(data))

    def _send(self, code: int, data: bytes, ctype: str, length: Optional[int] = None,
              extra_headers: Optional[dict] = None) -> None:
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data) if length is None else length))
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class HubHTTPServer(http.server.ThreadingHTTPServer):
    """One listener; with `ssl_context` it speaks HTTPS and asks for client certificates."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, state: HubState, ssl_context: Optional[ssl.SSLContext] = None,
                 port: int = 0, gssapi_keytab: Any = None):
        self.state = state
        self.ssl_context = ssl_context
        self.gssapi_keytab = gssapi_keytab
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(('127.0.0.1', port), HubRequestHandler)

    def finish_request(self, request: socket.socket, client_address: Any) -> None:
        conn = request
        if self.ssl_context is not None:
            try:
                conn = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        with self._conns_lock:
            self._conns.add(conn)
        try:
            super().finish_request(conn, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(conn)
            if conn is not request:
                conn.close()

    def close_connections(self) -> None:
        """End kept-alive client connections so no handler serves after a stop."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def dispatch(self, body: bytes, query: dict, creds: tuple, peer_cn: Optional[str],
                 ctype: Optional[str], krb_principal: Optional[str] = None) -> str:
        raw = ctype == 'application/octet-stream'
        try:
            if raw:
                method, params = 'rawUpload', ()
            else:
                params, method = xmlrpc.client.loads(body)
        except Exception as ex:
            return _fault_response(koji.GenericError('bad request: %s' % ex), self.state)
        with self.state.lock:
            ctx = api.Context(self.state, method, peer_cn=peer_cn, krb_principal=krb_principal)
            try:
                ctx.session = sessions.authenticate(self.state, *creds, method)
                if raw:
                    result = uploads.raw_upload(ctx, body, query)
                elif method == 'multiCall':
                    result = self._multicall(ctx, params)
                else:
                    args, kwargs = koji.decode_args(*params)
                    result = api.call(ctx, args, kwargs)
                return dumps((result,), methodresponse=1, allow_none=1)
            except Exception as ex:
                return _fault_response(ex, self.state)

    def _multicall(self, ctx: api.Context, params: tuple) -> list:
        out = []
        for call in params[0]:
            sub = api.Context(ctx.state, call['methodName'], session=ctx.session,
                              peer_cn=ctx.peer_cn)
            try:
                args, kwargs = koji.decode_args(*call['params'])
                value = api.call(sub, args, kwargs)
                dumps((value,), methodresponse=1, allow_none=1)
                out.append([value])
            except koji.GenericError as ex:
                out.append({'faultCode': ex.faultCode, 'faultString': str(ex)})
            except xmlrpc.client.Fault as fault:
                out.append({'faultCode': fault.faultCode, 'faultString': fault.faultString})
        return out


class HubServer:
    """The simulator's listeners: the main one (HTTP or HTTPS) and, with TLS, a plain
    HTTP one for topurl.  They bind free loopback ports unless `ports` (main, files) names
    them (a restart in place); `stop` closes everything."""

    def __init__(self, state: HubState, ssl_context: Optional[ssl.SSLContext] = None,
                 ports: tuple[int, int] = (0, 0), gssapi_keytab: Any = None):
        self.main = HubHTTPServer(state, ssl_context, ports[0], gssapi_keytab)
        self.files = (HubHTTPServer(state, port=ports[1]) if ssl_context is not None
                      else self.main)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for srv in {id(self.main): self.main, id(self.files): self.files}.values():
            thread = threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.05},
                                      name='hubsim-%d' % srv.server_address[1], daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for srv in {id(self.main): self.main, id(self.files): self.files}.values():
            srv.shutdown()
            srv.server_close()
            srv.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)

    @property
    def main_port(self) -> int:
        return self.main.server_address[1]

    @property
    def files_port(self) -> int:
        return self.files.server_address[1]
