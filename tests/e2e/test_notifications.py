"""Mail notification tasks through the daemon: tagNotification and buildNotification.

The hub simulator runs with notifications on (no DisableNotifications) and an email
domain, so completeBuild, failBuild and host.tagNotification create the notification
tasks the way a real hub does; the daemon takes them and sends the mail through a real
SMTP server (aiosmtpd) on 127.0.0.1.
"""

import uuid

import koji
import pytest

from hubsim import HubSim
from rpmkit import Package
from smtpsink import free_port
from test_build_parent import (DEST_TAG, TARGET, failure, finished, imported_build,
                               make_target, upload_srpm)

HOST = f"notify-{uuid.uuid4().hex[:8]}"
WEB = "https://koji.example.com/koji"


@pytest.fixture
def noisy_hub(tmp_path, rpm_factory):
    """A hub with notifications on, host HOST and target f99-candidate."""
    hub = HubSim(tmp_path / "koji", disable_notifications=False, email_domain="example.com",
                 koji_web_url=WEB)
    hub.start()
    try:
        hub.add_host(HOST, password=HOST, arches="x86_64")
        make_target(hub, rpm_factory)
        yield hub
    finally:
        hub.stop()
    assert not hub.internal_errors, hub.internal_errors


def notification_tasks(hub, method: str) -> list[dict]:
    return hub.session().listTasks(opts={"method": method, "decode": True})


def body(msg) -> str:
    return msg.get_content().replace("\r\n", "\n")


@pytest.mark.podman
def test_a_completed_build_is_mailed_with_links_to_its_rpms_and_logs(
        noisy_hub, rpm_factory, start_daemon, smtp_sink):
    hub = noisy_hub
    hub.add_notification("kojiadmin", email="watchers@example.com", package="hello-mail")
    start_daemon(hub, HOST, smtphost=smtp_sink.smtphost)
    task_id = hub.build(upload_srpm(hub, rpm_factory, Package("hello-mail")), TARGET)
    assert finished(hub, task_id) == "CLOSED", hub.task_result(task_id)
    build = hub.session().getBuild("hello-mail-1.0-1.f99")
    [note] = notification_tasks(hub, "buildNotification")
    assert finished(hub, note["id"], timeout=60) == "CLOSED", hub.task_result(note["id"])
    rcpts = ["kojiadmin@example.com", "watchers@example.com"]
    assert hub.task_result(note["id"]) == (
        f"sent notification of build {build['id']} to: {', '.join(rcpts)}")
    [msg] = smtp_sink.wait(1)
    assert sorted(msg.envelope_to) == rcpts
    assert msg["Subject"] == ("Package: hello-mail-1.0-1.f99 Tag: f99 Status: complete "
                              "Built by: kojiadmin")
    assert [(k, msg[k]) for k in ("X-Koji-Tag", "X-Koji-Package", "X-Koji-Builder",
                                  "X-Koji-Status", "X-Koji-Draft")] == [
        ("X-Koji-Tag", "f99"), ("X-Koji-Package", "hello-mail"),
        ("X-Koji-Builder", "kojiadmin"), ("X-Koji-Status", "complete"),
        ("X-Koji-Draft", "False")]
    text = body(msg)
    assert f"ID: {build['id']}\n" in text
    assert "Changelog:\n* " in text and "rpmkit <rpmkit@example.invalid>" in text
    assert "SRPMS:\n  hello-mail-1.0-1.f99.src.rpm\n" in text
    assert "Closed tasks:\n-------------\n" in text and "Failed tasks" not in text
    arch_task = [c for c in hub.children(task_id) if c["method"] == "buildArch"][0]
    assert f"Task {arch_task['id']} on {HOST}\nTask Type: buildArch (" in text
    assert (f" {WEB}/getfile?taskID={arch_task['id']}&name=build.log&volume=DEFAULT\n"
            in text)
    assert (f" {hub.topurl}/packages/hello-mail/1.0/1.f99/noarch/"
            "hello-mail-1.0-1.f99.noarch.rpm\n" in text)
    assert f"Task Info: {WEB}/taskinfo?taskID={task_id}\n" in text
    assert text.endswith(f"Build Info: {WEB}/buildinfo?buildID={build['id']}\n")
    # the tag subtask asked for silence on success (ignore_success): no tag mail
    assert notification_tasks(hub, "tagNotification") == []


@pytest.mark.podman
def test_a_failed_build_is_mailed_with_the_reason_and_the_failed_task(
        noisy_hub, rpm_factory, start_daemon, smtp_sink):
    hub = noisy_hub
    start_daemon(hub, HOST, smtphost=smtp_sink.smtphost)
    task_id = hub.build(upload_srpm(hub, rpm_factory, Package("broken-mail", build_fails=True)),
                        TARGET)
    assert finished(hub, task_id) == "FAILED"
    reason = failure(hub, task_id)
    [note] = notification_tasks(hub, "buildNotification")
    assert finished(hub, note["id"], timeout=60) == "CLOSED", hub.task_result(note["id"])
    [msg] = smtp_sink.wait(1)
    assert msg.envelope_to == ["kojiadmin@example.com"]
    assert msg["Subject"] == ("Package: broken-mail-1.0-1.f99 Tag: f99 Status: failed "
                              "Built by: kojiadmin")
    assert msg["X-Koji-Status"] == "failed"
    text = body(msg)
    build = hub.session().getBuild("broken-mail-1.0-1.f99")
    assert f"broken-mail-1.0-1.f99 ({build['id']}) failed on {HOST} (noarch):\n" in text
    assert reason.splitlines()[-1].strip() in text
    arch_task = [c for c in hub.children(task_id) if c["method"] == "buildArch"][0]
    failed_part = text.split("Failed tasks:\n", 1)[1].split("Closed tasks:", 1)[0]
    assert f"Task {arch_task['id']} on {HOST}\n" in failed_part
    assert f"getfile?taskID={arch_task['id']}&name=build.log&volume=DEFAULT" in failed_part
    assert "/packages/" not in text  # nothing was imported, so no rpm links


def test_tag_operations_are_mailed_on_success_and_on_failure(noisy_hub, rpm_factory,
                                                             start_daemon, smtp_sink):
    hub = noisy_hub
    hub.add_user("alice")
    hub.add_notification("alice", tag=DEST_TAG)
    start_daemon(hub, HOST, smtphost=smtp_sink.smtphost)
    build = imported_build(hub, rpm_factory, Package("tag-mail"))
    hub.add_package(DEST_TAG, "tag-mail")
    dest = hub.session().getTag(DEST_TAG)
    first = hub.make_task("tagBuild", [dest["id"], build["id"], False, None, False])
    assert finished(hub, first, timeout=60) == "CLOSED"
    again = hub.make_task("tagBuild", [dest["id"], build["id"], False, None, False])
    assert finished(hub, again, timeout=60) == "FAILED"
    notes = sorted(notification_tasks(hub, "tagNotification"), key=lambda t: t["id"])
    assert len(notes) == 2
    for note in notes:
        assert finished(hub, note["id"], timeout=60) == "CLOSED", hub.task_result(note["id"])
        rcpts = "alice@example.com, kojiadmin@example.com"
        assert hub.task_result(note["id"]) == (
            f"sent notification of tag operation {note['id']} to: {rcpts}")
    ok, bad = sorted(smtp_sink.wait(2), key=lambda m: m["X-Koji-Status"])
    assert ok["Subject"] == "tag-mail-1.0-1.f99 successfully tagged into f99 by kojiadmin"
    assert [(k, ok[k]) for k in ("X-Koji-Package", "X-Koji-NVR", "X-Koji-Draft",
                                 "X-Koji-User", "X-Koji-Status", "X-Koji-Tag")] == [
        ("X-Koji-Package", "tag-mail"), ("X-Koji-NVR", "tag-mail-1.0-1.f99"),
        ("X-Koji-Draft", "False"), ("X-Koji-User", "kojiadmin"),
        ("X-Koji-Status", "complete"), ("X-Koji-Tag", "f99")]
    assert "Tag Operation: tagged\nInto Tag: f99\n" in body(ok)
    assert bad["Subject"] == "tag-mail-1.0-1.f99 unsuccessfully tagged into f99 by kojiadmin"
    assert bad["X-Koji-Status"] == "failed"
    assert body(bad).endswith("Operation failed with the error:\n"
                              "    TagError: build tag-mail-1.0-1.f99 already tagged (f99)\n")


def test_a_move_and_an_untag_name_both_tags(hub, rpm_factory, start_daemon, smtp_sink):
    """The task's own parameters as ``koji move-build`` and ``untag-build`` make them."""
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag("f99-testing", arches=None)
    hub.add_tag("f99", arches=None)
    build = imported_build(hub, rpm_factory, Package("moved-mail"), tag="f99")
    start_daemon(hub, HOST, smtphost=smtp_sink.smtphost)
    rcpts = ["qa@example.com"]
    tags = {t: hub.session().getTag(t)["id"] for t in ("f99-testing", "f99")}
    moved = hub.make_task("tagNotification", [rcpts, True, tags["f99"], tags["f99-testing"],
                                              build["id"], "kojiadmin"])
    # as some hubs send it: the user as a dict
    untagged = hub.make_task("tagNotification", [rcpts, False, None, tags["f99"], build["id"],
                                                 hub.session().getUser("kojiadmin"), False,
                                                 "boom"])
    for task_id in (moved, untagged):
        assert finished(hub, task_id, timeout=60) == "CLOSED", hub.task_result(task_id)
    got = {m["Subject"]: m for m in smtp_sink.wait(2)}
    move = got["moved-mail-1.0-1.f99 successfully moved from f99-testing into f99 by kojiadmin"]
    assert move.get_all("X-Koji-Tag") == ["f99-testing", "f99"]
    assert "Tag Operation: moved\nFrom Tag: f99-testing\nInto Tag: f99\n" in body(move)
    untag = got["moved-mail-1.0-1.f99 unsuccessfully untagged from f99 by kojiadmin"]
    assert untag.get_all("X-Koji-Tag") == ["f99"]


def test_no_recipients_or_a_quiet_success_sends_nothing(hub, rpm_factory, start_daemon,
                                                        smtp_sink):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag("f99", arches=None)
    build = imported_build(hub, rpm_factory, Package("quiet-mail"), tag="f99")
    start_daemon(hub, HOST, smtphost=smtp_sink.smtphost)
    tag_id = hub.session().getTag("f99")["id"]
    nobody = hub.make_task("tagNotification", [[], True, tag_id, None, build["id"], 1])
    quiet = hub.make_task("tagNotification", [["qa@example.com"], True, tag_id, None,
                                              build["id"], 1, True])
    no_build_mail = hub.make_task("buildNotification", [[], hub.session().getBuild(
        build["id"]), None, WEB])
    for task_id in (nobody, quiet, no_build_mail):
        assert finished(hub, task_id, timeout=60) == "CLOSED"
        assert hub.task_result(task_id) is None
    assert smtp_sink.messages == []


def test_an_unreachable_mail_server_fails_the_task_and_the_daemon_goes_on(
        hub, rpm_factory, start_daemon):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag("f99", arches=None)
    build = imported_build(hub, rpm_factory, Package("lost-mail"), tag="f99")
    smtphost = f"127.0.0.1:{free_port()}"
    daemon = start_daemon(hub, HOST, smtphost=smtphost)
    tag_id = hub.session().getTag("f99")["id"]
    lost = hub.make_task("tagNotification", [["qa@example.com"], True, tag_id, None,
                                             build["id"], 1])
    assert finished(hub, lost, timeout=60) == "FAILED"
    assert failure(hub, lost).startswith(f"cannot send mail through smtphost {smtphost}: ")
    after = hub.make_task("sleep", [0])
    assert finished(hub, after, timeout=60) == "CLOSED"
    assert daemon.proc.poll() is None
    assert koji.TASK_STATES[hub.task_info(lost)["state"]] == "FAILED"


def test_a_canceled_build_names_who_canceled_it(hub, rpm_factory, start_daemon, smtp_sink):
    """As the hub's cancelBuild creates it: owned by the canceling user, state CANCELED."""
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_user("carol")
    build = dict(imported_build(hub, rpm_factory, Package("canceled-mail")),
                 state=koji.BUILD_STATES["CANCELED"])
    start_daemon(hub, HOST, smtphost=smtp_sink.smtphost)
    task_id = hub.make_task("buildNotification", [["qa@example.com"], build, None, WEB + "/"],
                            owner="carol")
    assert finished(hub, task_id, timeout=60) == "CLOSED", hub.task_result(task_id)
    [msg] = smtp_sink.wait(1)
    assert msg["Subject"] == ("Package: canceled-mail-1.0-1.f99 Tag: None Status: canceled "
                              "Built by: kojiadmin")
    text = body(msg)
    assert text.startswith("Package: canceled-mail-1.0-1.f99\nTag: None\nStatus: canceled\n"
                           "Canceled by: carol\nBuilt by: kojiadmin\n")
    # an imported build has no task tree: no task sections and no task link
    assert "tasks:" not in text and "Task Info:" not in text
    assert text.endswith(f"Build Info: {WEB}/buildinfo?buildID={build['id']}\n")
