"""``tagBuild(tag_id, build_id, force, fromtag, ignore_success)``: tag a finished build.

Contract 3.6.  The hub does the work (``host.tagBuild`` runs the ``tag``
policy and the package-list checks as the task's owner); this handler checks
that the build and the tag exist and tells the hub to notify, on success and
on failure.  The ``build`` parent creates it with label ``tag``.
"""

import logging

from koji.tasks import ServerExit

from koji_adjutant.hub import HubTaskHandler

logger = logging.getLogger("koji.build.TagBuildTask")


class TagBuildTask(HubTaskHandler):
    Methods = ["tagBuild"]
    _taskWeight = 1.0

    def handler(self, tag_id, build_id, force=False, fromtag=None, ignore_success=False):
        owner = self.taskinfo["owner"]
        try:
            build = self.hub.build(build_id, strict=True)
            tag = self.hub.tag(tag_id, strict=True)
            logger.info("tagging %s into %s", build["nvr"], tag["name"])
            self.hub.tag_build(self.id, tag_id, build_id, force=force, fromtag=fromtag)
            self._notify(True, tag_id, fromtag, build_id, owner, ignore_success)
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            # whatever went wrong, the owner hears of it; the task fails with the error
            self._notify(False, tag_id, fromtag, build_id, owner, ignore_success,
                         f"{type(exc).__name__}: {exc}")
            raise

    def _notify(self, success: bool, tag_id, fromtag, build_id, owner, ignore_success,
                message: str = "") -> None:
        self.hub.tag_notification(success, tag_id, fromtag, build_id, owner,
                                  ignore_success, message)
