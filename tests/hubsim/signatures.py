"""RPM signatures: the rpmsigs table, cached signature headers and signed copies.

Owns `rpm_sigs` of `HubState` and the files under `packages/N/V/R/data/sigcache/<key>/` and
`data/signed/<key>/`.  Every imported rpm gets a row with sigkey '' (its own header, as
the hub's import stores it).  `addRPMSig` stores another signature header (the hub's
`koji import-sig` step 1), `writeSignedRPM` / `host.writeSignedRPM` splice it into a signed
copy (step 2).  `queryRPMSigs` and `listTaggedRPMS(rpmsigs=True)` read the rows.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any, Optional

import koji

from .api import Context, exported
from .builds import find_rpms
from .imports import build_dir
from .state import HubState


def sig_key(sighdr: bytes) -> str:
    """The key id (8 lower-case hex digits) a signature header was made with, or ''."""
    raw = koji.RawHeader(sighdr)
    for tag in (koji.RPM_SIGTAG_GPG, koji.RPM_SIGTAG_PGP, koji.RPM_SIGTAG_RSA,
                koji.RPM_SIGTAG_DSA):
        packet = raw.get(tag)
        if packet:
            return koji.get_sigpacket_key_id(packet).lower()
    return ''


def _rpm(state: HubState, info: Any) -> dict:
    found = [r for r in find_rpms(state, info) if not r['external_repo_id']]
    if not found:
        raise koji.GenericError('No such rpm: %s' % (info,))
    return found[0]


def _sighdr_path(state: HubState, rpm: dict, sigkey: str) -> str:
    build = state.builds[rpm['build_id']]
    return os.path.join(build_dir(state, build), koji.pathinfo.sighdr(rpm, sigkey))


def record_sig(state: HubState, rpm_id: int, sigkey: str, sighdr: bytes) -> None:
    state.rpm_sigs = [s for s in state.rpm_sigs
                      if not (s['rpm_id'] == rpm_id and s['sigkey'] == sigkey)]
    state.rpm_sigs.append({'rpm_id': rpm_id, 'sigkey': sigkey,
                           'sighash': hashlib.md5(sighdr).hexdigest()})


def add_rpm_sig(state: HubState, an_rpm: Any, sighdr: bytes) -> str:
    """Store a signature header for a known rpm; returns its sigkey."""
    rpm = _rpm(state, an_rpm)
    sigmd5 = koji.RawHeader(sighdr).get(koji.RPM_SIGTAG_MD5)
    if sigmd5 is None or koji.hex_string(sigmd5) != rpm['payloadhash']:
        raise koji.GenericError('wrong md5 for %(name)s-%(version)s-%(release)s.%(arch)s'
                                % rpm)
    key = sig_key(sighdr)
    path = _sighdr_path(state, rpm, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as fo:
        fo.write(sighdr)
    record_sig(state, rpm['id'], key, sighdr)
    return key


def write_signed_rpm(state: HubState, an_rpm: Any, sigkey: str, force: bool = False) -> None:
    """Splice the stored signature header for `sigkey` into `data/signed/<key>/...`."""
    rpm = _rpm(state, an_rpm)
    sigkey = sigkey.lower()
    sighdr = _sighdr_path(state, rpm, sigkey)
    if not os.path.exists(sighdr):
        raise koji.GenericError('No cached signature for package %s-%s-%s.%s, key %s'
                                % (rpm['name'], rpm['version'], rpm['release'], rpm['arch'],
                                   sigkey))
    build = build_dir(state, state.builds[rpm['build_id']])
    signed = os.path.join(build, koji.pathinfo.signed(rpm, sigkey))
    if os.path.exists(signed) and not force:
        return
    os.makedirs(os.path.dirname(signed), exist_ok=True)
    with open(sighdr, 'rb') as fo:
        koji.splice_rpm_sighdr(fo.read(), os.path.join(build, koji.pathinfo.rpm(rpm)), signed)


def import_signed_copy(state: HubState, path: str) -> str:
    """`koji import-sig <path>`: store its header, write the signed copy; the sigkey."""
    hdr = koji.get_rpm_header(path)
    fields = koji.get_header_fields(hdr, ['name', 'version', 'release', 'arch', 'sourcepackage'])
    if fields['sourcepackage']:
        fields['arch'] = 'src'
    nvra = '%(name)s-%(version)s-%(release)s.%(arch)s' % fields
    key = add_rpm_sig(state, nvra, koji.rip_rpm_sighdr(path))
    write_signed_rpm(state, nvra, key)
    return key


def sig_rows(state: HubState, rpm_id: Optional[int] = None,
             sigkey: Optional[str] = None) -> list[dict]:
    return [dict(s) for s in state.rpm_sigs
            if (rpm_id is None or s['rpm_id'] == rpm_id)
            and (sigkey is None or s['sigkey'] == sigkey)]


# ---------------------------------------------------------------- exported calls

@exported('queryRPMSigs')
def query_rpm_sigs(ctx: Context, rpm_id: Any = None, sigkey: Optional[str] = None,
                   sighash: Optional[str] = None) -> list:
    rid = None if rpm_id is None else _rpm(ctx.state, rpm_id)['id']
    return [s for s in sig_rows(ctx.state, rid, sigkey)
            if sighash is None or s['sighash'] == sighash]


@exported('addRPMSig')
def add_rpm_sig_call(ctx: Context, an_rpm: Any, data: str) -> None:
    ctx.assert_admin()
    add_rpm_sig(ctx.state, an_rpm, base64.b64decode(data))


@exported('writeSignedRPM')
def write_signed_rpm_call(ctx: Context, an_rpm: Any, sigkey: str, force: bool = False) -> None:
    ctx.assert_admin()
    write_signed_rpm(ctx.state, an_rpm, sigkey, force)


@exported('host.writeSignedRPM', host=True)
def host_write_signed_rpm(ctx: Context, an_rpm: Any, sigkey: str, force: bool = False) -> None:
    write_signed_rpm(ctx.state, an_rpm, sigkey, force)
