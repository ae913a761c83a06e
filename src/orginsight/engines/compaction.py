"""The local engine's Parquet cache written: each closed (account, region, day) of the lake's JSON copied
once as every column a query's JSON scan gives, so later queries of those days read Parquet
(``parquet_cache`` decides what is cached and fresh; ``LocalEngine.compact`` is the entry point).

Up to date is decided file by file, never on the folders alone, so compacting is also what sees a file
rewritten in place. Partitions are written ``COMPACT_WORKERS`` at a time, each on its own DuckDB cursor;
one partition's failure is reported and the rest are still written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from orginsight.engines import parquet_cache
from orginsight.engines.pruning import PartitionFilter
from orginsight.engines.scan import object_size_limit, scan_sql
from orginsight.sources.layout import CloudTrailFile
from orginsight.timerange import utc_now

if TYPE_CHECKING:
    from orginsight.engines.local import LocalEngine

COMPACT_WORKERS = 2
"""Partitions compacted at a time. One DuckDB query on a 24-file partition leaves a core idle a third of
the time; two at once took 30 ms a partition instead of 42 ms on this 2-core machine (2026-11-28)."""


def compact(engine: LocalEngine, pf: PartitionFilter | None = None, progress: bool = True) -> dict[str, Any]:
    """Write each closed partition the filter allows to the Parquet cache, unless its copy is up to date.

    Closed means CloudTrail is done delivering the day (``parquet_cache.is_closed``);
    newer partitions stay JSON. Unreadable files stay left out, and are listed in
    the result and in each partition's manifest, as queries report them.

    Up to date is decided file by file, never on the folders alone, so ``compact``
    is also what sees a file rewritten in place; an up-to-date partition whose
    manifest lacks its current folders gets them recorded (``restamped``).
    """
    started = time.perf_counter()
    engine.cache.ensure_writable()
    folders = engine.folders(pf)
    files = [f for d in folders for f in d.files()]
    good, bad = engine.check(files)
    now = utc_now()
    groups = parquet_cache.group_by_partition(good)
    folder_groups = parquet_cache.group_folders(folders)
    closed = sorted(k for k in groups if parquet_cache.is_closed(k.day, now))
    bad_by_key = _bad_by_partition(engine, files, bad)
    todo: list[tuple] = []
    restamped, failed = 0, []
    for key in closed:
        prints = parquet_cache.fingerprint(groups[key], engine.checks, engine.root)
        stamps = parquet_cache.folder_stamps(folder_groups[key], engine.root)
        bad_here = bad_by_key.get(key, ())
        m = engine.cache.manifest(key)
        if m is None or not engine.cache.is_fresh(key, m, prints):
            todo.append((key, groups[key], prints, bad_here, stamps))
        elif m.folders != stamps or m.bad_files != bad_here:
            # Up to date file by file, but its folders changed (a copied lake, a stray or bad file) or were
            # never recorded (an older manifest): record them, so the quick check serves it again.
            try:
                engine.cache.restamp(key, m, stamps, bad_here)
                restamped += 1
            except OSError as e:
                failed.append({"partition": key.label, "error": f"manifest not updated: {e}"})
    result: dict[str, Any] = {
        "cache_dir": str(engine.cache.dir),
        "written": 0,
        "up_to_date": len(closed) - len(todo),
        "open": len(groups) - len(closed),
        "files": 0,
        "rows": 0,
        "gzip_bytes": 0,
        "parquet_bytes": 0,
        "failed": failed,
        "bad_files": bad,
        "restamped": restamped,
    }
    for key, m in _write_partitions(engine, todo, now, progress, done=result["up_to_date"]):
        if isinstance(m, Exception):  # a DuckDB or disk error on one partition: report it and carry on
            result["failed"].append({"partition": key.label, "error": str(m).split("\n")[0]})
            continue
        result["written"] += 1
        result["files"] += len(groups[key])
        result["rows"] += m.rows
        result["gzip_bytes"] += sum(f.size for f in groups[key])
        result["parquet_bytes"] += m.parquet_size
    result["elapsed_s"] = round(time.perf_counter() - started, 3)
    return result


def _bad_by_partition(
    engine: LocalEngine, files: list[CloudTrailFile], bad: list[dict[str, str]]
) -> dict[parquet_cache.PartitionKey, tuple[tuple[str, int, int, str], ...]]:
    """The unreadable files of each partition, as manifests record them."""
    by_path = {f.path: f for f in files}
    out: dict[parquet_cache.PartitionKey, list[tuple[str, int, int, str]]] = {}
    for b in bad:
        f = by_path[b["file"]]
        entry = (
            parquet_cache.relative_path(f.path, engine.root),
            f.size,
            engine.checks[f.path].mtime_ns,
            b["error"],
        )
        out.setdefault(parquet_cache.partition_of(f), []).append(entry)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _write_partitions(
    engine: LocalEngine, todo: list[tuple], now: datetime, progress: bool, done: int = 0
) -> Iterator[tuple[parquet_cache.PartitionKey, parquet_cache.Manifest | Exception]]:
    """Write partitions ``COMPACT_WORKERS`` at a time, each on its own DuckDB cursor; yield each as it ends."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm.auto import tqdm

    cursors: list[Any] = []
    local = threading.local()

    def write(
        key: parquet_cache.PartitionKey, files: list[CloudTrailFile], prints: Any, bad: Any, stamps: Any
    ) -> Any:
        if not hasattr(local, "con"):
            local.con = engine.con.cursor()
            cursors.append(local.con)
        try:
            return key, _write_partition(engine, local.con, key, files, prints, bad, now, stamps)
        except Exception as e:
            return key, e

    try:
        with ThreadPoolExecutor(COMPACT_WORKERS) as pool:
            futures = [pool.submit(write, *job) for job in todo]
            bar = tqdm(
                as_completed(futures),
                total=done + len(todo),
                initial=done,
                desc="compacting",
                unit="partition",
                disable=not progress,
            )
            for future in bar:
                yield future.result()
    finally:
        for con in cursors:
            con.close()


def _write_partition(
    engine: LocalEngine,
    con: Any,
    key: parquet_cache.PartitionKey,
    files: list[CloudTrailFile],
    prints: tuple[parquet_cache.FileFingerprint, ...],
    bad: tuple[tuple[str, int, int, str], ...],
    now: datetime,
    stamps: tuple[parquet_cache.FolderStamp, ...] | None = None,
) -> parquet_cache.Manifest:
    """One partition's files, every column exactly as a query's JSON scan gives them, into the cache."""
    limit = object_size_limit([engine.checks[f.path].json_bytes for f in files])
    relation = con.sql(scan_sql(None, True, limit), params={"files": [f.path for f in files]})
    rows = sum(engine.checks[f.path].records or 0 for f in files)
    return engine.cache.write_partition(key, relation, prints, bad, rows, now, stamps)
