"""Fixtures of the unit tier (the suite-wide ones are registered in tests/conftest.py)."""

import textwrap

import pytest


@pytest.fixture
def conf(tmp_path):
    """Write a kojid.conf from text (dedented) into tmp_path or directory; returns its path."""
    def write(text, name="kojid.conf", directory=None):
        path = (directory or tmp_path) / name
        path.write_text(textwrap.dedent(text))
        return str(path)
    return write
