"""GuardDuty's findings export, read from its S3 bucket: a fan-out over the export's objects.

The export (``<prefix>AWSLogs/<account>/GuardDuty/<region>/yyyy/mm/dd/<uuid>.jsonl.gz``) is a format
``orginsight.sources.guardduty_export`` knows; reading it from the bucket is an API job like any
collector's, one object per call on a bounded thread pool, each failure an outcome of its own (an
AccessDenied, or KMS refusing to decrypt an SSE-KMS object, loses only that object). Its S3 calls are
declared with the GuardDuty service (``collectors.guardduty.GUARDDUTY``), whose findings it reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog, Target, fan_out
from orginsight.sources.findings import FindingsBatch
from orginsight.sources.guardduty_export import export_frame, parse_export_object
from orginsight.sources.layout import GUARDDUTY_KEY


def read_guardduty_export_s3(
    connection: Any,
    bucket: str,
    prefix: str = "",
    accounts: Sequence[str] | None = None,
    regions: set[str] | None = None,
    org: pd.DataFrame | None = None,
    log: OutcomeLog | None = None,
    latest_only: bool = True,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> pd.DataFrame:
    """Findings from GuardDuty's export in its S3 bucket (``<prefix>AWSLogs/<account>/GuardDuty/...``).

    Lists only the named accounts' folders when ``accounts`` is given, reads the objects on a
    bounded thread pool, and records per-object failures (e.g. AccessDenied, or KMS denying the
    decrypt of the export's SSE-KMS objects) in ``df.attrs["failures"]``.
    """
    log = log or OutcomeLog()
    s3 = connection.client("s3", connection.home_region)
    bases = [f"{prefix}AWSLogs/{a}/GuardDuty/" for a in accounts] if accounts else [f"{prefix}AWSLogs/"]
    keys = []
    for base in bases:
        pages = log.call(
            None,
            None,
            "list_objects_v2",
            lambda base=base: list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)),
        )
        for page in pages or []:
            for obj in page.get("Contents", []):
                m = GUARDDUTY_KEY.search(obj["Key"][len(prefix) :])
                if m and (not regions or m["region"] in regions):
                    keys.append((obj["Key"], m["account"], m["region"]))

    def read(target: Target) -> FindingsBatch:
        key = target.account or ""
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return parse_export_object(body, f"s3://{bucket}/{key}")

    # The fan-out target carries the object key; failures are re-labelled with account and region below.
    results = fan_out(
        read, [Target(k, r) for k, _a, r in keys], log, "get_object", workers=workers, progress=progress
    )
    batch = FindingsBatch()
    for _target, found in results:
        batch.extend(found)
    df = export_frame(batch, org, latest_only)
    df.attrs["failures"] = log.failure_records()
    return df
