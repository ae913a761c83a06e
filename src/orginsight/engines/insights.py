"""``cloudtrail_insights`` on the local engine: the Insights files a query's partition predicates allow.

Each reference to the table becomes a scan (``sources.insights.scan_sql``) of just the files of the
accounts, regions and days its WHERE clause allows (``pruning.partition_filter``, the same reading as
the trail's, walking ``CloudTrail-Insight/`` only). Each file is checked once while unchanged
(``InsightChecks``): a bad file is reported and left out, and every good file is still read. Insights
files are few and small (a handful of events an hour at most), so no Parquet cache and no per-partition
conjunct pass are needed: DuckDB applies the predicates as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from orginsight.engines import pruning
from orginsight.sources import insights
from orginsight.sources.file_verdicts import split_checked
from orginsight.sources.layout import CloudTrailFile, iter_insight_folders


@dataclass
class InsightScan:
    """One reference of ``cloudtrail_insights``: the table node, its DuckDB scan, and what it read or left out."""

    ref: exp.Table
    sql: str
    params: dict[str, list[str]] | None
    files: list[CloudTrailFile] = field(default_factory=list)
    bad: list[dict[str, str]] = field(default_factory=list)


def insight_files(root: Path, pf: pruning.PartitionFilter | None = None) -> list[CloudTrailFile]:
    """The Insights files of the lake a partition filter allows (all of them without one)."""
    return [
        f
        for d in iter_insight_folders(root, pf)
        if pf is None or pf.allows(d.account, d.region, d.day)
        for f in d.files()
    ]


def scans(root: Path, tree: Any, checks: insights.InsightChecks) -> list[InsightScan]:
    """A scan for each ``cloudtrail_insights`` reference of a parsed query (none when it names no such table)."""
    out = []
    for ref in pruning.table_refs(tree, insights.TABLE):
        good, bad = split_checked(insight_files(root, pruning.partition_filter(ref)), checks.verdict)
        params = {"files": [f.path for f in good]} if good else None
        out.append(InsightScan(ref, insights.scan_sql(bool(good)), params, good, bad))
    return out
