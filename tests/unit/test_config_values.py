"""The value converters (accepted forms, rejected forms, the read-only mapping) and the sizes
and limits of ``[adjutant]`` as a loaded configuration holds them."""

import copy
import pickle

import pytest

from koji_adjutant.config import AdjutantOptions, ConfigError, load_config, values
from koji_adjutant.config.check import summary_lines


@pytest.mark.parametrize("text, host, port", [
    ("127.0.0.1:8080", "127.0.0.1", "8080"), ("[::1]:0", "::1", "0"),
    ("localhost:9100", "localhost", "9100"), ("[::1]8080", "", ""), ("::1:80", "", ""),
    ("8080", "", ""), ("[::1", "", ""),
])
def test_split_bind(text, host, port):
    assert values.split_bind(text) == (host, port)


@pytest.mark.parametrize("text, loopback", [
    ("127.0.0.1:8080", True), ("127.1.2.3:1", True), ("[::1]:80", True),
    ("localhost:80", True), ("0.0.0.0:80", False), ("[::]:80", False),
    ("builder.example.com:80", False), ("10.0.0.1:80", False),
])
def test_is_loopback_bind(text, loopback):
    assert values.to_bind(text) == text
    assert values.is_loopback_bind(text) is loopback


@pytest.mark.parametrize("text", ["[::1]8080", "::1:80", "-bad-:80", "host:port", ":80",
                                  "[zz]:80"])
def test_to_bind_rejects(text):
    with pytest.raises(ValueError, match="HOST:PORT"):
        values.to_bind(text)


@pytest.mark.parametrize("text", ["0", "-1", "inf", "nan", "two"])
def test_to_positive_float_rejects(text):
    with pytest.raises(ValueError, match="number"):
        values.to_positive_float(text)


@pytest.mark.parametrize("text, size", [
    ("4g", 4 << 30), ("4G", 4 << 30), ("4096m", 4 << 30), ("4GiB", 4 << 30), ("4gb", 4 << 30),
    (" 512M ", 512 << 20), ("512MiB", 512 << 20), ("64k", 64 << 10), ("1t", 1 << 40),
    ("1024", 1024), ("1024b", 1024), ("1B", 1)])
def test_to_size(text, size):
    assert values.to_size(text) == size


@pytest.mark.parametrize("text", ["0", "0g", "4 GB", "g", "1.5g", "-1m", "4x", "4gg",
                                  "4ib", "lots", "", "4g4"])
def test_to_size_rejects(text):
    with pytest.raises(ValueError, match="expected a size such as 512m, 4g or 512MiB"):
        values.to_size(text)


@pytest.mark.parametrize("size, text", [(8 << 30, "8 GiB"), (1536 << 20, "1536 MiB"),
                                        (2 << 20, "2 MiB"), (1 << 40, "1 TiB"),
                                        (64 << 10, "64 KiB"), (1000, "1000 bytes")])
def test_render_size(size, text):
    assert values.render_size(size) == text


def test_to_labels_forms():
    labels = values.to_labels(" a=1, b.c/d=x\n e-f= ")
    assert dict(labels) == {"a": "1", "b.c/d": "x", "e-f": ""}
    assert dict(values.to_labels("")) == {}
    for bad in ("=x", "a", "-a=1", "a b=1"):
        with pytest.raises(ValueError, match="key=value"):
            values.to_labels(bad)


def test_to_url_list_needs_one_url():
    with pytest.raises(ValueError, match="at least one URL"):
        values.to_url_list("  ", ("http",))


@pytest.mark.parametrize("text, kept", [("1024", "1024"), ("-1", "-1"), ("10  -1", "10 -1"),
                                        ("-1 -1", "-1 -1"), ("5 5", "5 5")])
def test_to_rlimit_accepts(text, kept):
    assert values.to_rlimit("RLIMIT_NOFILE", text) == kept


@pytest.mark.parametrize("text", ["", "-2", "-1 10", "1.5", "a b"])
def test_to_rlimit_rejects(text):
    with pytest.raises(ValueError):
        values.to_rlimit("RLIMIT_NOFILE", text)


def test_frozen_mapping_is_read_only_hashable_and_copyable():
    mapping = values.FrozenMapping({"a": "1"})
    assert mapping == {"a": "1"} and len(mapping) == 1 and list(mapping) == ["a"]
    assert hash(mapping) == hash(values.FrozenMapping({"a": "1"}))
    assert repr(mapping) == "FrozenMapping({'a': '1'})"
    assert pickle.loads(pickle.dumps(mapping)) == mapping
    assert copy.deepcopy(mapping) == mapping
    with pytest.raises(TypeError):
        mapping["b"] = "2"


def test_render():
    assert values.render(None) == "(unset)"
    assert values.render(()) == "(none)" and values.render(("a", "b")) == "a b"
    assert values.render(values.FrozenMapping({"a": "1", "b": "2"})) == "a=1,b=2"
    assert values.render(values.FrozenMapping()) == "(none)"
    assert values.render(1.5) == "1.5"


def test_unknown_key_message_suggests_close_match():
    assert "did you mean maxjobs?" in values.unknown_key_message("maxjob", ["maxjobs"], "x")
    assert values.unknown_key_message("zzz", ["maxjobs"], "see docs") == "unknown option; see docs"


# The limits as the daemon reads them: from a kojid.conf and from the environment.

LIMITS_CONF = """\
[kojid]
server = https://hub.example.com/kojihub
topurl = https://hub.example.com/kojifiles
"""


def _adjutant(tmp_path, section: str = "", environ=None):
    path = tmp_path / "kojid.conf"
    path.write_text(LIMITS_CONF + "[adjutant]\n" + section)
    return load_config(["-c", str(path)], environ or {}).adjutant, str(path)


def test_limits_are_on_by_default(tmp_path):
    adj, _ = _adjutant(tmp_path)
    assert (adj.memory, adj.pids, adj.log_limit, adj.cpus) == (8 << 30, 4096, 1 << 30, None)
    assert adj == AdjutantOptions()


@pytest.mark.parametrize("text, size", [("4g", 4 << 30), ("4G", 4 << 30),
                                        ("4096m", 4 << 30), ("512MiB", 512 << 20),
                                        ("1073741824", 1 << 30)])
def test_memory_and_log_limit_are_ints_of_bytes(tmp_path, text, size):
    adj, _ = _adjutant(tmp_path, f"memory = {text}\nlog_limit = {text}\n")
    assert adj.memory == adj.log_limit == size
    assert type(adj.memory) is int and type(adj.log_limit) is int


def test_an_empty_limit_means_no_limit(tmp_path):
    adj, _ = _adjutant(tmp_path, "memory =\npids =\nlog_limit =\n")
    assert (adj.memory, adj.pids, adj.log_limit) == (None, None, None)


def test_the_environment_sets_a_size(tmp_path):
    adj, _ = _adjutant(tmp_path, "memory = 2g\n", {"KOJI_ADJUTANT_MEMORY": "3G",
                                                  "KOJI_ADJUTANT_LOG_LIMIT": "10m"})
    assert (adj.memory, adj.log_limit) == (3 << 30, 10 << 20)


@pytest.mark.parametrize("key, text", [("memory", "4 gigs"), ("memory", "4.5g"),
                                       ("log_limit", "lots"), ("log_limit", "0"),
                                       ("memory", "-1g")])
def test_a_garbage_size_is_a_config_error_naming_the_key(tmp_path, key, text):
    with pytest.raises(ConfigError) as err:
        _adjutant(tmp_path, f"{key} = {text}\n")
    path = str(tmp_path / "kojid.conf")
    assert (err.value.path, err.value.section, err.value.key) == (path, "adjutant", key)
    assert str(err.value) == (f"{path}: [adjutant] {key}: expected a size such as 512m, 4g or "
                              "512MiB (digits, then k, m, g or t; plain digits are bytes), "
                              f"greater than 0; got {text!r}")


def test_a_garbage_size_in_the_environment_names_the_variable(tmp_path):
    with pytest.raises(ConfigError) as err:
        _adjutant(tmp_path, environ={"KOJI_ADJUTANT_LOG_LIMIT": "1 GB"})
    assert (err.value.path, err.value.key) == ("environment", "KOJI_ADJUTANT_LOG_LIMIT")


def test_the_summary_shows_the_limits_in_units(tmp_path):
    path = tmp_path / "kojid.conf"
    path.write_text(LIMITS_CONF + "[adjutant]\nlog_limit = 2048m\n")
    lines = summary_lines(load_config(["-c", str(path)], {}))
    assert "limits:        cpus (unset), memory 8 GiB, pids 4096, logs 2 GiB per task" in lines
