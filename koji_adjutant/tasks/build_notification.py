"""``buildNotification``: mail the outcome of a build with links to its logs and rpms.

Contract 3.14. The hub creates this task when a build completes, fails or is
canceled and somebody is to be told; ``build`` is the hub's build dict, ``target``
the build target (or None) and ``weburl`` the hub's web UI. The report walks the
build's task tree: failed tasks first, then canceled, then closed ones, each with its
host, its logs (web UI ``getfile`` links) and, for a complete build, the rpms on
``topurl``. Subject, ``X-Koji-*`` headers and result string are kojid's.
"""

import logging
import posixpath
import urllib.parse

import koji

from koji_adjutant import mail
from koji_adjutant.hub import HubTaskHandler

logger = logging.getLogger("koji.build.BuildNotificationTask")

# How many changelog entries the mail shows.
CHANGELOG_ENTRIES = 3
SECTIONS = (("FAILED", "Failed tasks"), ("CANCELED", "Canceled tasks"),
            ("CLOSED", "Closed tasks"))


class BuildNotificationTask(HubTaskHandler):
    Methods = ["buildNotification"]
    _taskWeight = 0.1

    def handler(self, recipients, build, target, weburl):
        if not recipients:
            logger.debug("no recipients for the notification of build %s", build.get("id"))
            return None
        weburl = (weburl or "").rstrip("/")
        status = koji.BUILD_STATES[build["state"]].lower()
        tasks = self._task_tree(build.get("task_id"))
        body = "\n".join(self._summary(build, target, status)
                         + self._changelog(build)
                         + self._outcome(build, status, tasks)
                         + self._srpms(tasks)
                         + self._task_sections(build, status, tasks, weburl)
                         + self._links(build, weburl)) + "\n"
        dest = target["dest_tag_name"] if target else None
        subject = (f"Package: {koji.buildLabel(build)} Tag: {dest} Status: {status} "
                   f"Built by: {build['owner_name']}")
        headers = [("X-Koji-Tag", str(dest)),
                   ("X-Koji-Package", build["package_name"]),
                   ("X-Koji-Builder", build["owner_name"]),
                   ("X-Koji-Status", status),
                   ("X-Koji-Draft", str(bool(build.get("draft", False))))]
        msg = mail.compose(self.options.from_addr, recipients, subject, headers, body)
        mail.send(self.options, recipients, msg)
        return f"sent notification of build {build['id']} to: {', '.join(recipients)}"

    # ---- gathering

    def _task_tree(self, root_id) -> list[dict]:
        """Every task of the build, parents before children, with host, result and files."""
        if not root_id:
            return []
        hosts: dict[int, str] = {}
        out, todo = [], [root_id]
        while todo:
            info = self.hub.task_info(todo.pop(0), request=True)
            host_id = info.get("host_id")
            if host_id and host_id not in hosts:
                hosts[host_id] = (self.hub.host(host_id) or {}).get("name", str(host_id))
            info["host_name"] = hosts.get(host_id, "(no host)")
            info["result_text"] = self._result_text(info)
            info["files"] = self.hub.task_output(info["id"])
            out.append(info)
            todo.extend(child["id"] for child in self.hub.task_children(info["id"]))
        return out

    def _result_text(self, info: dict) -> str:
        if koji.TASK_STATES[info["state"]] not in ("CLOSED", "FAILED", "CANCELED"):
            return ""
        try:
            result = self.hub.task_result(info["id"])
        except koji.GenericError as exc:
            return str(exc)
        except Exception as exc:  # the hub's own faults (e.g. a canceled task)
            return f"{type(exc).__name__}: {exc}"
        return str(result) if result not in (None, "", [], {}) else "Unknown"

    # ---- the parts of the report

    def _summary(self, build, target, status) -> list[str]:
        lines = [f"Package: {koji.buildLabel(build)}",
                 f"Tag: {target['dest_tag_name'] if target else None}",
                 f"Status: {status}"]
        if status == "canceled":
            lines.append(f"Canceled by: {self._canceler()}")
        lines += [f"Built by: {build['owner_name']}",
                  f"ID: {build['id']}",
                  f"Started: {_time(build.get('creation_ts'))}",
                  f"Finished: {_time(build.get('completion_ts'))}",
                  ""]
        return lines

    def _canceler(self) -> str:
        owner = self.hub.task_info(self.id)["owner"]
        return (self.hub.user(owner) or {}).get("name", str(owner))

    def _changelog(self, build) -> list[str]:
        entries = self.hub.changelog_entries(build["id"],
                                             queryOpts={"limit": CHANGELOG_ENTRIES})
        if not entries:
            return []
        lines = ["Changelog:"]
        for entry in entries:
            lines += [f"* {entry['date']} {entry['author']}", entry["text"], ""]
        return lines

    def _outcome(self, build, status, tasks) -> list[str]:
        if status not in ("failed", "canceled") or not tasks:
            return []
        top = tasks[0]
        verb = "failed" if status == "failed" else "was canceled"
        return [f"{koji.buildLabel(build)} ({build['id']}) {verb} on {top['host_name']} "
                f"({top['arch']}):", *mail.indent(top["result_text"]), ""]

    def _srpms(self, tasks) -> list[str]:
        names = sorted({posixpath.basename(name) for t in tasks for name in t["files"]
                        if name.endswith(".src.rpm")})
        return ["SRPMS:", *("  " + n for n in names), ""] if names else []

    def _task_sections(self, build, status, tasks, weburl) -> list[str]:
        lines = []
        for state, heading in SECTIONS:
            chosen = [t for t in tasks if koji.TASK_STATES[t["state"]] == state]
            if not chosen:
                continue
            lines += [f"{heading}:", "-" * (len(heading) + 1), ""]
            for task in chosen:
                lines += self._task_report(build, status, task, weburl)
        return lines

    def _task_report(self, build, status, task, weburl) -> list[str]:
        lines = [f"Task {task['id']} on {task['host_name']}",
                 f"Task Type: {koji.taskLabel(task)}"]
        if koji.TASK_STATES[task["state"]] != "CLOSED" and task["result_text"]:
            lines += ["Result:", *mail.indent(task["result_text"])]
        logs, rpms, misc = [], [], []
        for name, volumes in sorted(task["files"].items()):
            if name.endswith(".log"):
                logs += [_getfile(weburl, task["id"], name, vol) for vol in volumes]
            elif name.endswith(".rpm") and status == "complete":
                rpms.append(self._rpm_url(build, name))
            else:
                misc += [_getfile(weburl, task["id"], name, vol) for vol in volumes]
        for title, urls in (("logs", logs), ("rpms", rpms), ("misc", misc)):
            if urls:
                lines += [f"{title}:", *(" " + url for url in urls)]
        return lines + [""]

    def _rpm_url(self, build, name) -> str:
        base = posixpath.basename(name)
        arch = "src" if base.endswith(".src.rpm") else koji.parse_NVRA(base)["arch"]
        return f"{koji.PathInfo(topdir=self.options.topurl).build(build)}/{arch}/{base}"

    def _links(self, build, weburl) -> list[str]:
        lines = []
        if build.get("task_id"):
            lines.append(f"Task Info: {weburl}/taskinfo?taskID={build['task_id']}")
        lines.append(f"Build Info: {weburl}/buildinfo?buildID={build['id']}")
        return lines


def _time(ts) -> str:
    return koji.formatTimeLong(ts) if ts else "(unknown)"


def _getfile(weburl: str, task_id: int, name: str, volume: str) -> str:
    query = urllib.parse.urlencode({"taskID": task_id, "name": name, "volume": volume})
    return f"{weburl}/getfile?{query}"
