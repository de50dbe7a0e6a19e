"""SCM URLs: parsed by ``koji.daemon.SCM``, then vetted and allowed before any work.

``open_scm`` returns the library's ``SCM`` object for a URL of the form
``scheme://[user@]host/path/repo?module#revision`` (contract 5.1) after
checks the library does not make: no password unless the daemon allows it
(and never a password in a message), and nothing in the URL that could make
the checkout leave its directory or smuggle an option into a command: the
checkout directory name derived from the path, the module (query) and the
revision (fragment) are all confined (ADR 0006).  ``authorise`` applies
``allowed_scms`` and the hub's ``build_from_scm`` policy (contract 5.2, 5.3);
both may change ``use_common`` and ``source_cmd`` on the object.
"""

import re
import urllib.parse
from dataclasses import dataclass

import koji
import koji.daemon

from koji_adjutant.errors import TaskFailed

# Characters no revision, module or path may carry: controls, blanks, backslash.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_BLANK = re.compile(r"[\x00-\x20\x7f]")
_CREDENTIALS = re.compile(r"(://[^/@\s:]*):[^/@\s]*@")


@dataclass(frozen=True)
class ScmRules:
    """The daemon's SCM settings (kojid.conf ``allowed_scms*``, ``allow_password_in_scm_url``)."""

    allowed: str = ""
    by_config: bool = True
    by_policy: bool = False
    allow_password: bool = False

    @classmethod
    def from_options(cls, options) -> "ScmRules":
        return cls(allowed=options.allowed_scms or "",
                   by_config=bool(options.allowed_scms_use_config),
                   by_policy=bool(options.allowed_scms_use_policy),
                   allow_password=bool(options.allow_password_in_scm_url))


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` replaced by ``****``."""
    return _CREDENTIALS.sub(r"\1:****@", text)


def has_password(url: str) -> bool:
    """Whether the URL's authority carries ``user:password@`` (the library's reading)."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        return False
    parsed = urllib.parse.urlparse(url.replace(scheme + sep, "http://", 1))
    return parsed.password is not None


def open_scm(url: str, allow_password: bool = False) -> koji.daemon.SCM:
    """Parse and vet ``url``; raise ``TaskFailed`` saying what is wrong with it."""
    if not isinstance(url, str) or not koji.daemon.SCM.is_scm_url(url):
        schemes = " ".join(sorted(s for t in koji.daemon.SCM.types.values() for s in t))
        raise TaskFailed(f"{redact(str(url))} is not an SCM URL; it must start with one of "
                         f"{schemes}")
    if _BLANK.search(url):
        # urllib drops some of them silently, which would change what gets built
        raise TaskFailed(f"the SCM URL {redact(url)!r} contains blanks or control characters")
    if has_password(url) and not allow_password:
        raise TaskFailed(f"the SCM URL {redact(url)} contains a password, which this builder "
                         "does not accept (allow_password_in_scm_url); use a URL without "
                         "credentials")
    try:
        scm = koji.daemon.SCM(url, allow_password=allow_password)
    except koji.GenericError as exc:
        raise TaskFailed(f"invalid SCM URL {redact(url)}: {exc}") from exc
    for problem in (_revision_problem(scm.revision), _module_problem(scm),
                    _path_problem(scm)):
        if problem:
            raise TaskFailed(f"refusing SCM URL {redact(url)}: {problem}")
    return scm


def _revision_problem(revision: str) -> str | None:
    # git ref names can hold none of these (git check-ref-format); a revision
    # starting with "-" would be read as an option by git, cvs and svn.
    if _UNSAFE.search(revision) or ".." in revision or ":" in revision \
            or revision.startswith(("-", "/")):
        return (f"the revision (fragment) {revision!r} is not a commit, branch or tag name "
                "('..', ':', blanks and a leading '-' or '/' are not allowed)")
    return None


def _module_problem(scm: koji.daemon.SCM) -> str | None:
    module = scm.module
    if not module:
        if scm.scmtype.startswith(("CVS", "SVN")):
            return f"a {scm.scmtype} URL needs a module (the part after '?')"
        return None
    parts = module.split("/")
    if _UNSAFE.search(module) or module.startswith("-") \
            or any(part in ("", ".", "..") for part in parts):
        return (f"the module (query) {module!r} must be a relative path inside the "
                "repository, without '.', '..' or empty parts")
    return None


def checkout_name(repository: str) -> str:
    """The directory a git checkout of ``repository`` goes into (the library's rule)."""
    if repository.endswith("/.git"):
        repository = repository[:-5]
    elif repository.endswith(".git"):
        repository = repository[:-4]
    return repository.rsplit("/", 1)[-1]


def _path_problem(scm: koji.daemon.SCM) -> str | None:
    if _UNSAFE.search(urllib.parse.unquote(scm.repository)):
        return f"the repository path {scm.repository!r} contains blanks or control characters"
    if not scm.scmtype.startswith("GIT"):
        return None
    name = checkout_name(scm.repository)
    if name in ("", ".", "..") or name.startswith("-"):
        return (f"the repository path {scm.repository!r} does not name a repository "
                f"(its checkout directory would be {name!r})")
    return None


def authorise(scm: koji.daemon.SCM, rules: ScmRules, session, policy_data: dict) -> None:
    """Apply ``allowed_scms`` and/or the ``build_from_scm`` policy; raise if denied."""
    try:
        scm.assert_allowed(allowed=rules.allowed, session=session, by_config=rules.by_config,
                           by_policy=rules.by_policy, policy_data=policy_data)
    except koji.BuildError as exc:
        raise TaskFailed(f"{exc} (SCM URL {redact(scm.url)})") from exc
    except koji.GenericError as exc:
        raise TaskFailed(f"cannot check the build_from_scm policy for {redact(scm.url)}: "
                         f"{exc}") from exc
