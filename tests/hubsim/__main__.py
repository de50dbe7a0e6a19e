"""`python -m hubsim`: run a simulator, or submit tasks to a running one over XML-RPC.

Subcommands (exit 0 on success, 1 on a hub fault, 2 on bad usage):

    serve --topdir DIR [--tls] [--host NAME[:ARCHES]]... [--tag NAME --target NAME]
        start a hub, print {"url", "topurl", "ca_cert"} as one JSON line, run until SIGTERM
    build --server URL [--user U --password P --serverca CA] TARGET SRC [--scratch]
    chain-build --server URL ... TARGET SRC [SRC | :]...      (':' separates build levels)
    regen-repo --server URL ... TAG
    make-task --server URL ... METHOD JSON_ARGS [--channel C] [--arch A] [--priority N]
    cancel --server URL ... TASK_ID
    task-info --server URL TASK_ID                             (JSON on stdout)

Task-creating subcommands print the new task id.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import signal
import sys
import threading
from typing import Optional

import koji

from .hub import HubSim


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m hubsim')
    sub = parser.add_subparsers(dest='command', required=True)
    serve = sub.add_parser('serve')
    serve.add_argument('--topdir', required=True, type=pathlib.Path)
    serve.add_argument('--tls', action='store_true')
    serve.add_argument('--host', action='append', default=[])
    serve.add_argument('--tag')
    serve.add_argument('--target')
    for name in ('build', 'chain-build', 'regen-repo', 'make-task', 'cancel', 'task-info'):
        cmd = sub.add_parser(name)
        cmd.add_argument('--server', required=True)
        cmd.add_argument('--user', default='kojiadmin')
        cmd.add_argument('--password', default='kojiadmin')
        cmd.add_argument('--serverca', help='CA bundle of an https hub')
    sub.choices['build'].add_argument('target')
    sub.choices['build'].add_argument('src')
    sub.choices['build'].add_argument('--scratch', action='store_true')
    sub.choices['chain-build'].add_argument('target')
    sub.choices['chain-build'].add_argument('srcs', nargs='+')
    sub.choices['regen-repo'].add_argument('tag')
    task = sub.choices['make-task']
    task.add_argument('method')
    task.add_argument('args', type=json.loads)
    task.add_argument('--channel')
    task.add_argument('--arch')
    task.add_argument('--priority', type=int)
    sub.choices['cancel'].add_argument('task_id', type=int)
    sub.choices['task-info'].add_argument('task_id', type=int)
    return parser


def serve(args: argparse.Namespace) -> int:
    hub = HubSim(args.topdir, tls=args.tls)
    for spec in args.host:
        name, _, arches = spec.partition(':')
        hub.add_host(name, arches=arches or 'x86_64', channels=('default', 'createrepo'))
    if args.tag:
        hub.add_tag(args.tag)
        if args.target:
            hub.add_target(args.target, args.tag, args.tag)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with hub:
        print(json.dumps({'url': hub.url, 'topurl': hub.topurl,
                          'ca_cert': str(hub.ca_cert) if hub.ca_cert else None}), flush=True)
        stop.wait()
    return 0


def _levels(srcs: list[str]) -> list[list[str]]:
    levels: list[list[str]] = [[]]
    for src in srcs:
        if src == ':':
            levels.append([])
        else:
            levels[-1].append(src)
    if not all(levels):
        raise ValueError('empty build level in %r' % srcs)
    return levels


def client(args: argparse.Namespace) -> int:
    opts = {'user': args.user, 'password': args.password, 'max_retries': 0}
    if args.serverca:
        opts['serverca'] = args.serverca
    session = koji.ClientSession(args.server, opts=opts)
    session.login()
    result: Optional[object]
    if args.command == 'build':
        opts = {'scratch': True} if args.scratch else {}
        result = session.build(args.src, args.target, opts)
    elif args.command == 'chain-build':
        result = session.chainBuild(_levels(args.srcs), args.target, {})
    elif args.command == 'regen-repo':
        result = session.newRepo(args.tag)
    elif args.command == 'make-task':
        opts = {k: getattr(args, k) for k in ('channel', 'arch', 'priority')
                if getattr(args, k) is not None}
        result = session.makeTask(args.method, args.args, **opts)
    elif args.command == 'cancel':
        result = session.cancelTask(args.task_id)
    else:
        result = json.dumps(session.getTaskInfo(args.task_id, request=True, strict=True))
    if result is not None:
        print(result)
    session.logout()
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return serve(args) if args.command == 'serve' else client(args)
    except ValueError as ex:
        print('error: %s' % ex, file=sys.stderr)
        return 2
    except koji.GenericError as ex:
        print('hub fault %s: %s' % (ex.faultCode, ex), file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
