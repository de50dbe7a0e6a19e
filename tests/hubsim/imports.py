"""RPM file import: header checks and the moves of host.completeBuild/moveBuildToScratch.

Owns the files it moves from WORK into `topdir/packages/N/V/R/...` and `topdir/scratch/...`
(leaving relative symlinks behind).  Like the hub, files are moved one by one as they pass
their checks and are *not* moved back when a later file fails (kojid-contract 2.6, 10.7);
the rpm rows are only returned to the caller, who records them once everything passed.
"""

from __future__ import annotations

import os
import shutil
from typing import Optional

import koji
from koji.rpmdiff import Rpmdiff

from .state import HubState

HEADER_FIELDS = ['name', 'version', 'release', 'epoch', 'arch', 'sourcepackage',
                 'sourcerpm', 'sigmd5', 'buildtime']


def read_header(path: str) -> dict:
    hdr = koji.get_rpm_header(path)
    info = koji.get_header_fields(hdr, HEADER_FIELDS, src_arch=True)
    info['payloadhash'] = koji.hex_string(info.pop('sigmd5'))
    info['size'] = os.path.getsize(path)
    return info


def work_path(state: HubState, relpath: str) -> str:
    return os.path.join(str(state.topdir), 'work', relpath)


def build_dir(state: HubState, build: dict) -> str:
    return os.path.join(str(state.topdir), 'packages', build['name'], build['version'],
                        build['release'])


def check_exist(state: HubState, relpaths: list[str]) -> None:
    for rel in relpaths:
        full = work_path(state, rel)
        if not os.path.exists(full):
            raise koji.GenericError('No such file: %s' % full)


def dedupe_noarch(state: HubState, rpms: list[str]) -> list[str]:
    """Keep the first of identically named noarch rpms after checking they do not differ."""
    first: dict[str, str] = {}
    out = []
    for rel in rpms:
        name = os.path.basename(rel)
        if not name.endswith('.noarch.rpm') or name not in first:
            first.setdefault(name, rel)
            out.append(rel)
            continue
        diff = Rpmdiff(work_path(state, first[name]), work_path(state, rel), ignore='S5TN')
        if diff.differs():
            raise koji.BuildError('The following noarch package built differently on '
                                  'different architectures: %s\nrpmdiff output was:\n%s'
                                  % (name, diff.textdiff()))
    return out


def move_with_link(src: str, dst: str, exists_msg: str) -> None:
    """Move src to dst and leave a relative symlink at src."""
    if os.path.lexists(dst):
        raise koji.GenericError(exists_msg % dst)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.move(src, dst)
    os.symlink(os.path.relpath(dst, os.path.dirname(src)), src)


def import_rpm_file(state: HubState, build: dict, relpath: str,
                    brootid: Optional[int]) -> dict:
    """Check one file against the build, move it into packages, return its rpm row."""
    full = work_path(state, relpath)
    info = read_header(full)
    expected = '%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % info
    if os.path.basename(full) != expected:
        raise koji.GenericError('bad filename: %s (expected %s)'
                                % (os.path.basename(full), expected))
    want_src = '%(name)s-%(version)s-%(release)s.src.rpm' % build
    if info['arch'] != 'src' and info['sourcerpm'] != want_src:
        raise koji.GenericError('srpm mismatch for %s: %s (expected %s)'
                                % (full, info['sourcerpm'], want_src))
    final = os.path.join(build_dir(state, build), info['arch'], expected)
    move_with_link(full, final, 'Error importing archive file, %s already exists')
    _write_sighdr(state, build, info['arch'], expected, final)
    return {'name': info['name'], 'version': info['version'], 'release': info['release'],
            'epoch': info['epoch'], 'arch': info['arch'],
            'payloadhash': info['payloadhash'], 'size': info['size'],
            'buildtime': info['buildtime'], 'buildroot_id': brootid,
            'build_id': build['id'], 'external_repo_id': 0,
            'external_repo_name': 'INTERNAL', 'metadata_only': False, 'extra': None,
            'draft': False}


def _write_sighdr(state: HubState, build: dict, arch: str, name: str, path: str) -> None:
    sigdir = os.path.join(build_dir(state, build), 'data', 'sigcache', arch)
    os.makedirs(sigdir, exist_ok=True)
    with open(os.path.join(sigdir, name + '.sig'), 'wb') as fo:
        fo.write(koji.rip_rpm_sighdr(path))


def import_logs(state: HubState, build: dict, logs: dict) -> None:
    for arch, relpaths in (logs or {}).items():
        for rel in relpaths:
            final = os.path.join(build_dir(state, build), 'data', 'logs', arch,
                                 os.path.basename(rel))
            move_with_link(work_path(state, rel), final,
                           'Error importing build log. %s already exists.')


def move_to_scratch(state: HubState, owner_name: str, task_id: int, srpm: str,
                    rpms: list[str], logs: Optional[dict]) -> None:
    base = os.path.join(str(state.topdir), 'scratch', owner_name, 'task_%d' % task_id)
    for rel in [srpm] + list(rpms):
        move_with_link(work_path(state, rel), os.path.join(base, os.path.basename(rel)),
                       'Error moving file to scratch: %s already exists')
    for key, relpaths in (logs or {}).items():
        for rel in relpaths:
            move_with_link(work_path(state, rel),
                           os.path.join(base, 'logs', key, os.path.basename(rel)),
                           'Error moving log to scratch: %s already exists')


def remove_stray_files(state: HubState, build: dict) -> None:
    path = build_dir(state, build)
    if os.path.isdir(path):
        shutil.rmtree(path)
