"""The spec file of a checkout: which one to build, and the Packager/Vendor/Distribution rule.

``find_spec`` follows kojid (contract 3.3 step 9): ``*.spec`` at the top of
the source directory, else (with ``support_rpm_source_layout``) in
``SPECS/``; one is used as is, of several only the one named after the
directory.  ``check_spec`` rejects a spec that sets the tags the builder
owns (``Packager``, ``Vendor``, ``Distribution``) or defines their macros,
anywhere in the file, not only on its first line as kojid's regex ends up
doing (ADR 0006).  Everything here reads files on the host, so each file must
be a regular file inside the checkout.
"""

import re
from pathlib import Path

from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.checkout import is_inside

OWNED_TAGS = ("Packager", "Distribution", "Vendor")
MAX_SPEC_BYTES = 4 * 1024 * 1024

_TAG = re.compile(r"^\s*(packager|distribution|vendor)\s*:", re.IGNORECASE)
# rpm macro names are case-sensitive: only the lower-case ones feed the tags.
_DEFINE = re.compile(r"%(?:\{\s*)?(?:define|global)[\s:]+(packager|distribution|vendor)\b")
_SECTION = re.compile(r"^%(\w+)")
# Sections whose lines are free text for rpm: a "Vendor:" there sets nothing.
_TEXT_SECTIONS = {"description", "changelog"}
_SCRIPT_SECTIONS = {
    "prep", "build", "install", "check", "clean", "files", "pre", "post", "preun", "postun",
    "pretrans", "posttrans", "preuntrans", "postuntrans", "verifyscript", "triggerin",
    "triggerun", "triggerpostun", "triggerprein", "filetriggerin", "filetriggerun",
    "filetriggerpostun", "transfiletriggerin", "transfiletriggerun", "transfiletriggerpostun",
    "generate_buildrequires", "conf", "sourcelist", "patchlist",
}


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


def spec_problems(text: str) -> list[str]:
    """What ``text`` (a spec) sets that the builder owns, one message per offending line."""
    problems = []
    section = "preamble"
    for number, line in enumerate(text.splitlines(), start=1):
        heading = _SECTION.match(line)
        if heading and (heading.group(1) in _TEXT_SECTIONS | _SCRIPT_SECTIONS
                        or heading.group(1) == "package"):
            section = "preamble" if heading.group(1) == "package" else heading.group(1)
            continue
        if section in _TEXT_SECTIONS:
            continue
        tag = _TAG.match(line)
        if tag and section == "preamble":
            problems.append(f"line {number} sets {tag.group(1).capitalize()}")
        macro = _DEFINE.search(line)
        if macro:
            problems.append(f"line {number} defines %{macro.group(1)}")
    return problems


def check_spec(spec: Path) -> None:
    """Reject a spec that sets Packager, Vendor or Distribution (the builder sets them)."""
    if spec.stat().st_size > MAX_SPEC_BYTES:
        raise TaskFailed(f"{spec.name} is larger than {MAX_SPEC_BYTES} bytes; is it a spec?")
    problems = spec_problems(spec.read_text(encoding="utf-8", errors="replace"))
    if problems:
        raise TaskFailed(f"{spec.name}: {'; '.join(problems)}. {', '.join(OWNED_TAGS)} are set "
                         "by the build system and may not be set in the spec file")
