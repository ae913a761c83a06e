"""GuardDuty's S3 export in a local lake, read into the normalized findings frame.

The export writes ``AWSLogs/<account>/GuardDuty/<region>/yyyy/mm/dd/<uuid>.jsonl.gz`` (the key
layout is ``orginsight.sources.layout.GUARDDUTY_KEY``), one camelCase finding a line, and writes a
finding again at each update. ``orginsight.collectors.guardduty_export.read_guardduty_export_s3`` reads the
same objects from the bucket itself, with the parsing here.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd

from orginsight.sources.findings import FindingsBatch, findings_frame
from orginsight.sources.layout import GUARDDUTY_KEY


def iter_export_files(root: str | Path) -> list[tuple[Path, dict[str, str]]]:
    """GuardDuty export objects below ``root`` (a lake folder), with account and region from the key."""
    root = Path(root)
    found = []
    for dirpath, dirs, files in os.walk(root / "AWSLogs"):
        # CloudTrail's folders hold tens of thousands of log files a day: never walk them.
        dirs[:] = [d for d in dirs if not d.startswith("CloudTrail")]
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in files:
            m = GUARDDUTY_KEY.search(f"{rel}/{name}")
            if m:
                found.append((Path(dirpath, name), m.groupdict()))
    return sorted(found)


def parse_export_object(data: bytes, origin: str) -> FindingsBatch:
    """Normalized rows and problems of one export object (gzip or plain JSON lines); never raises.

    A damaged line loses only itself (reported as ``origin:line``), and a truncated gzip object keeps
    every complete line it decompressed to (see ``orginsight.sources.findings``).
    """
    batch = FindingsBatch()
    batch.add_bytes(data, origin)
    return batch


def export_frame(batch: FindingsBatch, org: pd.DataFrame | None, latest_only: bool) -> pd.DataFrame:
    """The findings frame of export rows; GuardDuty exports a finding again at each update (count and
    last seen grow), so ``latest_only`` keeps each finding's newest version, as GetFindings returns it."""
    df = findings_frame(batch.rows, org)
    if latest_only and len(df):
        df = (
            df.sort_values(["last_seen", "count"], kind="stable")
            .drop_duplicates("finding_id", keep="last")
            .sort_values("last_seen")
            .reset_index(drop=True)
        )
    batch.mark(df)
    return df


def read_guardduty_export(
    root: str | Path,
    org: pd.DataFrame | None = None,
    accounts: set[str] | None = None,
    regions: set[str] | None = None,
    latest_only: bool = True,
    exported_since: date | None = None,
) -> pd.DataFrame:
    """Findings from GuardDuty's S3 export in a local lake, as the normalized findings frame.

    A line that is not a finding (or a file that is not readable) is skipped and described in
    ``df.attrs["errors"]`` with its file and line number (``where``: ``file:line``); the rest of that
    object and every other object are still read. Values left empty are in ``df.attrs["warnings"]``.
    ``exported_since`` skips objects exported on earlier days: GuardDuty exports a finding again
    at each update, so a finding still active on that day is in a later object.
    """
    batch = FindingsBatch()
    since = exported_since.strftime("%Y%m%d") if exported_since else None
    for path, key in iter_export_files(root):
        if (accounts and key["account"] not in accounts) or (regions and key["region"] not in regions):
            continue
        if since and key["yyyy"] + key["mm"] + key["dd"] < since:
            continue
        batch.add_file(path)
    return export_frame(batch, org, latest_only)
