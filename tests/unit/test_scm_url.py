"""SCM URL vetting and allow rules (koji_adjutant.scm.url) over the real koji.daemon.SCM."""

import koji
import pytest

from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.checkout import common_repo_url
from koji_adjutant.scm.url import (ScmRules, authorise, checkout_name, has_password, open_scm,
                                   redact)

BASE = "git+https://src.example.com/rpms/hello.git"


def test_a_plain_url_is_parsed_by_the_library():
    scm = open_scm(BASE + "?sub/dir#0123abcd")
    assert (scm.scmtype, scm.host, scm.repository, scm.module, scm.revision) == \
        ("GIT", "src.example.com", "/rpms/hello.git", "sub/dir", "0123abcd")
    assert scm.source_cmd == ["make", "sources"] and scm.use_common is True


def test_the_path_is_normalised_before_matching():
    scm = open_scm("git://src.example.com/rpms/../secret//x/./hello.git#main")
    assert scm.repository == "/secret/x/hello.git"


@pytest.mark.parametrize("url", ["http://src.example.com/x.git#a", "/tmp/x.src.rpm",
                                 "gitx://h/x#a"])
def test_other_schemes_are_not_scm_urls(url):
    with pytest.raises(TaskFailed, match="is not an SCM URL; it must start with one of"):
        open_scm(url)


def test_a_password_is_refused_and_never_shown():
    url = "git+https://alice:s3cret@src.example.com/rpms/hello.git#main"
    assert has_password(url)
    with pytest.raises(TaskFailed) as exc:
        open_scm(url)
    assert "s3cret" not in str(exc.value)
    assert "alice:****@src.example.com" in str(exc.value)
    assert "allow_password_in_scm_url" in str(exc.value)


def test_a_password_is_accepted_when_the_daemon_allows_it():
    scm = open_scm("git+https://alice:s3cret@src.example.com/rpms/hello.git#main",
                   allow_password=True)
    assert scm.user == "alice:s3cret"


def test_a_user_without_password_is_fine():
    assert not has_password("git+ssh://alice@src.example.com/rpms/hello.git#main")
    assert open_scm("git+ssh://alice@src.example.com/rpms/hello.git#main").user == "alice"


def test_redact_leaves_urls_without_password_alone():
    assert redact(BASE + "#main") == BASE + "#main"
    assert redact("git://u:p@h/a:b#c") == "git://u:****@h/a:b#c"
    assert redact('Error running GIT command "git clone -n https://u:p@h/x.git /d"') == \
        'Error running GIT command "git clone -n https://u:****@h/x.git /d"'


@pytest.mark.parametrize("url,message", [
    (BASE, "Could not find the fragment"),
    ("git+https://src.example.com#main", "Could not find the path"),
    ("git+https://a@b@src.example.com/x.git#main", "Invalid username@hostname"),
])
def test_malformed_urls_say_why(url, message):
    with pytest.raises(TaskFailed, match=message):
        open_scm(url)


@pytest.mark.parametrize("rev", ["../../etc", "main..other", "-upload-pack=x", "--help",
                                 "a:b", "/etc/passwd", "a\\b"])
def test_revisions_that_could_escape_or_inject_are_refused(rev):
    with pytest.raises(TaskFailed, match="the revision"):
        open_scm(f"{BASE}#{rev}")


@pytest.mark.parametrize("url", [BASE + "#a b", BASE + "#a\nb", BASE + "?a\tb#main",
                                 "git+https://src.example.com/rpms/he llo.git#main"])
def test_blanks_and_control_characters_are_refused(url):
    with pytest.raises(TaskFailed, match="contains blanks or control characters"):
        open_scm(url)


@pytest.mark.parametrize("rev", ["main", "origin/main", "v1.0", "HEAD", "HEAD~1", "a1b2c3d",
                                 "refs/tags/v1.0", "feature/x-y_z"])
def test_ordinary_revisions_pass(rev):
    assert open_scm(f"{BASE}#{rev}").revision == rev


@pytest.mark.parametrize("module", ["../../etc", "a/../../b", "/abs", "a//b", "./a", "-x",
                                    "a/.", ".."])
def test_modules_that_leave_the_checkout_are_refused(module):
    with pytest.raises(TaskFailed, match="the module"):
        open_scm(f"{BASE}?{module}#main")


@pytest.mark.parametrize("path,name", [("/rpms/hello.git", "hello"), ("/rpms/hello/.git", "hello"),
                                       ("/rpms/hello", "hello"), ("/...git", ".."),
                                       ("/.git", ""), ("/x/.git.git", ".git")])
def test_checkout_name_follows_the_library(path, name):
    assert checkout_name(path) == name


@pytest.mark.parametrize("path", ["/...git", "/x/...git", "/.git", "/%2e%2e.git"])
def test_paths_whose_checkout_dir_would_leave_scmdir_are_refused(path):
    with pytest.raises(TaskFailed, match="does not name a repository|Path should begin"):
        open_scm(f"git+https://src.example.com{path}#main")


def test_cvs_and_svn_need_a_module():
    with pytest.raises(TaskFailed, match="needs a module"):
        open_scm("svn+https://svn.example.com/repo#123")
    assert open_scm("svn+https://svn.example.com/repo?trunk/hello#123").module == "trunk/hello"


# -- allowed_scms -------------------------------------------------------------

def allowed(url: str, entries: str):
    scm = open_scm(url)
    authorise(scm, ScmRules(allowed=entries), session=None, policy_data={})
    return scm


def test_first_matching_entry_wins_and_sets_options():
    scm = allowed(BASE + "#main", "src.example.com:/rpms/*:no:make,fetch,all "
                                  "src.example.com:/rpms/*:yes")
    assert scm.use_common is False and scm.source_cmd == ["make", "fetch", "all"]


def test_an_empty_source_cmd_means_none():
    assert allowed(BASE + "#main", "src.example.com:/rpms/*:no:").source_cmd is None


def test_a_block_entry_before_an_allow_entry_denies():
    with pytest.raises(TaskFailed, match="is not in the list of allowed SCMs"):
        allowed(BASE + "#main", "!src.example.com:/rpms/hello* src.example.com:/rpms/*")


def test_an_unlisted_host_is_denied_with_host_and_path():
    with pytest.raises(TaskFailed) as exc:
        allowed("git://other.example.com:9418/rpms/hello.git#main", "src.example.com:/*")
    assert "other.example.com:9418:/rpms/hello.git is not in the list of allowed SCMs" \
        in str(exc.value)


def test_traversal_in_the_path_cannot_reach_an_allowed_pattern_from_outside():
    with pytest.raises(TaskFailed, match="not in the list"):
        allowed("git://src.example.com/rpms/../secret/x.git#main", "src.example.com:/rpms/*")


class PolicySession:
    """Answers evalPolicy like a hub would; records what it was asked."""

    def __init__(self, action):
        self.action = action
        self.asked = []

    def evalPolicy(self, name, data):
        self.asked.append((name, data))
        if isinstance(self.action, Exception):
            raise self.action
        return self.action


def test_policy_allow_with_options_overrides_config():
    session = PolicySession("allow use_common make,x sources")
    scm = open_scm(BASE + "#main")
    authorise(scm, ScmRules(allowed="src.example.com:/*:no:", by_policy=True), session,
              {"user_id": 3, "channel": "default", "scratch": True})
    assert scm.use_common is True and scm.source_cmd == ["make,x", "sources"]
    name, data = session.asked[0]
    assert name == "build_from_scm"
    assert data["scm_host"] == "src.example.com" and data["scm_repository"] == "/rpms/hello.git"
    assert (data["user_id"], data["channel"], data["scratch"]) == (3, "default", True)


def test_policy_deny_gives_the_reason():
    scm = open_scm(BASE + "#main")
    with pytest.raises(TaskFailed, match="not allowed, reason: only admins"):
        authorise(scm, ScmRules(by_config=False, by_policy=True),
                  PolicySession("deny only admins"), {})


def test_policy_none_disables_source_cmd():
    scm = open_scm(BASE + "#main")
    authorise(scm, ScmRules(by_config=False, by_policy=True), PolicySession("allow none"), {})
    assert scm.source_cmd is None and scm.use_common is False


def test_a_missing_policy_is_a_clear_failure():
    scm = open_scm(BASE + "#main")
    with pytest.raises(TaskFailed, match="cannot check the build_from_scm policy"):
        authorise(scm, ScmRules(by_config=False, by_policy=True),
                  PolicySession(koji.GenericError("no such policy: build_from_scm")), {})


def test_rules_come_from_kojid_options():
    class Options:
        allowed_scms = "a:/b"
        allowed_scms_use_config = False
        allowed_scms_use_policy = True
        allow_password_in_scm_url = True
    assert ScmRules.from_options(Options) == ScmRules("a:/b", False, True, True)


@pytest.mark.parametrize("url,common", [
    ("git+https://h/rpms/hello.git#a", "https://h/rpms/common.git"),
    ("git://h:9418/rpms/hello/.git#a", "git://h:9418/rpms/common/.git"),
    ("git+http://bob@h/rpms/hello#a", "http://bob@h/rpms/common"),
    ("git+ssh://bob@h/rpms/hello.git#a", "git+ssh://bob@h/rpms/common.git"),
])
def test_the_common_repository_sits_beside_the_main_one(url, common):
    assert common_repo_url(open_scm(url)) == common
