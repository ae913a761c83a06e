"""What a local lake holds: files and records per account and region, and the files that cannot be read."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.engines.cache_report import status_line
from orginsight.engines.local import LocalEngine
from orginsight.errors import LakeError


@dataclass
class LakeInfo:
    """Counts per account and region (``partitions``) and every unreadable file with its reason."""

    root: Path
    partitions: pd.DataFrame
    bad_files: list[dict[str, str]] = field(default_factory=list)
    cache: dict[str, Any] | None = None
    """Parquet cache coverage of closed partitions (``ParquetCache.status``)."""

    @property
    def records(self) -> int:
        return int(self.partitions["records"].sum()) if len(self.partitions) else 0

    @property
    def files(self) -> int:
        return int(self.partitions["files"].sum()) if len(self.partitions) else 0

    def render(self) -> str:
        lines = [f"lake {self.root}: {self.records:,} CloudTrail records in {self.files:,} readable file(s)"]
        if len(self.partitions):
            with pd.option_context("display.width", 160, "display.max_rows", 500):
                lines.append(self.partitions.to_string(index=False))
        if self.cache is not None:
            lines.append(status_line(self.cache, self.root))
        if self.bad_files:
            lines.append(f"{len(self.bad_files)} unreadable file(s), left out of every query:")
            lines += [f"  {b['file']}: {b['error']}" for b in self.bad_files]
        return "\n".join(lines)


def lake_info(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> LakeInfo:
    """Check every CloudTrail file of the lake once (cached), count what it holds and what the Parquet cache covers."""

    root = Path(path)
    if not root.is_dir():
        raise LakeError(f"no lake at {root}")
    held = LocalEngine(root, cache_dir=cache_dir).inventory()
    rows = [
        {
            "account": f.account,
            "region": f.region,
            "day": f.day,
            "records": held.records[f.path],
            "bytes": f.size,
        }
        for f in held.good
    ]
    frame = pd.DataFrame(rows, columns=["account", "region", "day", "records", "bytes"])
    partitions = (
        frame.groupby(["account", "region"], as_index=False).agg(
            files=("records", "size"),
            records=("records", "sum"),
            bytes=("bytes", "sum"),
            first_day=("day", "min"),
            last_day=("day", "max"),
        )
        if len(frame)
        else pd.DataFrame(columns=["account", "region", "files", "records", "bytes", "first_day", "last_day"])
    )
    return LakeInfo(root=root, partitions=partitions, bad_files=held.bad, cache=held.cache)
