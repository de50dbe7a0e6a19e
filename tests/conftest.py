"""Fixtures shared by every tier, registered once for the whole suite.

The helper packages and modules live next to this file and are importable by their
own names (setup.cfg: ``pythonpath = tests``): ``hub``, ``hub_tls``, ``hub_ca_dir``,
``small_rpms`` and ``signer`` (hubsim), ``rpm_factory`` (rpmkit), ``git_server``,
``kdc`` and ``hub_krb``, ``smtp_sink``, and ``start_daemon`` and ``probe_dir``
(daemon_harness). A tier's own fixtures stay in its
conftest.py. pytest reads ``pytest_plugins`` only in the root conftest.
"""

pytest_plugins = ["hubsim.fixtures", "rpmkit.fixtures", "gitserve", "kdc", "smtpsink",
                  "daemon_harness"]
