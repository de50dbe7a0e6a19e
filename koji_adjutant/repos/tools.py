"""Can this builder run repository tasks?  createrepo_c and mergerepo_c, where they run.

Asked once at the daemon's start-up (in the background) and by ``koji-adjutant
check-config``, so that
an operator learns of a builder that cannot make repos before a ``newRepo`` fails:
with no ``[adjutant] repo_image`` the tools are the host's (``shutil.which``, as
kojid runs them); with one, a short container of that image (no network, no
capabilities, removed at once) says which tool it lacks.  A tag may still name
another image for its repo tasks (``adjutant.image.createrepo``); those tasks
then fail with a message naming the image (``RepoTools.check``).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable

from koji_adjutant.config.options import DaemonOptions
from koji_adjutant.container import (ContainerManager, ContainerSpec, Security, TaskIdentity,
                                     task_container)
from koji_adjutant.container.errors import ContainerError
from koji_adjutant.container.factory import open_manager

TOOLS = ("createrepo_c", "mergerepo_c")
# prints the name of each tool the image lacks
MISSING_SCRIPT = 'for t in "$@"; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done'
CHECK_METHOD = "check-repo-image"


def problem(options, open_manager: Callable[[], ContainerManager]) -> str | None:
    """Why repository tasks cannot run here (one line with the fix), or None."""
    image = options.adjutant.repo_image
    if image is None:
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if not missing:
            return None
        return (f"{' and '.join(missing)} not found on this host: newRepo, createrepo and "
                f"distRepo tasks will fail here; install createrepo_c (it has mergerepo_c) "
                f"or set [adjutant] repo_image to an image that has both")
    try:
        missing = _missing_in_image(image, options, open_manager)
    except ContainerError as exc:
        return f"cannot check [adjutant] repo_image {image}: {exc}"
    if not missing:
        return None
    return (f"[adjutant] repo_image {image} has no {' and '.join(missing)}: newRepo, "
            f"createrepo and distRepo tasks will fail here; use an image with createrepo_c "
            f"and mergerepo_c, or leave repo_image empty to use this host's")


def check_in_background(options, open_manager: Callable[[], ContainerManager],
                        log: logging.Logger) -> threading.Thread:
    """``problem`` in a thread of its own, logged as a warning: a container check of
    ``repo_image`` must not delay the daemon's first poll."""
    def check() -> None:
        found = problem(options, open_manager)
        if found:
            log.warning(found)

    thread = threading.Thread(target=check, name="repo-tools-check", daemon=True)
    thread.start()
    return thread


def describe(options) -> str:
    """Where repository tasks run their tools (for check-config's summary)."""
    image = options.adjutant.repo_image
    return f"image {image}" if image else "this host's createrepo_c and mergerepo_c"


def _missing_in_image(image: str, options, open_manager) -> list[str]:
    spec = ContainerSpec(image=image, task=TaskIdentity(0, CHECK_METHOD),
                         security=Security(cap_drop=("ALL",)))
    manager = open_manager()
    try:
        with task_container(manager, spec, pull_policy=options.adjutant.pull_policy) as box:
            lines: list[str] = []
            manager.exec(box, ["/bin/sh", "-c", MISSING_SCRIPT, "sh", *TOOLS],
                         log=lines.append, check=True)
    finally:
        manager.close()
    return [line.strip() for line in lines if line.strip() in TOOLS]


def check_config_probe(config) -> tuple[str, str | None]:
    """``check-config``'s line for repository tools, and the problem if there is one."""
    options = DaemonOptions.from_config(config)
    found = problem(options, lambda: open_manager(options, CHECK_METHOD,
                                                  options.instance_id))
    return f"repo tools:    {describe(options)}", found
