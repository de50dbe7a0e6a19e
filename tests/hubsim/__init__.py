"""hubsim: a Koji hub simulator for tests (XML-RPC over HTTP/HTTPS, topdir over HTTP).

It behaves like a koji 1.35 hub for every call a kojid-style builder makes, as described in
/work/shared/reference/kojid-contract.md (sections 1.11-1.14, 2, 3, 4.1, 6 and the live
observations of section 10).  koji's own `ClientSession` works against it unchanged
(password and ssl_login, exclusive sessions, subsessions, fast uploads, getTaskResult).

Python API (see `hub.HubSim` for signatures)::

    from hubsim import HubSim
    with HubSim(topdir, tls=False, run_interval=0, ca_dir=None, gssapi_keytab=None,
                **hub_settings) as hub:
        hub.url, hub.topurl, hub.topdir, hub.ca_cert, hub.client_cert(cn)
        hub.add_user(name, password=None, admin=False) -> id   # kojiadmin/kojiadmin exists
        hub.add_host(name, arches='x86_64', capacity=2.0, channels=('default',),
                     enabled=True, password=None, krb_principal=None) -> id
                                    # password defaults to name
        hub.add_channel(name) -> id                           # default, createrepo exist
        hub.set_host(name, **fields)
        hub.add_tag(name, arches='x86_64', parents=(), extra=None, locked=False) -> id
                                    # parents: names or (name, priority) pairs
        hub.edit_tag(name, extra=None, remove_extra=(), arches=None) -> event
        hub.add_target(name, build_tag, dest_tag) -> id
        hub.add_package(tag, package, owner='kojiadmin', block=False, extra_arches=None)
        hub.add_group(tag, group, packages)
        hub.add_notification(user, email=None, package=None, tag=None, success_only=False)
        hub.add_external_repo(name, url) -> id
        hub.add_tag_external_repo(tag, repo, priority, merge_mode='koji', arches=None)
        hub.set_policy(name, 'allow' | 'deny why' | callable(data) -> action | None)
        hub.import_rpms(srpm, rpms=(), owner='kojiadmin') -> build dict
        hub.tag_build(tag, build, owner='kojiadmin', force=False) -> event
        hub.make_repo(tag, repodata=False) -> repo dict   # READY repo (+ createrepo_c)
        hub.make_task(method, args, owner='kojiadmin', channel='default', arch='noarch',
                      priority=20, parent=None, label=None) -> task id
        hub.build(src, target, opts=None) / hub.chain_build(srcs_groups, target, opts=None)
        hub.regen_repo(tag) -> task id
        hub.grant_permission(user, perm)   # e.g. 'runroot' for the `runroot` call
        hub.dist_repo(tag, keys, **task_opts) -> distRepo task id   # `koji dist-repo`
        hub.import_sig(signed_rpm_path) -> sigkey   # `koji import-sig` + signed copy
        hub.task_info(id, request=False), hub.task_result(id), hub.children(id)
        hub.wait_task(id, timeout=60, states=('CLOSED', 'FAILED', 'CANCELED'))
        hub.cancel_task(id), hub.run_scheduler(), hub.advance(seconds)
        hub.refusals(task_id=None), hub.scheduler_log(), hub.internal_errors
        hub.stop(); hub.start()   # a hub restart: refused connections, then the same
                                  # ports and state (sessions included)
        hub.session(user='kojiadmin', password='kojiadmin') -> logged-in ClientSession
        hub.host_session(name, force=True) -> exclusive host ClientSession
        hub.anon_session()

`ca_dir` (tls only) is where the test CA lives, reused if present (default: next to
topdir).  With `gssapi_keytab` (tls only) /kojihub/ssllogin also takes SPNEGO logins as
mod_auth_gssapi does (401 challenge, token accepted with that service keytab), and
sslLogin maps the principal to the user holding it (`krb_principal`).  `hub.state` is the live `state.HubState` (hold `hub.state.lock` to inspect it).
`hub_settings` are the `state.HubConfig` fields: max_jobs, capacity_overcommit,
ready_timeout, assign_timeout, soft_refusal_timeout, host_timeout, auto_arch_refusals,
auto_repo_tasks, missing_policy_ok, disable_notifications (default True), email_domain,
notify_on_success, koji_web_url (notify.py).  Fixtures (`hubsim.fixtures`): hub, hub_tls,
small_rpms.  `hubsim.signing.TestSigner(gnupg_home)` signs RPMs for real (rpmsign);
dist repos, signatures and signed copies are in `distrepos.py` and `signatures.py`.
The hub's runroot plugin call `runroot(tag, arch, command, channel=None, **opts)` creates
`runroot` tasks (runroot.py).  CLI: `python -m hubsim serve|build|chain-build|regen-repo|make-task ...`.

Knowingly simpler than the real hub:

* No database and no transactions: calls validate before they change state so a faulting
  call changes nothing, but that is by construction, not by rollback (set/
  updateBuildRootList explicitly drop the external rpms they created).  The deliberate
  exception is completeBuild's file moves (not undone, as on the real hub).  All calls are
  serialised by one lock.
* Fault codes and the texts of section 10 are reproduced; texts the contract does not
  quote (e.g. "No such build", "Unknown user", "Invalid upload directory") are plausible
  wordings, not verified ones.
* Call numbers: an older `callnum` gives SequenceError; the hub's RetryError for a repeated
  callnum after a committed call is not simulated.  Session renewal/expiry is not simulated.
* Scheduler ranking is load + task count (no pending-demand term); `methods` in host data
  are ignored (as the live hub does).  Hub-side `priority` and `channel` policies are the
  defaults only (subtask priority = parent - 1, explicit channel wins, else parent's).
  Automatic arch refusals are off unless `auto_arch_refusals=True`.
* Policies are Python callables/strings, not koji policy rule text; the `tag` policy is
  missing by default (allowed through MissingPolicyOk).
* host.tagNotification calls are recorded (`state.notifications`).  Notification tasks are
  created only with `disable_notifications=False`; recipients are simpler (notify.py).
* repo.request with min_event=None accepts any READY repo (no RepoLag); each new request
  immediately gets a newRepo task (channel createrepo, priority 15) instead of kojira's
  queue; a request whose task failed becomes inactive (no retries).  repoInit puts
  rpms of the canonical arch plus noarch in each arch dir (no multilib).  Dist repos:
  `distRepo` needs admin (no dist-repo permission), does not cancel other dist repo tasks
  and knows only the default volume; signatures are stored per (rpm, key) without the
  hub's sighash checks across keys.  No maven; repos are never expired or deleted.
* Tag inheritance has no maxdepth/intransitive/noconfig/pkg_filter; targets are not
  versioned; getBuildConfig's `extra` has no blocked keys.  Group comps are generated with
  every package mandatory.
* completeBuild's noarch duplicate check always runs rpmdiff (no noarch_rpmdiff.json
  short-circuit).
* Only the rpm build type: listArchives and the maven/win/image build queries always find
  nothing; no content generators or volumes other than DEFAULT.  Permissions are just
  "admin or not" (cancelTask: owner, admin or the host holding the task).
* With tls, topurl is served by a second, plain-HTTP listener.
"""

from .hub import HubSim

__all__ = ['HubSim']
