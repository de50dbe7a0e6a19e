"""``koji-adjutant check-config``: load a configuration and summarise it, or name its error.

A subcommand module for ``koji_adjutant.tool``: ``register(subparsers)`` adds the
``check-config`` parser and sets ``run`` as its handler. The summary is a short
list of the effective values an operator wants to confirm (hub, koji volume,
authentication, podman, limits, monitoring, and runroot.conf when kojid.conf lists
the runroot plugin); the full set is in the example file.
``probes`` given by the tool add checks of the host that this layer cannot make
(where repository tasks find createrepo_c and mergerepo_c); what they find is a
warning.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from koji_adjutant.config import Config, load_config
from koji_adjutant.config.cli import DEFAULT_CONFIG
from koji_adjutant.config.runroot import load_runroot_config
from koji_adjutant.config.values import render, render_size
from koji_adjutant.errors import EX_CONFIG, EX_OK, ConfigError

NAME = "check-config"


# config -> (summary line, problem or None): checks of the host that upper layers add
Probe = Callable[[Config], tuple[str, "str | None"]]


def register(subparsers: argparse._SubParsersAction, probes: Sequence[Probe] = ()) -> None:
    """Add the ``check-config`` subcommand; ``probes`` add lines (and warnings) of their own."""
    parser = subparsers.add_parser(
        NAME, help="load kojid.conf, print the effective values or the error",
        description="Load the configuration exactly as the daemon would (file or directory, "
                    "[kojid] and [adjutant], KOJI_ADJUTANT_* variables) and print a summary. "
                    f"Exits 0 when it is usable, {EX_CONFIG} with the error otherwise.")
    parser.add_argument("-c", "--config", metavar="FILE", default=DEFAULT_CONFIG,
                        help="configuration file or directory [default: %(default)s]")
    parser.set_defaults(run=lambda args: run(args, probes=probes))


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None,
        probes: Sequence[Probe] = ()) -> int:
    """Load ``args.config``; print the summary to ``out`` or the error to ``err``."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        config = load_config(["-c", args.config], os.environ)
        lines = summary_lines(config) + runroot_lines(config)
    except ConfigError as exc:
        print(f"koji-adjutant: configuration error: {exc}", file=err)
        return EX_CONFIG
    for line in lines:
        print(line, file=out)
    warnings = list(config.warnings)
    for probe in probes:
        line, problem = probe(config)
        print(line, file=out)
        if problem:
            warnings.append(problem)
    for warning in warnings:
        print(f"koji-adjutant: warning: {warning}", file=err)
    return EX_OK


def summary_lines(config: Config) -> list[str]:
    """A short, human-readable summary of the effective configuration."""
    k, a = config.kojid, config.adjutant
    return [
        f"files read:    {render(config.files)}",
        f"hub:           {k.server}",
        f"login:         {auth_method(config)}",
        f"topurl:        {render(k.topurls)}",
        f"topdir:        {k.topdir}",
        f"workdir:       {k.workdir}",
        f"jobs:          maxjobs {k.maxjobs}, sleeptime {k.sleeptime}s, "
        f"minspace {k.minspace} MB",
        f"plugins:       {render(k.plugin)}",
        f"podman:        {a.podman_url}",
        f"image:         {a.default_image} (pull {a.pull_policy})",
        f"network:       scm checkout {_on(a.scm_network)}, build {_on(a.build_network)} "
        f"(mode {a.network_mode})",
        f"limits:        cpus {render(a.cpus)}, memory {_size(a.memory)}, "
        f"pids {render(a.pids)}, logs {_size(a.log_limit)} per task",
        f"labels:        {render(a.labels)}",
        f"monitoring:    {a.monitoring_bind if a.monitoring_enabled else 'off'}",
        f"policy:        {_on(a.policy_enabled)}",
    ]


def runroot_lines(config: Config) -> list[str]:
    """With ``plugins = runroot``: its configuration file, read as the daemon reads it."""
    if "runroot" not in config.kojid.plugin:
        return []
    runroot = load_runroot_config(config.adjutant.runroot_config)
    return [f"runroot:       {runroot.file}: default mounts {render(runroot.default_mounts)}, "
            f"safe roots {render(runroot.safe_roots)}, "
            f"{len(runroot.paths)} [pathN] section(s)"]


def auth_method(config: Config) -> str:
    """How the daemon will log in to the hub, in kojid's order of preference."""
    k = config.kojid
    if k.cert and os.path.isfile(k.cert):
        return f"TLS client certificate {k.cert}"
    if k.user:
        return f"password for user {k.user}"
    principal = k.krb_principal or k.host_principal_format.replace("%s", socket.getfqdn())
    return f"Kerberos {principal} with keytab {k.keytab}"


def _size(size: int | None) -> str:
    return render(size) if size is None else render_size(size)


def _on(flag: bool) -> str:
    return "on" if flag else "off"
