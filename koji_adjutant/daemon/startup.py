"""Start-up checks and preparation of the host, each failure a one-line fix.

Fatal: ``workdir`` cannot be created or written (``EX_CANTCREAT``), the podman
API service does not answer (``EX_UNAVAILABLE``), a plugin cannot be loaded or
podman has no subordinate ids for per-container user namespaces (``EX_CONFIG``).  Warnings only (kojid runs on without them too): ``topdir``
not readable (repository tasks are then refused so another builder takes
them) and too little free space (the host reports itself not ready).
"""

import logging
import os

import koji
import koji.plugin

from koji_adjutant.config.runroot import load_runroot_config
from koji_adjutant.container.idmap import subid_ranges_missing, user_namespace_fix
from koji_adjutant.errors import EX_CANTCREAT, EX_CONFIG, AdjutantError, ConfigError
from koji_adjutant.tasks.registry import NATIVE_PLUGINS

logger = logging.getLogger("koji.build")


class StartupError(AdjutantError):
    """A start-up check failed; ``exit_code`` is what the daemon exits with."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def prepare_paths(options) -> None:
    """Point the koji library at ``topdir`` and make sure ``workdir`` is writable."""
    koji.BASEDIR = options.topdir
    koji.pathinfo.topdir = options.topdir
    try:
        koji.ensuredir(options.workdir)
    except OSError as exc:
        raise StartupError(f"cannot create workdir {options.workdir}: {exc.strerror}; "
                           f"create it or set workdir in kojid.conf", EX_CANTCREAT) from exc
    if not os.access(options.workdir, os.W_OK | os.X_OK):
        raise StartupError(f"workdir {options.workdir} is not writable by uid {os.getuid()}; "
                           f"fix its permissions or set workdir in kojid.conf", EX_CANTCREAT)


def check_user_namespaces() -> None:
    """Each build container needs its own user namespace: podman needs id ranges for it."""
    missing = subid_ranges_missing()
    if missing:
        raise StartupError(user_namespace_fix(missing), EX_CONFIG)


def warnings_for(options) -> list[str]:
    """Non-fatal problems an operator should know about, as one-line messages."""
    found = []
    if not (os.path.isdir(options.topdir) and os.access(options.topdir, os.R_OK | os.X_OK)):
        found.append(f"topdir {options.topdir} is not readable: newRepo, createrepo and "
                     f"distRepo tasks will be refused; mount the koji volume there or set "
                     f"topdir in kojid.conf")
    stat = os.statvfs(options.workdir)
    free_mb = stat.f_bavail * stat.f_bsize // (1024 * 1024)
    if free_mb < options.minspace:
        found.append(f"only {free_mb} MB free in {options.workdir} (minspace is "
                     f"{options.minspace} MB): the host reports itself not ready until "
                     f"space is freed")
    return found


def load_plugins(tm, options) -> list[str]:
    """Load builder plugins as kojid does (``pluginpath``, ``plugin``).

    A plugin we serve natively (``registry.NATIVE_PLUGINS``) registers our
    handlers instead, once its configuration reads (ADR 0017).
    """
    if not options.plugin:
        return []
    tracker = koji.plugin.PluginTracker(path=options.pluginpath.split(":"))
    for name in options.plugin:
        if name in NATIVE_PLUGINS:
            _native_plugin(tm, options, name)
            continue
        try:
            tracker.load(name)
        except (koji.PluginError, ImportError, SyntaxError, OSError) as exc:
            raise StartupError(f"cannot load plugin {name!r} from {options.pluginpath}: "
                               f"{exc}", EX_CONFIG) from exc
        tm.scanPlugin(tracker.get(name))
        logger.info("loaded plugin %s", name)
    return list(options.plugin)


def _native_plugin(tm, options, name: str) -> None:
    if name == "runroot":
        try:
            load_runroot_config(options.adjutant.runroot_config)
        except ConfigError as exc:
            raise StartupError(f"plugin runroot: {exc}", EX_CONFIG) from exc
    tm.register(NATIVE_PLUGINS[name])
    logger.warning("plugin %s: served by koji-adjutant's own %s handler (koji's plugin "
                   "module is not loaded)", name, name)
