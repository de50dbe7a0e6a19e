"""createrepo_c / mergerepo_c command lines and version parsing (repos.commands)."""

import pytest

from koji_adjutant.repos import commands
from koji_adjutant.repos.commands import CreaterepoArgs


def test_plain_createrepo_through_the_arch_dir():
    argv = commands.createrepo_argv(CreaterepoArgs(
        outdir="/w/repo", target="/mnt/koji/repos/t/1/x86_64",
        pkglist="/mnt/koji/repos/t/1/x86_64/pkglist", comps="/mnt/koji/repos/t/1/groups/c.xml"))
    assert argv == ["createrepo_c", "--error-exit-val", "-vd", "-o", "/w/repo",
                    "-i", "/mnt/koji/repos/t/1/x86_64/pkglist",
                    "-g", "/mnt/koji/repos/t/1/groups/c.xml", "/mnt/koji/repos/t/1/x86_64"]


def test_update_and_skip_stat_come_together_and_skip_stat_alone_is_ignored():
    update = commands.createrepo_argv(CreaterepoArgs("/o", "/t", update=True, skip_stat=True))
    assert update[-3:] == ["--update", "--skip-stat", "/t"]
    alone = commands.createrepo_argv(CreaterepoArgs("/o", "/t", skip_stat=True))
    assert "--skip-stat" not in alone and "--update" not in alone


def test_deltas_and_zchunk_options():
    argv = commands.createrepo_argv(CreaterepoArgs(
        "/o", "/t", deltas=("/old/a", "/old/b"), zck=True, zck_dict_dir="/dicts"))
    assert argv[5:] == ["--deltas", "--oldpackagedirs", "/old/a", "--oldpackagedirs", "/old/b",
                        "--zck", "--zck-dict-dir", "/dicts", "/t"]


@pytest.mark.parametrize("modes, expected", [([], "koji"), ([None, "koji"], "koji"),
                                             (["simple", "simple"], "simple"), (["bare"], "bare")])
def test_merge_mode_of_a_tag(modes, expected):
    assert commands.merge_mode(modes) == expected


def test_mixed_or_unknown_merge_modes_are_errors_naming_them():
    with pytest.raises(ValueError, match="bare, koji"):
        commands.merge_mode(["koji", "bare"])
    with pytest.raises(ValueError, match="unknown external repo merge_mode 'fancy'"):
        commands.merge_mode(["fancy"])


def test_mergerepo_modes():
    repos = ["file:///w/premerge/", "http://ext/x86_64/"]
    koji_mode = commands.mergerepo_argv("koji", "x86_64", "/w/repo", repos, blocklist="/b",
                                        comps="/c.xml")
    assert koji_mode == ["mergerepo_c", "--koji", "-b", "/b", "-a", "x86_64", "-o", "/w/repo",
                         "--arch-expand", "-g", "/c.xml", "-r", repos[0], "-r", repos[1]]
    simple = commands.mergerepo_argv("simple", "x86_64", "/w/repo", repos, blocklist="/b")
    assert simple[:5] == ["mergerepo_c", "--koji", "--simple", "-b", "/b"]
    bare = commands.mergerepo_argv("bare", "x86_64", "/w/repo", repos, blocklist="/b",
                                   arch_expand=False)
    assert bare[:3] == ["mergerepo_c", "--pkgorigins", "--all"]
    assert "-b" not in bare and "--arch-expand" not in bare


def test_version_and_features_of_the_tools():
    text = "Version: 0.17.3 (Features: DeltaRPM LegacyWeakdeps )"
    assert commands.version_tuple(text) == (0, 17, 3)
    assert commands.features(text) == {"deltarpm", "legacyweakdeps"}
    assert commands.features("Version: 1.0.0 (Features: Zchunk)") == {"zchunk"}
    with pytest.raises(ValueError, match="no version number"):
        commands.version_tuple("mergerepo_c: command not found")
