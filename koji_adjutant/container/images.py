"""Making an image available locally, following a pull policy.

``always`` pulls every time, ``if-not-present`` only when the image is missing,
``never`` refuses to pull and fails clearly when the image is missing.  A pull
that the registry refuses or that cannot reach the registry, and one that
outlives the pull timeout, each fail with an ``ImageError`` that names the
image and says what to do.
"""

from __future__ import annotations

import contextlib
import json
import time

import requests

from koji_adjutant.container.errors import ImageError
from koji_adjutant.container.manager import PULL_POLICIES
from koji_adjutant.container.podman_api import ApiFailure, PodmanApi


class ImagePuller:
    """Checks for and pulls images through a ``PodmanApi``."""

    def __init__(self, api: PodmanApi, policy: str, timeout: float):
        self._api = api
        self.policy = check_policy(policy)
        self.timeout = timeout

    def ensure(self, image: str, policy: str | None = None) -> str:
        """Make ``image`` available following ``policy``; return the local image id."""
        policy = check_policy(policy or self.policy)
        if policy == "always" or (policy == "if-not-present" and not self.exists(image)):
            self.pull(image)
        elif policy == "never" and not self.exists(image):
            raise ImageError(
                f"image {image} is not present on this host and the pull policy is 'never'",
                image=image, hint="build or pull it on this host (podman pull, or "
                                  "scripts/provision for the test image), or change the "
                                  "pull policy")
        return self.image_id(image)

    def exists(self, image: str) -> bool:
        """True if ``image`` is in local storage."""
        response = self._api.request("GET", f"/images/{image}/exists", ok=(404,))
        return response.status_code == 204

    def image_id(self, image: str) -> str:
        """The id of the local ``image``."""
        try:
            return self._api.json("GET", f"/images/{image}/json")["Id"]
        except ApiFailure as exc:
            raise ImageError(f"image {image} vanished from local storage: {exc.message}",
                             image=image, hint="check that nothing prunes images "
                                               "while the daemon runs") from exc

    def pull(self, image: str) -> None:
        """Pull ``image`` from its registry, within the pull timeout."""
        deadline = time.monotonic() + self.timeout
        try:
            response = self._api.request("POST", "/images/pull",
                                         params={"reference": image, "quiet": "true"},
                                         stream=True, timeout=self.timeout)
            with contextlib.closing(response):
                for raw in response.iter_lines():
                    self._check_progress(image, raw)
                    if time.monotonic() > deadline:
                        raise requests.Timeout(f"still pulling after {self.timeout:.0f} s")
        except ApiFailure as exc:
            raise _pull_error(image, exc.message) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise ImageError(f"pulling image {image} did not finish within "
                             f"{self.timeout:.0f} s ({exc})", image=image,
                             hint="check the registry's reachability or raise the pull "
                                  "timeout") from exc

    @staticmethod
    def _check_progress(image: str, raw: bytes) -> None:
        if not raw:
            return
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("error"):
            raise _pull_error(image, str(message["error"]))


def _pull_error(image: str, reason: str) -> ImageError:
    unreachable = any(text in reason for text in (
        "connection refused", "no such host", "i/o timeout", "network is unreachable",
        "pinging container registry"))
    if unreachable:
        return ImageError(f"cannot reach the registry of image {image}: {reason}",
                          image=image, hint="check the network and registry "
                                            "configuration, or pre-load the image and "
                                            "use pull policy 'never'")
    return ImageError(f"cannot pull image {image}: {reason}", image=image,
                      hint="check the image name and tag, and the registry credentials")


def check_policy(policy: str) -> str:
    """``policy`` if it is a known pull policy, else a ``ValueError`` naming the choices."""
    if policy not in PULL_POLICIES:
        raise ValueError(f"pull policy {policy!r}: use one of {', '.join(PULL_POLICIES)}")
    return policy
