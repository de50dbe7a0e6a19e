"""etc/kojid.conf.example documents every key at its default, so docs never drift."""

import dataclasses
import re
from pathlib import Path

from koji_adjutant.config import AdjutantOptions, load_config
from koji_adjutant.config.adjutant import KEYS as ADJUTANT_KEYS
from koji_adjutant.config.kojid import FILE_KEYS

EXAMPLE = Path(__file__).resolve().parents[2] / "etc" / "kojid.conf.example"
# A commented-out setting: '#key = value' at the start of a line (';' lines are prose).
SETTING_RE = re.compile(r"^#([A-Za-z_]+) =(.*)$")
SECTION_RE = re.compile(r"^\[([^\]]+)\]$")


def documented_keys() -> dict[str, list[str]]:
    """Section -> keys shown in the example, commented out or set."""
    keys: dict[str, list[str]] = {}
    section = None
    for line in EXAMPLE.read_text().splitlines():
        if match := SECTION_RE.match(line):
            section = match.group(1)
            keys[section] = []
        elif match := SETTING_RE.match(line) or re.match(r"^([a-z_]+) =", line):
            keys[section].append(match.group(1))
    return keys


def test_example_passes_check_config():
    config = load_config(["-c", str(EXAMPLE)], {})
    assert config.kojid.server == "https://koji.example.com/kojihub"
    assert config.files == (str(EXAMPLE),)
    assert config.warnings == ()


def test_every_key_of_both_sections_is_documented_once():
    keys = documented_keys()
    assert sorted(keys) == ["adjutant", "kojid"]
    assert sorted(keys["kojid"]) == sorted(FILE_KEYS)
    assert keys["adjutant"] == list(ADJUTANT_KEYS)


def test_documented_defaults_are_the_real_defaults(tmp_path):
    uncommented = tmp_path / "kojid.conf"
    lines = []
    for line in EXAMPLE.read_text().splitlines():
        match = SETTING_RE.match(line)
        lines.append(f"{match.group(1)} ={match.group(2)}" if match else line)
    uncommented.write_text("\n".join(lines) + "\n")
    as_shipped = load_config(["-c", str(EXAMPLE)], {})
    everything_set = load_config(["-c", str(uncommented)], {})
    kojid_changes = {f.name for f in dataclasses.fields(as_shipped.kojid)
                     if getattr(as_shipped.kojid, f.name) != getattr(everything_set.kojid, f.name)}
    assert kojid_changes == {"configFile"}
    assert everything_set.adjutant == as_shipped.adjutant == AdjutantOptions()


def test_every_setting_has_an_explanation_above_it():
    lines = EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if SETTING_RE.match(line) and not SETTING_RE.match(lines[index - 1]):
            assert lines[index - 1].startswith("; "), f"no explanation above {line!r}"
