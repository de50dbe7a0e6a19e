"""`HubSim`: the test-facing facade that owns one simulated hub (state + server + certs).

A HubSim owns its `HubState`, its `HubServer` threads and (with tls) a `TestCA` directory.
`start()` binds free loopback ports, `stop()` closes them; it is also a context manager.
The helper methods act directly on the state under the hub lock, the way an admin with
database access would; daemons under test talk to it only over XML-RPC/HTTP.
"""

from __future__ import annotations

import pathlib
import time
import xmlrpc.client
from typing import Any, Iterable, Optional

import koji

# importing these modules registers their exported calls
from . import (buildextras, builds, buildroots, distrepos, events, hosts,  # noqa: F401
               notify, policy, repos, runroot, scheduler, sessions, signatures, subtasks,
               submit, tagged, tags, tasks, uploads)
from .api import get_user
from .certs import TestCA
from .server import FILES_PATH, HUB_PATH, HubServer
from .state import Clock, HubConfig, HubState

TIMEOUT_KEYS = {f for f in HubConfig.__dataclass_fields__}


class HubSim:
    """A Koji hub simulator on 127.0.0.1.  See the package docstring for the API."""

    def __init__(self, topdir: pathlib.Path, tls: bool = False, run_interval: float = 0,
                 ca_dir: Optional[pathlib.Path] = None,
                 gssapi_keytab: Optional[pathlib.Path] = None, **timeouts: Any) -> None:
        unknown = set(timeouts) - TIMEOUT_KEYS
        if unknown:
            raise TypeError('unknown HubSim settings: %s (known: %s)'
                            % (', '.join(sorted(unknown)), ', '.join(sorted(TIMEOUT_KEYS))))
        self.topdir = pathlib.Path(topdir)
        for sub in ('work', 'packages', 'repos', 'scratch'):
            (self.topdir / sub).mkdir(parents=True, exist_ok=True)
        self.clock = Clock()
        self.config = HubConfig(run_interval=run_interval, **timeouts)
        self.state = HubState(self.topdir, self.config, self.clock)
        self.tls = tls
        self.gssapi_keytab = gssapi_keytab
        self.ca = TestCA(ca_dir or self.topdir.parent / 'hubsim-ca') if tls else None
        self._server: Optional[HubServer] = None
        self._ports = (0, 0)
        self._clients: list[koji.ClientSession] = []
        with self.state.lock:
            hosts.add_user(self.state, 'kojiadmin', password='kojiadmin', admin=True)
            hosts.add_channel(self.state, 'default')
            hosts.add_channel(self.state, 'createrepo')

    # ------------------------------------------------------------ lifecycle

    def start(self) -> 'HubSim':
        """Start serving; after a `stop`, on the same ports with the same state (sessions
        included), as a hub restarted in front of its database."""
        ctx = self.ca.server_context() if self.ca else None
        self._server = HubServer(self.state, ctx, self._ports, self.gssapi_keytab)
        self._server.start()
        self._ports = (self._server.main_port, self._server.files_port)
        return self

    def stop(self) -> None:
        """Stop serving: clients get connection refused until `start`."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        for sess in self._clients:
            sess.setSession(None)  # the hub is gone: nothing to log out of
        self._clients.clear()

    def __enter__(self) -> 'HubSim':
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        scheme = 'https' if self.tls else 'http'
        return '%s://127.0.0.1:%d%s' % (scheme, self._running().main_port, HUB_PATH)

    @property
    def topurl(self) -> str:
        return 'http://127.0.0.1:%d%s' % (self._running().files_port, FILES_PATH)

    def _running(self) -> HubServer:
        if self._server is None:
            raise RuntimeError('HubSim is not started: call start() or use it as a '
                               'context manager')
        return self._server

    @property
    def ca_cert(self) -> Optional[pathlib.Path]:
        return self.ca.ca_cert if self.ca else None

    def client_cert(self, cn: str) -> pathlib.Path:
        if self.ca is None:
            raise RuntimeError('client certificates need HubSim(tls=True)')
        return self.ca.client_pem(cn)

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of simulator bugs hit while serving calls (should stay empty)."""
        return list(self.state.internal_errors)

    # ------------------------------------------------------------ sessions

    def session(self, user: str = 'kojiadmin', password: Optional[str] = 'kojiadmin',
                **opts: Any) -> koji.ClientSession:
        """A koji ClientSession logged in with a password (or, with tls and password=None,
        with the client certificate of `user`)."""
        sess = self.anon_session(**opts)
        if self.tls and password is None:
            sess.ssl_login(cert=str(self.client_cert(user)), serverca=str(self.ca_cert))
        else:
            sess.opts.update(user=user, password=password)
            sess.login()
        # Held until stop(): a ClientSession logs out in __del__, and a garbage collection
        # run inside a hub request thread (which holds the state lock) would then wait on
        # its own hub for the logout call: a deadlock.
        self._clients.append(sess)
        return sess

    def anon_session(self, **opts: Any) -> koji.ClientSession:
        base = {'max_retries': 0, 'retry_interval': 0, 'anon_retry': False}
        if self.tls:
            base['serverca'] = str(self.ca_cert)
        base.update(opts)
        return koji.ClientSession(self.url, opts=base)

    def host_session(self, name: str, force: bool = True, **opts: Any) -> koji.ClientSession:
        """A session of host `name` made exclusive, as kojid does at start-up."""
        host = self.state.hosts[self._host_id(name)]
        password = self.state.users[host.user_id]['password']
        sess = self.session(name, None if self.tls else password, **opts)
        sess.exclusiveSession(force=force)
        return sess

    # ------------------------------------------------------------ set-up helpers

    def add_user(self, name: str, password: Optional[str] = None, admin: bool = False) -> int:
        with self.state.lock:
            return hosts.add_user(self.state, name, password=password, admin=admin)

    def add_host(self, name: str, arches: str = 'x86_64', capacity: float = 2.0,
                 channels: Iterable[str] = ('default',), enabled: bool = True,
                 password: Optional[str] = None, krb_principal: Optional[str] = None) -> int:
        """Host + host user; the user's password defaults to the host name."""
        with self.state.lock:
            return hosts.add_host(self.state, name, arches, capacity, channels, enabled,
                                  password if password is not None else name, krb_principal)

    def grant_permission(self, user: str, permission: str) -> None:
        """Give ``user`` a permission (e.g. ``runroot``); admins have every one."""
        with self.state.lock:
            entry = self.state.users[self._user_id(user)]
            entry['perms'] = sorted(set(entry.get('perms', ())) | {permission})

    def add_channel(self, name: str) -> int:
        with self.state.lock:
            return hosts.add_channel(self.state, name)

    def set_host(self, name: str, **fields: Any) -> None:
        """Change host fields (enabled, ready, capacity, arches, update_ts, ...)."""
        with self.state.lock:
            host = self.state.hosts[self._host_id(name)]
            for key, value in fields.items():
                if not hasattr(host, key):
                    raise AttributeError('hosts have no field %r' % key)
                setattr(host, key, value)

    def _host_id(self, name: Any) -> int:
        return hosts.find_host(self.state, name, strict=True).id

    def add_tag(self, name: str, arches: Optional[str] = 'x86_64', parents: Iterable = (),
                extra: Optional[dict] = None, locked: bool = False) -> int:
        """A tag; `parents` are names or (name, priority) pairs, first = highest priority."""
        with self.state.lock:
            return tags.add_tag(self.state, name, arches, parents, extra, locked)

    def edit_tag(self, name: Any, extra: Optional[dict] = None, remove_extra: Iterable = (),
                 arches: Optional[str] = None) -> int:
        with self.state.lock:
            return tags.edit_tag(self.state, name, extra, remove_extra, arches)

    def add_target(self, name: str, build_tag: Any, dest_tag: Any) -> int:
        with self.state.lock:
            return tags.add_target(self.state, name, build_tag, dest_tag)

    def add_package(self, tag: Any, package: str, owner: str = 'kojiadmin',
                    block: bool = False, extra_arches: Optional[str] = None) -> int:
        with self.state.lock:
            return tags.add_package(self.state, tag, package, owner, block, extra_arches)

    def add_notification(self, user: str, email: Optional[str] = None, package: Any = None,
                         tag: Any = None, success_only: bool = False) -> None:
        with self.state.lock:
            notify.add_notification(self.state, user, email, package, tag, success_only)

    def add_group(self, tag: Any, group: str, packages: Iterable[str]) -> None:
        with self.state.lock:
            tags.add_group(self.state, tag, group, packages)

    def add_external_repo(self, name: str, url: str) -> int:
        with self.state.lock:
            return tags.add_external_repo(self.state, name, url)

    def add_tag_external_repo(self, tag: Any, repo: Any, priority: int,
                              merge_mode: str = 'koji', arches: Optional[str] = None) -> None:
        with self.state.lock:
            tags.add_tag_external_repo(self.state, tag, repo, priority, merge_mode, arches)

    def set_policy(self, name: str, rule: Any) -> None:
        """Replace policy `name`: an action string ('allow', 'deny reason') or a callable
        taking the policy data dict (plus 'is_admin') and returning one."""
        with self.state.lock:
            policy.set_policy(self.state, name, rule)

    def import_rpms(self, srpm: pathlib.Path, rpms: Iterable[pathlib.Path] = (),
                    owner: str = 'kojiadmin') -> dict:
        """Import a COMPLETE build from local files (like `koji import`); returns getBuild."""
        with self.state.lock:
            return builds.import_local(self.state, pathlib.Path(srpm),
                                       [pathlib.Path(r) for r in rpms], owner)

    def tag_build(self, tag: Any, build: Any, owner: str = 'kojiadmin',
                  force: bool = False) -> int:
        """Tag a build directly (no policy; the package must be listed in the tag unless
        `force`); returns the event."""
        with self.state.lock:
            return tagged.tag_build(self.state, tag, build, owner, force)

    def make_repo(self, tag: Any, repodata: bool = False) -> dict:
        """A READY repo of `tag` at the current event, as if newRepo had run; its
        repodata is only generated (createrepo_c on this host) when `repodata` is true."""
        with self.state.lock:
            return repos.make_ready_repo(self.state, tag, repodata)

    # ------------------------------------------------------------ tasks

    def make_task(self, method: str, args: list, owner: str = 'kojiadmin',
                  channel: str = 'default', arch: str = 'noarch', priority: int = 20,
                  parent: Optional[int] = None, label: Optional[str] = None) -> int:
        with self.state.lock:
            uid = self._user_id(owner)
            return tasks.make_task(self.state, method, list(args), uid, channel, arch,
                                   priority, parent, label)

    def build(self, src: str, target: Any, opts: Optional[dict] = None,
              owner: str = 'kojiadmin') -> int:
        with self.state.lock:
            return submit.submit_build(self.state, self._user_id(owner), src, target, opts)

    def chain_build(self, srcs_groups: list, target: Any, opts: Optional[dict] = None,
                    owner: str = 'kojiadmin') -> int:
        with self.state.lock:
            return submit.submit_chain_build(self.state, self._user_id(owner),
                                             [list(g) for g in srcs_groups], target, opts)

    def regen_repo(self, tag: Any, owner: str = 'kojiadmin') -> int:
        with self.state.lock:
            return submit.submit_new_repo(self.state, self._user_id(owner), tag)

    def dist_repo(self, tag: Any, keys: Iterable[str], **task_opts: Any) -> int:
        """`koji dist-repo TAG KEYS...` as kojiadmin: the distRepo task id."""
        return self.session().distRepo(tag, list(keys), **task_opts)

    def import_sig(self, signed_rpm: pathlib.Path) -> str:
        """`koji import-sig`: store the signature of a signed copy of an imported rpm and
        write `data/signed/<key>/...`; returns the key id."""
        with self.state.lock:
            return signatures.import_signed_copy(self.state, str(signed_rpm))

    def _user_id(self, name: Any) -> int:
        return get_user(self.state, name, strict=True)['id']

    def task_info(self, task_id: int, request: bool = False) -> dict:
        with self.state.lock:
            return tasks.task_row(tasks.get_task(self.state, task_id), request)

    def task_result(self, task_id: int) -> Any:
        """The decoded result; a failed task raises its koji exception."""
        with self.state.lock:
            task = tasks.get_task(self.state, task_id)
            try:
                return tasks.task_result(task)
            except xmlrpc.client.Fault as fault:
                raise koji.convertFault(fault) from None

    def children(self, task_id: int) -> list[dict]:
        with self.state.lock:
            return [t.row() for t in tasks.children_of(self.state, task_id)]

    def wait_task(self, task_id: int, timeout: float = 60,
                  states: Iterable[str] = ('CLOSED', 'FAILED', 'CANCELED')) -> dict:
        wanted = {koji.TASK_STATES[s] for s in states}
        deadline = time.monotonic() + timeout
        while True:
            info = self.task_info(task_id)
            if info['state'] in wanted:
                return info
            if time.monotonic() > deadline:
                raise TimeoutError('task %d still %s after %ss (wanted %s)'
                                   % (task_id, koji.TASK_STATES[info['state']], timeout,
                                      '/'.join(states)))
            time.sleep(0.05)

    def cancel_task(self, task_id: int) -> None:
        with self.state.lock:
            tasks.cancel(self.state, tasks.get_task(self.state, task_id))

    def run_scheduler(self) -> bool:
        """Force one scheduler run (admin scheduler.doRun(force=True))."""
        with self.state.lock:
            return scheduler.maybe_run(self.state, force=True)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def refusals(self, task_id: Optional[int] = None) -> list[dict]:
        with self.state.lock:
            return [dict(r) for r in self.state.refusals
                    if task_id is None or r['task_id'] == task_id]

    def scheduler_log(self) -> list[dict]:
        with self.state.lock:
            return [dict(m) for m in self.state.scheduler_log]
