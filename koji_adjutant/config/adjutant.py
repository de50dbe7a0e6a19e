"""The ``[adjutant]`` section: what koji-adjutant adds to kojid's configuration.

``AdjutantOptions`` holds the podman connection, image and pull settings,
container and log limits, network policy, monitoring, policy and image-cache knobs. The
dataclass defaults are the one defaults table; ``_PARSERS`` names the converter
of every key whose annotation alone does not say how to read it. Values come
from defaults, then the ``[adjutant]`` section, then environment variables
``KOJI_ADJUTANT_<KEY>`` (key upper-cased), which win. A non-loopback monitoring
bind address is an error unless ``monitoring_allow_remote`` is true.
Sizes (``memory``, ``log_limit``) are ints of bytes, read from ``4g``-style text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from koji_adjutant.config import values
from koji_adjutant.config.files import RawConfig
from koji_adjutant.errors import ConfigError

SECTION = "adjutant"
ENV_PREFIX = "KOJI_ADJUTANT_"


@dataclass(frozen=True)
class AdjutantOptions:
    """The typed ``[adjutant]`` section (see etc/kojid.conf.example for each key)."""

    # Podman connection.
    podman_url: str = "unix:///run/podman/podman.sock"
    podman_identity: str | None = None
    podman_api_timeout: int = 120
    # Images.
    default_image: str = "registry.fedoraproject.org/fedora:latest"
    # Image of repository tasks (createrepo_c, mergerepo_c); None: the host's tools, as kojid.
    repo_image: str | None = None
    pull_policy: str = "if-not-present"
    pull_timeout: int = 600
    start_timeout: int = 60
    stop_timeout: int = 10
    # Network policy: which steps get a network.
    scm_network: bool = True
    build_network: bool = False
    network_mode: str = "bridge"
    # Resource limits of each buildroot container (None: no limit) and of a task's logs.
    cpus: float | None = None
    memory: int | None = 8 << 30  # bytes
    pids: int | None = 4096
    log_limit: int | None = 1 << 30  # bytes, all log files of one task together
    # Extra labels on everything the daemon creates.
    labels: Mapping[str, str] = field(default_factory=values.FrozenMapping)
    # Monitoring endpoint.
    monitoring_enabled: bool = True
    monitoring_bind: str = "127.0.0.1:8080"
    monitoring_allow_remote: bool = False
    # Buildroot policy from the hub.
    policy_enabled: bool = True
    # Daemon log file (kojid's WatchedFileHandler); empty: no log file.
    log_file: str | None = "/var/log/kojid.log"
    # The runroot plugin's configuration file (read when kojid.conf lists the plugin).
    runroot_config: str = "/etc/kojid/plugins/runroot.conf"


def _non_empty_word(text: str) -> str:
    value = text.strip()
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"expected one word without spaces, got {text!r}")
    return value


def _optional(parser: Callable[[str], object]) -> Callable[[str], object]:
    def parse(text: str) -> object:
        return parser(text) if text.strip() else None
    return parse


_PARSERS: dict[str, Callable[[str], object]] = {
    "podman_url": lambda text: values.to_url(text, values.PODMAN_URL_SCHEMES),
    "podman_identity": _optional(str.strip),
    "podman_api_timeout": lambda text: values.to_int(text, minimum=1),
    "default_image": _non_empty_word,
    "repo_image": _optional(_non_empty_word),
    "pull_policy": lambda text: values.to_choice(text, values.PULL_POLICIES),
    "pull_timeout": lambda text: values.to_int(text, minimum=1),
    "start_timeout": lambda text: values.to_int(text, minimum=1),
    "stop_timeout": values.to_int,
    "network_mode": _non_empty_word,
    "cpus": _optional(values.to_positive_float),
    "memory": _optional(values.to_size),
    "pids": _optional(lambda text: values.to_int(text, minimum=1)),
    "log_limit": _optional(values.to_size),
    "labels": values.to_labels,
    "monitoring_bind": values.to_bind,
    "log_file": _optional(str.strip),
    "runroot_config": _non_empty_word,
}
KEYS = tuple(f.name for f in dataclasses.fields(AdjutantOptions))
# keys that earlier versions had: accepted with a warning, without effect
OBSOLETE = {"policy_cache_ttl": "each task reads the hub's image policy once (ADR 0004)"}
_BY_TYPE = {"bool": values.to_bool, "int": values.to_int}


def parse_value(key: str, text: str) -> object:
    """Convert the text of ``[adjutant] key``; raises ValueError naming the expected form."""
    parser = _PARSERS.get(key)
    if parser is None:
        parser = _BY_TYPE[AdjutantOptions.__dataclass_fields__[key].type]
    return parser(text)


def env_name(key: str) -> str:
    """The environment variable that overrides ``[adjutant] key``."""
    return ENV_PREFIX + key.upper()


def build_adjutant_options(raw: RawConfig, environ: Mapping[str, str]
                           ) -> tuple[AdjutantOptions, list[str]]:
    """Merge defaults, ``[adjutant]`` and ``KOJI_ADJUTANT_*``; return options and warnings."""
    typed: dict[str, object] = {}
    warnings = []
    for key, entry in raw.section(SECTION).items():
        if key in OBSOLETE:
            warnings.append(f"[adjutant] {key} is obsolete and ignored: {OBSOLETE[key]}")
            continue
        if key not in KEYS:
            message = values.unknown_key_message(
                key, KEYS, f"[adjutant] accepts: {', '.join(KEYS)}")
            raise ConfigError(message, path=entry.path, section=SECTION, key=key)
        typed[key] = _parse(key, entry.value, entry.path, SECTION)
    known_env = {env_name(key): key for key in KEYS}
    for name in sorted(environ):
        if name in known_env:
            typed[known_env[name]] = _parse(known_env[name], environ[name], "environment", None,
                                            label=name)
        elif name.startswith(ENV_PREFIX):
            warnings.append(f"environment variable {name} is not a koji-adjutant setting "
                            "and is ignored")
    options = AdjutantOptions(**typed)
    _check_monitoring(options, raw, environ)
    return options, warnings


def _parse(key: str, text: str, path: str, section: str | None,
           label: str | None = None) -> object:
    try:
        return parse_value(key, text)
    except ValueError as exc:
        raise ConfigError(str(exc), path=path, section=section, key=label or key) from exc


def _check_monitoring(options: AdjutantOptions, raw: RawConfig,
                      environ: Mapping[str, str]) -> None:
    if not options.monitoring_enabled or options.monitoring_allow_remote:
        return
    if values.is_loopback_bind(options.monitoring_bind):
        return
    if env_name("monitoring_bind") in environ:
        path, section, key = "environment", None, env_name("monitoring_bind")
    else:
        entry = raw.section(SECTION)["monitoring_bind"]
        path, section, key = entry.path, SECTION, "monitoring_bind"
    raise ConfigError(f"{options.monitoring_bind} is not a loopback address; the monitoring "
                      "endpoint is unauthenticated, so bind it to 127.0.0.1 or [::1], or set "
                      "monitoring_allow_remote = true", path=path, section=section, key=key)
