"""``kojid``: the entry point of the drop-in daemon.

Exit codes (see ``koji_adjutant.errors``): 0 normal shutdown; 1 hub login,
lock or authentication failure (as kojid); 2 bad command line; 69 the podman
API service does not answer; 73 workdir unusable; 78 configuration error.
"""

import logging
import sys

import koji

from koji_adjutant import __version__
from koji_adjutant.config import UsageError, load_config
from koji_adjutant.container.factory import open_manager
from koji_adjutant.daemon import containers, logsetup, loop, startup
from koji_adjutant.hub import outage
from koji_adjutant.hub.login import LoginFailed, connect, logout, this_host
from koji_adjutant.daemon.manager import AdjutantTaskManager
from koji_adjutant.daemon.options import DaemonOptions
from koji_adjutant.errors import EX_CONFIG, EX_FAILURE, EX_OK, ConfigError
from koji_adjutant.monitor import open_monitoring
from koji_adjutant.repos import tools as repo_tools
from koji_adjutant.tasks.registry import HANDLERS

logger = logging.getLogger("koji.build")


def _fail(message: str, code: int) -> int:
    """Say a fatal error once on stderr, and in the log file (and mail) if those are set up."""
    if logger.hasHandlers():  # else logging's last resort would print it a second time
        logger.error(message, extra={logsetup.ON_STDERR_ALREADY: True})
    print(f"kojid: {message}", file=sys.stderr)
    return code


def _setup_logging(options) -> None:
    logsetup.attach_file_handler(options.adjutant.log_file)
    logsetup.configure_levels(options.log_level, options.debug, options.verbose,
                              options.debug_task)
    if not options.daemon and not options.skip_main:
        logsetup.attach_stderr_handler()
    logsetup.attach_mail_handler(options.admin_emails)


def _make_manager(options, session) -> AdjutantTaskManager:
    host = this_host(session)
    runtime = containers.connect(options, host_name=host["name"],
                                 instance_id=options.instance_id)
    tm = AdjutantTaskManager(options, session, sweeper=runtime.sweep_task,
                             runtime_check=runtime.problem, orphan_sweeper=runtime.sweep_unheld)
    tm.host_name = host["name"]
    tm.register(HANDLERS)
    startup.load_plugins(tm, options)
    return tm


def run(argv: list[str] | None = None) -> int:
    """Start the daemon; return its exit code."""
    try:
        config = load_config(argv)
    except UsageError as exc:
        return _fail(str(exc), exc.exit_code)
    except ConfigError as exc:
        return _fail(str(exc), EX_CONFIG)
    options = DaemonOptions.from_config(config)
    _setup_logging(options)
    for warning in config.warnings:
        logger.warning(warning)
    koji.util.setup_rlimits(dict(options.rlimits), logger)
    try:
        startup.prepare_paths(options)
        startup.check_user_namespaces()
        session = connect(options, force_lock=options.force_lock)
        tm = _make_manager(options, session)
    except startup.StartupError as exc:
        return _fail(str(exc), exc.exit_code)
    except LoginFailed as exc:
        return _fail(str(exc), EX_FAILURE)
    for warning in startup.warnings_for(options):
        logger.warning(warning)
    logger.warning("koji-adjutant %s started as host %s (id %s)", __version__,
                   tm.host_name, tm.host_id)
    if options.skip_main:
        logout(session)
        return EX_OK
    monitoring = open_monitoring(options, tm)
    if options.daemon:
        koji.daemonize()
    if monitoring is not None:
        outage.listen(session, monitoring.monitor)
        monitoring.start()
    tm.sweep(None)
    # after the start-up sweep, which would remove the check's container
    repo_tools.check_in_background(
        options, lambda: open_manager(options, tm.host_name, options.instance_id), logger)
    try:
        return loop.run(tm, options)
    finally:
        if monitoring is not None:
            monitoring.close()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
