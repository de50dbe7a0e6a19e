"""The build tag's module streams, set in a buildroot before anything is installed.

kojid hands ``mock.module_setup_commands`` to mock, which runs ``dnf module
ACTION MODULE`` for each pair, in order, in the new root.  We run the same
commands as root in the container, after dnf.conf is written and before the
install group, so that the group and the BuildRequires come from the enabled
streams (modular filtering hides the packages of streams not enabled).  The
pairs were checked when the environment was made (``mock_extras``).
"""

from koji_adjutant.buildroot.environment import DNF_CONF
from koji_adjutant.errors import TaskFailed


def set_streams(br) -> None:
    """Run the environment's module commands in ``br`` (a ``Buildroot``), into root.log."""
    commands = br.params.env.module_commands
    if not commands:
        return
    with br.logs.phase("module streams"):
        for action, module in commands:
            argv = ["dnf", "-c", DNF_CONF, "module", action, "-y", "--", module]
            result = br.run(argv, log="root.log", check=False)
            if result.exit_code != 0:
                raise TaskFailed(f"could not {action} module {module} in buildroot {br.name} "
                                 f"(dnf exit status {result.exit_code}); see root.log")
