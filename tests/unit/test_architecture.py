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
