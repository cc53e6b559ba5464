"""The layers of ``facilitation/``, read from the imports (AST, nothing is imported).

From the centre out: the pure engine; persistence; what the shells share (services,
extensions, rate limits); the shells, realtime (Socket.IO) and web (HTTP); the operator CLI;
the background loops, which only ``app.py`` starts. Each layer imports only layers inside it.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "facilitation"
MAX_LINES = 400

# What each part may import of the project; "facilitation" is the package's own __init__ (the
# app factory), which nothing but the entry point and tests may import.
ALLOWED = {
    "engine": {"engine"},
    "persistence": {"engine", "persistence"},
    "shared": {"engine", "persistence", "shared"},
    "realtime": {"engine", "persistence", "shared", "realtime"},
    "web": {"engine", "persistence", "shared", "realtime", "web"},
    "cli": {"engine", "persistence", "shared", "cli"},
    "background": {"engine", "persistence", "shared", "realtime", "background"},
    "factory": {"engine", "persistence", "shared", "realtime", "web", "cli"},
}
SHARED = {"services", "extensions", "rate_limit"}


def part_of(module: str) -> str:
    parts = module.split(".")
    if parts == ["facilitation"]:
        return "factory"
    head = parts[1]
    return "shared" if head in SHARED else head


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, path: Path, node: ast.ImportFrom | ast.Import) -> list[str]:
    """Project modules one import statement names (a ``from pkg import sub`` names ``pkg.sub``)."""
    known = modules()
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "facilitation"]
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] != "facilitation":
        return []
    names = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
    return names or [base]


def imports(top_level_only: bool) -> dict[str, list[tuple[str, ast.AST, bool]]]:
    """module -> [(imported module, node, inside a function)]."""
    found: dict[str, list[tuple[str, ast.AST, bool]]] = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        in_function: set[int] = set()
        type_checking: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(child) for child in ast.walk(node) if child is not node)
            # Imports only for type checkers never run, so they make no cycle.
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                type_checking.update(id(child) for child in ast.walk(node) if child is not node)
        entries = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in type_checking:
                nested = id(node) in in_function
                if top_level_only and nested:
                    continue
                entries += [(target, node, nested) for target in resolve(module, path, node)]
        found[module] = entries
    return found


def test_every_import_points_inward():
    wrong = []
    for module, entries in imports(top_level_only=False).items():
        for target, node, _nested in entries:
            if part_of(target) not in ALLOWED[part_of(module)]:
                wrong.append(f"{module}:{node.lineno} imports {target}")
    assert not wrong, "imports that point outward:\n" + "\n".join(wrong)


def test_the_engine_imports_nothing_but_itself_and_the_standard_library():
    allowed_outside = {"__future__", "collections", "dataclasses", "enum", "json", "math", "pathlib",
                       "re", "time", "typing"}
    wrong = []
    for module, path in modules().items():
        if part_of(module) != "engine":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [(node.module or "").split(".")[0]]
            else:
                continue
            wrong += [f"{module}:{node.lineno} imports {name}" for name in names if name not in allowed_outside]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {module: {t for t, _n, _f in entries if t != module}
             for module, entries in imports(top_level_only=True).items()}
    # A package's __init__ importing its own submodules is how packages re-export; the cycle
    # rule is about modules that need each other.
    for module in graph:
        graph[module] = {t for t in graph[module] if not (t.startswith(module + ".") and modules()[module].name == "__init__.py")}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt in graph and not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if not state.get(node):
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_function_level_imports_only_in_the_app_factory():
    wrong = []
    for module, entries in imports(top_level_only=False).items():
        for target, node, nested in entries:
            if nested and module != "facilitation":
                wrong.append(f"{module}:{node.lineno} imports {target} inside a function")
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_background_loops():
    importers = [module for module, entries in imports(top_level_only=False).items()
                 if module != "facilitation.background" and any(t == "facilitation.background" for t, _n, _f in entries)]
    assert importers == []


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_stay_small(module):
    lines = modules()[module].read_text().count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES})"


def test_the_checker_sees_a_bad_import(tmp_path):
    """The walk itself: a relative import two levels up resolves to the right module."""
    path = PACKAGE / "engine" / "session.py"
    node = ast.parse("from ..realtime import broadcast").body[0]
    assert resolve("facilitation.engine.session", path, node) == ["facilitation.realtime.broadcast"]
    assert part_of("facilitation.realtime.broadcast") not in ALLOWED["engine"]


GENERATED = ("bench/results/",)  # written by a run, git-ignored


def test_nothing_refers_to_a_file_the_repository_lacks():
    """Paths named in the README, the docs and the code's own comments exist."""
    root = PACKAGE.parent
    pattern = re.compile(r"\b((?:facilitation|tests|bench|docs|static|templates|migrations|\.ci)/[\w/.-]*\w\.(?:py|md|js|json|html|css|txt))")
    sources = [root / "README.md", *(root / "docs").glob("*.md"), *PACKAGE.rglob("*.py"), root / "app.py",
               root / "config.py", *(root / "bench").glob("*.py")]
    missing = sorted({f"{src.relative_to(root)}: {path}" for src in sources
                      for path in pattern.findall(src.read_text(encoding="utf-8"))
                      if "<" not in path and "*" not in path and not path.startswith(GENERATED)
                      and not (root / path).exists()})
    assert not missing, "\n".join(missing)
