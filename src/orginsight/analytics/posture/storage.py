"""S3 data protection from Storage Lens: coverage ratios per account or OU, and what changed per bucket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from orginsight.analytics.posture.days import _utc
from orginsight.sources.accounts import with_org
from orginsight.sources.storagelens import account_protection


def s3_protection_coverage(
    buckets: pd.DataFrame, accounts: pd.DataFrame | None = None, by: Sequence[str] = ("account",)
) -> pd.DataFrame:
    """Per day and ``by`` (account, ou_path, or () for the organization): encryption, versioning ... ratios."""
    b = buckets
    if accounts is not None and "ou_path" in by:
        b = with_org(buckets, accounts, account_col="account")
    return account_protection(b, group_by=tuple(by))


def storage_drift(
    buckets: pd.DataFrame, *, since: Any = None, min_drop: float = 0.05, tolerance: float = 0.001
) -> pd.DataFrame:
    """What changed in S3 data protection over the window: the review's "what changed" for buckets.

    - ``encryption_drop``: a bucket's encrypted-bytes ratio fell by at least ``min_drop``
      between its first and last day in the window (also ``encryption_rise``), dated the day
      after the ratio was last within ``tolerance`` of its first value;
    - ``versioning_disabled`` / ``versioning_enabled``: the day versioning flipped;
    - ``new_unencrypted_bucket``: a bucket first seen after the window's first day, with
      unencrypted bytes on its last day.
    Columns: dt, account, region, bucket, change, before, after, detail.
    """
    b = buckets.sort_values(["account", "bucket", "dt"])
    if since is not None:
        b = b[b["dt"] >= _utc(since)]
    rows: list[dict[str, Any]] = []
    if b.empty:
        return pd.DataFrame(
            columns=["dt", "account", "region", "bucket", "change", "before", "after", "detail"]
        )
    first_day = b["dt"].min()
    for (account, bucket), g in b.groupby(["account", "bucket"], sort=True):
        region = g["region"].iloc[-1]
        ratio = g["EncryptedStorageBytesRatio"]
        valid = ratio.dropna()
        if len(valid) >= 2:
            before, after = float(valid.iloc[0]), float(valid.iloc[-1])
            if before - after >= min_drop or after - before >= min_drop:
                # the change starts the day after the ratio was last at its earlier level
                dropped = after < before
                at_level = (ratio >= before - tolerance) if dropped else (ratio <= before + tolerance)
                last_at_level = np.flatnonzero(at_level.to_numpy())
                i = int(last_at_level[-1]) + 1 if len(last_at_level) else 0
                rows.append(
                    {
                        "dt": g["dt"].iloc[min(i, len(g) - 1)],
                        "account": account,
                        "region": region,
                        "bucket": bucket,
                        "change": "encryption_drop" if after < before else "encryption_rise",
                        "before": before,
                        "after": after,
                        "detail": f"encrypted bytes {before:.0%} -> {after:.0%}",
                    }
                )
        v = g["versioning_enabled"].astype(bool).to_numpy()
        for i in np.flatnonzero(v[1:] != v[:-1]) + 1:
            rows.append(
                {
                    "dt": g["dt"].iloc[i],
                    "account": account,
                    "region": region,
                    "bucket": bucket,
                    "change": "versioning_enabled" if v[i] else "versioning_disabled",
                    "before": float(v[i - 1]),
                    "after": float(v[i]),
                    "detail": f"versioning turned {'on' if v[i] else 'off'}",
                }
            )
        if g["dt"].iloc[0] > first_day:
            unenc = float(g["UnencryptedStorageBytes"].iloc[-1] or 0)
            if unenc > 0:
                rows.append(
                    {
                        "dt": g["dt"].iloc[0],
                        "account": account,
                        "region": region,
                        "bucket": bucket,
                        "change": "new_unencrypted_bucket",
                        "before": None,
                        "after": float(ratio.iloc[-1]) if pd.notna(ratio.iloc[-1]) else None,
                        "detail": f"new bucket with {unenc / 2**30:.2f} GiB unencrypted",
                    }
                )
    out = pd.DataFrame(
        rows, columns=["dt", "account", "region", "bucket", "change", "before", "after", "detail"]
    )
    return out.sort_values(["dt", "account", "bucket"]).reset_index(drop=True)
