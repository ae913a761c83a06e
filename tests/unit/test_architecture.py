"""The README's layout and ARCHITECTURE.md describe the tree as it is: a newcomer finds each concept's home
from them, so a module or package added, moved or removed without saying so fails here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "orginsight"


def tree_entries() -> set[str]:
    """The package's top-level modules (``x.py``) and subpackages (``x/``), as the layout names them."""
    entries = {p.name for p in PACKAGE.glob("*.py")}
    entries |= {f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    return entries


def readme_layout() -> set[str]:
    """The names at the start of each line of the README's ``src/orginsight/`` block."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Layout of the code", 1)[1]
    block = section.split("```", 2)[1]
    names = set()
    inside = False
    for line in block.splitlines():
        if line.startswith("src/orginsight/"):
            inside = True
            continue
        if inside and not line.startswith("  "):
            break
        m = re.match(r"  (\S+)", line)
        if inside and m:
            names.add(m.group(1))
    return names


def test_the_readme_layout_lists_every_module_and_package_of_the_tree() -> None:
    listed, actual = readme_layout(), tree_entries()
    assert listed == actual, (
        f"in the tree, not in the README: {sorted(actual - listed)}; "
        f"in the README, not in the tree: {sorted(listed - actual)}"
    )


def test_architecture_names_each_package_and_the_readme_links_to_it() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text()
    packages = {e for e in tree_entries() if e.endswith("/") and e != "policies/"}
    missing = {p for p in packages if f"`{p}`" not in text}
    assert not missing, f"ARCHITECTURE.md does not name {sorted(missing)}"
    assert "(ARCHITECTURE.md)" in (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 60, "ARCHITECTURE.md is one screen"


def test_no_module_imports_itself_back_through_others() -> None:
    # grimp (import-linter's graph) counts imports inside functions too; imports only for type checking
    # do not run, so they do not count.
    import grimp
    import networkx as nx

    graph = grimp.build_graph("orginsight", exclude_type_checking_imports=True)
    edges = nx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        edges.add_edges_from(
            (module, imported) for imported in graph.find_modules_directly_imported_by(module)
        )
    cycles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_the_layers_of_architecture_md_are_the_import_linter_contract() -> None:
    import tomllib

    contract = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    text = (REPO / "ARCHITECTURE.md").read_text()
    for layer in contract["layers"]:
        for name in layer.split(" | "):
            shown = f"{name}/" if (PACKAGE / name).is_dir() else f"{name}.py"
            assert shown in text or name in {"hunts", "sigma", "findings", "triage"}, (
                f"{shown} not in ARCHITECTURE.md"
            )


def test_no_module_outside_the_demo_data_tables_is_much_longer_than_500_lines() -> None:
    # The demo's data tables (weighted actions, incident steps, recorded organization state) are data.
    tables = {"actions.py", "incidents.py", "org.py", "guardduty.py"}
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600 and not (p.parent.name == "demo" and p.name in tables)
    }
    assert not long, f"modules past 600 lines: {long}"


def test_every_orginsight_import_of_the_benchmarks_and_notebooks_resolves() -> None:
    # Benchmarks and notebooks are not run by the suite (notebooks are, in tests/integration, but slowly):
    # a module moved without updating them would only show when someone runs one.
    import ast
    import importlib
    import importlib.util
    import json
    import types

    sources = {p: p.read_text() for p in sorted((REPO / "benchmarks").glob("*.py"))}
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        sources[nb] = "\n".join(
            line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
    for path, text in sources.items():
        tree = ast.parse(text)
        modules = {}  # names bound to one of the package's modules: their attributes are checked too
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("orginsight"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or importlib.util.find_spec(
                        f"{node.module}.{alias.name}"
                    ), f"{path.name}: from {node.module} import {alias.name}"
                    value = getattr(module, alias.name, None)
                    if value is None or isinstance(value, types.ModuleType):
                        modules[alias.asname or alias.name] = importlib.import_module(
                            f"{node.module}.{alias.name}"
                        )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("orginsight"):
                        importlib.import_module(alias.name)
                        if alias.asname:
                            modules[alias.asname] = importlib.import_module(alias.name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
            ):
                module = modules[node.value.id]
                assert hasattr(module, node.attr), (
                    f"{path.name}: {node.value.id}.{node.attr} ({module.__name__})"
                )


def test_imports_of_the_package_inside_functions_say_why() -> None:
    # Imports of the package's own modules go at the top, where a reader sees what a module depends on;
    # the exceptions keep `import orginsight` and the command line light, and say so on the line.
    import ast

    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        typing_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Import | ast.ImportFrom)
                and node.col_offset
                and id(node) not in typing_only
            ):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if (module or "").startswith("orginsight") and "#" not in lines[node.end_lineno - 1]:
                    unexplained.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not unexplained, f"function-level imports of orginsight without a reason: {unexplained}"
