"""Sharing outside the organization over snapshots: Access Analyzer's external access, and Macie's buckets
that hold sensitive data while unencrypted, public or shared outside.

Inputs are histories of the Access Analyzer collector's ``findings`` and Macie's ``buckets`` and
``findings`` tables (``read_snapshots``: every row has ``collected_at``). ``times`` (every snapshot
taken, from the manifests) keeps a snapshot whose table came back empty in the trend, as zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from orginsight.analytics.posture.snapshot_history import (
    SNAPSHOT,
    SnapshotTrend,
    appeared_and_vanished,
    as_history,
    count_per_snapshot,
    snapshot_times,
)

SENSITIVE_SCORE = 50
"""Macie's sensitivity score from which a bucket counts as holding sensitive data: 50-100 is "sensitive",
1-49 "not sensitive", -1 "classification failed" (Macie User Guide, "Sensitivity scoring for S3 buckets",
2024). A bucket with an unarchived sensitive-data finding in the snapshot counts too."""


def shared_outside(findings: pd.DataFrame) -> pd.DataFrame:
    """The ACTIVE external-access findings that grant access outside the organization.

    ``outside_organization`` is the collector's verdict (collectors/accessanalyzer.py
    ``outside_organization``): public access is outside; a principal account is outside when the
    organization lacks it; an ORGANIZATION analyzer's finding is outside by its zone of trust. Unknown
    (None) is not counted: an ACCOUNT analyzer's cross-account finding may be inside the organization.
    """
    f = findings
    outside = f["outside_organization"].astype("boolean").fillna(False).astype(bool)
    return f[
        (f["status"] == "ACTIVE") & (f["finding_type"].fillna("ExternalAccess") == "ExternalAccess") & outside
    ]


def _shared_resources(findings: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per snapshot, resource and group, ``public`` when any finding shares it publicly."""
    f = shared_outside(findings)
    f = f.rename(columns={"resource_owner_account": "account_id"}) if "account_id" in by else f
    public = f["is_public"].astype("boolean").fillna(False).astype("int64")
    return (
        f.assign(public=public)
        .groupby([SNAPSHOT, "resource", *by], dropna=False)["public"]
        .max()
        .reset_index()
    )


external_access_trend = SnapshotTrend(
    _shared_resources,
    "resources",
    by=("resource_type",),
    sums=("public",),
    account_col="resource_owner_account",
)
"""Per snapshot and ``by`` (resource_type, account_id, ou_path ...; accounts are the resources'
owners) of Access Analyzer ``findings``: distinct resources shared outside the organization, and how
many of them publicly.

Columns: collected_at, *by, resources, public.
"""


def external_access_changes(
    findings: pd.DataFrame, accounts: pd.DataFrame | None = None, times: Sequence[Any] | None = None
) -> pd.DataFrame:
    """Resources that became, or stopped being, shared outside the organization between snapshots.

    Columns: resource, resource_type, account_id, account_name, change ("became shared outside the
    organization" / "no longer shared outside the organization"), collected_at (the first snapshot
    showing it).
    """
    f = as_history(shared_outside(findings))
    changes = appeared_and_vanished(f, ["resource"], times)
    owners = f.drop_duplicates("resource", keep="last").set_index("resource")
    words = {
        "appeared": "became shared outside the organization",
        "vanished": "no longer shared outside the organization",
    }
    out = changes.assign(
        resource_type=changes["resource"].map(owners["resource_type"]),
        account_id=changes["resource"].map(owners["resource_owner_account"]),
        change=changes["change"].map(words),
    )
    out = as_history(out, accounts)
    return out[["resource", "resource_type", "account_id", "account_name", "change", SNAPSHOT]]


def _bucket_arn(buckets: pd.DataFrame) -> pd.Series:
    return buckets["bucket_arn"].fillna("arn:aws:s3:::" + buckets["bucket_name"].astype(str))


def sensitive_bucket_exposure(
    buckets: pd.DataFrame,
    macie_findings: pd.DataFrame | None = None,
    external: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    min_score: int = SENSITIVE_SCORE,
) -> pd.DataFrame:
    """Per Macie snapshot: each bucket holding sensitive data, and how it is exposed.

    - ``sensitive``: sensitivity score of at least ``min_score``, or an unarchived sensitive-data
      (CLASSIFICATION) finding on it in the same Macie snapshot;
    - ``unencrypted``: no default encryption, or unencrypted objects Macie counted;
    - ``public``: Macie's effective public access is PUBLIC;
    - ``shared_outside``: Macie's shared access is EXTERNAL, or Access Analyzer (``external``, its
      findings history) has an active outside-the-organization finding on the bucket's ARN in its
      snapshot nearest in time (the two collectors run minutes apart, not at the same instant).
    Only sensitive buckets with at least one exposure are kept. Columns: collected_at, account_id,
    account_name, ou_path, region, bucket_name, bucket_arn, sensitivity_score, sensitive_findings,
    unencrypted, public, shared_outside, shared_by.
    """
    columns = [
        SNAPSHOT,
        "account_id",
        "account_name",
        "ou_path",
        "region",
        "bucket_name",
        "bucket_arn",
        "sensitivity_score",
        "sensitive_findings",
        "unencrypted",
        "public",
        "shared_outside",
        "shared_by",
    ]
    b = as_history(buckets, accounts)
    if b.empty:
        return pd.DataFrame(columns=columns)
    b = b.assign(bucket_arn=_bucket_arn(b))
    counts = pd.Series(0, index=pd.MultiIndex.from_frame(b[[SNAPSHOT, "bucket_arn"]]))
    if macie_findings is not None and len(macie_findings):
        m = as_history(macie_findings)
        m = m[
            (m["category"] == "CLASSIFICATION") & ~m["archived"].astype("boolean").fillna(False).astype(bool)
        ]
        m = m.assign(bucket_arn=_bucket_arn(m))
        counts = m.groupby([SNAPSHOT, "bucket_arn"]).size()
    b["sensitive_findings"] = (
        counts.reindex(pd.MultiIndex.from_frame(b[[SNAPSHOT, "bucket_arn"]]), fill_value=0).to_numpy()
    ).astype("int64")
    score = pd.to_numeric(b["sensitivity_score"], errors="coerce")
    b["sensitive"] = (score >= min_score).fillna(False) | (b["sensitive_findings"] > 0)
    unencrypted_objects = pd.to_numeric(b["objects_unencrypted"], errors="coerce").fillna(0) > 0
    b["unencrypted"] = b["default_encryption"].fillna("NONE").eq("NONE") | unencrypted_objects
    b["public"] = b["public_access"].eq("PUBLIC").fillna(False)
    by_macie = b["shared_access"].eq("EXTERNAL").fillna(False)
    by_analyzer = _shared_per_analyzer_snapshot(b, external)
    b["shared_outside"] = by_macie | by_analyzer
    b["shared_by"] = [
        ", ".join(n for n, on in (("Macie", m), ("Access Analyzer", a)) if on) or None
        for m, a in zip(by_macie, by_analyzer, strict=True)
    ]
    exposed = b[b["sensitive"] & (b["unencrypted"] | b["public"] | b["shared_outside"])]
    return (
        exposed[columns]
        .sort_values([SNAPSHOT, "account_id", "bucket_name"], kind="stable")
        .reset_index(drop=True)
    )


def _shared_per_analyzer_snapshot(buckets: pd.DataFrame, external: pd.DataFrame | None) -> pd.Series:
    """Whether Access Analyzer's snapshot nearest each bucket row's snapshot shares it outside."""
    none = pd.Series(False, index=buckets.index)
    if external is None or external.empty:
        return none
    shared = as_history(shared_outside(external))
    analyzer_times = snapshot_times(external)
    if len(analyzer_times) == 0:
        return none
    nearest = pd.merge_asof(
        buckets[[SNAPSHOT]].drop_duplicates().sort_values(SNAPSHOT),
        pd.DataFrame({SNAPSHOT: analyzer_times, "analyzer_at": analyzer_times}),
        on=SNAPSHOT,
        direction="nearest",
    ).set_index(SNAPSHOT)["analyzer_at"]
    pairs = set(zip(shared[SNAPSHOT], shared["resource"], strict=True))
    return pd.Series(
        [(nearest[t], arn) in pairs for t, arn in zip(buckets[SNAPSHOT], buckets["bucket_arn"], strict=True)],
        index=buckets.index,
    )


def exposure_trend(exposure: pd.DataFrame, times: Sequence[Any] | None = None) -> pd.DataFrame:
    """Per snapshot and exposure (unencrypted, public, shared outside): sensitive buckets so exposed.

    ``exposure`` is :func:`sensitive_bucket_exposure`; ``times`` are the Macie snapshots (so a snapshot
    with none still shows zeros). Columns: collected_at, exposure, buckets.
    """
    times = snapshot_times(exposure, times)
    parts = [
        exposure[exposure[kind].astype(bool)].assign(exposure=label)
        for kind, label in (
            ("unencrypted", "unencrypted"),
            ("public", "public"),
            ("shared_outside", "shared outside the organization"),
        )
    ]
    rows = pd.concat(parts, ignore_index=True) if len(exposure) else exposure.assign(exposure=None)
    out = count_per_snapshot(rows, times, ["exposure"], name="buckets")
    if out.empty:
        return pd.DataFrame({SNAPSHOT: times, "exposure": "shared outside the organization", "buckets": 0})
    return out
