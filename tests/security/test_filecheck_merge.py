"""Concurrent writers of the file-check cache: two engines (two processes) checking different files of one
day folder both keep their verdicts in the folder's shard, instead of the last writer's replacing the other's.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from orginsight.engines.filechecks import CHECKS_DIR
from orginsight.engines.local import LocalEngine
from orginsight.sources.layout import cloudtrail_key

START = datetime(2024, 5, 1, 0, 0)


def make_lake(root: Path, files: int) -> Path:
    """``files`` five-minute CloudTrail files of one account, region and day (one day folder)."""
    for i in range(files):
        when = START + timedelta(minutes=5 * i)
        key = root / cloudtrail_key("111122223333", "us-east-1", when, "o-abcdefghij", suffix=f"F{i:04d}")
        key.parent.mkdir(parents=True, exist_ok=True)
        record = {"eventTime": f"{when:%Y-%m-%dT%H:%M:%SZ}", "eventID": f"e-{i}", "eventName": "GetObject"}
        with gzip.open(key, "wt") as fh:
            json.dump({"Records": [record]}, fh)
    return root


def shard_names(root: Path) -> set[str]:
    shards = list((root / CHECKS_DIR).rglob("*.json"))
    assert len(shards) == 1, shards  # one day folder, one shard
    return set(json.loads(shards[0].read_text())["files"])


def test_two_engines_checking_different_files_of_a_folder_keep_both(tmp_path: Path) -> None:
    root = make_lake(tmp_path / "lake", 2)
    first, second = LocalEngine(root), LocalEngine(root)
    f1, f2 = first.files()
    assert second.checks.get(f2.path) is None  # the second engine has read the (still empty) shard
    first.check([f1])
    second.check([f2])  # saves after the first: a last-writer-wins save drops f1's verdict
    assert shard_names(root) == {Path(f1.path).name, Path(f2.path).name}
    third = LocalEngine(root)
    checked: list[int] = []
    third._check_batch = lambda batch, limit=None: checked.append(len(batch))  # type: ignore[method-assign]
    good, bad = third.check(third.files())
    assert len(good) == 2 and not bad and checked == []  # both verdicts served from the shard
    assert not [p for p in (root / CHECKS_DIR).rglob("*") if ".tmp" in p.name]


def test_ours_win_for_the_same_file(tmp_path: Path) -> None:
    root = make_lake(tmp_path / "lake", 1)
    first, second = LocalEngine(root), LocalEngine(root)
    (f,) = first.files()
    first.check([f])
    second.checks.get(f.path)
    verdict = second.checks[f.path]
    second.checks[f.path] = verdict.__class__(verdict.size, verdict.mtime_ns, 99, None)
    second.checks.save()
    raw = json.loads(next((root / CHECKS_DIR).rglob("*.json")).read_text())
    assert raw["files"][Path(f.path).name][2] == 99


WORKER = """
import sys
from orginsight.engines.local import LocalEngine
root, part = sys.argv[1], int(sys.argv[2])
engine = LocalEngine(root)
mine = [f for i, f in enumerate(engine.files()) if i % 2 == part]
for f in mine:  # one save per file: many chances to overwrite the other process's verdicts
    engine.check([f])
print(len(mine))
"""


@pytest.mark.parametrize("run", range(2))
def test_two_processes_checking_halves_of_a_folder_keep_every_verdict(tmp_path: Path, run: int) -> None:
    root = make_lake(tmp_path / "lake", 40)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), str(part)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in (0, 1)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    assert sum(int(out) for out, _ in outputs) == 40
    assert len(shard_names(root)) == 40
    assert not [p for p in (root / CHECKS_DIR).rglob("*") if ".tmp" in p.name]
