"""Tar packing for copy_to and the guarded extraction for copy_from (no podman needed)."""

from __future__ import annotations

import io
import os
import stat
import tarfile

import pytest

from koji_adjutant.container.archive import pack, unpack


def test_pack_renames_the_tree_to_the_target_and_keeps_modes(tmp_path):
    (tmp_path / "src" / "d").mkdir(parents=True)
    (tmp_path / "src" / "d" / "f").write_text("x")
    os.chmod(tmp_path / "src" / "d" / "f", 0o751)
    with pack(tmp_path / "src", "/builddir/SOURCES", mode=0o700) as spool, \
            tarfile.open(fileobj=spool) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["builddir/SOURCES", "builddir/SOURCES/d",
                               "builddir/SOURCES/d/f"]
    assert members["builddir/SOURCES"].mode == 0o700
    assert members["builddir/SOURCES/d/f"].mode == 0o751
    assert {m.uid for m in members.values()} == {0}


@pytest.mark.parametrize("target", ["relative/path", "/", "/a/../b"])
def test_pack_refuses_odd_targets(tmp_path, target):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="absolute path"):
        pack(tmp_path / "f", target)


def tar_of(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


def entry(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, **attrs):
    info = tarfile.TarInfo(name)
    info.type, info.mode = kind, mode
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def test_unpack_keeps_permission_bits_but_not_owner_or_setuid(tmp_path):
    stream = tar_of((entry("result", tarfile.DIRTYPE, 0o750), None),
                    (entry("result/tool", mode=0o4755, uid=1234), b"#!/bin/sh\n"),
                    (entry("result/ro.txt", mode=0o444), b"ro"))
    out = unpack(stream, tmp_path / "out" / "renamed")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(out / "tool").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(out / "ro.txt").st_mode) == 0o444
    assert os.stat(out / "tool").st_uid == os.getuid()


@pytest.mark.parametrize("evil", [
    (entry("result/../../escape"), b"x"),
    (entry("result/abs", tarfile.SYMTYPE, linkname="/etc/passwd"), None),
    (entry("result/dev", tarfile.CHRTYPE), None),
    (entry("other/file"), b"x"),
])
def test_unpack_refuses_members_that_escape(tmp_path, evil):
    stream = tar_of((entry("result", tarfile.DIRTYPE, 0o755), None), evil)
    with pytest.raises(tarfile.TarError):
        unpack(stream, tmp_path / "out")
    assert not (tmp_path.parent / "escape").exists()


def test_unpack_of_an_empty_archive_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="empty archive"):
        unpack(tar_of(), tmp_path / "out")
