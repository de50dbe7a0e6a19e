"""Build details beyond the build row: changelogs and the typed-build/archive queries.

Owns nothing.  Changelogs are read from SRPM headers (a build's imported SRPM, or a task's
uploaded file), as the hub does.  The simulator only knows rpm builds, so the maven, win
and image build queries and listArchives answer truthfully that there is none.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import koji

from .api import Context, exported
from .builds import find_build
from .imports import build_dir
from .state import timestr
from .tasks import apply_query_opts
from .uploads import task_dir

CHANGELOG_FIELDS = ['changelogtime', 'changelogname', 'changelogtext']


def _changelog_source(ctx: Context, buildID: Any, taskID: Any,
                      filepath: Optional[str], strict: bool) -> Optional[str]:
    if buildID is not None:
        build = find_build(ctx.state, buildID, strict=True)
        path = os.path.join(build_dir(ctx.state, build), 'src',
                            '%(name)s-%(version)s-%(release)s.src.rpm' % build)
    elif taskID is not None and filepath:
        path = os.path.join(task_dir(ctx, int(taskID)), os.path.normpath(filepath))
    else:
        raise koji.GenericError('either buildID or taskID and filepath must be specified')
    if not os.path.isfile(path):
        if strict:
            raise koji.GenericError('changelog file %s does not exist' % path)
        return None
    return path


@exported('getChangelogEntries')
def get_changelog_entries(ctx: Context, buildID: Any = None, taskID: Any = None,
                          filepath: Optional[str] = None, author: Optional[str] = None,
                          before: Any = None, after: Any = None,
                          queryOpts: Optional[dict] = None, strict: bool = False) -> Any:
    path = _changelog_source(ctx, buildID, taskID, filepath, strict)
    if path is None:
        return []
    fields = koji.get_header_fields(path, CHANGELOG_FIELDS)
    rows = []
    for ts, name, text in zip(fields['changelogtime'] or [], fields['changelogname'] or [],
                              fields['changelogtext'] or []):
        if author is not None and name != author:
            continue
        if before is not None and ts >= before or after is not None and ts <= after:
            continue
        rows.append({'date': timestr(ts), 'date_ts': ts, 'author': name, 'text': text})
    if queryOpts:
        return apply_query_opts(rows, queryOpts)
    return rows


@exported('listArchives')
def list_archives(ctx: Context, buildID: Any = None, buildrootID: Any = None,
                  componentBuildrootID: Any = None, hostID: Any = None, type: Any = None,
                  filename: Any = None, size: Any = None, checksum: Any = None,
                  checksum_type: Any = None, typeInfo: Any = None,
                  queryOpts: Optional[dict] = None, imageID: Any = None,
                  archiveID: Any = None, strict: bool = False) -> Any:
    if buildID is not None:
        find_build(ctx.state, buildID, strict=strict)
    return apply_query_opts([], queryOpts)


def _typed_build(ctx: Context, kind: str, build_info: Any, strict: bool) -> None:
    build = find_build(ctx.state, build_info, strict=strict)
    if strict:
        raise koji.GenericError('no such %s build: %s' % (kind, build['id']))
    return None


@exported('getMavenBuild')
def get_maven_build(ctx: Context, buildInfo: Any, strict: bool = False) -> None:
    return _typed_build(ctx, 'maven', buildInfo, strict)


@exported('getWinBuild')
def get_win_build(ctx: Context, buildInfo: Any, strict: bool = False) -> None:
    return _typed_build(ctx, 'win', buildInfo, strict)


@exported('getImageBuild')
def get_image_build(ctx: Context, buildInfo: Any, strict: bool = False) -> None:
    return _typed_build(ctx, 'image', buildInfo, strict)
