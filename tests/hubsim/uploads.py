"""Uploads into WORK: the fast `rawUpload` path, legacy `uploadFile`, and `checkUpload`.

Owns the files under `topdir/work` and the `upload_owners` map (the hub's `.user` files).
Path and ownership rules follow kojid-contract 2.8 and 10.6: task directories only for the
host holding the task OPEN, other directories for their first uploader only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from typing import Any, Optional

import koji

from .api import Context, exported
from .tasks import get_task


def work_dir(ctx: Context) -> str:
    return os.path.join(str(ctx.state.topdir), 'work')


def upload_path(ctx: Context, path: str, name: str) -> str:
    """The hub's get_upload_path: validate, check ownership, return the full file path."""
    user = ctx.assert_login()
    if not name or '/' in name or name.startswith('.'):
        raise koji.GenericError('Invalid upload filename: %s' % name)
    path = os.path.normpath(path)
    if path.startswith('..') or path.startswith('/'):
        raise koji.GenericError('Invalid upload directory: %s' % path)
    parts = path.split('/')
    if parts[0] == 'tasks':
        if len(parts) < 3 or not parts[2].isdigit():
            raise koji.GenericError('Invalid task upload directory: %s' % path)
        ctx.verify_host()
        get_task(ctx.state, int(parts[2]))
        ctx.assert_host_task(int(parts[2]))
    else:
        owner = ctx.state.upload_owners.setdefault(path, user['id'])
        if owner != user['id']:
            raise koji.GenericError('Invalid upload directory, not owner: %s' % path)
    dirname = os.path.join(work_dir(ctx), path)
    os.makedirs(dirname, exist_ok=True)
    fn = os.path.join(dirname, name)
    if os.path.islink(fn):
        raise koji.GenericError('destination is a symlink: %s' % fn)
    if os.path.exists(fn) and not os.path.isfile(fn):
        raise koji.GenericError('destination not a file: %s' % fn)
    return fn


def raw_upload(ctx: Context, data: bytes, args: dict) -> dict:
    """Handle a fast-upload POST (query args as ClientSession._prepUpload sends them)."""
    fn = upload_path(ctx, args.get('filepath', ''), args.get('filename', ''))
    offset = int(args.get('offset', 0))
    overwrite = args.get('overwrite') in ('1', 'true', 'True')
    verify = args.get('fileverify')
    if offset == 0 and not overwrite and os.path.exists(fn):
        raise koji.GenericError('upload path exists: %s' % fn)
    with open(fn, 'ab') as fo:
        pass
    with open(fn, 'r+b') as fo:
        if offset == -1:
            offset = fo.seek(0, os.SEEK_END)
        elif overwrite:
            fo.truncate(offset)
            fo.seek(offset)
        else:
            fo.seek(offset)
        fo.write(data)
    length = os.path.getsize(fn)
    if length != offset + len(data):
        raise koji.GenericError('Incorrect upload length for %s - expected %s, actual %s'
                                % (fn, offset + len(data), length))
    result = {'size': len(data), 'fileverify': verify, 'offset': offset}
    if verify:
        result['hexdigest'] = _digest(verify, data)
    return result


def _digest(kind: str, data: bytes) -> str:
    if kind == 'adler32':
        return '%08x' % (zlib.adler32(data) & 0xffffffff)
    if kind in ('md5', 'sha256', 'sha1'):
        return hashlib.new(kind, data).hexdigest()
    raise koji.GenericError('Unsupported verify type: %s' % kind)


@exported('uploadFile')
def upload_file(ctx: Context, path: str, name: str, size: int, md5sum: Any, offset: int,
                data: str, volume: Optional[str] = None,
                checksum: Optional[Any] = None) -> bool:
    fn = upload_path(ctx, path, name)
    kind, expected = (md5sum if isinstance(md5sum, (list, tuple)) else ('md5', md5sum))
    contents = base64.b64decode(data)
    offset = int(offset)
    if offset == -1:
        return _finalize(fn, int(size), kind, expected)
    if expected and _digest(kind, contents) != expected:
        return False
    if offset == 0 and os.path.exists(fn):
        if not fn.endswith('.log'):
            raise koji.GenericError('file already exists: %s' % fn)
        os.truncate(fn, 0)
    with open(fn, 'ab'):
        pass
    with open(fn, 'r+b') as fo:
        fo.seek(offset)
        fo.write(contents)
    return True


def _finalize(fn: str, size: int, kind: str, expected: Optional[str]) -> bool:
    if not os.path.exists(fn):
        open(fn, 'wb').close()
    if os.path.getsize(fn) > size:
        os.truncate(fn, size)
    if expected:
        with open(fn, 'rb') as fo:
            if _digest(kind, fo.read()) != expected:
                return False
    return True


@exported('checkUpload')
def check_upload(ctx: Context, path: str, name: str, verify: Optional[str] = None,
                 tail: Optional[int] = None, volume: Optional[str] = None) -> Optional[dict]:
    if not name or '/' in name or name.startswith('.'):
        raise koji.GenericError('Invalid upload filename: %s' % name)
    path = os.path.normpath(path)
    if path.startswith('..') or path.startswith('/'):
        raise koji.GenericError('Invalid upload directory: %s' % path)
    fn = os.path.join(work_dir(ctx), path, name)
    if not os.path.isfile(fn):
        return None
    st = os.stat(fn)
    result = {'size': st.st_size, 'mtime': st.st_mtime}
    if verify:
        with open(fn, 'rb') as fo:
            if tail is not None:
                fo.seek(max(0, st.st_size - int(tail)))
            data = fo.read()
        result['sumlength'] = len(data)
        result['hexdigest'] = _digest(verify, data)
    return result


@exported('downloadTaskOutput')
def download_task_output(ctx: Context, taskID: int, fileName: str, offset: int = 0,
                         size: int = -1, volume: Optional[str] = None) -> str:
    fn = os.path.join(task_dir(ctx, int(taskID)), fileName)
    if '..' in fileName.split('/') or not os.path.isfile(fn):
        raise koji.GenericError('no file "%s" output by task %i' % (fileName, taskID))
    with open(fn, 'rb') as fo:
        fo.seek(int(offset))
        contents = fo.read() if int(size) < 0 else fo.read(int(size))
    return base64.b64encode(contents).decode()


def task_dir(ctx: Context, task_id: int) -> str:
    return os.path.join(work_dir(ctx), koji.pathinfo.taskrelpath(task_id))


@exported('listTaskOutput')
def list_task_output(ctx: Context, taskID: int, stat: bool = False,
                     all_volumes: bool = False, strict: bool = False) -> Any:
    base = task_dir(ctx, int(taskID))
    names = []
    for root, _dirs, files in os.walk(base):
        for name in files:
            names.append(os.path.relpath(os.path.join(root, name), base))
    if not stat:
        return {n: ['DEFAULT'] for n in names} if all_volumes else names
    out = {}
    for name in names:
        st = os.lstat(os.path.join(base, name))
        info = {'st_size': str(st.st_size), 'st_atime': st.st_atime,
                'st_mtime': st.st_mtime, 'st_ctime': st.st_ctime}
        out[name] = {'DEFAULT': info} if all_volumes else info
    return out
