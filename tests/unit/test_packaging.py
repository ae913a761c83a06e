"""The wheel an analyst installs holds the package and every hunt, and finds them without the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_every_subpackage_is_listed_for_the_wheel():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    src = REPO / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in src.glob("orginsight/**/__init__.py")}
    assert found <= set(config["packages"]), (
        f"add to [tool.setuptools] packages: {sorted(found - set(config['packages']))}"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy: setuptools leaves build/ and *.egg-info beside the sources it builds.
    tree, out = tmp_path_factory.mktemp("tree"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    for name in ("src", "queries"):
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(tree),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"building the wheel failed:\n{done.stderr[-3000:]}"
    (found,) = out.glob("orginsight-*.whl")
    return found


def test_the_wheel_holds_every_hunt(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    hunts = {
        f"orginsight/queries/{p.relative_to(REPO / 'queries').as_posix()}"
        for p in (REPO / "queries").rglob("*.sql")
    }
    assert len(hunts) >= 40 and hunts <= names, sorted(hunts - names)[:5]
    assert "orginsight/policies/orginsight-readonly.json" in names


def test_an_installed_package_finds_its_hunts_without_the_repository(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "ORGINSIGHT_QUERIES"}
    env["PYTHONPATH"] = str(tmp_path)
    code = (
        "import orginsight, orginsight.analytics.hunts as h; "
        "print(orginsight.__file__); print(h.queries_dir()); print(len(h.list_hunts()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    package, queries, count = done.stdout.split()
    assert package.startswith(str(tmp_path)) and queries == str(tmp_path / "orginsight" / "queries")
    assert int(count) == len(list((REPO / "queries").rglob("*.sql")))
