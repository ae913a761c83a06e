"""Verify a local lake's CloudTrail against its digests: every account and region, in parallel, cached.

The guide's steps ("Custom implementations of CloudTrail log file integrity validation"), over a whole
organization at once: each digest's signature (with its key chosen by fingerprint), each chain link
(``previousDigestS3Object``/``HashValue``/``Signature``), each listed log file's SHA-256 of its
uncompressed content. Beyond what one digest can say, the lake's own listing tells which log files no
digest lists and which hours of log files no digest covers.

A deleted digest is found from its successor's ``previousDigestS3Object``; several consecutive ones
from the time between the digests on either side of the gap (digests are hourly), each reported,
where aws-cli's ``validate-logs`` reported only the first (aws-cli issue 7054).

The costly part, reading and hashing, is done once per digest: ``<lake>/.orginsight/verify/`` (``cache``) keeps each
digest's result with the (mtime, size) of the digest, its sidecar and every log file it lists, and a
later run redoes only digests where one of them changed. Signatures and the chain are checked again on
every run (microseconds each), so a different set of public keys needs no fresh hashing.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import zlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from orginsight.sources.digests.cache import load_cache, save_cache
from orginsight.sources.digests.format import (
    DIGEST_KEY,
    HASH_ALGORITHM,
    SIGNATURE_ALGORITHM,
    Digest,
    digest_key,
    parse_digest,
    read_sidecar,
    signing_string,
    verify_signature,
)
from orginsight.sources.digests.walk import FoundDigest, find_digests
from orginsight.sources.layout import iter_cloudtrail_folders

if TYPE_CHECKING:
    import pandas as pd

PROBLEM_KINDS = {
    "log_modified": "a log file whose SHA-256 is not the one its digest recorded (or that cannot be read)",
    "log_deleted": "a log file a digest lists that the lake does not hold",
    "log_not_listed": "a log file in an hour the digests cover that no digest lists (added afterwards)",
    "digest_missing": "a digest the chain names (or the hours between its neighbours imply) that is absent",
    "digest_invalid": "a digest with a bad signature, an unknown key, a broken link, a moved or unreadable file",
    "hour_without_digest": "an hour of log files that no digest covers (validation off, or the newest digests gone)",
}
"""What ``verify`` reports, one row per problem."""

COLUMNS = ["kind", "account", "region", "hour", "digest", "log_file", "detail"]

DELIVERY_SLACK = timedelta(minutes=15)
"""A log file named at time t is listed by the digest covering its delivery, up to ~15 minutes later (CloudTrail
delivers within about 5 minutes of the API call, 2026): a file is "not listed" only if both t and t + this
lie in hours that present digests cover."""

HOUR = timedelta(hours=1)
_READ = 1 << 20
_LOG_TIME = re.compile(r"_(\d{8}T\d{4})Z_[^/]*$")


@dataclass
class VerifyResult:
    """What ``verify`` found: ``problems`` (``COLUMNS``, one row per problem) and counts in ``summary``."""

    problems: pd.DataFrame
    summary: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as a few readable lines."""
        s = self.summary
        out = [
            f"digests           {s['digests']:,} ({s['digests_hashed']:,} checked now, {s['digests_cached']:,} "
            f"unchanged since the last run)",
            f"log files         {s['log_files_verified']:,} verified, {s['bytes_hashed'] / 1e6:,.1f} MB read now; "
            f"{s['log_files_unverified']:,} in hours no digest vouches for",
            f"signatures        {s['signatures']}",
            f"accounts          {len(s['accounts'])} with digests, problems in {len(s['accounts_with_problems'])}"
            + (f": {', '.join(s['accounts_with_problems'])}" if s["accounts_with_problems"] else ""),
        ]
        out += [f"  {kind:<18}{n:,}" for kind, n in s["problems"].items() if n]
        out.append(f"took              {s['seconds']:.1f} s")
        return out


def verify(
    lake_root: str | os.PathLike[str],
    since: datetime | None = None,
    until: datetime | None = None,
    accounts: set[str] | None = None,
    public_keys: Mapping[str, object] | None = None,
    *,
    workers: int | None = None,
    progress: bool = False,
    cache: bool = True,
) -> VerifyResult:
    """Check the lake's CloudTrail between ``since`` and ``until`` (aware UTC) against its digests.

    ``public_keys``: fingerprint -> public key (``format.load_public_keys``); with none, signatures
    are not checked and the summary says so.
    """
    import pandas as pd  # reason: pandas loads only when a verification runs

    t0 = time.perf_counter()
    root = Path(lake_root)
    found = list(find_digests(root, accounts, since, until))
    entries, stale = load_cache(root, found) if cache else ({}, found)
    fresh = _check_all(root, stale, workers, progress)
    entries.update(fresh)
    if cache and fresh:
        save_cache(root, found, entries)
    rows, counts = _chain_checks(found, entries, public_keys or {}, since)
    file_rows, unverified, verified = _coverage_checks(root, found, entries, accounts, since, until)
    rows += file_rows
    problems = pd.DataFrame(rows, columns=COLUMNS).sort_values(["account", "region", "hour", "kind"])
    problems = problems.reset_index(drop=True)
    for column in ("digest", "log_file"):  # missing is None, never NaN
        problems[column] = problems[column].astype(object).where(problems[column].notna(), None)
    by_kind = {k: int((problems["kind"] == k).sum()) for k in PROBLEM_KINDS}
    summary = {
        "digests": len(found),
        "digests_hashed": len(fresh),
        "digests_cached": len(found) - len(fresh),
        "log_files_verified": verified,
        "log_files_unverified": unverified,
        "bytes_hashed": sum(e["bytes"] for e in fresh.values()),
        "signatures": counts,
        "accounts": sorted({f.account for f in found}),
        "accounts_with_problems": sorted(set(problems["account"])),
        "problems": by_kind,
        "seconds": time.perf_counter() - t0,
    }
    return VerifyResult(problems, summary)


def _check_all(root: Path, todo: list[FoundDigest], workers: int | None, progress: bool) -> dict[str, dict]:
    """Read, hash and parse each digest in ``todo`` and hash every log file it lists, in threads (zlib and
    hashlib release the GIL on large buffers, so threads use every core without pickling)."""
    from tqdm import tqdm  # reason: the progress bar loads only when there is work

    out: dict[str, dict] = {}
    with (
        ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool,
        tqdm(total=len(todo), unit="digest", desc="verify", disable=not progress) as bar,
    ):
        for found, entry in zip(todo, pool.map(lambda f: check_digest(root, f), todo), strict=True):
            out[found.rel] = entry
            bar.update()
    return out


def check_digest(root: Path, found: FoundDigest) -> dict:
    """One digest's cacheable result: its fields, own hash, signing string, sidecar, and each listed file's
    outcome with the (mtime, size) it had when hashed."""
    entry: dict = {"stat": found.stat, "sidecar_stat": found.sidecar, "bytes": 0, "files": {}}
    try:
        with open(found.path, "rb") as f:
            body = zlib.decompress(f.read(), 31)
        digest = parse_digest(body)
        entry["message"] = signing_string(body).decode()
    except (OSError, ValueError, KeyError, TypeError, zlib.error) as e:
        entry["error"] = f"unreadable digest: {type(e).__name__}: {e}"
        return entry
    entry["sha256"] = hashlib.sha256(body).hexdigest()
    entry["digest"] = _digest_json(digest)
    meta = read_sidecar(found.path)
    entry["metadata"] = meta
    for key, expected, algorithm in digest.log_files:
        entry["files"][key] = _check_log_file(root, key, expected, algorithm, entry)
    return entry


def _check_log_file(root: Path, key: str, expected: str, algorithm: str, entry: dict) -> list:
    """[outcome, mtime_ns, size] of one listed log file: ``ok``, ``deleted`` or ``modified: why``."""
    path = os.path.join(root, key)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ["deleted", None, None]
    if algorithm != HASH_ALGORITHM:
        return [f"modified: unsupported hash algorithm {algorithm!r}", st.st_mtime_ns, st.st_size]
    try:
        actual = hash_uncompressed(path)
    except (OSError, zlib.error) as e:
        return [f"modified: unreadable ({e})", st.st_mtime_ns, st.st_size]
    entry["bytes"] += st.st_size
    outcome = "ok" if actual == expected else f"modified: SHA-256 {actual}, digest recorded {expected}"
    return [outcome, st.st_mtime_ns, st.st_size]


def hash_uncompressed(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a gzip file's uncompressed content (what a digest's ``hashValue`` is): read whole
    when small, as log files are (one call each instead of a loop), streamed otherwise."""
    h = hashlib.sha256()
    inflate = zlib.decompressobj(31)
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(_READ):
            h.update(inflate.decompress(chunk))
            while inflate.eof and inflate.unused_data:  # a multi-member gzip file
                rest = inflate.unused_data
                inflate = zlib.decompressobj(31)
                h.update(inflate.decompress(rest))
            if inflate.eof and len(chunk) < _READ:
                break
    h.update(inflate.flush())
    if not inflate.eof:
        raise zlib.error("truncated gzip stream")
    return h.hexdigest()


def _digest_json(d: Digest) -> dict:
    return {
        "key": d.key,
        "start": d.start.isoformat(),
        "end": d.end.isoformat(),
        "fingerprint": d.fingerprint,
        "algorithm": d.algorithm,
        "previous_key": d.previous_key,
        "previous_hash": d.previous_hash,
        "previous_signature": d.previous_signature,
    }


# --- the checks over all digests --------------------------------------------------------------------------


def _row(
    kind: str, f: FoundDigest | None, hour: datetime | None, digest: str | None, log: str | None, detail: str
) -> dict:
    return {
        "kind": kind,
        "account": f.account if f else None,
        "region": f.region if f else None,
        "hour": hour.replace(minute=0, second=0, microsecond=0) if hour else None,
        "digest": digest,
        "log_file": log,
        "detail": detail,
    }


def _chain_checks(
    found: list[FoundDigest], entries: dict[str, dict], keys: Mapping[str, object], since: datetime | None
) -> tuple[list[dict], str]:
    """Signatures, chain links and gaps, and each listed log file's outcome, as problem rows."""
    rows: list[dict] = []
    by_key = {f.rel: f for f in found}
    successor = {
        e["digest"]["previous_key"]: rel for rel, e in entries.items() if "digest" in e and rel in by_key
    }
    checked = unsigned = 0
    for f in found:
        e = entries[f.rel]
        if "error" in e:
            rows.append(_row("digest_invalid", f, f.end, f.rel, None, e["error"]))
            continue
        d = e["digest"]
        nxt = entries[successor[f.rel]]["digest"] if f.rel in successor else None
        signature = (e["metadata"] or {}).get("signature") or (nxt or {}).get("previous_signature")
        why = _invalid(f, e, d, nxt, signature, keys)
        if why:
            rows.append(_row("digest_invalid", f, f.end, f.rel, None, why))
        checked += bool(keys and signature and not why)
        unsigned += not signature
        for key, (outcome, _, _) in e["files"].items():
            if outcome == "deleted":
                rows.append(
                    _row("log_deleted", f, _log_time(key), f.rel, key, "listed by the digest, absent")
                )
            elif outcome != "ok":
                rows.append(
                    _row("log_modified", f, _log_time(key), f.rel, key, outcome.removeprefix("modified: "))
                )
    rows += _gaps(found, entries, by_key, since)
    if not keys:
        return rows, "not checked: no public keys (pass --public-keys, or record ListPublicKeys in the lake)"
    return rows, f"{checked:,} verified" + (
        f", {unsigned:,} without a signature to check" if unsigned else ""
    )


def _invalid(
    f: FoundDigest, e: dict, d: dict, nxt: dict | None, signature: str | None, keys: Mapping[str, object]
) -> str | None:
    """Why a readable digest is not valid, or None."""
    if d["key"] != f.rel:
        return f"moved: the digest says it is {d['key']}"
    meta_algorithm = (e["metadata"] or {}).get("signature-algorithm")
    if d["algorithm"] != SIGNATURE_ALGORITHM or meta_algorithm not in (None, SIGNATURE_ALGORITHM):
        return f"unsupported signature algorithm {d['algorithm']!r}"
    if nxt is not None and nxt["previous_hash"] != e["sha256"]:
        return "its SHA-256 is not the one the next digest recorded (previousDigestHashValue)"
    if keys and signature:
        key = keys.get(d["fingerprint"])
        if key is None:
            return f"unknown public key fingerprint {d['fingerprint']}"
        if not verify_signature(key, signature, e["message"].encode()):
            return "bad signature"
    return None


def _gaps(
    found: list[FoundDigest], entries: dict[str, dict], by_key: dict[str, FoundDigest], since: datetime | None
) -> list[dict]:
    """A ``digest_missing`` row per absent digest: the one a successor names, and the hourly ones between it and
    the present digest before it, whose names are inferred from the hours."""
    rows: list[dict] = []
    chains: dict[tuple, list[FoundDigest]] = defaultdict(list)
    for f in found:
        if "digest" in entries[f.rel]:
            chains[(f.account, f.region, f.trail)].append(f)
    for chain in chains.values():
        chain.sort(key=lambda f: f.end)
        for i, f in enumerate(chain):
            prev = entries[f.rel]["digest"]["previous_key"]
            if not prev or prev in by_key:
                continue
            m = DIGEST_KEY.search(prev)
            prev_end = datetime.strptime(m["end"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if m else None
            if since and prev_end and prev_end < since:
                continue  # before the window: not looked at
            rows.append(_row("digest_missing", f, prev_end, prev, None, f"named by {f.rel}"))
            if i == 0 or prev_end is None:
                continue
            before = chain[i - 1]
            between = round((prev_end - datetime.fromisoformat(entries[before.rel]["digest"]["end"])) / HOUR)
            for k in range(1, between):
                end = datetime.fromisoformat(entries[before.rel]["digest"]["end"]) + k * HOUR
                key = digest_key(f.account, f.region, end, f.trail, f.home, f.org)
                rows.append(
                    _row("digest_missing", f, end, key, None, f"inferred: between {before.rel} and {prev}")
                )
    return rows


def _coverage_checks(
    root: Path,
    found: list[FoundDigest],
    entries: dict[str, dict],
    accounts: set[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[dict], int, int]:
    """Log files no digest lists: ``log_not_listed`` inside covered hours, ``hour_without_digest`` outside any
    digest or gap; files in the hours of missing digests are counted as unverified, not reported twice."""
    listed: set[str] = set()
    covered: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    spans: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    verified = 0
    for f in found:
        e = entries[f.rel]
        if "digest" not in e:
            continue
        listed.update(e["files"])
        verified += sum(1 for outcome, _, _ in e["files"].values() if outcome == "ok")
        d = e["digest"]
        covered[(f.account, f.region)].append(
            (datetime.fromisoformat(d["start"]), datetime.fromisoformat(d["end"]))
        )
    for (account, region), intervals in covered.items():
        intervals.sort()
        spans[(account, region)] = [(intervals[0][0], intervals[-1][1])]
    selector = _Selector(accounts, since, until)
    rows: list[dict] = []
    without: dict[tuple[str, str, datetime], int] = defaultdict(int)
    unverified = 0
    prefix = len(os.path.join(root, ""))
    for folder in iter_cloudtrail_folders(root, selector):  # names only: no stat per log file
        key = (folder.account, folder.region)
        base = folder.path[prefix:].replace(os.sep, "/") + "/"
        for name in folder.names:
            rel = base + name
            t = _log_time(name)
            if rel in listed or t is None or (since and t < since) or (until and t >= until):
                continue
            if _inside(covered[key], t) and _inside(covered[key], t + DELIVERY_SLACK):
                rows.append(
                    _row("log_not_listed", _Where(*key), t, None, rel, "in hours the digests cover, in none")
                )
            elif _inside(spans[key], t):
                unverified += 1  # in the hours of missing digests, already reported
            else:
                without[(*key, t.replace(minute=0, second=0, microsecond=0))] += 1
    for (account, region, hour), n in sorted(without.items()):
        rows.append(
            _row("hour_without_digest", _Where(account, region), hour, None, None, f"{n} log file(s)")
        )
        unverified += n
    return rows, unverified, verified


@dataclass(frozen=True)
class _Where:
    account: str
    region: str


@dataclass
class _Selector:
    """A ``layout.PartitionSelector`` for the walk of the log files."""

    accounts: set[str] | None
    since: datetime | None
    until: datetime | None
    regions: set[str] | None = None

    @property
    def first_day(self) -> date | None:
        return self.since.date() if self.since else None

    @property
    def last_day(self) -> date | None:
        return self.until.date() if self.until else None


def _inside(intervals: list[tuple[datetime, datetime]], t: datetime) -> bool:
    """Whether ``t`` lies in one of the sorted [start, end) ``intervals``."""
    i = bisect_right(intervals, (t, datetime.max.replace(tzinfo=UTC))) - 1
    return i >= 0 and intervals[i][0] <= t < intervals[i][1]


def _log_time(key: str) -> datetime | None:
    """The time a CloudTrail log file's name carries (``..._20150817T1445Z_<random>.json.gz``)."""
    m = _LOG_TIME.search(key)
    if m is None:
        return None
    s = m[1]  # YYYYMMDDTHHMM: sliced, as strptime costs 30 us a file
    try:
        return datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), int(s[9:11]), int(s[11:13]), tzinfo=UTC)
    except ValueError:
        return None
