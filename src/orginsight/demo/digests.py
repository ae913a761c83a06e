"""The demo trail's signed digests, and the tampering story ``lake verify`` must find.

CloudTrail writes one digest an hour per account and region while log file validation is on (CloudTrail
User Guide, "CloudTrail digest file structure"), signs it with a regional key and keeps the signature in
the object's S3 metadata; the demo does the same with ``DEMO_PRIVATE_KEY``, keeps the metadata in the
``<digest>.sig`` sidecar a local lake uses (``sources.digests.format``) and records the public key as the
lake's ``api/cloudtrail/<region>/ListPublicKeys.json`` response, where ``lake verify`` finds it.

Then, in one account, an intruder covers their tracks: some log files edited (a record removed), some
deleted, and two consecutive digests removed. ``scenario.json["tampering"]`` is the ground truth.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import random
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from orginsight.demo.cloudtrail import DayResult
from orginsight.demo.org import HOME_REGION, Organization, org_trail_bucket
from orginsight.demo.records import ct_time
from orginsight.sources.digests.format import (
    HASH_ALGORITHM,
    SIDECAR_SUFFIX,
    SIGNATURE_ALGORITHM,
    digest_key,
    fingerprint,
    pkcs1_der,
    sign,
    signing_string,
)
from orginsight.sources.layout import iter_cloudtrail_files

TRAIL = "org-trail"
TAMPERED_ROLE = "nonprod"
"""The intruder's account: the first non-production workload account (always in the demo)."""

DELIVERY = timedelta(minutes=5)
"""When the demo says a log file was delivered: five minutes after the time its name carries."""

# A fixed RSA key that signs the demo's synthetic digests and nothing else: it is public, in this file,
# so anyone can re-sign the demo lake; it proves nothing about real data.
DEMO_PRIVATE_KEY = b"""\
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCep3wEOKJyPhaO
HYjVpaKKIwVIWlJWsM08qUqEyjS8IiXUiEvXNjhmFCpexoEEgJV5q0rq1S1BOFqH
ywlpWQEt5KJADZubuENcQH7kd3K4F2wfNXeHnCh9X5UGieBHv/biPawcAYC3Kvco
H5QJVGuNTdzmzBfH1TRu3knld1xmgdGo3DywpglTy8YPDdkk7GAujAtY+J5wHJIi
Z6lryMsSGLQC4azQZ4uqCIrDsE2G0DpjozIPnOhmMSnqSOSqjs6WcOq3iOPOFbCA
ZJxRZpqL/6tCRL1PXmE1tD/4vnQARm42zbSjBe5SMldlgGgglABz4SBqixGI/+ZV
9K1AzE2BAgMBAAECggEAHhqypgxnCp1sYzgIdF2zC1oc0P9Oe2Od9gI7gRnrSr2C
ByN7nJENv5TY+1XYOlX5xvXxR8D+js8WIokstoAsgJxPCy9p1PDwWytjyI8/xd2v
5vYawbEoX63I1c5Ir+SlgIVqSIAif98XudXQHbsWk1/waBzW8FSs19K3G+L7tflk
aVxq55vnUaJDoldIhIBCJ3qpYZfJABb/uPY4jB+jEr1IfK3Yb5jYGIsY26qlQYrS
flvXgqNCk+Xt8rAOF0ppxXjaMozNkNFt4WN5E1lt/iYr9whGHXzBsvbxNGaDaPmr
yjulw6YGXG1lwauDkiLGzGIUVn16XDQ6lDP4tR0kTwKBgQDaMmN15IkX6PkggA1c
YVqGAxvTxcOv+BH6W3sITYHK5kRqTP4WB3+wQGRSDSqz/RZ6ic4t9p/YpK/jCkKy
+zmmPtS2bhI0MOrv3RL91e5y+Ld5FdBuHbPgzf8WEjTAK/KiwltTADtWO4CZlAE5
ariU/NgIVJDWcmWhWRBkGS/zTwKBgQC6JDkZDy/aXCSlfAClCPhzZfqkSR+x5YI2
h03D6YV3LCQYl7FGHmzm4apeWXY2kNtq3gO1UIZLkN6wpQtq0JmTGtEGZvv4GHU/
/PRKyuv512YAo5T3Y2zx5xeiZ74rnE9/PyPa9Gjpif4Ppa8KXMC15CUgwvJcEu+6
NQzH3Ha+LwKBgCMZ/hQmKsPU79cBoqSc6MIsV9qusvdpEgNTmixQw7OPbawoLKwA
ktMY2Mq2YYtJCMe3yZptVXO1srH0oZxHfBO5geDDPlx1DiZ+SyLYup52UpXBI6HD
V3+vw/yZ+zB7IXJ7j9N/cwxBUEPkonnJKF6Xem2EpTRKfP0C5fckcilTAoGAbYo5
i7SzPXYyHqx9mKFRzF88A4gAvejJGxu+uMbowvvX9hz2tsPa5HfykXlmJrBSX25t
kjrj/P4w/pTxxhch+T6zuWfLafHCtjg+7vDBs5J9tWyOkpMRHr4W23zfnbxrz/8x
M33Xa2/Ich7XhmqVAbVT4Ba5F1QRfWwQrGDiBAMCgYAW7LEFiZdEq++YKbtYe+Ab
ggPhAzbnSFBJljgfMQCHVAsQn9nN0Mp6YSMz6ju9QnMTIeCQUwy66voxKkra0YXE
vw325FNh06Fl7lLrQ+KU5JZTnE22Pj+7C4Qk2trUfGOXBIumnumdrBU+ZbhWXN0e
eCPEQbXH0JTwQfwzcge62Q==
-----END PRIVATE KEY-----
"""

HOUR = timedelta(hours=1)


def sign_and_tamper(
    lake: str | os.PathLike[str],
    org: Organization,
    seed: int,
    results: list[DayResult],
    avoid: set[str],
    processes: int | None = None,
) -> dict:
    """Write every chain's hourly signed digests over the lake's final CloudTrail files, then plant the
    tampering; returns ``scenario.json["tampering"]``.

    ``avoid``: event ids the tampering must not touch (the planted incidents' own events). ``results``
    is updated in place for the records and files the tampering removes, so the scenario's CloudTrail
    counts stay the lake's.
    """
    root = Path(lake)
    chains = _log_files_by_chain(root)
    bucket = org_trail_bucket(org)
    jobs = [
        (
            str(root),
            org.id,
            bucket,
            account,
            region,
            files,
            _first_start(seed, account, region, files),
            org.end,
        )
        for (account, region), files in sorted(chains.items())
    ]
    _run(jobs, processes)
    _record_public_key(root, org, sorted({region for _, region in chains}))
    return _tamper(root, org, seed, chains, results, avoid)


def _log_files_by_chain(root: Path) -> dict[tuple[str, str], list[tuple[datetime, str]]]:
    """(account, region) -> [(time the name carries, key)], oldest first."""
    chains: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for f in iter_cloudtrail_files(root):
        rel = Path(f.path).relative_to(root).as_posix()
        stamp = rel.rsplit("_", 2)[1]
        chains[(f.account, f.region)].append((datetime.strptime(stamp, "%Y%m%dT%H%MZ"), rel))
    for files in chains.values():
        files.sort()
    return chains


def _first_start(seed: int, account: str, region: str, files: list[tuple[datetime, str]]) -> datetime:
    """The first digest's start: the hour (plus the chain's own minutes and seconds past it, as CloudTrail's
    digests run on each trail's own clock) holding the first delivery."""
    rng = random.Random(f"digests/{seed}/{account}/{region}")
    offset = timedelta(minutes=rng.randrange(60), seconds=rng.randrange(60))
    delivered = files[0][0] + DELIVERY
    start = delivered.replace(minute=0, second=0, microsecond=0) + offset
    return start - HOUR if start > delivered else start


def _run(jobs: list[tuple], processes: int | None) -> None:
    processes = processes or min(len(jobs), os.cpu_count() or 1)
    if processes <= 1:
        for job in jobs:
            _write_chain(job)
        return
    import multiprocessing as mp  # reason: only for a multi-process run

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(processes) as pool:
        list(pool.imap_unordered(_write_chain, jobs))


def _write_chain(job: tuple) -> int:
    """One account and region's digests, hour after hour, each naming the one before it."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key  # reason: OpenSSL

    lake, org_id, bucket, account, region, files, start, stop = job
    key = load_pem_private_key(DEMO_PRIVATE_KEY, None)
    key_fingerprint = fingerprint(pkcs1_der(key.public_key()))
    previous: tuple[str, str, str] | None = None
    i = written = 0
    while start <= max(stop, files[-1][0] + DELIVERY):
        end = start + HOUR
        listed = []
        while i < len(files) and files[i][0] + DELIVERY < end:
            listed.append(_log_entry(lake, bucket, files[i][1]))
            i += 1
        obj = digest_key(account, region, end, TRAIL, HOME_REGION, org_id)
        body = json.dumps(
            _digest(account, bucket, obj, start, end, key_fingerprint, previous, listed)
        ).encode()
        signature = sign(key, signing_string(body))
        path = os.path.join(lake, obj)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(body, mtime=0))
        with open(path + SIDECAR_SUFFIX, "w") as f:
            json.dump({"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM}, f)
        previous = (obj, hashlib.sha256(body).hexdigest(), signature)
        start, written = end, written + 1
    return written


def _digest(
    account: str,
    bucket: str,
    obj: str,
    start: datetime,
    end: datetime,
    key_fingerprint: str,
    previous: tuple[str, str, str] | None,
    listed: list[dict],
) -> dict:
    """A digest's fields in the documented order (``sources.digests.format.DIGEST_FIELDS``)."""
    return {
        "awsAccountId": account,
        "digestStartTime": _utc(start),
        "digestEndTime": _utc(end),
        "digestS3Bucket": bucket,
        "digestS3Object": obj,
        "digestPublicKeyFingerprint": key_fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        "newestEventTime": max((f["newestEventTime"] for f in listed), default=None),
        "oldestEventTime": min((f["oldestEventTime"] for f in listed), default=None),
        "previousDigestS3Bucket": bucket if previous else None,
        "previousDigestS3Object": previous[0] if previous else None,
        "previousDigestHashValue": previous[1] if previous else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
        "previousDigestSignature": previous[2] if previous else None,
        "logFiles": listed,
    }


def _log_entry(lake: str, bucket: str, key: str) -> dict:
    """A ``logFiles`` item: the SHA-256 of the file's uncompressed content and its records' time range
    (the demo writes records oldest first, so the first and last ``eventTime`` are the range)."""
    with open(os.path.join(lake, key), "rb") as f:
        body = gzip.decompress(f.read())
    marker = b'"eventTime":"'
    first, last = body.find(marker) + len(marker), body.rfind(marker) + len(marker)
    return {
        "s3Bucket": bucket,
        "s3Object": key,
        "hashValue": hashlib.sha256(body).hexdigest(),
        "hashAlgorithm": HASH_ALGORITHM,
        "newestEventTime": body[last : last + 20].decode(),
        "oldestEventTime": body[first : first + 20].decode(),
    }


def _utc(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_public_key(root: Path, org: Organization, regions: list[str]) -> None:
    """The demo key as each region's recorded ``ListPublicKeys`` response (``Value``: base64 PKCS#1 DER)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key  # reason: OpenSSL

    der = pkcs1_der(load_pem_private_key(DEMO_PRIVATE_KEY, None).public_key())
    key = {
        "Value": base64.b64encode(der).decode(),
        "ValidityStartTime": ct_time(org.start - timedelta(days=30)),
        "ValidityEndTime": ct_time(org.end + timedelta(days=30)),
        "Fingerprint": fingerprint(der),
    }
    params = {"StartTime": ct_time(org.start), "EndTime": ct_time(org.end)}
    for region in regions:
        p = root / "api" / "cloudtrail" / region / "ListPublicKeys.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps([{"params": params, "response": {"PublicKeyList": [key]}}], indent=1))


def _tamper(
    root: Path,
    org: Organization,
    seed: int,
    chains: dict[tuple[str, str], list[tuple[datetime, str]]],
    results: list[DayResult],
    avoid: set[str],
) -> dict:
    """In the intruder's account: three log files edited and two deleted before 19:00 of the second day, and
    the two digests ending after 20:00 removed with their metadata."""
    rng = random.Random(f"tampering/{seed}")
    account = org.by_role(TAMPERED_ROLE)
    region = HOME_REGION if (account.id, HOME_REGION) in chains else account.regions[0]
    day = org.start + timedelta(days=1)
    files = chains[(account.id, region)]

    before = [k for t, k in files if t < day + timedelta(hours=19)]
    candidates = [k for k in before if not _holds_any(root / k, avoid)]
    pool = rng.sample(candidates, len(candidates))
    # An edit leaves records behind: a file emptied of its only record would be a deletion in all but name.
    edited = sorted([k for k in pool if _count_records(root / k) >= 2][:3])
    deleted = sorted([k for k in pool if k not in edited][:2])
    removed = 0
    for k in edited + deleted:
        records = _remove_last_record(root / k) if k in edited else _count_records(root / k)
        if k in deleted:
            (root / k).unlink()
        _account_for(results, account.id, k, records, int(k in deleted))
        removed += records
    folder = root / digest_key(account.id, region, day, TRAIL, HOME_REGION, org.id).rsplit("/", 1)[0]
    after = sorted(p for p in folder.glob("*.json.gz") if p.name.rsplit("_", 1)[1] >= f"{day:%Y%m%d}T20")
    digests = [p.relative_to(root).as_posix() for p in after[:2]]
    for p in after[:2]:
        p.unlink()
        Path(f"{p}{SIDECAR_SUFFIX}").unlink()
    return {
        "account": account.id,
        "name": account.name,
        "region": region,
        "edited_log_files": edited,
        "deleted_log_files": deleted,
        "removed_digests": digests,
        "records_removed": removed,
    }


def _holds_any(path: Path, ids: set[str]) -> bool:
    records = json.loads(gzip.decompress(path.read_bytes()))["Records"]
    return any(r.get("eventID") in ids for r in records)


def _count_records(path: Path) -> int:
    return len(json.loads(gzip.decompress(path.read_bytes()))["Records"])


def _remove_last_record(path: Path) -> int:
    """Edit a log file as an intruder would: drop its last record, rewrite it compressed. Returns 1."""
    records = json.loads(gzip.decompress(path.read_bytes()))["Records"]
    body = json.dumps({"Records": records[:-1]}, separators=(",", ":")).encode()
    path.write_bytes(gzip.compress(body, compresslevel=3, mtime=0))
    return 1


def _account_for(results: list[DayResult], account: str, key: str, records: int, files: int) -> None:
    """Take what the tampering removed from log file ``key`` off its day's counts, so the scenario's totals
    stay the lake's."""
    day = datetime.strptime(key.rsplit("_", 2)[1][:8], "%Y%m%d")
    for i, r in enumerate(results):
        if r.account == account and r.day == day:
            results[i] = replace(r, events=r.events - records, files=r.files - files)
