"""`Package`: the description of a small test package and the spec file it becomes.

A Package is a frozen, hashable value (so built results can be cached by it).  Two kinds:

* ``arch="noarch"``: installs a text file (its Source0) under ``%{_datadir}/<name>/``;
* ``arch="c"``: compiles a hello-world C program (its Source0) with gcc in ``%build`` and
  installs it as ``%{_bindir}/<name>``; the binary RPM gets the build host's arch.

`render_spec` writes a complete spec (Name, Version, Release, Summary, License,
%description, %prep, %build, %install, %files, %changelog); `sources` gives the files that
belong in SOURCES.  Nothing here runs a command: see `rpmkit.build`.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping, Optional, Union

KINDS = ('noarch', 'c')
Names = Union[str, Iterable[str], None]

C_PROGRAM = '''#include <stdio.h>

int main(void)
{
    printf("hello from %s\\n");
    return 0;
}
'''


def _names(value: Names) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class Package:
    """A test package.  `files` maps extra absolute install paths to their text content;
    `build_script` is shell run in %build (after compiling); `extra_spec` is appended
    verbatim to the preamble (e.g. ``"Obsoletes: old"``); `generate_buildrequires`, when
    set, is the shell of a ``%generate_buildrequires`` section (each line it prints is a
    BuildRequires, e.g. ``"echo 'foo >= 2.0'"``)."""

    name: str
    version: str = '1.0'
    release: str = '1%{?dist}'
    arch: str = 'noarch'
    epoch: Optional[int] = None
    summary: Optional[str] = None
    buildrequires: tuple[str, ...] = ()
    buildconflicts: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    build_script: str = ''
    build_fails: bool = False
    exclusive_arch: Optional[tuple[str, ...]] = None
    exclude_arch: Optional[tuple[str, ...]] = None
    build_arch: Optional[str] = None
    extra_spec: str = ''
    generate_buildrequires: str = ''

    def __post_init__(self) -> None:
        if self.arch not in KINDS:
            raise ValueError('Package arch must be one of %s, not %r' % (KINDS, self.arch))
        if not self.name or any(c in self.name for c in ' /%'):
            raise ValueError('Package name %r is not a usable RPM name' % self.name)
        for field in ('buildrequires', 'buildconflicts', 'requires', 'provides'):
            object.__setattr__(self, field, _names(getattr(self, field)))
        for field in ('exclusive_arch', 'exclude_arch'):
            object.__setattr__(self, field, _names(getattr(self, field)))
        files = self.files.items() if isinstance(self.files, Mapping) else self.files
        object.__setattr__(self, 'files', tuple(sorted((str(p), str(c)) for p, c in files)))
        for path, _content in self.files:
            if not path.startswith('/'):
                raise ValueError('Package %s: file path %r must be absolute' % (self.name, path))

    @property
    def source_name(self) -> str:
        """The file name of Source0 (the C program or the text file)."""
        return self.name + ('.c' if self.arch == 'c' else '.txt')

    def sources(self) -> dict[str, str]:
        """File name -> content of every source the spec names (Source0, Source1...)."""
        main = (C_PROGRAM.replace('%s', self.name) if self.arch == 'c'
                else '%s %s: a test package built by rpmkit\n' % (self.name, self.version))
        out = {self.source_name: main}
        for index, (_path, content) in enumerate(self.files, start=1):
            out['%s-file%d' % (self.name, index)] = content
        return out


def render_spec(pkg: Package) -> str:
    """The complete spec file text of `pkg`."""
    return '\n'.join([_preamble(pkg), _description(pkg), _prep(pkg), _build(pkg),
                      _install(pkg), _files(pkg), _changelog(pkg)])


def _preamble(pkg: Package) -> str:
    lines = ['Name:           ' + pkg.name]
    if pkg.epoch is not None:
        lines.append('Epoch:          %d' % pkg.epoch)
    lines += ['Version:        ' + pkg.version,
              'Release:        ' + pkg.release,
              'Summary:        ' + (pkg.summary or 'Test package %s for koji-adjutant' % pkg.name),
              'License:        MIT',
              'URL:            https://example.invalid/rpmkit/' + pkg.name]
    names = list(pkg.sources())
    lines += ['Source%d:        %s' % (i, n) for i, n in enumerate(names)]
    build_arch = pkg.build_arch or ('noarch' if pkg.arch == 'noarch' else None)
    if build_arch:
        lines.append('BuildArch:      ' + build_arch)
    if pkg.arch == 'c':
        lines.append('BuildRequires:  gcc')
    lines += ['BuildRequires:  ' + r for r in pkg.buildrequires]
    lines += ['BuildConflicts: ' + c for c in pkg.buildconflicts]
    lines += ['Requires:       ' + r for r in pkg.requires]
    lines += ['Provides:       ' + p for p in pkg.provides]
    if pkg.exclusive_arch is not None:
        lines.append('ExclusiveArch:  ' + ' '.join(pkg.exclusive_arch))
    if pkg.exclude_arch is not None:
        lines.append('ExcludeArch:    ' + ' '.join(pkg.exclude_arch))
    if pkg.arch == 'c':
        # One binary RPM per build keeps tests simple: no -debuginfo/-debugsource.
        lines.append('%global debug_package %{nil}')
    if pkg.extra_spec:
        lines.append(pkg.extra_spec.rstrip('\n'))
    return '\n'.join(lines) + '\n'


def _description(pkg: Package) -> str:
    what = 'a C program compiled with gcc' if pkg.arch == 'c' else 'a text file'
    return ('%%description\nThe package %s contains %s.  It is built by rpmkit for the\n'
            'koji-adjutant tests.\n' % (pkg.name, what))


def _prep(pkg: Package) -> str:
    prep = '%prep\n%setup -q -c -T\ncp -p %{SOURCE0} .\n'
    if pkg.generate_buildrequires:
        prep += '\n%generate_buildrequires\n' + pkg.generate_buildrequires.rstrip('\n') + '\n'
    return prep


def _build(pkg: Package) -> str:
    lines = ['%build']
    if pkg.arch == 'c':
        lines.append('gcc %%{optflags} -o %s %s' % (pkg.name, pkg.source_name))
    if pkg.build_script:
        lines.append(pkg.build_script.rstrip('\n'))
    if pkg.build_fails:
        lines += ['echo "rpmkit: %s is made to fail in %%build" >&2' % pkg.name, 'exit 1']
    return '\n'.join(lines) + '\n'


def _install(pkg: Package) -> str:
    if pkg.arch == 'c':
        lines = ['install -D -m 0755 %s %%{buildroot}%%{_bindir}/%s' % (pkg.name, pkg.name)]
    else:
        lines = ['install -D -m 0644 %s %%{buildroot}%%{_datadir}/%s/%s'
                 % (pkg.source_name, pkg.name, pkg.source_name)]
    for index, (path, _content) in enumerate(pkg.files, start=1):
        lines.append('install -D -m 0644 %%{SOURCE%d} %%{buildroot}%s' % (index, path))
    return '%install\n' + '\n'.join(lines) + '\n'


def _files(pkg: Package) -> str:
    main = ('%%{_bindir}/%s' % pkg.name if pkg.arch == 'c'
            else '%%{_datadir}/%s/' % pkg.name)
    return '%files\n' + '\n'.join([main] + [p for p, _c in pkg.files]) + '\n'


def _changelog(pkg: Package) -> str:
    return ('%%changelog\n* Mon Jan 01 2024 rpmkit <rpmkit@example.invalid> - %s\n'
            '- test package\n' % pkg.version)
