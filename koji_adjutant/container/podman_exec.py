"""``PodmanExec``: one command in a podman container, the detached-exec way (ADR 0003).

``run`` makes the exec's control files in the container's control directory,
starts the wrapped command with one API call (never retried, so it runs exactly
once), finds its host process, streams its log while it runs, stops its process
tree when its time is up, and hands the outcome to ``execution.judge``.  It
owns the exec's files and its process while it runs: whatever ends the run (a
timeout, an error in the caller's sink, SIGTERM) leaves neither behind.  The
container and its record belong to ``PodmanManager``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from koji_adjutant.container.errors import ExecFailed
from koji_adjutant.container.execution import (
    ExecFiles,
    LineStreamer,
    MalformedStatus,
    judge,
    raise_if_full,
    wait_for_exit,
)
from koji_adjutant.container.manager import ExecResult, LogSink
from koji_adjutant.container.payload import exec_payload
from koji_adjutant.container.podman_api import ApiFailure, PodmanApi
from koji_adjutant.container.proctree import HostProcess, stop_tree
from koji_adjutant.container.tracked import TrackedContainer

PID_WAIT = 5.0  # seconds podman may take to report the process of a started exec


class PodmanExec:
    """Runs commands in containers over ``api``, stopping them ``stop_timeout`` after TERM."""

    def __init__(self, api: PodmanApi, *, start_timeout: float, stop_timeout: float):
        self._api = api
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout

    def run(self, record: TrackedContainer, argv: Sequence[str], *, user: str | None,
            workdir: str | None, env: Mapping[str, str] | None, timeout: float | None,
            log: LogSink | None, check: bool) -> ExecResult:
        """Run ``argv`` once in the container of ``record`` (see ``ContainerManager.exec``)."""
        argv = [str(arg) for arg in argv]
        if not argv:
            raise ValueError("exec needs a non-empty argv list")
        limit, kind = record.exec_limit(timeout)
        files = self._files(record, argv)
        streamer = LineStreamer(files.host_log, log)
        began = time.monotonic()
        process: HostProcess | None = None
        try:
            process = self._start(record, files.wrapped(argv, user or record.user), argv,
                                  workdir=workdir, env=env)
            outcome = wait_for_exit(files, streamer, process,
                                    None if limit is None else began + limit)
            if outcome.timed_out:
                stop_tree(process, self.stop_timeout)
        except MalformedStatus as exc:
            stop_tree(process, 0)
            raise ExecFailed(f"the command's exit status could not be read ({exc}); the "
                             f"build tampered with it or the container broke",
                             container=record.ref.name, command=argv,
                             hint="treat the build as failed; see its log") from None
        except BaseException as exc:
            # the caller is going away (error in the sink, SIGTERM, ...): leave nothing running
            if process is not None:
                stop_tree(process, 0)
            if isinstance(exc, OSError):
                raise_if_full(record, argv, exc)
            raise
        finally:
            try:
                streamer.finish()
            finally:
                files.remove()
        result = ExecResult(record.ref.name, tuple(argv),
                            -1 if outcome.exit_code is None else outcome.exit_code,
                            time.monotonic() - began, streamer.lines)
        judge(record, outcome, result, limit, kind, check)
        return result

    def _files(self, record: TrackedContainer, argv: list[str]) -> ExecFiles:
        if not record.control.is_dir():
            raise ExecFailed(f"the container has no control directory {record.control}",
                             container=record.ref.name, command=argv,
                             hint="run commands only in containers this daemon created")
        try:
            return ExecFiles.create(record.control, record.root)
        except OSError as exc:
            raise_if_full(record, argv, exc)
            raise

    def _start(self, record: TrackedContainer, wrapped: list[str], argv: list[str], *,
               workdir: str | None, env: Mapping[str, str] | None) -> HostProcess:
        # the wrapper runs as the container's root; it drops to the wanted user itself
        body = exec_payload(wrapped, user="0:0", workdir=workdir, env=env)
        try:
            exec_id = self._api.json("POST", f"/containers/{record.ref.id}/exec",
                                     body=body)["Id"]
            # one POST starts the command: it is never retried, so it runs exactly once
            self._api.request("POST", f"/exec/{exec_id}/start", body={"Detach": True},
                              timeout=self.start_timeout)
        except ApiFailure as exc:
            raise ExecFailed(f"podman could not run the command: {exc.message}",
                             container=record.ref.name, command=argv,
                             hint="check that the container is running and that its image "
                                  "has /bin/sh") from exc
        return self._process(record, exec_id, argv)

    def _process(self, record: TrackedContainer, exec_id: str, argv: list[str]) -> HostProcess:
        waited_until = time.monotonic() + PID_WAIT
        while time.monotonic() < waited_until:
            pid = self._api.json("GET", f"/exec/{exec_id}/json").get("Pid") or 0
            if pid:
                # a quick command may be gone already; its status file tells the rest
                return HostProcess.find(pid) or HostProcess.gone(pid)
            time.sleep(0.02)
        raise ExecFailed("podman started the command but reports no process for it",
                         container=record.ref.name, command=argv,
                         hint="check the podman service's log; the container may have "
                              "stopped")
