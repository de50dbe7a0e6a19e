"""The terminal of local builds: progress, streamed build log, --quiet, summary, parser."""

import io
from pathlib import Path

from koji_adjutant import tool
from koji_adjutant.local.console import Console


def test_progress_and_build_log_are_shown():
    out = io.StringIO()
    console = Console(out=out)
    console.echo("state.log", "2026-01-01 10:00:00 Start: rpmbuild for x86_64\n")
    console.echo("build.log", "Executing(%build)\n")
    console.echo("root.log", "dnf chatter\n")
    assert out.getvalue() == "==> Start: rpmbuild for x86_64\nExecuting(%build)\n"


def test_quiet_keeps_only_errors_and_the_summary():
    out, err = io.StringIO(), io.StringIO()
    console = Console(quiet=True, out=out, err=err)
    console.echo("build.log", "Executing(%build)\n")
    console.say("building")
    console.error("it broke; see build.log")
    console.summary(Path("results/x-1-1"), [Path("x-1-1.x86_64.rpm"), Path("x-1-1.src.rpm")])
    assert err.getvalue() == "koji-adjutant: error: it broke; see build.log\n"
    assert out.getvalue() == ("Results in results/x-1-1:\n  x-1-1.src.rpm\n"
                              "  x-1-1.x86_64.rpm\nLogs in results/x-1-1/logs/\n")


def test_the_tool_has_local_build_and_reproduce():
    parser = tool.build_parser()
    args = parser.parse_args(["local", "build", "examples/hello", "--repo", "file:///r",
                              "--repo", "https://m/r", "--define", "a 1", "--arch", "noarch"])
    assert (args.source, args.repo, args.define, args.arch) == \
        ("examples/hello", ["file:///r", "https://m/r"], ["a 1"], "noarch")
    args = parser.parse_args(["local", "reproduce", "42", "--hub", "https://k/kojihub"])
    assert (args.task_id, args.hub, args.topdir) == (42, "https://k/kojihub", None)
    assert tool.main(["local", "reproduce", "42"]) == 2  # --hub is required
