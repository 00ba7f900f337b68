"""The import rules of the minigrad package, checked by reading (not running) every module.

A student reads minigrad top to bottom, so the imports at the top of a file must say where each
name comes from and what the file depends on:

  (a) no `import minigrad` and no `from minigrad import X` unless X is a submodule: a module
      imports a name from the module that defines it, never from the package face
      (minigrad/__init__.py) nor from a subpackage's face (minigrad/nn/__init__.py, ...);
  (b) imports sit at the top of the file (after the docstring): none further down;
  (c) no imports inside functions (the usual way to dodge an import cycle), except the
      optional third-party packages listed in LAZY_IMPORTS_ALLOWED;
  (d) the graph of module-level imports between minigrad's modules has no cycle.

Each violation is reported with its file and line (and a cycle with the import of each step).
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "minigrad"

# Imports that may stay inside a function: optional or slow third-party packages that most
# programs never need, so `import minigrad` must not pay for them.
LAZY_IMPORTS_ALLOWED = {
    "matplotlib",  # viz.pyplot(): only when a picture is drawn (slower to import than minigrad)
    "cupy",  # backend.CupyBackend: only when a tensor goes to "cuda"; not installed on CPUs
    "cupyx",  # part of CuPy, same reason
    "hypothesis",  # exercises/checker.py: a test dependency; without it, seeded random cases
    "jupytext",  # cli.open_notebook: the optional notebooks extra, only for `--notebook`
}

# ----------------------------------------------------------------------------------------------
# Reading the package
# ----------------------------------------------------------------------------------------------


def module_files():
    """{module name: path} for every .py file under minigrad/."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def is_package(module):
    return MODULES.get(module, Path()).name == "__init__.py"


def where(path, node):
    return f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"


def absolute_name(module, node):
    """The module an ImportFrom names, with relative imports (`from . import x`) resolved."""
    if not node.level:
        return node.module
    base = module.split(".")
    base = base if is_package(module) else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def defined_in(module):
    """Names a package's __init__.py defines itself (def, class, assignment), not imports."""
    names = set()
    for node in ast.parse(MODULES[module].read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def is_type_checking_block(node):
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def top_level_imports(tree):
    """Import nodes that run when the module is imported (not in functions, not TYPE_CHECKING)."""
    found = []
    for node in tree.body:
        if is_type_checking_block(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        found.extend(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return found


def function_imports(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)) and sub not in found:
                    found.append(sub)
    return found


def imported_modules(module, node):
    """The minigrad modules an import statement loads (a `from P import X` loads P.X when X is a
    submodule, else P). Parent packages are left out: importing minigrad.nn.linear runs
    minigrad/__init__.py first, but that is Python's doing, not a dependency the file states."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in MODULES]
    source = absolute_name(module, node)
    if source not in MODULES:
        return []
    loaded = []
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        loaded.append(submodule if submodule in MODULES else source)
    return loaded


# ----------------------------------------------------------------------------------------------
# The rules
# ----------------------------------------------------------------------------------------------


def face_imports(module, path, tree):
    """(a): `import minigrad`, or a name taken from the face of minigrad or a subpackage."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "minigrad" and alias.asname is None:
                    problems.append(
                        f"{where(path, node)}: `import {alias.name}` binds the package face "
                        "`minigrad`; import what you need from the module that defines it"
                    )
        elif isinstance(node, ast.ImportFrom):
            source = absolute_name(module, node)
            if source not in MODULES or not is_package(source):
                continue
            own = set() if source == "minigrad" else defined_in(source)
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES or alias.name in own:
                    continue
                problems.append(
                    f"{where(path, node)}: `from {source} import {alias.name}` takes a name from "
                    f"the face of {source}; import it from the module that defines it"
                )
    return problems


def late_imports(path, tree):
    """(b): an import after the first statement that is not an import."""
    problems = []
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    first_other = None
    for node in body:
        if is_type_checking_block(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if first_other is not None:
                problems.append(
                    f"{where(path, node)}: import below the code (after line "
                    f"{first_other.lineno}); move it to the top of the file"
                )
        elif first_other is None:
            first_other = node
    return problems


def lazy_imports(path, tree):
    """(c): an import inside a function, unless of an allowed optional package."""
    problems = []
    for node in function_imports(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [node.module or "."] if not node.level else ["." * node.level]
        for name in names:
            if name.split(".")[0] in LAZY_IMPORTS_ALLOWED:
                continue
            kind = "a minigrad module" if name.startswith(("minigrad", ".")) else name
            problems.append(
                f"{where(path, node)}: `{ast.unparse(node)}` inside a function ({kind}); import "
                "at the top of the file (restructure if that makes a cycle)"
            )
    return problems


def import_graph():
    """{module: {imported minigrad module: the import statement's line}}, module level only."""
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = graph.setdefault(module, {})
        for node in top_level_imports(tree):
            for target in imported_modules(module, node):
                if target != module:
                    edges.setdefault(target, node.lineno)
    return graph


def find_cycles(graph):
    """One cycle (a list of modules, first == last) per strongly connected group (Tarjan)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [(cycle_through(graph, group), group) for group in groups]


def cycle_through(graph, group):
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return paths[v] + [start]
            if w in group and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError("a strongly connected group always holds a cycle")


def describe_cycle(graph, cycle, group):
    steps = [
        f"{MODULES[a].relative_to(PACKAGE.parent)}:{graph[a][b]} imports {b}"
        for a, b in zip(cycle, cycle[1:])
    ]
    text = "import cycle: " + " -> ".join(cycle) + "\n      " + "\n      ".join(steps)
    if len(group) > len(cycle) - 1:
        text += f"\n      (one of the cycles among these {len(group)} modules: "
        text += ", ".join(sorted(group)) + ")"
    return text


def violations():
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += face_imports(module, path, tree)
        found += late_imports(path, tree)
        found += lazy_imports(path, tree)
    graph = import_graph()
    for cycle, group in find_cycles(graph):
        found.append(describe_cycle(graph, cycle, group))
    return found


# ----------------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------------


def test_layering_rules_hold_everywhere():
    found = violations()
    assert not found, f"{len(found)} import-rule violations:\n" + "\n".join(found)


def test_layering_checks_find_planted_mistakes():
    """Each rule flags source written to break it, so a check that finds nothing means it."""
    source = (
        '"""doc"""\n'
        "import minigrad\n"
        "from minigrad import Tensor, dtypes\n"
        "from minigrad.nn import Linear, init\n"
        "x = 1\n"
        "import os\n"
        "def f():\n"
        "    from minigrad.tensor import Tensor\n"
        "    import matplotlib.pyplot\n"
        "    return Tensor\n"
    )
    path = PACKAGE / "nn" / "planted.py"  # only a name for the messages; nothing is written
    tree = ast.parse(source)
    face = face_imports("minigrad.nn.planted", path, tree)
    assert len(face) == 3 and "import minigrad`" in face[0]
    assert "minigrad import Tensor" in face[1] and "minigrad.nn import Linear" in face[2]
    late = late_imports(path, tree)
    assert len(late) == 1 and "planted.py:6" in late[0]
    lazy = lazy_imports(path, tree)
    assert len(lazy) == 1 and "planted.py:8" in lazy[0] and "a minigrad module" in lazy[0]
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3, "d": 4}, "d": {}}
    assert find_cycles(graph) == [(["a", "b", "c", "a"], {"a", "b", "c"})]
    assert find_cycles({"a": {"b": 1}, "b": {}}) == []


def test_import_minigrad_does_not_load_matplotlib():
    """matplotlib is imported on the first plot, not with minigrad (it is slow to import)."""
    code = "import sys, minigrad; print('matplotlib' in sys.modules)"
    process = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "False"
