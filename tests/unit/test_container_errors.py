"""The container error hierarchy: messages and what they tell the hub."""

from __future__ import annotations

import socket

import koji
import pytest

from koji_adjutant.container import (
    ContainerCreateError,
    ContainerError,
    ContainerTimeout,
    ExecFailed,
    ImageError,
    RuntimeUnavailable,
)
from koji_adjutant.container.errors import RuntimeDenied
from koji_adjutant.container.podman_api import PodmanApi
from koji_adjutant.errors import AdjutantError, RetryLater, TaskFailed


def test_message_names_container_command_and_remedy():
    error = ExecFailed("the command failed with exit status 2", container="kojiadj-h-1-ab",
                       command=["rpmbuild", "-bs", "my file.spec"], hint="see its log",
                       exit_code=2)
    assert str(error) == ("the command failed with exit status 2 (container kojiadj-h-1-ab; "
                          "command: rpmbuild -bs 'my file.spec'): see its log")
    assert error.exit_code == 2 and error.command == ("rpmbuild", "-bs", "my file.spec")


def test_message_without_context():
    assert str(ContainerError("podman is broken", hint="restart it")) == \
        "podman is broken: restart it"


def test_classes_say_what_the_hub_should_do():
    assert issubclass(RuntimeUnavailable, RetryLater)
    for cls in (ExecFailed, ContainerTimeout):
        assert issubclass(cls, TaskFailed) and issubclass(cls, ContainerError)
    for cls in (ImageError, ContainerCreateError, RuntimeUnavailable):
        assert issubclass(cls, ContainerError) and issubclass(cls, AdjutantError)
    assert ExecFailed("x").faultCode == koji.BuildError.faultCode


def test_timeout_and_image_errors_keep_their_details():
    error = ContainerTimeout("too slow", container="c", command=["make"], timeout=5,
                             kind="container")
    assert (error.timeout, error.kind) == (5, "container")
    image_error = ImageError("image x is missing", image="x", hint="pull it")
    assert image_error.image == "x" and str(image_error) == "image x is missing: pull it"


def test_koji_reports_the_message_not_a_repr():
    error = RuntimeUnavailable("the podman API service did not answer", hint="start it")
    assert koji.GenericError.__str__(error) == "the podman API service did not answer: start it"


def test_an_unhandled_api_failure_still_reads_as_a_container_error():
    from koji_adjutant.container.podman_api import ApiFailure
    failure = ApiFailure(500, "storage is full", "GET /containers/json")
    assert isinstance(failure, ContainerError)
    assert str(failure) == ("podman answered GET /containers/json with HTTP 500: "
                            "storage is full: check the podman service's log")


def test_a_podman_socket_that_does_not_answer_names_the_sockets_own_error(tmp_path):
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as bound:  # bound, never listening: refused
        bound.bind(str(dead))
        for path, reason in ((tmp_path / "none.sock", "No such file or directory"),
                             (dead, "Connection refused")):
            api = PodmanApi(f"unix://{path}")
            try:
                with pytest.raises(RuntimeUnavailable) as exc:
                    api.request("GET", "/_ping")
            finally:
                api.close()
            assert not isinstance(exc.value, RuntimeDenied)
            assert str(exc.value).startswith(f"the podman API service at unix://{path} did "
                                             f"not answer GET /_ping ({reason}): start it ")
