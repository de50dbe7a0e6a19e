"""The value converters: accepted forms, rejected forms, and the read-only mapping."""

import copy
import pickle

import pytest

from koji_adjutant.config import values


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


@pytest.mark.parametrize("text, size", [("4g", "4g"), (" 512M ", "512m"), ("1024", "1024")])
def test_to_size(text, size):
    assert values.to_size(text) == size


@pytest.mark.parametrize("text", ["0", "0g", "4 GB", "g", "1.5g", "-1m"])
def test_to_size_rejects(text):
    with pytest.raises(ValueError, match="expected a size"):
        values.to_size(text)


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
