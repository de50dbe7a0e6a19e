"""koji_adjutant.mail against a real SMTP server (aiosmtpd on 127.0.0.1)."""

import socket
import threading
import types

import pytest

from koji_adjutant import mail
from koji_adjutant.errors import TaskFailed
from smtpsink import free_port

FROM = "Koji Build System <buildsys@example.com>"


def options(smtphost, user=None, password=None):
    return types.SimpleNamespace(smtphost=smtphost, smtp_user=user, smtp_pass=password,
                                 from_addr=FROM)


def message(recipients, subject="hello-1.0-1 successfully tagged into f99 by kojiadmin"):
    return mail.compose(FROM, recipients, subject,
                        [("X-Koji-Tag", "f99-updates"), ("X-Koji-Tag", "f99")],
                        "Package: hello\nStatus: complete\n")


def body(msg) -> str:
    return msg.get_content().replace("\r\n", "\n")


def test_a_message_arrives_with_kojids_headers_and_the_bare_envelope_sender(smtp_sink):
    rcpts = ["alice@example.com", "bob@example.com"]
    mail.send(options(smtp_sink.smtphost), rcpts, message(rcpts))
    [got] = smtp_sink.wait(1)
    assert got.envelope_from == "buildsys@example.com"
    assert got.envelope_to == rcpts
    assert got["From"] == FROM
    assert got["To"] == "alice@example.com, bob@example.com"
    assert got["Subject"] == "hello-1.0-1 successfully tagged into f99 by kojiadmin"
    assert got.get_all("X-Koji-Tag") == ["f99-updates", "f99"]
    assert got["Date"] and got["Message-ID"]
    assert body(got) == "Package: hello\nStatus: complete\n"


def test_non_ascii_names_are_encoded_and_come_back_intact(smtp_sink):
    subject = "hello-1.0-1 successfully tagged into f99 by Zoë Ångström " + "x" * 80
    rcpts = ["zoe@example.com"]
    msg = mail.compose(FROM, rcpts, subject, [("X-Koji-User", "Zoë")], "Changelog: café\n")
    mail.send(options(smtp_sink.smtphost), rcpts, msg)
    [got] = smtp_sink.wait(1)
    assert got["Subject"] == subject
    assert got["X-Koji-User"] == "Zoë"
    assert body(got) == "Changelog: café\n"


def test_login_is_used_when_user_and_password_are_both_set(smtp_sink):
    smtp_sink.require_login("koji", "s3cret")
    rcpts = ["alice@example.com"]
    mail.send(options(smtp_sink.smtphost, "koji", "s3cret"), rcpts, message(rcpts))
    assert len(smtp_sink.wait(1)) == 1
    assert smtp_sink.logins == ["koji"]


def test_no_login_without_a_password_and_the_refusal_is_reported(smtp_sink):
    smtp_sink.require_login("koji", "s3cret")
    rcpts = ["alice@example.com"]
    with pytest.raises(TaskFailed) as exc:
        mail.send(options(smtp_sink.smtphost, "koji", None), rcpts, message(rcpts))
    assert smtp_sink.logins == []
    assert str(exc.value) == (f"mail server {smtp_sink.smtphost} refused the message: "
                              "530 5.7.0 authentication required")


def test_a_wrong_password_names_the_user_and_not_the_password(smtp_sink):
    smtp_sink.require_login("koji", "s3cret")
    rcpts = ["alice@example.com"]
    with pytest.raises(TaskFailed) as exc:
        mail.send(options(smtp_sink.smtphost, "koji", "wrong"), rcpts, message(rcpts))
    text = str(exc.value)
    assert text.startswith(f"mail server {smtp_sink.smtphost} refused the login of "
                           "smtp_user koji: 535")
    assert "wrong" not in text
    assert smtp_sink.messages == []


def test_some_recipients_refused_the_others_still_get_it(smtp_sink, caplog):
    rcpts = ["alice@example.com", "refuse-bob@example.com"]
    mail.send(options(smtp_sink.smtphost), rcpts, message(rcpts))
    [got] = smtp_sink.wait(1)
    assert got.envelope_to == ["alice@example.com"]
    assert "refused refuse-bob@example.com: 550" in caplog.text


def test_every_recipient_refused_is_a_clear_failure(smtp_sink):
    rcpts = ["refuse-a@example.com", "refuse-b@example.com"]
    with pytest.raises(TaskFailed) as exc:
        mail.send(options(smtp_sink.smtphost), rcpts, message(rcpts))
    assert str(exc.value) == (f"mail server {smtp_sink.smtphost} refused every recipient: "
                              "refuse-a@example.com, refuse-b@example.com")


def test_nothing_listening_is_a_clear_failure():
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(TaskFailed) as exc:
        mail.send(options(host), ["a@example.com"], message(["a@example.com"]))
    assert str(exc.value).startswith(f"cannot send mail through smtphost {host}: ")
    assert "Connection refused" in str(exc.value)


def test_an_unknown_host_is_a_clear_failure():
    with pytest.raises(TaskFailed) as exc:
        mail.send(options("no-such-host.invalid"), ["a@example.com"],
                  message(["a@example.com"]))
    assert str(exc.value).startswith("cannot send mail through smtphost no-such-host.invalid: ")


def test_a_server_that_hangs_up_is_a_clear_failure():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        host = "127.0.0.1:%d" % server.getsockname()[1]

        def hang_up():
            conn, _ = server.accept()
            conn.close()
        t = threading.Thread(target=hang_up)
        t.start()
        with pytest.raises(TaskFailed) as exc:
            mail.send(options(host), ["a@example.com"], message(["a@example.com"]))
        t.join()
    assert str(exc.value).startswith(f"cannot send mail through smtphost {host}: ")


def test_a_long_subject_stays_on_the_subject_line_as_kojid_sends_it():
    subject = "Package: hello-mail-1.0-1.f99 Tag: f99 Status: complete Built by: kojiadmin"
    raw = mail.compose(FROM, ["a@example.com"], subject, [], "x\nFrom Tag: f99\n").as_bytes()
    assert f"\r\nSubject: {subject}\r\n".encode() in raw
    assert raw.endswith(b"\r\n\r\nx\r\nFrom Tag: f99\r\n")
