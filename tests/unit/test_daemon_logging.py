"""kojid's log levels and its --help text (koji_adjutant.daemon.logsetup, config.cli)."""

import importlib
import logging
import sys

import pytest

from koji_adjutant.config.cli import build_option_parser
from koji_adjutant.daemon import logsetup
from koji_adjutant.tasks.registry import HANDLERS


@pytest.fixture
def restored_levels():
    names = ["koji", "koji.build.BaseTaskHandler", *handler_loggers()]
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def handler_loggers() -> set[str]:
    """The module-level loggers of every registered task handler's module."""
    found = set()
    for cls in HANDLERS:
        module = sys.modules.get(cls.__module__) or importlib.import_module(cls.__module__)
        if isinstance(getattr(module, "logger", None), logging.Logger):
            found.add(module.logger.name)
    return found


def test_debug_task_puts_every_handler_logger_at_debug(restored_levels):
    assert handler_loggers() - {"koji.build"}, "no handler logger found"
    logsetup.configure_levels(None, debug=False, verbose=False, debug_task=True)
    for name in sorted(handler_loggers() - {"koji.build"}) + ["koji.build.BaseTaskHandler"]:
        assert logging.getLogger(name).getEffectiveLevel() == logging.DEBUG, name
    # the daemon's own loop and manager stay where log_level put them
    assert logging.getLogger("koji.TaskManager").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("koji.build").getEffectiveLevel() == logging.WARNING


def test_help_says_where_minspace_is_checked():
    text = " ".join(build_option_parser().format_help().split())
    assert ("--minspace=MB free space required in workdir (and in mockdir, if it exists) "
            "before taking a task, in MB") in text
