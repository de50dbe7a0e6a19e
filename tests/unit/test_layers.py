"""The architecture as ADR 0001 draws it, checked on the source: layers and the hub seam.

Layers, bottom to top (a module may import its own layer and those below):

0. ``errors``, ``config``: the daemon's vocabulary and configuration;
1. ``hub`` (the one seam to the koji hub), ``container`` (the one seam to podman);
2. ``buildroot``, ``repos``, ``scm``, ``policy``, ``mail``, ``resources``: what a task is made of;
3. ``tasks``: one module per hub task method;
4. ``daemon``, ``local``, ``monitor``, ``tool``: the programs.

And no module outside ``koji_adjutant/hub/`` calls a method of a koji session
(``session.X(...)``, ``self.session.host.X(...)``): the hub seam is the only caller.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "koji_adjutant"
LAYERS = {
    "__init__": 0, "errors": 0, "config": 0,
    "hub": 1, "container": 1,
    "buildroot": 2, "repos": 2, "scm": 2, "policy": 2, "mail": 2, "resources": 2,
    "tasks": 3,
    "daemon": 4, "local": 4, "monitor": 4, "tool": 4,
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part(path: Path) -> str:
    """The top-level part of koji_adjutant a source file belongs to."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_parts(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "koji_adjutant" and len(pieces) > 1 and pieces[1] in LAYERS:
                found.add(pieces[1])
    return found


def test_every_part_of_the_package_has_a_layer():
    assert {part(path) for path in modules()} <= set(LAYERS)


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = []
    for path in modules():
        here = part(path)
        for target in imported_parts(ast.parse(path.read_text())):
            if LAYERS[target] > LAYERS[here]:
                upward.append(f"{path.relative_to(PACKAGE)} imports {target} "
                              f"(layer {LAYERS[here]} -> {LAYERS[target]})")
    assert upward == []


def session_calls(tree: ast.AST) -> list[str]:
    """``...session.X(...)`` and ``...session.host.X(...)`` calls in a module."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain, value = [node.func.attr], node.func.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name):
                chain.append(value.id)
            if "session" in chain[1:]:
                calls.append(f"line {node.lineno}: {'.'.join(reversed(chain))}()")
    return calls


def test_only_the_hub_seam_calls_the_koji_session():
    outside = []
    for path in modules():
        if part(path) != "hub":
            outside += [f"{path.relative_to(PACKAGE)} {call}"
                        for call in session_calls(ast.parse(path.read_text()))]
    assert outside == []


def test_the_checks_see_what_they_look_for():
    # the rules are not vacuous: the seam itself is full of session calls
    hub_calls = [c for p in modules() if part(p) == "hub"
                 for c in session_calls(ast.parse(p.read_text()))]
    assert len(hub_calls) > 40
    tree = ast.parse("from koji_adjutant.daemon import cli\nimport koji_adjutant.tasks.build\n")
    assert imported_parts(tree) == {"daemon", "tasks"}
