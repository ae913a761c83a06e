"""scripts/ensure-chromium, the one place that installs Chromium for `make demo`, `make test` and CI.

Run with a fake apt-get (and a fake `id`) on a PATH that holds nothing else, and candidates in a temporary
folder, so the install path is exercised without touching the machine: it installs Debian's chromium
non-interactively when it can, stays quiet when it cannot (best effort), and fails only when asked to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "ensure-chromium"
BASH = shutil.which("bash") or "/bin/bash"
CHMOD = shutil.which("chmod") or "/bin/chmod"


def fake_bin(tmp_path: Path, uid: int, chromium: Path | None) -> Path:
    """A bin folder with `id` printing ``uid`` and, when ``chromium`` is given, an apt-get that logs its
    calls and "installs" by creating that file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text(f"#!{BASH}\necho {uid}\n")
    (bin_dir / "env").symlink_to(shutil.which("env"))
    if chromium is not None:
        log = tmp_path / "apt.log"
        (bin_dir / "apt-get").write_text(
            f'#!{BASH}\necho "$DEBIAN_FRONTEND $*" >> {log}\n'
            f'if [ "$1" = install ]; then printf "#!{BASH}\\n" > {chromium}; {CHMOD} +x {chromium}; fi\n'
        )
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return bin_dir


def run(tmp_path: Path, bin_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "BROWSER_PATH"}
    base.update(PATH=str(bin_dir), CHROMIUM_CANDIDATES=str(tmp_path / "usr-bin" / "chromium"), **env)
    return subprocess.run([BASH, str(SCRIPT), *args], env=base, capture_output=True, text=True, timeout=60)


def test_installs_debian_chromium_noninteractively_as_root(tmp_path: Path) -> None:
    chromium = tmp_path / "usr-bin" / "chromium"
    chromium.parent.mkdir()
    done = run(tmp_path, fake_bin(tmp_path, 0, chromium), "--required")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(chromium)
    assert (tmp_path / "apt.log").read_text().splitlines() == [
        "noninteractive update -qq",
        "noninteractive install -y -qq chromium",
    ]


def test_does_nothing_when_chromium_is_there(tmp_path: Path) -> None:
    chromium = tmp_path / "usr-bin" / "chromium"
    chromium.parent.mkdir()
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    bin_dir = fake_bin(tmp_path, 0, tmp_path / "other")
    done = run(tmp_path, bin_dir)
    assert done.returncode == 0 and done.stdout.strip() == str(chromium)
    assert not (tmp_path / "apt.log").exists()


@pytest.mark.parametrize("why", ["no apt-get", "not root and no sudo"])
def test_without_a_way_to_install_it_is_quiet_unless_required(tmp_path: Path, why: str) -> None:
    chromium = tmp_path / "usr-bin" / "chromium"
    chromium.parent.mkdir()
    bin_dir = fake_bin(tmp_path, 1000, chromium if why != "no apt-get" else None)
    best_effort = run(tmp_path, bin_dir)
    assert (best_effort.returncode, best_effort.stdout, best_effort.stderr) == (0, "", "")
    required = run(tmp_path, bin_dir, "--required")
    assert required.returncode == 1 and "sudo apt-get install chromium" in required.stderr
    assert not chromium.exists() and not (tmp_path / "apt.log").exists()


def test_a_wrong_browser_path_is_reported_not_replaced(tmp_path: Path) -> None:
    chromium = tmp_path / "usr-bin" / "chromium"
    chromium.parent.mkdir()
    bin_dir, wrong = fake_bin(tmp_path, 0, chromium), str(tmp_path / "nope")
    done = run(tmp_path, bin_dir, "--required", BROWSER_PATH=wrong)
    assert done.returncode == 1 and f"BROWSER_PATH={wrong} is not an executable file" in done.stderr
    best_effort = run(tmp_path, bin_dir, BROWSER_PATH=wrong)  # quiet: orginsight demo says it once
    assert (best_effort.returncode, best_effort.stdout, best_effort.stderr) == (0, "", "")
    assert not (tmp_path / "apt.log").exists()
