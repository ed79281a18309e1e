"""The package's import graph: floors, no cycles, private Keras API in one home.

Every `import` in `keras_electra/` counts, at module level and inside functions
(a lazy import is still a dependency). The floor table is the one in
CONTRIBUTING.md ("Where things go"); `test_contributing_shows_the_floor_table`
keeps the two equal.
"""

import ast
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
PACKAGE = "keras_electra"

# Imports only go down (or sideways within a floor, without a cycle).
FLOORS = {
    0: ("layers", "preprocessing", "data", "metrics", "fast_paths", "optimizers",
        "config", "errors", "utils", "version"),
    1: ("models",),
    2: ("training",),
    3: ("tasks",),
    4: ("convert", "distribution", "benchmark"),
    5: ("apps",),
    6: ("cli", "tools"),
}
FLOOR = {unit: floor for floor, units in FLOORS.items() for unit in units}
# Private Keras / keras-hub API is imported only here.
PRIVATE_API_HOME = "keras_electra.fast_paths"
PRIVATE_PREFIXES = ("keras.src", "keras_hub.src")


def _module_files(root=ROOT):
    """`{module name: path}` of every module of the package."""
    modules = {}
    for directory, _, files in os.walk(os.path.join(root, PACKAGE)):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, root)[: -len(".py")].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imports(path, module, modules):
    """`[(line, imported name)]` of every import in a file, resolved to modules.

    `from a.b import c` names the module `a.b.c` when it exists, else `a.b`.
    Imports inside functions and `importlib.import_module("...")` count.
    """
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    is_package = path.endswith("__init__.py")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((node.lineno, full if full in modules else base))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            # `importlib.import_module("a.b")` with a constant name is an import too.
            found.append((node.lineno, node.args[0].value))
    return found


def _unit(module):
    """The floor-table unit of a module: its top sub-package or top module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package root


def _own_module(name, modules):
    """The keras_electra module an imported name resolves to, or None."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root=ROOT):
    """`{module: [(line, imported keras_electra module)]}` and the private imports."""
    modules = _module_files(root)
    graph, private = {}, []
    for module, path in sorted(modules.items()):
        edges = []
        for line, name in _imports(path, module, modules):
            is_private = any(
                name == p or name.startswith(p + ".") for p in PRIVATE_PREFIXES
            )
            if is_private and not module.startswith(PRIVATE_API_HOME):
                private.append(f"{module}:{line} imports {name}")
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                target = _own_module(name, modules)
                if target is not None and target != module:
                    edges.append((line, target))
        graph[module] = edges
    return graph, private


def floor_violations(graph):
    """Imports that go up the floor table, or into the package root."""
    problems = []
    for module, edges in graph.items():
        unit = _unit(module)
        if unit is None:
            continue  # the root re-exports the public API
        for line, target in edges:
            target_unit = _unit(target)
            if target_unit is None:
                problems.append(f"{module}:{line} imports the package root {target}")
            elif target_unit not in FLOOR or unit not in FLOOR:
                problems.append(
                    f"{module}:{line} -> {target}: "
                    f"{target_unit if target_unit not in FLOOR else unit} "
                    "is not in the floor table"
                )
            elif FLOOR[target_unit] > FLOOR[unit]:
                problems.append(
                    f"{module}:{line} ({unit}, floor {FLOOR[unit]}) imports "
                    f"{target} ({target_unit}, floor {FLOOR[target_unit]})"
                )
    return problems


def find_cycles(edges):
    """The strongly connected components (size > 1) of `{node: set(nodes)}`."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        # Tarjan's algorithm, iterative so deep graphs do not recurse.
        work = [(node, iter(sorted(edges.get(node, ()))))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[current] = min(low[current], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[current])
                if low[current] == index[current]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == current:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def _describe(cycle, graph, key):
    """The import lines that make up one cycle."""
    members = set(cycle)
    lines = []
    for module, edges in sorted(graph.items()):
        if key(module) not in members:
            continue
        for line, target in edges:
            if key(target) in members and key(target) != key(module):
                lines.append(f"  {module}:{line} -> {target}")
    return f"cycle between {', '.join(map(str, cycle))}:\n" + "\n".join(lines)


def package_cycles(graph):
    """Cycles between the floor-table units (sub-packages and top modules)."""
    edges = {}
    for module, targets in graph.items():
        unit = _unit(module)
        if unit is None:
            continue
        edges.setdefault(unit, set()).update(
            _unit(t) for _, t in targets if _unit(t) not in (None, unit)
        )
    return [_describe(c, graph, _unit) for c in find_cycles(edges)]


def module_cycles(graph):
    """Cycles between single modules (a package's `__init__` is a module too)."""
    edges = {m: {t for _, t in targets} for m, targets in graph.items()}
    return [_describe(c, graph, lambda m: m) for c in find_cycles(edges)]


@pytest.fixture(scope="module")
def graph():
    return import_graph()[0]


def test_the_walk_sees_lazy_imports(graph):
    assert len(graph) > 100
    targets = {target for _, target in graph["keras_electra.models.backbone"]}
    assert "keras_electra.layers.embedding" in targets  # at module level
    assert "keras_electra.models.preset_loading" in targets  # inside `from_preset`


def test_imports_only_go_down_the_floors(graph):
    problems = floor_violations(graph)
    assert not problems, "\n".join(problems)


def test_no_cycle_between_packages(graph):
    cycles = package_cycles(graph)
    assert not cycles, "\n".join(cycles)


def test_no_cycle_between_modules(graph):
    cycles = module_cycles(graph)
    assert not cycles, "\n".join(cycles)


def test_private_keras_api_only_in_fast_paths():
    _, private = import_graph()
    assert not private, "\n".join(private)


def test_every_unit_is_in_the_floor_table():
    units = {_unit(m) for m in _module_files()} - {None}
    assert units <= set(FLOOR), sorted(units - set(FLOOR))


def test_contributing_shows_the_floor_table():
    with open(os.path.join(ROOT, "CONTRIBUTING.md"), encoding="utf-8") as f:
        text = f.read()
    rows = dict(re.findall(r"^\| (\d) \| (.+?) \|$", text, flags=re.MULTILINE))
    documented = {
        int(floor): tuple(re.findall(r"`([a-z_]+)(?:/|\.py)`", units))
        for floor, units in rows.items()
    }
    expected = {
        floor: tuple(u for u in units if u != "version") for floor, units in FLOORS.items()
    }
    assert {f: set(u) for f, u in documented.items()} == {
        f: set(u) for f, u in expected.items()
    }


def test_the_checks_catch_violations(tmp_path):
    # A tiny package with an upward lazy import, a cycle and a private import.
    package = tmp_path / PACKAGE
    for sub in ("models", "convert"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "models" / "a.py").write_text(
        "def f():\n    from keras_electra.convert import b\n"
    )
    (package / "convert" / "b.py").write_text(
        "import importlib\nimport keras.src.ops\n"
        "importlib.import_module('keras_electra.models.a')\n"
    )
    graph, private = import_graph(str(tmp_path))
    assert floor_violations(graph) == [
        "keras_electra.models.a:2 (models, floor 1) imports "
        "keras_electra.convert.b (convert, floor 4)"
    ]
    assert len(package_cycles(graph)) == 1
    assert len(module_cycles(graph)) == 1
    assert private == ["keras_electra.convert.b:2 imports keras.src.ops"]
    assert (3, "keras_electra.models.a") in graph["keras_electra.convert.b"]
