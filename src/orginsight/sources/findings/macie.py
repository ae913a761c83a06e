"""Amazon Macie findings (macie2 ``GetFindings`` ``Finding``, boto3 camelCase, PascalCase here).

Two categories (``category``): CLASSIFICATION (``SensitiveData:S3Object/*``, sensitive data in an
object) and POLICY (``Policy:IAMUser/*``, a bucket's settings got less secure). The resource is the
bucket (``resourcesAffected.s3Bucket.name``, else its ARN's name) and, for sensitive data, the object
key goes in ``object_key``. A policy finding's actor (``policyDetails.actor.userIdentity``) fills
``principal``/``user_name``, its caller ``remote_ip``, ``dns_domain`` and ``remote_account``.

Severity (Macie User Guide, "Severity scoring for Macie findings"): ``severity.description`` Low,
Medium or High, with ``severity.score`` 1, 2 or 3. ``severity`` keeps the score (1-3);
``severity_normalized`` is the label's lowest ASFF score (Low 1, Medium 40, High 70).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orginsight.sources.findings.records import _count, _first, _score, _time

MACIE_SCORE_RANGE = (1.0, 3.0)
"""``severity.score``: 1 Low, 2 Medium, 3 High."""


MACIE_LABELS = {"Low": 1.0, "Medium": 40.0, "High": 70.0}
"""Macie's labels and each one's lowest ASFF score."""


MACIE_SCORE_LABEL = {1: "Low", 2: "Medium", 3: "High"}


def is_macie(f: Mapping[str, Any]) -> bool:
    """Whether a PascalCase record is a Macie finding (``ResourcesAffected``, or a Macie ``Category``)."""
    return "ResourcesAffected" in f or f.get("Category") in ("CLASSIFICATION", "POLICY")


def macie_bucket(affected: Mapping[str, Any]) -> str | None:
    """The bucket a finding names: ``s3Bucket.name``, else the name in its ARN or the object's ``bucketArn``."""
    bucket = affected.get("S3Bucket") or {}
    arn = _first(bucket.get("Arn"), (affected.get("S3Object") or {}).get("BucketArn"))
    return _first(bucket.get("Name"), arn.rsplit(":", 1)[-1] if isinstance(arn, str) else None)


def _identity(actor: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(principal ARN or id, user name, account) of a policy finding's ``userIdentity``."""
    ident = actor.get("UserIdentity") or {}
    kinds = [ident.get(k) or {} for k in ("IamUser", "AssumedRole", "FederatedUser", "Root", "AwsAccount")]
    principal = _first(*(k.get("Arn") for k in kinds), *(k.get("PrincipalId") for k in kinds))
    user = _first(
        (ident.get("IamUser") or {}).get("UserName"), (ident.get("FederatedUser") or {}).get("PrincipalId")
    )
    account = _first(*(k.get("AccountId") for k in kinds))
    return principal, user, account


def extract_macie(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one PascalCase Macie finding."""
    notes = [] if notes is None else notes
    severity = f.get("Severity") or {}
    given = severity.get("Description")
    label = given if given in MACIE_LABELS else None
    if given not in (None, "") and label is None:
        notes.append(f"severity.description {given!r} is not Low, Medium or High; left empty")
    score = _score(severity.get("Score"), "severity.score", MACIE_SCORE_RANGE, notes)
    label = label or (MACIE_SCORE_LABEL.get(int(score)) if score is not None else None)
    affected = f.get("ResourcesAffected") or {}
    obj = affected.get("S3Object") or {}
    actor = (f.get("PolicyDetails") or {}).get("Actor") or {}
    principal, user, account = _identity(actor)
    ip = (actor.get("IpAddressDetails") or {}).get("IpAddressV4")
    return {
        "finding_id": f.get("Id"),
        "source": "Macie",
        "type": f.get("Type"),
        "title": f.get("Title"),
        "severity": score,
        "severity_normalized": MACIE_LABELS.get(label or ""),
        "severity_label": label,
        "account_id": f.get("AccountId"),
        "region": f.get("Region"),
        "resource_type": "AWS::S3::Object" if obj else "AWS::S3::Bucket",
        "resource_id": macie_bucket(affected),
        "principal": principal,
        "remote_ip": ip,
        "first_seen": _time(f.get("CreatedAt"), "first seen", notes),
        "last_seen": _time(f.get("UpdatedAt"), "last seen", notes),
        "count": _count(f.get("Count"), notes),
        "workflow_state": "ARCHIVED" if f.get("Archived") else "ACTIVE",
        "archived": bool(f.get("Archived")) if "Archived" in f else None,
        "user_name": user,
        "bucket_names": macie_bucket(affected),
        "object_key": _first(obj.get("Key"), obj.get("Path")),
        "dns_domain": (actor.get("DomainDetails") or {}).get("DomainName"),
        "remote_account": account,
    }
