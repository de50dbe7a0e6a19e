"""``tagNotification``: mail the people who watch a tag about a tag operation.

Contract 3.14. The hub creates this task after ``host.tagNotification`` (from a
``tagBuild`` task, ``untagBuild`` and friends) when somebody is to be told; the
recipients come with the task. Nothing is sent without recipients, nor for a success
the caller asked to keep quiet (``ignore_success``). The subject, the ``X-Koji-*``
headers and the result string are kojid's, so mail filters and scripts keep working.
"""

import logging

import koji

from koji_adjutant import mail
from koji_adjutant.hub import HubTaskHandler

logger = logging.getLogger("koji.build.TagNotificationTask")


class TagNotificationTask(HubTaskHandler):
    Methods = ["tagNotification"]
    _taskWeight = 0.1

    def handler(self, recipients, is_successful, tag_info, from_info, build_info, user_info,
                ignore_success=None, failure_msg=""):
        if not recipients:
            logger.debug("no recipients for the notification of task %s", self.id)
            return None
        if is_successful and ignore_success:
            logger.debug("a successful operation, and ignore_success is set")
            return None
        facts = self._facts(tag_info, from_info, build_info, user_info)
        msg = self._message(recipients, bool(is_successful), facts, failure_msg)
        mail.send(self.options, recipients, msg)
        return f"sent notification of tag operation {self.id} to: {', '.join(recipients)}"

    def _facts(self, tag_info, from_info, build_info, user_info) -> dict:
        build = self.hub.build(build_info)
        if not build:
            raise koji.GenericError(f"no such build: {build_info}")
        # the hub passes a user id, or (some versions) the whole user dict
        user = user_info if isinstance(user_info, dict) else (
            self.hub.user(user_info) or {})
        tag = self.hub.tag(tag_info) if tag_info else None
        from_tag = self.hub.tag(from_info) if from_info else None
        return {"build": build, "nvr": koji.buildLabel(build),
                "user": user.get("name", str(user_info)),
                "tag": tag["name"] if tag else None,
                "from_tag": from_tag["name"] if from_tag else None}

    def _message(self, recipients, success: bool, facts: dict, failure_msg: str):
        tag, from_tag = facts["tag"], facts["from_tag"]
        if tag and from_tag:
            action = "moved"
        elif tag:
            action = "tagged"
        else:
            action = "untagged"
        operation = action + (f" from {from_tag}" if from_tag else "") + (
            f" into {tag}" if tag else "")
        status = "complete" if success else "failed"
        sentence = (f"{facts['nvr']} {'successfully' if success else 'unsuccessfully'} "
                    f"{operation} by {facts['user']}")
        headers = [("X-Koji-Package", facts["build"]["package_name"]),
                   ("X-Koji-NVR", facts["nvr"]),
                   ("X-Koji-Draft", str(bool(facts["build"].get("draft", False)))),
                   ("X-Koji-User", facts["user"]),
                   ("X-Koji-Status", status)]
        headers += [("X-Koji-Tag", name) for name in (from_tag, tag) if name]
        lines = [f"Package: {facts['build']['package_name']}",
                 f"NVR: {facts['nvr']}",
                 f"User: {facts['user']}",
                 f"Status: {status}",
                 f"Tag Operation: {action}"]
        if from_tag:
            lines.append(f"From Tag: {from_tag}")
        if tag:
            lines.append(f"Into Tag: {tag}")
        lines += ["", sentence]
        if not success:
            lines += ["", "Operation failed with the error:",
                      *mail.indent(failure_msg or "unknown")]
        return mail.compose(self.options.from_addr, recipients, sentence, headers,
                            "\n".join(lines) + "\n")
