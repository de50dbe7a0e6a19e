"""A builder plugin for the daemon's end-to-end tests (loaded through ``pluginpath``).

``adjutantProbe(mode, value)`` lets a test make a forked task return a result,
fail with a koji fault, crash with a plain exception, sleep, start a
container labelled with its task id that only the daemon's sweep can remove, or
(``gated_exec``) run a task container through the daemon's own container code and
exec a command in it once the test creates the gate file ``<probe dir>/<id>.go``, or
(``parent``) make a subtask that sleeps and wait for it as a build parent does, or
(``late``) outlive a cancel's SIGINT and then return a result the hub refuses.
"""

import os
import signal
import subprocess
import time

import koji
from koji.tasks import BaseTaskHandler

from koji_adjutant.container import ContainerSpec, TaskIdentity, task_container
from koji_adjutant.container.factory import host_label, open_task_manager

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
        if mode == "gated_exec":
            return self._gated_exec(value)
        if mode == "late":
            return self._late(value)
        if mode == "parent":
            sleeper = self.session.host.subtask(method="adjutantProbe", arglist=["sleep", value],
                                                label="sleeper", parent=self.id)
            self.wait(sleeper)
            return "waited"
        raise koji.ParameterError(f"unknown probe mode {mode!r}")

    def _late(self, timeout: float) -> str:
        """Outlive a cancel's first signal, then report a result the hub no longer wants."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        deadline = time.monotonic() + timeout
        while (self.session.getTaskInfo(self.id)["state"] != koji.TASK_STATES["CANCELED"]
               and time.monotonic() < deadline):
            time.sleep(0.1)
        return "too late"

    def _gated_exec(self, timeout: float) -> str:
        name = self.session.host.getHost()["name"]
        manager = open_task_manager(self.options, name, self.id)
        spec = ContainerSpec(image=self.options.adjutant.default_image,
                             task=TaskIdentity(self.id, "adjutantProbe", None))
        gate = os.path.join(os.environ["ADJUTANT_PROBE_DIR"], f"{self.id}.go")
        with task_container(manager, spec) as container:
            self._mark("container")
            deadline = time.monotonic() + timeout
            while not os.path.exists(gate) and time.monotonic() < deadline:
                time.sleep(0.1)
            manager.exec(container, ["true"], check=True)
        return "exec ran"
