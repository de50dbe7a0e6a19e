"""The options object of a local build: the daemon's, read from kojid.conf when there is one.

Local builds hand the buildroot code the same ``DaemonOptions`` the daemon's
handlers get, so the macros (``vendor``, ``packager``, ``distribution``,
``mockhost``), ``rpmbuild_timeout`` and the ``[adjutant]`` section (podman
connection, limits, pull policy) are the builder's whenever the workstation
has the builder's ``kojid.conf``.  No hub is needed, so ``server`` and
``topurl`` are not required here.

The image when nothing else names one (ADR 0009): ``--image``, else
``[adjutant] default_image`` when the configuration (or
``KOJI_ADJUTANT_DEFAULT_IMAGE``) sets it, else ``LOCAL_DEFAULT_IMAGE``, the
image ``scripts/provision`` builds on this machine.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from koji_adjutant.config import DEFAULT_CONFIG, read_config_files
from koji_adjutant.config.adjutant import build_adjutant_options, env_name
from koji_adjutant.config.kojid import KojidOptions, file_values
from koji_adjutant.config.options import DaemonOptions

LOCAL_DEFAULT_IMAGE = "localhost/koji-adjutant-buildroot:test"
LOCAL_SERVER = "local"


def local_options(config_path: str = DEFAULT_CONFIG, *, workdir: Path,
                  environ: Mapping[str, str] | None = None, server: str | None = None,
                  topdir: str | None = None, topurls: tuple[str, ...] = ()) -> DaemonOptions:
    """Options for a local build whose scratch space is ``workdir``.

    ``config_path`` may be missing (a workstation has no kojid.conf); a present
    but bad file raises ``ConfigError`` as it would for the daemon.
    """
    environ = os.environ if environ is None else environ
    raw = read_config_files(config_path)
    typed, _ = file_values(raw)
    typed.pop("topurl", None)
    kojid = dataclasses.replace(
        KojidOptions(**typed), configFile=config_path, workdir=str(workdir),
        server=server or typed.get("server") or LOCAL_SERVER,
        topdir=topdir or typed.get("topdir") or KojidOptions.topdir,
        topurls=tuple(topurls), topurl=topurls[0] if topurls else None)
    adjutant, _ = build_adjutant_options(raw, environ)
    if not _image_configured(raw, environ):
        adjutant = dataclasses.replace(adjutant, default_image=LOCAL_DEFAULT_IMAGE)
    return DaemonOptions(kojid, adjutant, raw.files)


def _image_configured(raw, environ: Mapping[str, str]) -> bool:
    return "default_image" in raw.section("adjutant") or env_name("default_image") in environ
