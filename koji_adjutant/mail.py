"""Notification mail: one message format and one way to send it.

kojid's notification tasks (contract 3.14) send a plain-text mail through
``smtphost`` (``host`` or ``host:port``), logging in when both ``smtp_user`` and
``smtp_pass`` are set and without STARTTLS, as kojid does (ADR 0011). Mail filters
key on the ``X-Koji-*`` headers, so their names and values are kojid's; the message
itself is built with :mod:`email` so non-ASCII names and long subjects are encoded
properly.
"""

import email.policy
import email.utils
import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.message import EmailMessage

from koji_adjutant.errors import TaskFailed

logger = logging.getLogger("koji.build.mail")

# How long one SMTP conversation step may take before the task fails.
SMTP_TIMEOUT = 60.0
# CRLF line ends, 7-bit transfer encodings (any relay takes them), no ">From " mangling
# of body lines such as "From Tag: f99", and headers folded only past RFC 5322's hard
# limit: kojid sends "Subject: Package: ..." on one line, and procmail-style filters
# match it there.
POLICY = email.policy.SMTP.clone(cte_type="7bit", mangle_from_=False, max_line_length=998)


def compose(from_addr: str, recipients: Sequence[str], subject: str,
            headers: Iterable[tuple[str, str]], body: str) -> EmailMessage:
    """Return a text/plain message with kojid's header set (From, Subject, To, X-Koji-*)."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = from_addr
    msg["Subject"] = subject
    msg["To"] = ", ".join(recipients)
    for name, value in headers:
        msg[name] = value
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(idstring="koji")
    msg.set_content(body)
    return msg


def indent(text: str) -> list[str]:
    """``text`` as body lines indented by four spaces (error messages, task results)."""
    return ["    " + line for line in (text or "").splitlines()]


def send(options, recipients: Sequence[str], msg: EmailMessage) -> None:
    """Send ``msg`` to ``recipients`` through ``options.smtphost``.

    Raises ``TaskFailed`` naming the server when it cannot be reached, refuses the login,
    the sender or every recipient. Recipients refused one by one are logged.
    """
    host = options.smtphost
    try:
        with smtplib.SMTP(host, timeout=SMTP_TIMEOUT) as smtp:
            if options.smtp_user is not None and options.smtp_pass is not None:
                smtp.login(options.smtp_user, options.smtp_pass)
            refused = smtp.sendmail(_address(options.from_addr), list(recipients),
                                    msg.as_bytes())
    except smtplib.SMTPAuthenticationError as exc:
        raise TaskFailed(f"mail server {host} refused the login of smtp_user "
                         f"{options.smtp_user}: {_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise TaskFailed(f"mail server {host} refused every recipient: "
                         f"{', '.join(sorted(exc.recipients))}") from None
    except smtplib.SMTPResponseException as exc:
        raise TaskFailed(f"mail server {host} refused the message: {_reply(exc)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TaskFailed(f"cannot send mail through smtphost {host}: {exc}") from None
    for rcpt, (code, text) in sorted(refused.items()):
        logger.warning("mail server %s refused %s: %s %s", host, rcpt, code,
                       text.decode("utf-8", "replace"))


def _address(value: str) -> str:
    """The bare address of a From: value such as ``Koji <koji@example.com>``."""
    return email.utils.parseaddr(value)[1] or value


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {text}"
