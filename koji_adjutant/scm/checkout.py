"""The checkout: ``koji.daemon.SCM.checkout`` on the host, confined to its directory.

As kojid does (contract 3.3 steps 5-7, 5.4), the library runs git (or cvs,
svn) on the builder host as the daemon user, streaming ``checkout.log`` to
the task's upload directory.  The caller owns ``scmdir`` (inside the task's
buildroot directory, so the container sees the checkout) and removes it with
the task.  Around the library we add: no interactive credential prompts,
errors that name the URL without its password and give git's own reason, a check that the source
directory really lies inside ``scmdir`` (symlinks included) before anything
else is written, our own clone and link of git's ``common`` repository after
that check, and a chown to the build user that never follows a symlink out of
the tree.
"""

import contextlib
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path

import koji
import koji.daemon

from koji_adjutant.container.idmap import chown_tree
from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.url import redact

# git must fail, not wait for a password on a terminal the daemon may still have.
_CHECKOUT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false",
                 "SSH_ASKPASS": "/bin/false"}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` in this process's environment (the library's commands inherit it)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def is_inside(path: Path, directory: Path) -> bool:
    """Whether ``path`` (symlinks resolved) is ``directory`` or lies below it."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(directory))


def fetch(scm: koji.daemon.SCM, scmdir: Path, session, uploadpath: str,
          logfile: Path) -> Path:
    """Check ``scm`` out under ``scmdir``; the source directory (holding the spec).

    For git the ``common`` repository (``use_common``) is cloned by us after
    the source directory passed its confinement check: the library would
    create its ``common`` symlink first, through whatever symlinks the
    repository holds.
    """
    scmdir.mkdir(parents=True, exist_ok=True)
    own_common = scm.use_common and scm.scmtype.startswith("GIT")
    with _environment(_CHECKOUT_ENV):
        sourcedir = _library_checkout(scm, scmdir, session, uploadpath, logfile,
                                      with_common=scm.use_common and not own_common)
        _confine(scm, sourcedir, scmdir)
        if own_common:
            _checkout_common(scm, scmdir, sourcedir, session, uploadpath, logfile)
    return sourcedir


def _library_checkout(scm: koji.daemon.SCM, scmdir: Path, session, uploadpath: str,
                      logfile: Path, with_common: bool) -> Path:
    use_common, scm.use_common = scm.use_common, with_common
    try:
        return Path(scm.checkout(str(scmdir), session, uploadpath, str(logfile)))
    except koji.BuildError as exc:
        reason = git_reason(logfile)
        said = f"{redact(reason)} ({redact(str(exc))})" if reason else redact(str(exc))
        raise TaskFailed(f"cannot check out {redact(scm.url)}: {said}") from exc
    except OSError as exc:
        raise TaskFailed(f"cannot check out {redact(scm.url)}: {exc}") from exc
    finally:
        scm.use_common = use_common


def git_reason(logfile: Path) -> str | None:
    """git's own last word in ``logfile`` (its last ``fatal:`` or ``error:`` line), if any.

    koji's message only names the command and the log; the packager needs the why:
    an unknown revision, a host that does not answer, a repository that is not there.
    """
    try:
        lines = logfile.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1].strip()[:300]
    return None


def _confine(scm: koji.daemon.SCM, sourcedir: Path, scmdir: Path) -> None:
    if not is_inside(sourcedir, scmdir):
        raise TaskFailed(f"refusing the checkout of {redact(scm.url)}: its source directory "
                         f"{scm.module or '.'} leads outside the checkout (a symlink?)")
    if not sourcedir.is_dir():
        raise TaskFailed(f"the checkout of {redact(scm.url)} has no directory "
                         f"{scm.module!r}; check the module (the part after '?') of the URL")


def common_repo_url(scm: koji.daemon.SCM) -> str:
    """The git URL of the ``common`` repository beside ``scm``'s (kojid's naming rule)."""
    if scm.scmtype == "GIT+SSH":
        base = f"git+ssh://{scm.user}@{scm.host}{scm.repository}"
    else:
        transport = scm.scheme.split("+", 1)[-1]
        user = f"{scm.user}@" if scm.user else ""
        base = f"{transport}{user}{scm.host}{scm.repository}"
    if base.endswith("/.git"):
        return posixpath.dirname(base[:-5]) + "/common/.git"
    if base.endswith(".git"):
        return posixpath.dirname(base[:-4]) + "/common.git"
    return posixpath.dirname(base) + "/common"


def _checkout_common(scm: koji.daemon.SCM, scmdir: Path, sourcedir: Path, session,
                     uploadpath: str, logfile: Path) -> None:
    """``git clone <common> common`` in ``scmdir``, linked beside the source directory."""
    argv = ["git", "clone", common_repo_url(scm), "common"]
    status = koji.daemon.log_output(session, argv[0], argv, str(logfile), uploadpath,
                                    cwd=str(scmdir), logerror=1, append=1)
    if status:
        raise TaskFailed(f"cannot clone the common repository {redact(argv[2])} for "
                         f"{redact(scm.url)}; see checkout.log (or turn use_common off for "
                         "this repository in allowed_scms)")
    parent = Path(os.path.realpath(sourcedir)).parent
    link = parent / "common"
    if is_inside(parent, scmdir) and not os.path.lexists(link):
        link.symlink_to(os.path.relpath(scmdir / "common", parent))


def resolved_source(scm: koji.daemon.SCM) -> dict[str, str]:
    """``{'url': original, 'source': url with the resolved commit}`` (contract 5.4).

    Call it before ``hand_over``: git refuses to read a repository owned by
    another user.
    """
    try:
        return scm.get_source()
    except (koji.GenericError, OSError) as exc:
        raise TaskFailed(f"cannot resolve the commit of {redact(scm.url)}: {exc}") from exc


def hand_over(scmdir: Path, uid: int, gid: int) -> None:
    """chown the whole checkout to the build user's host ids, never following a symlink."""
    chown_tree(scmdir, uid, gid)
