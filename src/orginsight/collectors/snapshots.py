"""Collector snapshots on disk: one Parquet file per table per collection, plus a manifest.

    <dir>/snapshots/<collector>/<yyyymmddThhmmssZ>/<table>.parquet
    <dir>/snapshots/<collector>/<yyyymmddThhmmssZ>/manifest.json

Every row carries ``collected_at``. Snapshots accumulate, never overwrite, so
``read_snapshots`` returns the whole history of a table for posture trends. The
manifest says what was collected (tables, rows, regions, API calls) and what failed
and why (account, region, operation, AWS error code), so a gap in a chart is explained.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.collectors.recording import ApiRecording
from orginsight.errors import LakeError

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
STAMP = re.compile(r"^\d{8}T\d{6}Z$")
MANIFEST = "manifest.json"


def snapshot_dir(root: str | Path, collector: str, collected_at: datetime) -> Path:
    return Path(root) / "snapshots" / collector / collected_at.astimezone(UTC).strftime(STAMP_FORMAT)


def write_snapshot(
    root: str | Path,
    collector: str,
    frames: Mapping[str, pd.DataFrame],
    failures: list[dict[str, Any]],
    collected_at: datetime | None = None,
    **manifest_extra: Any,
) -> Path:
    """Write ``frames`` and a manifest as one new snapshot; returns its folder."""
    collected_at = (collected_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    folder = snapshot_dir(root, collector, collected_at)
    if folder.exists():
        raise LakeError(f"{folder} already exists: snapshots are never overwritten; wait a second and retry")
    folder.mkdir(parents=True)
    tables = {}
    for name, df in frames.items():
        out = df.copy()
        out.attrs = {}
        out["collected_at"] = pd.Timestamp(collected_at)
        out.to_parquet(folder / f"{name}.parquet", index=False)
        tables[name] = {"file": f"{name}.parquet", "rows": len(out)}
    manifest = {
        "collector": collector,
        "collected_at": collected_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tables": tables,
        "failures": failures,
        **manifest_extra,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return folder


def snapshot_folders(root: str | Path, collector: str) -> list[Path]:
    """Snapshot folders of ``collector`` below ``root``, oldest first."""
    base = Path(root) / "snapshots" / collector
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and STAMP.match(p.name))


def read_manifests(root: str | Path, collector: str) -> list[dict[str, Any]]:
    """Every manifest of ``collector``, oldest first, each with its ``path``."""
    out = []
    for folder in snapshot_folders(root, collector):
        path = folder / MANIFEST
        if path.is_file():
            out.append({**json.loads(path.read_text()), "path": str(folder)})
    return out


def snapshot_recording(root: str | Path, collector: str) -> Any:
    """The API pages recorded with the newest snapshot of ``collector`` (an ``ApiRecording``),
    for code that reads recorded API state (e.g. coverage); finding pages are not kept."""

    folders = [f for f in snapshot_folders(root, collector) if (f / "api").is_dir()]
    if not folders:
        raise LakeError(
            f"no snapshot of collector '{collector}' with recorded API pages in "
            f"{Path(root) / 'snapshots' / collector}: run 'orginsight collect {collector} --out {root}'"
        )
    return ApiRecording.load(folders[-1])


def read_snapshots(root: str | Path, collector: str, table: str, latest: bool = False) -> pd.DataFrame:
    """All snapshots of one table concatenated (oldest first), or only the newest with ``latest``.

    Raises ``LakeError`` naming the folder when no snapshot holds the table.
    """
    files = [f / f"{table}.parquet" for f in snapshot_folders(root, collector)]
    files = [f for f in files if f.is_file()]
    if not files:
        raise LakeError(
            f"no '{table}' snapshots of collector '{collector}' in "
            f"{Path(root) / 'snapshots' / collector}: run 'orginsight collect {collector} --out {root}'"
        )
    if latest:
        files = files[-1:]
    frames = [pd.read_parquet(f) for f in files]
    frames = [f for f in frames if len(f)] or frames[:1]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df.attrs["snapshots"] = [str(f.parent) for f in files]
    return df
