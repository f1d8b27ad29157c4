"""The code's layers import one way, and no module imports itself back through others.

Every `import` counts, a function-level one included: hiding a circle inside a function does
not break it.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("shared", "services")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules a file imports (`from a.b import c` counts a.b.c when it is a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # A package's __init__ is run before its modules: importing a.b imports a too.
        graph[name] = {target for target in _imports(path, modules) if target != name}
    return graph


def test_shared_packages_import_one_way():
    rank = {"shared.core": 0, "shared.web": 1, "shared.accounts": 2}
    wrong = []
    for module, targets in _graph().items():
        layer = next((layer for layer in rank if module == layer or module.startswith(layer + ".")), None)
        if layer is None:
            continue
        for target in targets:
            if target.startswith("services"):
                wrong.append(f"{module} imports the service module {target}")
            other = next((name for name in rank if target == name or target.startswith(name + ".")), None)
            if other is not None and rank[other] > rank[layer]:
                wrong.append(f"{module} imports {target}, a layer above it")
    assert wrong == []


def test_core_does_not_import_flask():
    modules = _modules()
    flasky = []
    for name, path in modules.items():
        if name.startswith("shared.core"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                flasky += [f"{name}: {n}" for n in names if n.split(".")[0] in ("flask", "flask_smorest", "werkzeug")]
    assert flasky == []


def test_no_import_circles():
    graph = _graph()
    circles = []
    state: dict[str, int] = {}  # 1: on the path being explored, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def test_a_web_process_does_not_load_what_only_commands_need():
    """Each service's app, created as gunicorn's worker creates it, in a process of its own:
    alembic (with mako and pygments, about 11 MB) is for the `migrate` command, numpy and scipy
    for the survival estimate's child process (issue 15's memory bound)."""
    import json
    import subprocess
    import sys

    script = (
        "import importlib, json, sys\n"
        "for service in ('grants', 'crowdfunding', 'notifications', 'accounts'):\n"
        "    importlib.import_module(f'services.{service}.app').create_app({'TESTING': True})\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    loaded = set(json.loads(run.stdout.strip().splitlines()[-1]))
    assert "flask" in loaded and "sqlalchemy" in loaded  # the apps were made
    assert loaded & {"alembic", "mako", "pygments", "numpy", "scipy"} == set()
