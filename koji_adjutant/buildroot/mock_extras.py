"""The build tag's ``mock.*`` extras: honoured, named as meaningless here, or refused.

kojid turns these tag extras into mock settings (contract 4.3).  A container
buildroot honours ``mock.yum.module_hotfixes`` and ``mock.yum.best``
(``environment.py``, in dnf.conf).  The others have no meaning for a
container (the image is the bootstrap and the container its own namespaces):
``review`` returns a root.log line for each, naming it and saying why it does
nothing here.  Those that would change what is built and that we cannot
honour (foreign-arch emulation, module streams, mock's sign plugin) raise
``TaskFailed`` before any work, so that a build never silently differs from
kojid's.  ADR 0016 holds the table.  Pure: the machine's arch is passed in.
"""

import os
from collections.abc import Mapping

import koji

from koji_adjutant.errors import TaskFailed

# Honoured in dnf.conf (environment.py).
HONOURED = frozenset({"mock.yum.module_hotfixes", "mock.yum.best"})
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
    _check_module_commands(extra)
    notes = [_forcearch(extra, br_arch, native or machine_arch())]
    notes += [f"{key} = {extra[key]!r} ignored: {why}" for key, why in MEANINGLESS.items()
              if key in extra]
    notes.append(_package_manager(extra))
    notes.append(_bootstrap_image(extra, bootstrap_image_allowed))
    known = HONOURED | set(SIGN_KEYS) | set(MEANINGLESS) | {
        "mock.forcearch", "mock.module_setup_commands", "mock.package_manager",
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


def _check_module_commands(extra: Mapping) -> None:
    commands = extra.get("mock.module_setup_commands")
    if commands:
        raise TaskFailed(f"the build tag sets mock.module_setup_commands ({commands!r}); "
                         "koji-adjutant cannot enable or disable module streams, so the "
                         "build would use other packages: unset it or build with kojid")


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
