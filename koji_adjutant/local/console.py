"""What a local build shows on the terminal while it runs, and its final summary.

``Console.echo`` is the ``TaskLogs`` echo: ``state.log`` lines become the
progress lines (phase started, finished, failed), ``build.log`` lines are
streamed as rpmbuild writes them; ``--quiet`` keeps only errors and the
summary.  Other logs (``root.log``, ...) stay in their files.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

PROG = "koji-adjutant"


class Console:
    """The terminal of one ``local`` command."""

    def __init__(self, quiet: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None):
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def echo(self, name: str, text: str) -> None:
        if self.quiet:
            return
        if name == "state.log":
            for line in text.splitlines():
                self.say(line.split(" ", 2)[-1])
        elif name == "build.log":
            self.out.write(text)
            self.out.flush()

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"==> {message}", file=self.out, flush=True)

    def error(self, message: str) -> None:
        print(f"{PROG}: error: {message}", file=self.err, flush=True)

    def summary(self, resultdir: Path, files: list[Path]) -> None:
        """The result directory, every RPM in it and where the logs are (even with ``--quiet``)."""
        print(f"Results in {resultdir}:", file=self.out)
        for path in sorted(files, key=lambda p: (not p.name.endswith(".src.rpm"), p.name)):
            print(f"  {path.name}", file=self.out)
        print(f"Logs in {resultdir / 'logs'}/", file=self.out)
        self.out.flush()
