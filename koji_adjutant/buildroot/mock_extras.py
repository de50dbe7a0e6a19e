"""The build tag's ``mock.*`` extras: honoured, named as meaningless here, or refused.

kojid turns these tag extras into mock settings (contract 4.3).  A container
buildroot honours ``mock.yum.module_hotfixes`` and ``mock.yum.best``
(``environment.py``, in dnf.conf) and ``mock.module_setup_commands``
(``module_commands``, run by ``Buildroot.init``).  The others have no meaning
for a container (the image is the bootstrap and the container its own
namespaces): ``review`` returns a root.log line for each, naming it and saying
why it does nothing here.  Those that would change what is built and that we
cannot honour (foreign-arch emulation, mock's sign plugin, module actions
that install packages) raise ``TaskFailed`` before any work, so that a build
never silently differs from kojid's.  ADR 0016 holds the table.  Pure: the
machine's arch is passed in.
"""

import os
import re
from collections.abc import Mapping

import koji

from koji_adjutant.errors import TaskFailed

# Honoured in dnf.conf (environment.py).
HONOURED = frozenset({"mock.yum.module_hotfixes", "mock.yum.best",
                      "mock.module_setup_commands"})
MODULE_ACTIONS = ("enable", "disable", "reset")
# NAME[:STREAM[:VERSION[:CONTEXT]]][/PROFILE]; never an option for dnf
_MODULE_SPEC = re.compile(r"[A-Za-z0-9_.+][A-Za-z0-9_.+-]*(?::[A-Za-z0-9_.+*-]+){0,3}"
                          r"(?:/[A-Za-z0-9_.+-]*)?")
SIGN_KEYS = ("mock.plugin_conf.sign_enable", "mock.plugin_conf.sign_opts.cmd",
             "mock.plugin_conf.sign_opts.opts")
IMAGE_POLICY = "the buildroot's image comes from the image policy (ADR 0004)"
# Why each key with no meaning for a container does nothing.
MEANINGLESS = {
    "mock.new_chroot": "every buildroot is a container with its own namespaces",
    "mock.use_bootstrap": f"there is no bootstrap chroot: {IMAGE_POLICY}",
    "mock.bootstrap_image_ready": f"there is no bootstrap chroot: {IMAGE_POLICY}",
    "mock.releasever": "no repository of the buildroot uses $releasever",
}
# Arches a machine runs without emulation (kojid's hosts build i686 on x86_64).
NATIVE_EXTRA = {"x86_64": {"i386"}}


def machine_arch() -> str:
    return koji.canonArch(os.uname().machine)


def review(extra: Mapping, br_arch: str, bootstrap_image_allowed: bool,
           native: str | None = None) -> tuple[str, ...]:
    """root.log lines for the ``mock.*`` extras that do nothing here; refuse the rest.

    ``native`` is the machine's canonical arch (``machine_arch()`` by default).
    """
    _check_sign_plugin(extra)
    notes = [_forcearch(extra, br_arch, native or machine_arch())]
    notes += [f"{key} = {extra[key]!r} ignored: {why}" for key, why in MEANINGLESS.items()
              if key in extra]
    notes.append(_package_manager(extra))
    notes.append(_bootstrap_image(extra, bootstrap_image_allowed))
    known = HONOURED | set(SIGN_KEYS) | set(MEANINGLESS) | {
        "mock.forcearch", "mock.package_manager",
        "mock.bootstrap_image"}
    notes += [f"{key} ignored: not a setting kojid gives mock" for key in sorted(extra)
              if key.startswith("mock.") and key not in known]
    return tuple(note for note in notes if note)


def _check_sign_plugin(extra: Mapping) -> None:
    if SIGN_KEYS[0] not in extra:
        return
    if any(key not in extra for key in SIGN_KEYS[1:]):
        # kojid's words (GenericError there)
        raise TaskFailed("Tag is not configured properly for mock's sign plugin: set "
                         f"{', '.join(SIGN_KEYS)}")
    if extra[SIGN_KEYS[0]]:
        raise TaskFailed(f"the build tag enables mock's sign plugin ({SIGN_KEYS[0]}), which "
                         "koji-adjutant does not run: sign the RPMs after import, or unset it")


def module_commands(extra: Mapping) -> tuple[tuple[str, str], ...]:
    """``mock.module_setup_commands`` as ``(action, module)`` pairs, checked.

    Only the actions that change the module state are run (``dnf module
    ACTION MODULE`` before the install group): installing or removing
    packages there would bypass the builder's downloads (ADR 0014).
    """
    commands = extra.get("mock.module_setup_commands") or ()
    if not isinstance(commands, (list, tuple)):
        raise TaskFailed(f"mock.module_setup_commands must be a list of [action, module] "
                         f"pairs, not {commands!r}")
    pairs = []
    for command in commands:
        if (not isinstance(command, (list, tuple)) or len(command) != 2
                or not all(isinstance(part, str) for part in command)):
            raise TaskFailed(f"mock.module_setup_commands: {command!r} is not an "
                             "[action, module] pair")
        action, module = command
        if action not in MODULE_ACTIONS:
            raise TaskFailed(f"mock.module_setup_commands: {action!r} {module!r} cannot be "
                             f"run; koji-adjutant runs {', '.join(MODULE_ACTIONS)} only")
        if not _MODULE_SPEC.fullmatch(module):
            raise TaskFailed(f"mock.module_setup_commands: {module!r} is not a module "
                             "(NAME[:STREAM[:VERSION[:CONTEXT]]][/PROFILE])")
        pairs.append((action, module))
    return tuple(pairs)


def _forcearch(extra: Mapping, br_arch: str, native: str) -> str:
    if not extra.get("mock.forcearch"):
        return ""
    arch = koji.canonArch(br_arch)
    if arch == native or arch in NATIVE_EXTRA.get(native, ()):
        return f"mock.forcearch ignored: this {native} builder builds {br_arch} natively"
    raise TaskFailed(f"the build tag sets mock.forcearch: {br_arch} would be emulated on "
                     f"this {native} builder, which koji-adjutant cannot do; give the "
                     f"{br_arch} builds to {br_arch} builders or unset mock.forcearch")


def _package_manager(extra: Mapping) -> str:
    manager = extra.get("mock.package_manager")
    if manager is None or manager == "dnf":
        return ""
    return (f"mock.package_manager = {manager!r} ignored: packages are installed with the "
            "image's dnf from the same koji repository")


def _bootstrap_image(extra: Mapping, allowed: bool) -> str:
    image = extra.get("mock.bootstrap_image")
    if not image:
        return ""
    where = ("allowed by kojid.conf mock_bootstrap_image" if allowed
             else "forbidden on this builder by kojid.conf mock_bootstrap_image")
    return f"mock.bootstrap_image = {image!r} ({where}) ignored: {IMAGE_POLICY}"
