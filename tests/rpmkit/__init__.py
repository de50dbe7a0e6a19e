"""rpmkit: builders of test inputs — spec files, SRPMs, RPMs and koji repositories.

Used by the integration and end-to-end tests (buildArch, rebuildSRPM, newRepo, ...)::

    from rpmkit import Package, build_srpm, build_rpms, make_koji_repo
    pkg = Package('hello', arch='c', buildrequires=('make',))
    srpm = build_srpm(pkg, workdir)                 # host rpmbuild -bs
    built = build_rpms(pkg, workdir)                # host rpmbuild -ba -> BuiltPackage
    repo = make_koji_repo(hub, 'f-build', [built], {'build': ['bash', 'make', 'hello']})
    repo['url']    # <topurl>/repos/f-build/<id>/x86_64, with repodata and comps

Fixtures (import into a conftest.py: ``from rpmkit.fixtures import rpm_factory``):
``rpm_factory`` is a session-wide `RpmFactory` (``.srpm(pkg)``, ``.rpms(pkg)``, cached).
Modules: `package` (Package, spec text), `build` (rpmbuild on the host), `repo`
(make_koji_repo, createrepo, dnf_config).
"""

from .build import BuiltPackage, RpmBuildError, RpmFactory, build_rpms, build_srpm
from .package import Package, render_spec
from .repo import CreaterepoError, createrepo, dnf_config, make_koji_repo

__all__ = ['BuiltPackage', 'CreaterepoError', 'Package', 'RpmBuildError', 'RpmFactory',
           'build_rpms', 'build_srpm', 'createrepo', 'dnf_config', 'make_koji_repo',
           'render_spec']
