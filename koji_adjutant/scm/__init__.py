"""SCM sources of a build: a URL vetted and allowed, a checkout, the spec file in it.

koji's own ``koji.daemon.SCM`` parses URLs, applies ``allowed_scms`` and the
hub's ``build_from_scm`` policy, checks out and resolves the commit; we use
it unchanged and wrap it so that handlers see three small steps with
packager-readable errors (``TaskFailed``):

* ``url.open_scm`` / ``url.authorise``: parse, refuse passwords and anything
  that could leave the checkout directory, then allow-list and policy (ADR 0006);
* ``checkout.fetch`` / ``checkout.hand_over``: the checkout on the host into a
  directory the caller owns, confined to it, then chowned to the build user;
* ``spec.find_spec`` / ``spec.check_spec``: which spec to build and whether it
  tries to set Packager, Vendor or Distribution.
"""

from koji_adjutant.scm.checkout import fetch, hand_over, resolved_source
from koji_adjutant.scm.spec import check_spec, find_spec, sources_dir
from koji_adjutant.scm.url import ScmRules, authorise, open_scm

__all__ = ["ScmRules", "authorise", "check_spec", "fetch", "find_spec", "hand_over",
           "open_scm", "resolved_source", "sources_dir"]
