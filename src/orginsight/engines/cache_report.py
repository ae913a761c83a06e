"""The Parquet cache in words, for people: what ``compact`` did, and how much of a lake the cache covers.

``orginsight lake compact`` prints :func:`summary` of ``Lake.compact``'s result and ``orginsight lake info``
ends with :func:`status_line`; the cache itself (``parquet_cache``) only counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orginsight.timerange import DELIVERY_LAG


def summary(result: Mapping[str, Any]) -> str:
    """What ``compact`` did, for people: written, up to date, left open, unreadable files."""
    mb = 1e6
    lines = [
        f"compacted {result['written']} partition(s) ({result['files']:,} files, {result['rows']:,} records) "
        f"into {result['cache_dir']} in {result['elapsed_s']} s: {result['gzip_bytes'] / mb:,.1f} MB of gzip -> "
        f"{result['parquet_bytes'] / mb:,.1f} MB of Parquet"
    ]
    if result["up_to_date"]:
        lines.append(f"{result['up_to_date']} partition(s) already up to date")
    if result.get("restamped"):
        lines.append(
            f"{result['restamped']} of them had their day folders recorded again (new, copied or changed folders), "
            "so queries trust them without checking each file"
        )
    if result["open"]:
        lines.append(
            f"{result['open']} open partition(s) left as JSON: CloudTrail may still deliver to days "
            f"less than {DELIVERY_LAG.days} day(s) past their end"
        )
    for fail in result["failed"]:
        lines.append(f"not compacted {fail['partition']}: {fail['error']}")
    if result["bad_files"]:
        lines.append(f"{len(result['bad_files'])} unreadable file(s) left out (as from every query):")
        lines += [f"  {b['file']}: {b['error']}" for b in result["bad_files"]]
    return "\n".join(lines)


def status_line(status: Mapping[str, Any], lake: Path) -> str:
    """One line for ``lake info``: how much of the lake the Parquet cache covers, and what to run."""
    run = f"'orginsight lake compact --lake {lake}'"
    if not status["cached"] and not status["stale"]:
        return (
            f"Parquet cache: none of {status['closed_partitions']} closed partition(s) "
            f"(optional: {run} speeds up queries repeated over closed days)"
        )
    line = (
        f"Parquet cache {status['dir']}: {status['cached']} of {status['closed_partitions']} closed "
        f"partition(s) cached, {status['stale']} stale"
    )
    missing = status["closed_partitions"] - status["cached"]
    return line + (f"; run {run} to cache the other {missing}" if missing else "")
