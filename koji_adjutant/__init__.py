"""koji-adjutant: a drop-in kojid replacement running buildroot tasks in podman containers."""

__version__ = "0.1.0"
