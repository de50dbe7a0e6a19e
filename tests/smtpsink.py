"""A real SMTP server for tests (aiosmtpd) that keeps every message it accepts.

``smtp_sink`` is a fixture: a server on 127.0.0.1 at a free port, with ``.smtphost``
(``127.0.0.1:PORT``, the form kojid.conf takes), ``.messages`` (parsed
``email.message.EmailMessage`` objects with ``.envelope_from`` and ``.envelope_to``) and
``.wait(n)``. Recipients starting with ``refuse-`` are refused with 550. With
``sink.require_login(user, password)`` it advertises AUTH and refuses mail without it.
"""

import email
import email.policy
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[str] = []
        self.credentials: tuple[str, str] | None = None
        self._cond = threading.Condition()

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse-"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.credentials and not session.authenticated:
            return "530 5.7.0 authentication required"
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        msg.envelope_from = envelope.mail_from
        msg.envelope_to = list(envelope.rcpt_tos)
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        self.logins.append(login)
        ok = (login, auth_data.password.decode()) == self.credentials
        return AuthResult(success=ok, handled=False)

    def require_login(self, user: str, password: str) -> None:
        self.credentials = (user, password)

    def wait(self, count: int = 1, timeout: float = 60.0) -> list:
        """Wait until ``count`` messages have arrived; return all of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.messages)} of {count} mails arrived "
                                         f"in {timeout} s")
                self._cond.wait(left)
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port,
                            authenticator=sink.authenticate, auth_require_tls=False)
    controller.start()
    sink.smtphost = f"127.0.0.1:{port}"
    try:
        yield sink
    finally:
        controller.stop()
