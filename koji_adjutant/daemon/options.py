"""The daemon's options object, ``DaemonOptions``: defined in ``config/options.py``.

Kept as the daemon's name for it (``daemon/cli.py`` builds one from the loaded
configuration).
"""

from koji_adjutant.config.options import DaemonOptions

__all__ = ["DaemonOptions"]
