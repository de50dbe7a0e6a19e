"""The spec file of a checkout: which one to build, and the Packager/Vendor/Distribution rule.

``find_spec`` follows kojid (contract 3.3 step 9): ``*.spec`` at the top of
the source directory, else (with ``support_rpm_source_layout``) in
``SPECS/``; one is used as is, of several only the one named after the
directory.  ``check_spec`` is kojid's sanity check: a spec file that *starts*
with ``Packager:``, ``Distribution:`` or ``Vendor:`` or with a ``%define`` of
their macros is refused; such lines further down are built, as kojid builds
them (ADR 0006).  Everything here reads files on the host, so each file must
be a regular file inside the checkout.
"""

import re
from pathlib import Path

from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.checkout import is_inside

OWNED_TAGS = ("Packager", "Distribution", "Vendor")
# kojid's check looks at the start of the file only; this much of it is read.
HEAD_BYTES = 64 * 1024


def find_spec(sourcedir: Path, rpm_layout: bool = True) -> Path:
    """The spec file to build from ``sourcedir``; ``TaskFailed`` if none or ambiguous."""
    specs = sorted(sourcedir.glob("*.spec"))
    where = "the top of the checkout"
    if not specs and rpm_layout:
        specs = sorted((sourcedir / "SPECS").glob("*.spec"))
        where = "the top of the checkout or its SPECS/ directory"
    if not specs:
        raise TaskFailed(f"no spec file found in {where}; add <name>.spec to the repository "
                         "(or point the URL's module, after '?', at its directory)")
    if len(specs) == 1:
        spec = specs[0]
    else:
        named = [p for p in specs if p.name == f"{sourcedir.name}.spec"]
        if not named:
            raise TaskFailed(f"several spec files ({', '.join(p.name for p in specs)}) and "
                             f"none named {sourcedir.name}.spec; keep one spec file or name "
                             "the one to build after the directory")
        spec = named[0]
    if not is_inside(spec, sourcedir) or not spec.is_file():
        raise TaskFailed(f"{spec.name} is not a regular file inside the checkout")
    return spec


def sources_dir(sourcedir: Path, rpm_layout: bool = True) -> Path:
    """Where the build's sources are: ``SOURCES/`` in the rpm layout, else the checkout."""
    layout = sourcedir / "SOURCES"
    if rpm_layout and layout.is_dir() and is_inside(layout, sourcedir):
        return layout
    return sourcedir


def spec_problem(text: str) -> str | None:
    """What ``text`` (a spec) starts with that the builder owns, as kojid words it."""
    for tag in OWNED_TAGS:
        if text.startswith(f"{tag}:"):
            return f"{tag} is not allowed to be set in spec file"
    for tag in OWNED_TAGS:
        if re.match(rf"%define\s+{tag.lower()}\s", text):
            return f"{tag.lower()} is not allowed to be defined in spec file"
    return None


def check_spec(spec: Path) -> None:
    """Reject a spec that starts by setting Packager, Vendor or Distribution (kojid's rule)."""
    with spec.open("rb") as f:
        head = f.read(HEAD_BYTES).decode("utf-8", errors="replace")
    problem = spec_problem(head)
    if problem:
        raise TaskFailed(f"{spec.name}: {problem} (the build system sets "
                         f"{', '.join(OWNED_TAGS)})")
