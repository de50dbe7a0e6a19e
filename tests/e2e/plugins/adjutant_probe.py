"""A builder plugin for the daemon's end-to-end tests (loaded through ``pluginpath``).

``adjutantProbe(mode, value)`` lets a test make a forked task return a result,
fail with a koji fault, crash with a plain exception, sleep, or start a
container labelled with its task id that only the daemon's sweep can remove.
"""

import os
import subprocess
import time

import koji
from koji.tasks import BaseTaskHandler

from koji_adjutant.daemon.containers import host_label

IMAGE = os.environ.get("KOJI_ADJUTANT_TEST_IMAGE", "localhost/koji-adjutant-buildroot:test")


class ProbeTask(BaseTaskHandler):
    Methods = ["adjutantProbe"]
    _taskWeight = 0.5

    def _mark(self, name: str) -> None:
        marker_dir = os.environ.get("ADJUTANT_PROBE_DIR")
        if marker_dir:
            with open(os.path.join(marker_dir, f"{self.id}.{name}"), "w") as f:
                f.write(str(os.getpid()))

    def handler(self, mode, value=None):
        self._mark("started")
        if mode == "echo":
            return {"pid": os.getpid(), "value": value, "big": 2 ** 40, "none": None}
        if mode == "fail":
            raise koji.BuildError(value)
        if mode == "crash":
            raise ValueError(value)
        if mode == "sleep":
            time.sleep(value)
            return "slept"
        if mode == "container":
            host = host_label(self.options, self.session.host.getHost()["name"])
            subprocess.run(
                ["podman", "run", "-d", "--init", "--name", f"probe-{self.id}-{os.getpid()}",
                 "--label", f"io.koji.adjutant.host={host}",
                 "--label", f"io.koji.adjutant.task_id={self.id}",
                 "--label", "io.koji.adjutant.method=adjutantProbe",
                 "--label", "io.koji.adjutant.instance_id=probe",
                 IMAGE, "sleep", "3600"], check=True, capture_output=True)
            self._mark("container")
            time.sleep(value)
            return "container task ended"
        raise koji.ParameterError(f"unknown probe mode {mode!r}")
