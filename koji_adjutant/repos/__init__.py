"""Repository generation: what newRepo, createrepo, distRepo and createdistrepo share.

* ``commands``: the createrepo_c / mergerepo_c command lines (pure functions).
* ``oldrepo``: which earlier repo a new one updates from, and whether its repodata can be
  cloned as it is (``copy_old_repodata``).
* ``external``: external repos of a tag as a createrepo task merges them.
* ``distsel``: the package set of a dist repo (signed copies by key order, missing
  signatures, debuginfo split, ``kojipkgs`` and ``pkglist``).
* ``runner``: where a repo task runs its tools: a container (``RepoContainer``) or the
  host (``HostRepoTools``), as kojid.

See docs/adr/0007-repositories.md.
"""
