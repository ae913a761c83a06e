"""The DuckDB SQL that stands for one ``cloudtrail`` reference of a query, over raw JSON log files.

Files are read with ``read_json_objects`` + ``json_transform`` (one JSON object per file, only
the columns the query names): on this machine that ran about 8x faster than ``read_json`` on
CloudTrail files (DESIGN.md). Partition values come from each file's key, once per file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from orginsight.engines import parquet_cache
from orginsight.sources import schema
from orginsight.sources.layout import CloudTrailFile

MAX_OBJECT_SIZE = 2**31 - 1
"""DuckDB's largest JSON object. A whole CloudTrail file is one object, often past DuckDB's 16 MB default."""


def object_size_limit(json_sizes: list[int]) -> int:
    """The ``maximum_object_size`` for reading files of these JSON sizes: big enough for the largest, no bigger.

    DuckDB sizes its read buffers by this limit, so the 2 GB maximum made
    small-file scans measurably slower here (0.9 s against 0.6 s for 384 files).
    """
    return int(min(MAX_OBJECT_SIZE, max(2**20, max(json_sizes, default=0) + 1024)))


PARTITION_PATTERNS = {
    "account": r"/(\d{12})/CloudTrail/",
    "region": r"/CloudTrail/([a-z0-9-]+)/",
    "timestamp": r"/CloudTrail/[a-z0-9-]+/(\d{4}/\d{2}/\d{2})/",
}
"""Where each partition value sits in a file's key (the regular expression's one group)."""


def partition_values_sql(columns: list[str], file_name: str) -> str:
    """``regexp_extract`` of each partition column from ``file_name``: a column, or ``NULL::VARCHAR`` when no file
    is read. Computed once per file, before its records are unnested; each ends with ``", "``."""
    return "".join(f"regexp_extract({file_name}, '{PARTITION_PATTERNS[c]}', 1) AS \"{c}\", " for c in columns)


def scan_sql(
    columns: dict[str, set[tuple[str, ...]] | None] | None,
    any_files: bool,
    max_object_size: int = MAX_OBJECT_SIZE,
) -> str:
    """The DuckDB SELECT that stands for one reference of ``cloudtrail``: one row per record."""
    if columns is None:
        columns = dict.fromkeys(schema.COLUMNS)
    data_cols = {c: p for c, p in columns.items() if c in schema.CLOUDTRAIL_FIELDS} or {"eventid": None}
    spec = json.dumps(schema.json_spec(data_cols)).replace("'", "''")
    parts = [c for c in schema.PARTITION_COLUMNS if c in columns]
    outer = ", ".join(schema.select_list(data_cols) + [f'"{c}"' for c in parts])
    if not any_files:
        # No file matches: an empty relation with the right columns keeps the query valid.
        return (
            f"SELECT {outer} FROM (SELECT {partition_values_sql(parts, 'NULL::VARCHAR')}"
            f"unnest(json_transform('{{\"Records\": []}}', '{spec}').\"Records\") AS r) WHERE false"
        )
    return (
        f"SELECT {outer} FROM (SELECT {partition_values_sql(parts, 'filename')}"
        f"unnest(json_transform(json, '{spec}').\"Records\") AS r "
        f"FROM read_json_objects($files, filename = true, format = 'unstructured', "
        f"maximum_object_size = {max_object_size}))"
    )


@dataclass
class ScanPlan:
    """What one ``cloudtrail`` reference reads, from ``LocalEngine.plan``."""

    checked: list[CloudTrailFile]
    """Good files that were stat'ed and checked (JSON files, and those of partitions cached after a per-file check)."""
    trusted: list[tuple[parquet_cache.PartitionKey, parquet_cache.Manifest]]
    """Cached partitions taken on their folders: their files were neither stat'ed nor checked."""
    bad: list[dict[str, str]]
    split: parquet_cache.CacheSplit
    files_statted: int

    def partitions(self) -> set[parquet_cache.PartitionKey]:
        """The partitions holding good files."""
        keys = {parquet_cache.PartitionKey(f.account, f.region, f.day) for f in self.checked}
        return keys | {key for key, m in self.trusted if m.files}

    def good_files(self, root: Path) -> dict[str, int]:
        """Every good file's path with its size (from the manifests for trusted partitions)."""
        out = {f.path: f.size for f in self.checked}
        base = str(root / "AWSLogs")
        for _, m in self.trusted:
            out.update((parquet_cache.absolute_path(p, root, base), size) for p, size, _ in m.files)
        return out
