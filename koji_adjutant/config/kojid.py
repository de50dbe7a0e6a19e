"""The ``[kojid]`` section: kojid's options object, typed, with kojid's defaults.

``KojidOptions`` is what kojid calls ``options``: the koji library
(``TaskManager``, ``BaseTaskHandler``, ``grab_session_options``) reads its
attributes by name, so every attribute is named exactly as kojid names it. The
dataclass defaults below are the one defaults table; the annotation of a field
decides how its text is converted (``int``, ``bool``, ``str``, optional ones
accept an empty value as unset). ``build_kojid_options`` merges defaults, the
``[kojid]`` section and the command line (CLI > file > defaults).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from koji_adjutant.config import values
from koji_adjutant.config.files import Entry, RawConfig
from koji_adjutant.errors import ConfigError

SECTION = "kojid"


@dataclass(frozen=True)
class KojidOptions:
    """kojid's options: every ``[kojid]`` key, the command-line flags, and derived values."""

    # Command line only (kojid's optparse destinations).
    configFile: str = "/etc/kojid/kojid.conf"  # noqa: N815 (kojid's name)
    daemon: bool = True
    force_lock: bool = False
    verbose: bool = False
    debug: bool = False
    debug_task: bool = False
    debug_xmlrpc: bool = False
    debug_mock: bool = False
    skip_main: bool = False
    # Scheduling and disk space.
    sleeptime: int = 15
    maxjobs: int = 10
    minspace: int = 8192
    buildroot_basic_cleanup_delay: int = 120
    buildroot_final_cleanup_delay: int = 86400
    failed_buildroot_lifetime: int = 14400
    literal_task_arches: str = ""
    task_avail_delay: int = 300
    # Logging and mail.
    admin_emails: str | None = None
    log_level: str | None = None
    log_timestamps: bool = False
    smtphost: str = "example.com"
    smtp_user: str | None = None
    smtp_pass: str | None = field(default=None, repr=False)
    from_addr: str = "Koji Build System <buildsys@example.com>"
    # Paths.
    topdir: str = "/mnt/koji"
    topurl: str | None = None
    topurls: tuple[str, ...] = ()
    workdir: str = "/var/tmp/koji"
    chroot_tmpdir: str = "/chroot_tmpdir"
    pluginpath: str = "/usr/lib/koji-builder-plugins"
    plugin: tuple[str, ...] = ()
    mockdir: str = "/var/lib/mock"
    mockuser: str = "kojibuilder"
    mockpath: str = "/usr/bin/mock"
    # Buildroot macros and settings.
    packager: str = "Koji"
    vendor: str = "Koji"
    distribution: str = "Koji"
    mockhost: str = "koji-linux-gnu"
    yum_proxy: str | None = None
    rpmbuild_timeout: int = 86400
    mock_bootstrap_image: bool = False
    # Hub connection and authentication.
    server: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cert: str | None = None
    serverca: str | None = None
    krb_principal: str | None = None
    host_principal_format: str = "compile/%s@EXAMPLE.COM"
    keytab: str = "/etc/kojid/kojid.keytab"
    ccache: str = "/var/tmp/kojid.ccache"
    retry_interval: int = 60
    max_retries: int = 120
    offline_retry: bool = True
    offline_retry_interval: int = 120
    timeout: int | None = None
    no_ssl_verify: bool = False
    use_fast_upload: bool = True
    anon_retry: bool | None = None
    auth_timeout: int | None = None
    upload_blocksize: int | None = None
    # Repositories.
    use_createrepo_c: bool = True
    createrepo_skip_stat: bool = True
    createrepo_update: bool = True
    distrepo_skip_stat: bool = False
    copy_old_repodata: bool = False
    # Source control.
    allowed_scms: str = ""
    allowed_scms_use_config: bool = True
    allowed_scms_use_policy: bool = False
    allow_password_in_scm_url: bool = False
    scm_credentials_dir: str | None = None
    support_rpm_source_layout: bool = True
    # Task families this daemon does not run, kept for drop-in compatibility.
    maven_repo_ignore: str = ("*.md5 *.sha1 maven-metadata*.xml _maven.repositories "
                              "_remote.repositories resolver-status.properties *.lastUpdated")
    oz_install_timeout: int = 0
    xz_options: str = "-z6T0"
    allow_noverifyssl: bool = False
    build_arch_can_fail: bool = False
    pkgurl: str | None = None
    # Derived or library-only.
    rlimits: Mapping[str, str] = field(default_factory=values.FrozenMapping)
    single: bool = False


# Attributes that no [kojid] key sets (command line, derived, or read by the library
# with getattr only).
NON_FILE_ATTRIBUTES = frozenset({
    "configFile", "daemon", "force_lock", "verbose", "debug", "debug_task", "debug_xmlrpc",
    "debug_mock", "skip_main", "topurls", "mockpath", "anon_retry", "auth_timeout",
    "upload_blocksize", "rlimits", "single",
})
FIELDS = {f.name: f for f in dataclasses.fields(KojidOptions)}
FILE_KEYS = tuple(name for name in FIELDS if name not in NON_FILE_ATTRIBUTES)
# Documented by koji as no-ops; kojid 1.35 rejects them, a drop-in accepts them.
IGNORED_KEYS = frozenset({"keepalive", "ca"})
# cert and serverca fall back to these files when unset and the file exists.
CERT_FALLBACKS = {"cert": "/etc/kojid/client.crt", "serverca": "/etc/kojid/serverca.crt"}

_CONVERTERS = {
    "int": values.to_int,
    "bool": values.to_bool,
    "str": str,
}


def convert_value(key: str, text: str) -> object:
    """Convert the text of ``[kojid] key`` by the type of its field; raises ValueError."""
    if key == "log_level":
        return values.to_log_level(text) if text.strip() else None
    if key == "server":
        return values.to_url(text, ("http", "https")) if text.strip() else None
    if key == "topurl":
        return values.to_url_list(text, ("http", "https", "file")) if text.strip() else None
    if key == "plugin":
        return values.to_words(text)
    kind = FIELDS[key].type
    optional = kind.endswith(" | None")
    if optional and not text.strip():
        return None
    return _CONVERTERS[kind.removesuffix(" | None")](text)


def file_values(raw: RawConfig) -> tuple[dict[str, object], dict[str, str]]:
    """Typed values of ``[DEFAULT]`` + ``[kojid]`` and the RLIMIT_* entries.

    Raises ``ConfigError`` naming file and key for unknown keys and bad values.
    """
    entries = {**raw.section("DEFAULT"), **raw.section(SECTION)}
    typed: dict[str, object] = {}
    rlimits: dict[str, str] = {}
    for key, entry in entries.items():
        if key.upper().startswith("RLIMIT_"):
            rlimits[key.upper()] = _convert(key.upper(), entry, values.to_rlimit)
        elif key in ("plugin", "plugins"):
            typed["plugin"] = _convert("plugin", entry, convert_value)
        elif key in FILE_KEYS:
            typed[key] = _convert(key, entry, convert_value)
        elif key not in IGNORED_KEYS:
            message = values.unknown_key_message(
                key, FILE_KEYS, "the valid [kojid] keys are listed in kojid.conf.example "
                "(plus RLIMIT_* and the no-ops keepalive and ca)")
            raise ConfigError(message, path=entry.path, section=SECTION, key=key)
    return typed, rlimits


def _convert(key: str, entry: Entry, converter: Callable[[str, str], object]) -> object:
    try:
        return converter(key, entry.value)
    except ValueError as exc:
        raise ConfigError(str(exc), path=entry.path, section=SECTION, key=key) from exc


def build_kojid_options(raw: RawConfig, cli: Mapping[str, object]) -> KojidOptions:
    """Merge defaults, the file and the command line (CLI wins when not None)."""
    typed, rlimits = file_values(raw)
    for key, value in cli.items():
        if value is not None:
            typed[key] = value
    _require(raw, typed, "server", "the hub's XML-RPC URL, e.g. "
             "server = https://koji.example.com/kojihub, or --server")
    _require(raw, typed, "topurl", "the koji volume's HTTP root, e.g. "
             "topurl = https://koji.example.com/kojifiles, or --topurl")
    topurls = typed["topurl"]
    typed["topurls"] = topurls
    typed["topurl"] = topurls[0]
    for key, fallback in CERT_FALLBACKS.items():
        if typed.get(key) is None and os.path.isfile(fallback):
            typed[key] = fallback
    return KojidOptions(rlimits=values.FrozenMapping(rlimits), **typed)


def _require(raw: RawConfig, typed: Mapping[str, object], key: str, form: str) -> None:
    if typed.get(key):
        return
    if raw.files:
        where = f"not set in any of: {', '.join(raw.files)}"
    elif os.path.isdir(raw.path):
        where = f"no *.conf file in the directory {raw.path}"
    else:
        where = f"no configuration file found at {raw.path}"
    raise ConfigError(f"required option is missing ({where}); set {form}",
                      path=raw.section_path(SECTION), section=SECTION, key=key)
