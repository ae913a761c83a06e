"""Exposure paths across four sources: an EC2 instance with an exploitable critical CVE (Inspector), whose role
reads a bucket (CloudTrail S3 data events) that holds sensitive data (Macie) and is shared outside the
organization (Access Analyzer). Each source alone is a routine finding; the chain is an attacker's way from
a vulnerable host to personal data that already leaves the organization.

``exposure_paths`` is pure: it takes the frames the collectors build (``collectors/inspector.py``,
``macie.py``, ``accessanalyzer.py``) and the ``role_bucket_reads`` hunt's rows. ``role_bucket_reads``
runs that hunt on a lake for the roles of the exploitable instances only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from orginsight.analytics import hunts
from orginsight.analytics.posture.external_access import SENSITIVE_SCORE, shared_outside

if TYPE_CHECKING:
    from orginsight.lake import Lake

ROLE_BUCKET_READS = "role_bucket_reads"
"""The hunt (``queries/investigation/role_bucket_reads.sql``) that says which buckets a role reads."""

S3_BUCKET = "AWS::S3::Bucket"
"""Access Analyzer's resource type of a bucket (botocore model ``ResourceType``, 2026)."""

COLUMNS = [
    "account_id",
    "region",
    "instance_id",
    "cve",
    "cvss_score",
    "epss_score",
    "fix_available",
    "finding_arn",
    "cve_first_seen",
    "instance_profile_arn",
    "role_arn",
    "bucket",
    "bucket_account",
    "read_evidence",
    "sensitive_data",
    "principal",
    "principal_account",
    "public",
    "analyzer_finding_id",
    "shared_since",
]
"""One row per chain: the instance and its CVE, its role, the bucket it reads, what the bucket holds, and
who outside the organization the bucket is shared with."""

READ_COLUMNS = ["role_arn", "role_name", "account", "bucket", "reads", "objects", "first_seen", "last_seen"]


def _arn_part(arn: Any, index: int) -> str | None:
    parts = str(arn).split(":") if isinstance(arn, str) else []
    return parts[index] or None if len(parts) > index else None


def _name_of(arn: Any) -> str | None:
    """The last path element of an IAM ARN (``role/path/name`` -> ``name``)."""
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) and "/" in arn else None


def exploitable_instances(findings: pd.DataFrame) -> pd.DataFrame:
    """ACTIVE CRITICAL Inspector findings with a known exploit on an EC2 instance that has an instance profile.

    ``exploitAvailable`` is YES when Inspector knows a public exploit (Inspector User Guide, "Exploit
    available", 2024). The instance's role is found through its profile: ``role_key`` is (account, profile
    name), the role of the same name, as the EC2 console and most templates create the pair.
    """
    f = findings
    exploit = f["exploit_available"].astype("string").str.upper().eq("YES").fillna(False).astype(bool)
    f = f[
        (f["status"] == "ACTIVE")
        & (f["severity"].astype("string").str.upper() == "CRITICAL")
        & exploit
        & (f["resource_type"] == "AWS_EC2_INSTANCE")
        & f["instance_profile_arn"].notna()
    ]
    return f.assign(
        role_account=f["instance_profile_arn"].map(lambda a: _arn_part(a, 4)),
        role_name=f["instance_profile_arn"].map(_name_of),
    )


def sensitive_buckets(
    buckets: pd.DataFrame, findings: pd.DataFrame, min_score: int = SENSITIVE_SCORE
) -> pd.DataFrame:
    """Buckets Macie says hold sensitive data: an unarchived sensitive-data finding on it, or a sensitivity
    score of at least ``min_score``. Columns: bucket, bucket_account, sensitive_data (what Macie found)."""
    found: dict[str, dict[str, Any]] = {}
    f = findings[findings["category"] == "CLASSIFICATION"]
    f = f[~f["archived"].astype("boolean").fillna(False).astype(bool)]
    for _, row in f.iterrows():
        entry = found.setdefault(row["bucket_name"], {"account": row["account_id"], "what": set()})
        categories = json.loads(row["sensitive_data"]) if isinstance(row["sensitive_data"], str) else {}
        entry["what"] |= {k for k in categories if "/" not in k} or {str(row["type"])}
    score = pd.to_numeric(buckets["sensitivity_score"], errors="coerce")
    for _, row in buckets[(score >= min_score).fillna(False)].iterrows():
        entry = found.setdefault(row["bucket_name"], {"account": row["account_id"], "what": set()})
        entry["what"].add(f"sensitivity score {int(row['sensitivity_score'])}")
    return pd.DataFrame(
        [
            {"bucket": b, "bucket_account": e["account"], "sensitive_data": ", ".join(sorted(e["what"]))}
            for b, e in found.items()
        ],
        columns=["bucket", "bucket_account", "sensitive_data"],
    )


def buckets_shared_outside(analyzer_findings: pd.DataFrame) -> pd.DataFrame:
    """ACTIVE external-access findings on buckets whose principal is outside the organization
    (``external_access.shared_outside``). Columns: bucket, principal, principal_account, public,
    analyzer_finding_id, shared_since."""
    f = shared_outside(analyzer_findings)
    f = f[f["resource_type"] == S3_BUCKET]
    return pd.DataFrame(
        {
            "bucket": f["resource"].map(lambda arn: str(arn).rsplit(":", 1)[-1]),
            "principal": f["principal"],
            "principal_account": f["principal_account"],
            "public": f["is_public"],
            "analyzer_finding_id": f["finding_id"],
            "shared_since": f["created_at"],
        }
    )


def read_evidence(reads: pd.DataFrame) -> pd.Series:
    """One line per ``role_bucket_reads`` row: how many reads, of how many objects, between which times."""
    return pd.Series(
        [
            f"{int(r['reads'])} reads of {int(r['objects'])} objects, {r['first_seen']} to {r['last_seen']}"
            for _, r in reads.iterrows()
        ],
        index=reads.index,
        dtype="object",
    )


def exposure_paths(
    inspector_findings: pd.DataFrame,
    macie_buckets: pd.DataFrame,
    macie_findings: pd.DataFrame,
    analyzer_findings: pd.DataFrame,
    role_access: pd.DataFrame,
) -> pd.DataFrame:
    """Every (instance, CVE, role, bucket, outside principal) chain, columns ``COLUMNS``, newest CVE first.

    ``role_access`` has a row per role and bucket it reads: ``role_arn`` (or ``role_name`` and
    ``account``), ``bucket``, and ``evidence`` (the ``role_bucket_reads`` hunt's rows, as
    ``role_bucket_reads`` returns them). A link missing anywhere breaks the chain: a critical CVE without a
    known exploit, a role that reads nothing, a bucket without sensitive data or shared only inside the
    organization is not an exposure path.
    """
    instances = exploitable_instances(inspector_findings)
    access = role_access.assign(
        role_account=role_access["role_arn"].map(lambda a: _arn_part(a, 4)),
        role_name=role_access["role_arn"].map(_name_of),
    )
    if "evidence" not in access:
        access["evidence"] = read_evidence(access) if len(access) else pd.Series(dtype="object")
    chains = (
        instances.merge(access[["role_account", "role_name", "role_arn", "bucket", "evidence"]], how="inner")
        .merge(sensitive_buckets(macie_buckets, macie_findings), on="bucket")
        .merge(buckets_shared_outside(analyzer_findings), on="bucket")
    )
    out = chains.rename(
        columns={
            "resource_id": "instance_id",
            "vulnerability_id": "cve",
            "first_observed_at": "cve_first_seen",
            "evidence": "read_evidence",
        }
    )
    return out[COLUMNS].sort_values(
        ["cve_first_seen", "instance_id", "bucket"], ascending=[False, True, True]
    )


def role_bucket_reads(lake: Lake, roles: Sequence[str], start: Any, end: Any) -> pd.DataFrame:
    """The buckets each of ``roles`` read between ``start`` and ``end`` (the ``role_bucket_reads`` hunt),
    with an ``evidence`` line per row: ``exposure_paths``'s ``role_access``. No role: no query, no rows."""
    if not roles:
        return pd.DataFrame(columns=[*READ_COLUMNS, "evidence"])
    reads = hunts.run(lake, ROLE_BUCKET_READS, {"roles": sorted(set(roles)), "start": start, "end": end})
    return reads.assign(evidence=read_evidence(reads) if len(reads) else pd.Series(dtype="object"))


def candidate_roles(inspector_findings: pd.DataFrame) -> list[str]:
    """Role ARNs of the instances with exploitable critical CVEs (the profile's name as the role's)."""
    f = exploitable_instances(inspector_findings)
    return sorted(
        {f"arn:aws:iam::{a}:role/{n}" for a, n in zip(f["role_account"], f["role_name"], strict=True)}
    )
