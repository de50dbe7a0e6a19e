"""rpmkit packages: the specs are real specs and the host's rpmbuild builds them."""

from __future__ import annotations

import pathlib
import subprocess

import koji
import pytest
import rpm

from rpmkit import Package, RpmBuildError, build_rpms, build_srpm, render_spec


def query(path: pathlib.Path, *args: str) -> list[str]:
    out = subprocess.run(['rpm', '-qp', *args, str(path)], capture_output=True, text=True,
                         check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def headers(path: pathlib.Path, *fields: str) -> dict:
    return koji.get_header_fields(str(path), list(fields))


@pytest.mark.parametrize('kind', ['noarch', 'c'])
def test_spec_has_every_section_and_parses(kind, tmp_path):
    pkg = Package('demo', arch=kind, buildrequires=('make',), requires=('bash',))
    text = render_spec(pkg)
    for needed in ('Name:', 'Version:', 'Release:', 'Summary:', 'License:', '%description',
                   '%prep', '%build', '%install', '%files', '%changelog'):
        assert needed in text, needed
    spec = tmp_path / 'demo.spec'
    spec.write_text(text)
    parsed = subprocess.run(['rpmspec', '-q', '--srpm', '--qf', '%{name} %{version}\n',
                             str(spec)], capture_output=True, text=True, check=True)
    assert parsed.stdout.split() == ['demo', '1.0']


def test_noarch_package_carries_its_dependencies(rpm_factory):
    pkg = Package('deps', buildrequires=('make', 'pkgconfig(zlib)'), requires=('bash',),
                  provides=('deps-capability = 2.0',), files={'/etc/deps.conf': 'a = 1\n'})
    built = rpm_factory.rpms(pkg)
    assert built.nvr == 'deps-1.0-1'
    (binary,) = built.rpms
    assert binary.name == 'deps-1.0-1.noarch.rpm'
    assert 'deps-capability = 2.0' in query(binary, '--provides')
    assert 'bash' in query(binary, '--requires')
    assert {'/etc/deps.conf', '/usr/share/deps/deps.txt'} <= set(query(binary, '-l'))
    assert payload_file(binary, '/etc/deps.conf') == b'a = 1\n'
    assert {'make', 'pkgconfig(zlib)'} <= set(query(built.srpm, '--requires'))


def test_c_package_compiles_a_program_that_runs(rpm_factory, tmp_path):
    built = rpm_factory.rpms(Package('greeter', arch='c'))
    (binary,) = built.rpms
    assert binary.name == 'greeter-1.0-1.%s.rpm' % koji.canonArch(_host_arch())
    assert '/usr/bin/greeter' in query(binary, '-l')
    assert 'gcc' in query(built.srpm, '--requires')
    program = tmp_path / 'greeter'
    program.write_bytes(payload_file(binary, '/usr/bin/greeter'))
    program.chmod(0o755)
    run = subprocess.run([str(program)], capture_output=True, text=True, check=True)
    assert run.stdout == 'hello from greeter\n'


def payload_file(path: pathlib.Path, name: str) -> bytes:
    """The content of file `name` in the payload of the RPM at `path`."""
    ts = rpm.TransactionSet()
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    with open(path, 'rb') as fo:
        hdr = ts.hdrFromFdno(fo.fileno())
        archive = rpm.files(hdr).archive(rpm.fd(fo, 'r', flags=hdr['payloadcompressor']))
        for entry in archive:
            if entry.name == name:
                return archive.read()
    raise AssertionError('%s has no %s' % (path, name))


def _host_arch() -> str:
    return subprocess.run(['uname', '-m'], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_dist_and_arch_headers_reach_the_srpm(tmp_path):
    pkg = Package('picky', version='2.1', epoch=3, arch='c', exclusive_arch=('x86_64', 'aarch64'),
                  exclude_arch='s390x')
    srpm = build_srpm(pkg, tmp_path, dist='.fc40')
    assert srpm.name == 'picky-2.1-1.fc40.src.rpm'
    found = headers(srpm, 'exclusivearch', 'excludearch', 'epoch', 'release')
    assert found == {'exclusivearch': ['x86_64', 'aarch64'], 'excludearch': ['s390x'],
                     'epoch': 3, 'release': '1.fc40'}


def test_build_arch_override_and_extra_spec(rpm_factory):
    pkg = Package('onlyone', build_arch=_host_arch(), extra_spec='Obsoletes: oldone < 1')
    built = rpm_factory.rpms(pkg)
    assert [p.name for p in built.rpms] == ['onlyone-1.0-1.%s.rpm' % _host_arch()]
    assert query(built.rpms[0], '--obsoletes') == ['oldone < 1']


def test_failing_package_gives_an_srpm_but_no_rpms(tmp_path):
    pkg = Package('broken', build_fails=True)
    srpm = build_srpm(pkg, tmp_path)
    assert srpm.name == 'broken-1.0-1.src.rpm'
    with pytest.raises(RpmBuildError) as info:
        build_rpms(pkg, tmp_path)
    assert info.value.returncode != 0
    assert 'made to fail in %build' in info.value.log.read_text()
    assert 'made to fail' in str(info.value)


def test_factory_builds_each_package_once(rpm_factory):
    pkg = Package('cached', version='3')
    first = rpm_factory.rpms(pkg)
    mtime = first.srpm.stat().st_mtime_ns
    assert rpm_factory.rpms(Package('cached', version='3')) is first
    assert first.srpm.stat().st_mtime_ns == mtime
    assert rpm_factory.srpm(pkg) == rpm_factory.srpm(pkg)
    assert rpm_factory.rpms(pkg, dist='.el9').nvr == 'cached-3-1.el9'


@pytest.mark.parametrize('kwargs, message', [
    ({'name': 'x', 'arch': 'x86_64'}, 'arch must be one of'),
    ({'name': 'a b'}, 'not a usable RPM name'),
    ({'name': 'x', 'files': {'etc/x': ''}}, 'must be absolute'),
])
def test_bad_package_descriptions_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Package(**kwargs)


def test_build_script_runs_in_build(rpm_factory):
    built = rpm_factory.rpms(Package('scripted', build_script='echo "script says $((6 * 7))"'))
    log = built.log.read_text()
    assert 'script says 42' in log
    assert log.index('Executing(%build)') < log.index('script says 42') < log.index(
        'Executing(%install)')
