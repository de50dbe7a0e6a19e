"""The monitor's podman probe against the real podman service: cheap while it answers.

``/version`` costs the service a few hundred ms of CPU; the probe asks it once and then
only pings (``bench/idle_cpu`` measures what that saves), and asks again after the
service did not answer.
"""

from koji_adjutant.monitor.probes import PodmanProbe


def test_the_version_is_asked_once_then_the_service_is_only_pinged(podman_url):
    calls = []
    probe = PodmanProbe(podman_url, on_call=lambda op, ok: calls.append((op, ok)))
    try:
        first = probe.refresh(force=True)
        again = probe.refresh(force=True)
        third = probe.refresh(force=True)
    finally:
        probe.close()
    assert first["reachable"] and first["version"]
    assert again == first and third == first
    assert calls == [("version", True), ("ping", True), ("ping", True)]


def test_a_service_that_does_not_answer_is_reported_and_asked_for_its_version_again(tmp_path):
    calls = []
    probe = PodmanProbe(f"unix://{tmp_path}/no-podman.sock",
                        on_call=lambda op, ok: calls.append((op, ok)))
    try:
        down = probe.refresh(force=True)
        still = probe.refresh(force=True)
    finally:
        probe.close()
    assert down["reachable"] is False and down["error"]
    assert still["reachable"] is False
    assert calls == [("version", False), ("version", False)]
