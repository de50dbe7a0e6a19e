"""The image policy: which container image a buildroot task runs in, as the hub decides it.

The hub decides through the build tag's ``extra`` data as ``getBuildConfig(tag, event)``
returns it, so the keys inherit along tag parents and an admin sets them with
``koji edit-tag TAG -x KEY=VALUE`` (docs/adr/0004-image-policy.md). First match wins::

    adjutant.image.<method>.<arch>
    adjutant.image.<method>
    adjutant.image.<arch>
    adjutant.image
    [adjutant] default_image            (the daemon's configuration)

Repository tasks (``createrepo``, ``createdistrepo``) look only at the keys that name
their method, then ``[adjutant] repo_image``, else run the host's tools (``repo_tools``).

``<arch>`` is canonicalised with ``koji.canonArch``. ``adjutant.external_repo`` with the
same suffix as the image key that chose the image names the koji external repo holding
the RPMs that come with that image; there is no fallback to another suffix.

``PolicyResolver`` asks the hub through ``koji_adjutant.hub.Hub``: each task resolves
once, in its own process, and the ``Hub`` of that task reads a tag's config at an event
once for the policy and the buildroot together.  There is no cache across tasks (ADR
0004): a new task sees the hub as it is.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Protocol

import koji

from koji_adjutant.config.adjutant import AdjutantOptions
from koji_adjutant.errors import ConfigError, TaskFailed

log = logging.getLogger(__name__)

IMAGE_KEY = "adjutant.image"
EXTERNAL_REPO_KEY = "adjutant.external_repo"
DEFAULT_SOURCE = "[adjutant] default_image"
REPO_SOURCE = "[adjutant] repo_image"


class PolicyHub(Protocol):
    """The two hub verbs the resolver uses (``koji_adjutant.hub.Hub`` has both)."""

    def build_config(self, tag: int | str, event: int | None = None) -> dict:
        """The tag's config with ``extra`` resolved through inheritance."""

    def external_repo(self, name: int | str) -> dict | None:
        """The external repo by id or name, or None."""


@dataclass(frozen=True)
class ImageChoice:
    """The image a task's buildroot runs in and where that choice came from."""

    image: str                  # image reference
    source: str                 # the tag extra key that chose it, or DEFAULT_SOURCE
    external_repo: str | None   # koji external repo holding the image's RPMs
    tag: str | None             # name of the tag whose config was consulted
    event: int | None           # the event asked about (None: the hub's current state)


def image_suffixes(method: str, arch: str) -> tuple[str, ...]:
    """Key suffixes in precedence order for a (method, canonical arch) pair."""
    return (f".{method}.{arch}", f".{method}", f".{arch}", "")


def is_reference(value: object) -> bool:
    """True for a plain string of one word without whitespace (image ref, repo name)."""
    return isinstance(value, str) and bool(value) and not any(ch.isspace() for ch in value)


class PolicyResolver:
    """Resolve the image of a buildroot task from the hub's tag extra data."""

    def __init__(self, hub: PolicyHub, default_image: str, *, enabled: bool = True):
        if not is_reference(default_image):
            raise ConfigError(f"expected one word without spaces, got {default_image!r}",
                              section="adjutant", key="default_image")
        self.hub = hub
        self.default_image = default_image
        self.enabled = enabled

    @classmethod
    def from_options(cls, hub: PolicyHub, options: AdjutantOptions) -> PolicyResolver:
        """A resolver with the ``[adjutant]`` default image and switch."""
        return cls(hub, options.default_image, enabled=options.policy_enabled)

    def build_config(self, tag: int | str, event: int | None) -> dict:
        """``getBuildConfig(tag, event=event)`` through the hub seam; a private copy."""
        if not isinstance(tag, (int, str)) or isinstance(tag, bool):
            raise TypeError(f"tag must be a tag id or name, got {tag!r}")
        return copy.deepcopy(self.hub.build_config(tag, event))

    def resolve(self, tag: int | str, event: int | None, method: str, arch: str
                ) -> ImageChoice:
        """The image for a ``method`` task building for ``arch`` in ``tag`` at ``event``."""
        if not method or not arch:
            raise ValueError(f"method and arch are required, got {method!r}, {arch!r}")
        if not self.enabled:
            return ImageChoice(self.default_image, DEFAULT_SOURCE, None, None, event)
        config = self.build_config(tag, event)
        extra = config.get("extra") or {}
        for suffix in image_suffixes(method, koji.canonArch(arch)):
            key = IMAGE_KEY + suffix
            if key in extra:
                image = _checked(config, key, "an image reference such as "
                                 "registry.example.com/fedora:40")
                repo = self._external_repo(config, EXTERNAL_REPO_KEY + suffix)
                choice = ImageChoice(image, key, repo, config["name"], event)
                break
        else:
            choice = ImageChoice(self.default_image, DEFAULT_SOURCE, None, config["name"],
                                 event)
        log.debug("image policy for %s %s in tag %s at event %s: %s", method, arch,
                  choice.tag, event, choice)
        return choice

    def repo_tools(self, tag: int | str, event: int | None, method: str, arch: str,
                   repo_image: str | None) -> ImageChoice | None:
        """The image of a repository task (``createrepo``, ``createdistrepo``); None: the host.

        Only keys that name the method choose one (``adjutant.image.<method>[.<arch>]``):
        a tag's buildroot image need not have createrepo_c.  Else ``repo_image``,
        else the host's tools, as kojid runs them.
        """
        if self.enabled:
            config = self.build_config(tag, event)
            extra = config.get("extra") or {}
            for suffix in image_suffixes(method, koji.canonArch(arch))[:2]:
                key = IMAGE_KEY + suffix
                if key in extra:
                    image = _checked(config, key, "an image reference with createrepo_c")
                    return ImageChoice(image, key, None, config["name"], event)
        if repo_image:
            return ImageChoice(repo_image, REPO_SOURCE, None, None, event)
        return None

    def _external_repo(self, config: dict, key: str) -> str | None:
        """The external repo named by ``key``, checked to exist on the hub now."""
        if key not in (config.get("extra") or {}):
            return None
        name = _checked(config, key, "the name of a koji external repo")
        if self.hub.external_repo(name):
            return name
        where = _defined_in(config, key)
        raise TaskFailed(
            f"tag {config['name']}: {key} = {name!r} names no koji external repo; "
            f"create it with `koji add-external-repo {name} URL` or correct the key "
            f"with `koji edit-tag {where} -x {key}=REPO`")


def _defined_in(config: dict, key: str) -> str:
    """The name of the tag that sets ``key`` (an inherited key comes from a parent)."""
    origin = (config.get("config_inheritance") or {}).get("extra", {}).get(key)
    if isinstance(origin, dict) and origin.get("tag_name"):
        return str(origin["tag_name"])
    return str(config["name"])


def _checked(config: dict, key: str, expected: str) -> str:
    """The value of extra ``key`` if it is one word; else a TaskFailed the admin can act on."""
    value = config["extra"][key]
    if is_reference(value):
        return value
    where = _defined_in(config, key)
    inherited = f" (inherited from tag {where})" if where != config["name"] else ""
    raise TaskFailed(
        f"tag {config['name']}: invalid tag extra {key} = {value!r}{inherited}: expected "
        f"{expected}: a string of one word without whitespace; fix it with "
        f"`koji edit-tag {where} -x {key}=VALUE` or remove it with "
        f"`koji edit-tag {where} -r {key}`")
