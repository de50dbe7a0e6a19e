"""Local builds: the daemon's buildroot machinery run by hand, without a hub (ADR 0009).

``koji-adjutant local build SOURCE`` builds a git URL, a directory with a spec
or an SRPM the way a builder would; ``koji-adjutant local reproduce TASK_ID
--hub URL`` re-runs a hub's buildArch or SRPM task.  Modules: ``cli`` (the
subcommands and exit codes), ``sources`` (what SOURCE is), ``options`` (the
daemon's options without a hub, the default image), ``repos`` (``--repo``
URLs as the buildroot's repositories), ``runner`` (the phases, through
``Buildroot`` and ``buildroot.build``), ``reproduce`` (a task as a plan),
``console`` (progress and summary), ``leftovers`` (a run's scratch directory,
its lock, the start-up sweep of dead runs' containers and directories) and
``watchdog`` (the process that cleans up after a run that was killed).
"""

from koji_adjutant.local.cli import register

__all__ = ["register"]
