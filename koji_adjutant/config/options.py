"""The options object handed to the koji library's TaskManager and task handlers.

The library reads kojid's options by attribute name (``options.workdir``,
``options.maxjobs``, ...).  ``DaemonOptions`` exposes every attribute of the
frozen ``KojidOptions`` unchanged and adds ``adjutant``, our own section, so
that handlers reach both through the one ``options`` argument the library
passes them.  It lives in the configuration layer because local builds
(``local/options.py``) and the container manager factory
(``container/factory.py``) take the same object.
"""

import uuid
from typing import Any

from koji_adjutant.config import AdjutantOptions, Config, KojidOptions


class DaemonOptions:
    """Read-only view: kojid's options by attribute, plus ``.adjutant``."""

    __slots__ = ("kojid", "adjutant", "files", "instance_id")

    def __init__(self, kojid: KojidOptions, adjutant: AdjutantOptions, files: tuple = (),
                 instance_id: str | None = None):
        object.__setattr__(self, "kojid", kojid)
        object.__setattr__(self, "adjutant", adjutant)
        object.__setattr__(self, "files", tuple(files))
        # labels every container of this daemon process (and of its task processes)
        object.__setattr__(self, "instance_id", instance_id or uuid.uuid4().hex[:12])

    @classmethod
    def from_config(cls, config: Config) -> "DaemonOptions":
        return cls(config.kojid, config.adjutant, config.files)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kojid, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"daemon options are read-only (tried to set {name!r})")
