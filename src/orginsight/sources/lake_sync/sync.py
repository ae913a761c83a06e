"""``sync``: bring a window of the organization's bucket home, as a local lake laid out like the bucket.

The steps follow the data: name the day folders (``keys``), list them in parallel, keep the keys of the
expected shapes, copy what the lake does not hold yet (``bucket``, recorded in ``manifest``), then check
each copied log file a copied digest lists against the SHA-256 the digest recorded (``digests.verify``).
A prefix that cannot be listed or an object that cannot be read is a failure with its reason, and the
rest goes on; an interruption (Ctrl-C) stops the copies, keeps every finished one, and re-raises.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orginsight.errors import ParameterError
from orginsight.sources.digests.format import DIGEST_KEY, SIDECAR_SUFFIX, lake_relative
from orginsight.sources.digests.verify import check_digest
from orginsight.sources.digests.walk import find_digests
from orginsight.sources.lake_sync.bucket import describe, download, list_folders, list_objects, s3_client
from orginsight.sources.lake_sync.bucket import write_atomically as write_file
from orginsight.sources.lake_sync.keys import (
    SyncTarget,
    bad_key,
    check_account,
    day_prefixes,
    days_between,
    local_path,
    parse_s3_uri,
    storage_lens_prefixes,
    unexpected,
)
from orginsight.sources.lake_sync.manifest import Copied, Manifest
from orginsight.sources.layout import TRAIL_FOLDER, is_account_id, is_region
from orginsight.timerange import parse_time, utc_now

DEFAULT_WORKERS = 16
"""Copies in flight: each is mostly waiting on the network, so threads well beyond the cores pay off."""

MAX_LISTED = 20
"""Unexpected keys and failures the summary lines name (the report keeps them all)."""


@dataclass
class SyncReport:
    """What a sync did: counts, and every unexpected key and failure with its reason."""

    prefixes: int = 0
    listed: int = 0
    copied: int = 0
    bytes_copied: int = 0
    skipped: int = 0
    bytes_skipped: int = 0
    verified: int = 0
    unexpected: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The summary as a few readable lines (keys quoted with ``ascii``: they come from the bucket)."""
        out = [
            f"listed      {self.listed:,} objects under {self.prefixes:,} prefixes",
            f"copied      {self.copied:,} objects, {self.bytes_copied / 1e6:,.1f} MB",
            f"skipped     {self.skipped:,} objects already in the lake, unchanged ({self.bytes_skipped / 1e6:,.1f} MB)",
            f"verified    {self.verified:,} log files against their digests' SHA-256",
            f"unexpected  {len(self.unexpected):,} keys not copied",
            f"failed      {len(self.failed):,}",
            f"took        {self.seconds:.1f} s",
        ]
        for key, why in self.unexpected[:MAX_LISTED]:
            out.append(f"  unexpected {ascii(key)}: {why}")
        for where, why in self.failed[:MAX_LISTED]:
            out.append(f"  failed {ascii(where)}: {why}")
        hidden = max(0, len(self.unexpected) - MAX_LISTED) + max(0, len(self.failed) - MAX_LISTED)
        if hidden:
            out.append(f"  ... and {hidden:,} more")
        return out


def sync(
    uri: str,
    lake: str | Path,
    since: Any,
    until: Any = None,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    *,
    client: Any = None,
    profile: str | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: bool = False,
) -> SyncReport:
    """Copy the days from ``since`` to ``until`` (default now; whole days, UTC) of the trail at ``uri``
    (``s3://BUCKET/[prefix/]AWSLogs/o-xxxx``), its digests and Insights events, the GuardDuty findings
    export and the Storage Lens export beside it, for ``accounts`` and ``regions`` (default: every one
    the bucket has, found by listing folder names only), into ``lake``.

    ``client``: an S3 client to use (default: one from ``profile``). See the module docstring.
    """
    t0 = time.perf_counter()
    target = parse_s3_uri(uri)
    first, last = parse_time(since).date(), (parse_time(until) if until is not None else utc_now()).date()
    if last < first:
        raise ParameterError(f"--until ({last}) is before --since ({first})")
    root = Path(lake)
    root.mkdir(parents=True, exist_ok=True)
    s3 = client or s3_client(profile, workers)
    report = SyncReport()
    days = days_between(first, last)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        prefixes = _prefixes(s3, target, accounts, regions, days, report, pool)
        wanted = _list(s3, target, prefixes, report, pool, progress)
        manifest = Manifest(root)
        todo = _plan(root, target, wanted, manifest, report)
        try:
            _copy(s3, target, todo, manifest, report, pool, progress)
        finally:
            manifest.compact()
    _verify_digests(root, target, wanted, report, days)
    report.seconds = time.perf_counter() - t0
    return report


def _prefixes(
    s3: Any,
    target: SyncTarget,
    accounts: Iterable[str] | None,
    regions: Iterable[str] | None,
    days: list,
    report: SyncReport,
    pool: ThreadPoolExecutor,
) -> list[tuple[str, str]]:
    """The (source, prefix) pairs to list; accounts, regions and Storage Lens configurations not given are
    found from folder names (a failure to list one is reported, the rest goes on)."""
    accounts = [check_account(a) for a in accounts] if accounts else None
    if accounts is None:
        found = _folders(s3, target.bucket, target.accounts_prefix(), report)
        accounts = [a for a in found if is_account_id(a)]
    out: list[tuple[str, str]] = []
    for account, account_regions in zip(
        accounts, pool.map(lambda a: _regions_of(s3, target, a, regions, report), accounts), strict=True
    ):
        out += day_prefixes(target, [account], account_regions, days)
    for account in accounts:
        for config in _folders(s3, target.bucket, f"{target.base}StorageLens/{account}/", report):
            if bad_key(config):
                report.unexpected.append(
                    (f"{target.base}StorageLens/{account}/{config}/", "not a folder name")
                )
                continue
            out += [("storagelens", p) for p in storage_lens_prefixes(target, account, config, days)]
    return out


def _regions_of(
    s3: Any, target: SyncTarget, account: str, regions: Iterable[str] | None, report: SyncReport
) -> list[str]:
    if regions:
        return list(regions)
    found = _folders(s3, target.bucket, f"{target.account_prefix(account)}{TRAIL_FOLDER}/", report)
    return [r for r in found if is_region(r)]


def _folders(s3: Any, bucket: str, prefix: str, report: SyncReport) -> list[str]:
    try:
        return list_folders(s3, bucket, prefix)
    except Exception as e:  # noqa: BLE001 - one prefix's failure is reported; the rest goes on
        report.failed.append((f"s3://{bucket}/{prefix}", f"listing: {describe(e)}"))
        return []


def _list(
    s3: Any,
    target: SyncTarget,
    prefixes: list[tuple[str, str]],
    report: SyncReport,
    pool: ThreadPoolExecutor,
    progress: bool,
) -> list[Copied]:
    """The objects of every prefix that have their source's key shape; the others reported as unexpected."""
    from tqdm import tqdm  # reason: the progress bar loads only when a sync runs

    report.prefixes = len(prefixes)
    wanted: list[Copied] = []
    futures = {pool.submit(list_objects, s3, target.bucket, p): (source, p) for source, p in prefixes}
    with tqdm(total=len(futures), unit="prefix", desc="list", disable=not progress) as bar:
        for future in as_completed(futures):
            source, prefix = futures[future]
            bar.update()
            try:
                objects = future.result()
            except Exception as e:  # noqa: BLE001 - AccessDenied or throttling on one prefix: reported
                report.failed.append((f"s3://{target.bucket}/{prefix}", f"listing: {describe(e)}"))
                continue
            report.listed += len(objects)
            for o in objects:
                why = unexpected(source, o.key, prefix, target)
                if why:
                    report.unexpected.append((o.key, why))
                else:
                    wanted.append(o)
    wanted.sort(key=lambda o: o.key)
    return wanted


def _plan(
    root: Path, target: SyncTarget, wanted: list[Copied], manifest: Manifest, report: SyncReport
) -> list[tuple[Copied, Path]]:
    """The objects to copy: those the lake does not hold as listed now (new, changed, or their file gone)."""
    todo = []
    for o in wanted:
        path = local_path(root, target, o.key)
        if path is None:
            report.unexpected.append((o.key, "would be written outside the lake"))
        elif manifest.holds(o, path):
            report.skipped += 1
            report.bytes_skipped += o.size
        else:
            todo.append((o, path))
    return todo


def _copy(
    s3: Any,
    target: SyncTarget,
    todo: list[tuple[Copied, Path]],
    manifest: Manifest,
    report: SyncReport,
    pool: ThreadPoolExecutor,
    progress: bool,
) -> None:
    """Copy ``todo`` in the pool; each finished copy is recorded at once, each failure reported."""
    from tqdm import tqdm  # reason: the progress bar loads only when a sync runs

    futures: dict[Future, Copied] = {pool.submit(_copy_one, s3, target.bucket, o, p): o for o, p in todo}
    bar = tqdm(
        total=sum(o.size for o, _ in todo), unit="B", unit_scale=True, desc="copy", disable=not progress
    )
    try:
        for future in as_completed(futures):
            o = futures[future]
            try:
                future.result()
            except Exception as e:  # noqa: BLE001 - one object's failure is reported; the rest goes on
                report.failed.append((o.key, describe(e)))
                continue
            manifest.record(o)
            report.copied += 1
            report.bytes_copied += o.size
            bar.update(o.size)
    except BaseException:
        for future in futures:  # an interruption: copies not started never start
            future.cancel()
        raise
    finally:
        bar.close()


def _copy_one(s3: Any, bucket: str, o: Copied, path: Path) -> None:
    metadata = download(s3, bucket, o, path)
    if DIGEST_KEY.search(o.key):
        # A lake has no S3 metadata: the digest's signature goes in its sidecar (digests.format).
        write_file(Path(f"{path}{SIDECAR_SUFFIX}"), [_json(metadata)])


def _json(metadata: dict[str, str]) -> bytes:
    return json.dumps(metadata, sort_keys=True).encode()


def _verify_digests(
    root: Path, target: SyncTarget, wanted: list[Copied], report: SyncReport, days: list
) -> None:
    """Hash each log file a synced digest lists and the sync brought, against the digest's SHA-256."""
    synced = {o.key[len(target.base) :] for o in wanted}
    accounts = {k.split("/")[2 if target.org else 1] for k in synced if k.startswith("AWSLogs/")}
    if not accounts:
        return
    since = datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC)
    for found in find_digests(root, accounts, since, None):
        if found.rel not in synced:
            continue
        entry = check_digest(root, found)
        if "error" in entry:
            report.failed.append((found.rel, entry["error"]))
            continue
        for key, (outcome, _, _) in entry["files"].items():
            rel = lake_relative(key)
            if rel not in synced or outcome == "deleted":
                continue  # outside the window, or not copied (its failure is already reported)
            if outcome == "ok":
                report.verified += 1
            else:
                report.failed.append((rel, f"digest {found.rel}: {outcome.removeprefix('modified: ')}"))
