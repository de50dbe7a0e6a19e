"""Uploads: fast rawUpload, legacy uploadFile, checkUpload and ownership rules (2.8, 10.6)."""

from __future__ import annotations

import base64
import hashlib
import logging
import zlib

import koji
import koji.daemon
import pytest
import requests


@pytest.fixture
def held(hub, builder):
    """An OPEN task held by the builder and its upload dir."""
    tid = hub.make_task('buildArch', ['x'])
    builder.take(tid)
    return tid, koji.pathinfo.taskrelpath(tid)


def _work(hub, relpath):
    return hub.topdir / 'work' / relpath


def test_upload_wrapper_uses_fast_path_and_topurl_serves_it(hub, builder, held, tmp_path):
    tid, path = held
    src = tmp_path / 'hello.src.rpm'
    src.write_bytes(bytes(range(256)) * 5000)
    builder.session.uploadWrapper(str(src), path, blocksize=65536)
    assert _work(hub, path + '/hello.src.rpm').read_bytes() == src.read_bytes()
    builder.session.uploadWrapper(str(src), path)
    with pytest.raises(koji.GenericError, match='upload path exists: .*hello.src.rpm'):
        builder.session.fastUpload(str(src), path, overwrite=False)
    got = requests.get('%s/work/%s/hello.src.rpm' % (hub.topurl, path))
    assert got.status_code == 200 and got.content == src.read_bytes()
    assert hub.session().listTaskOutput(tid) == ['hello.src.rpm']


def test_raw_upload_offsets_append_and_overwrite(hub, builder, held):
    _, path = held
    sess = builder.session
    first = sess.rawUpload(b'new\n', 0, path, 'log.txt')
    assert first == {'size': 4, 'fileverify': 'adler32', 'offset': 0,
                     'hexdigest': '%08x' % zlib.adler32(b'new\n')}
    appended = sess.rawUpload(b'appended\n', -1, path, 'log.txt')
    assert (appended['offset'], appended['size']) == (4, 9)
    with pytest.raises(koji.GenericError, match='upload path exists'):
        sess.rawUpload(b'x', 0, path, 'log.txt')
    sess.rawUpload(b'XY', 2, path, 'log.txt', overwrite=True)
    assert _work(hub, path + '/log.txt').read_bytes() == b'neXY'
    with pytest.raises(koji.GenericError, match='Incorrect upload length'):
        sess.rawUpload(b'z', 1, path, 'log.txt')


def test_check_upload(hub, builder, held):
    _, path = held
    builder.session.rawUpload(b'abc' * 100, 0, path, 'f.bin')
    info = builder.session.checkUpload(path, 'f.bin', verify='adler32')
    assert info['size'] == 300 and info['sumlength'] == 300
    assert info['hexdigest'] == '%08x' % zlib.adler32(b'abc' * 100)
    assert builder.session.checkUpload(path, 'missing.bin') is None


def test_legacy_upload_file(hub, builder, held):
    _, path = held
    sess = builder.session
    data = b'legacy contents\n'

    def put(chunk, offset, name, digest=None, size=None):
        digest = digest or hashlib.sha256(chunk).hexdigest()
        size = len(chunk) if size is None else size
        return sess.uploadFile(path, name, size, ('sha256', digest), offset,
                               base64.b64encode(chunk).decode())

    assert put(data, 0, 'x.rpm') is True
    assert put(b'', -1, 'x.rpm', hashlib.sha256(data).hexdigest(), len(data)) is True
    assert put(b'', -1, 'x.rpm', 'bad', len(data)) is False
    assert _work(hub, path + '/x.rpm').read_bytes() == data
    assert put(data, 0, 'y.rpm', 'bad') is False
    with pytest.raises(koji.GenericError, match='file already exists: .*x.rpm'):
        put(data, 0, 'x.rpm')
    put(b'long log line\n', 0, 'build.log')
    put(b'short\n', 0, 'build.log')
    assert _work(hub, path + '/build.log').read_bytes() == b'short\n'


@pytest.mark.parametrize('fast', [True, False])
def test_incremental_upload_appends_and_restarts(hub, builder, held, tmp_path, fast):
    _, path = held
    sess = builder.session.subsession()
    sess.opts['use_fast_upload'] = fast
    log = tmp_path / 'root.log'
    log.write_bytes(b'line1\n')
    logger = logging.getLogger('hubsim-test')
    with open(log, 'rb') as fd:
        koji.daemon.incremental_upload(sess, 'root.log', fd, path, logger=logger)
        with open(log, 'ab') as out:
            out.write(b'line2\n')
        koji.daemon.incremental_upload(sess, 'root.log', fd, path, logger=logger)
    assert _work(hub, path + '/root.log').read_bytes() == b'line1\nline2\n'
    log.write_bytes(b'new\n')
    with open(log, 'rb') as fd:
        koji.daemon.incremental_upload(sess, 'root.log', fd, path, logger=logger)
    assert _work(hub, path + '/root.log').read_bytes() == b'new\n'


def test_upload_refusals(hub, builder, held, admin):
    tid, path = held
    free = hub.make_task('sleep', [1])
    with pytest.raises(koji.ActionNotAllowed, match='host 1 does not own task %d' % free):
        builder.session.rawUpload(b'x', 0, koji.pathinfo.taskrelpath(free), 'a')
    builder.close(tid, None)
    with pytest.raises(koji.ActionNotAllowed, match='host 1 does not own task %d' % tid):
        builder.session.rawUpload(b'x', 0, path, 'b')
    with pytest.raises(koji.AuthError, match='User 1 is not a host'):
        admin.rawUpload(b'x', 0, path, 'c')
    with pytest.raises(koji.GenericError, match='Invalid task upload directory: tasks/x'):
        builder.session.rawUpload(b'x', 0, 'tasks/x', 'd')
    for name in ('.hidden', 'a/b'):
        with pytest.raises(koji.GenericError, match='Invalid upload filename'):
            builder.session.rawUpload(b'x', 0, path, name)
    with pytest.raises(koji.ActionNotAllowed, match='must be logged in'):
        hub.anon_session().rawUpload(b'x', 0, path, 'e')


def test_non_task_dirs_belong_to_first_uploader(hub, builder, admin):
    admin.rawUpload(b'x', 0, 'cli-import/probe-admin', 'a.rpm')
    with pytest.raises(koji.GenericError,
                       match='Invalid upload directory, not owner: cli-import/probe-admin'):
        builder.session.rawUpload(b'x', 0, 'cli-import/probe-admin', 'b.rpm')


def test_download_task_output(hub, builder, held, admin):
    tid, path = held
    builder.session.rawUpload(b'0123456789', 0, path, 'out.txt')
    data = admin.downloadTaskOutput(tid, 'out.txt', offset=2, size=3)
    assert data == b'234'
