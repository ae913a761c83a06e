"""GuardDuty findings (API, S3 export, EventBridge detail, all PascalCase by now) as normalized columns.

Severity labels follow GuardDuty's documented scale (User Guide, "Severity levels for findings";
Critical added in 2023): 9.0-10.0 Critical, 7.0-8.9 High, 4.0-6.9 Medium, 1.0-3.9 Low.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from orginsight.sources.findings.records import _count, _first, _remote_ip, _score, _time, label_of

GUARDDUTY_SEVERITY_RANGE = (0.0, 10.0)
"""GuardDuty's severity scale. AWS documents 1.0-8.9 in use (and 9.0-10.0 Critical since 2023);
anything in 0-10 is kept, a value outside it is warned about and left empty."""


GUARDDUTY_LABEL_SCORE = {"Informational": 0.0, "Low": 1.0, "Medium": 4.0, "High": 7.0, "Critical": 9.0}
"""Lowest score of each GuardDuty label (Informational: below the documented range; only seen in
hand-made samples)."""


def guardduty_label(score: float | None) -> str | None:
    """GuardDuty's label for a 0-10 severity score (Critical since 2023)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    return label_of(score, GUARDDUTY_LABEL_SCORE)


def _guardduty_resource(resource: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(resource type, resource id, principal) of a GuardDuty finding's ``Resource``."""
    rtype = resource.get("ResourceType")
    key = resource.get("AccessKeyDetails") or {}
    instance = resource.get("InstanceDetails") or {}
    buckets = resource.get("S3BucketDetails") or [{}]
    eks = resource.get("EksClusterDetails") or {}
    rds = resource.get("RdsDbInstanceDetails") or {}
    lam = resource.get("LambdaDetails") or {}
    ecs = resource.get("EcsClusterDetails") or {}
    rid = _first(
        instance.get("InstanceId"),
        key.get("AccessKeyId"),
        buckets[0].get("Name"),
        eks.get("Name"),
        rds.get("DbInstanceIdentifier"),
        lam.get("FunctionName"),
        ecs.get("Name"),
        key.get("UserName"),
    )
    principal = _first(
        key.get("AccessKeyId"),
        (instance.get("IamInstanceProfile") or {}).get("Arn"),
        key.get("PrincipalId"),
        key.get("UserName"),
    )
    return rtype, rid, principal


def extract_guardduty(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one PascalCase GuardDuty finding (API, export or EventBridge detail).

    Values outside their scale are appended to ``notes`` and left empty (see the package docstring).
    """
    notes = [] if notes is None else notes
    service = f.get("Service") or {}
    rtype, rid, principal = _guardduty_resource(f.get("Resource") or {})
    score = _score(f.get("Severity"), "severity", GUARDDUTY_SEVERITY_RANGE, notes)
    arn = f.get("Arn")
    return {
        "finding_id": _first(f.get("Id"), arn.rsplit("/", 1)[-1] if arn else None),
        "source": "GuardDuty",
        "type": f.get("Type"),
        "title": f.get("Title"),
        "severity": score,
        "severity_normalized": score * 10 if score is not None else None,
        "severity_label": guardduty_label(score),
        "account_id": f.get("AccountId"),
        "region": f.get("Region"),
        "resource_type": rtype,
        "resource_id": rid,
        "principal": principal,
        "remote_ip": _remote_ip(service.get("Action") or {}),
        "first_seen": _time(_first(service.get("EventFirstSeen"), f.get("CreatedAt")), "first seen", notes),
        "last_seen": _time(_first(service.get("EventLastSeen"), f.get("UpdatedAt")), "last seen", notes),
        "count": _count(service.get("Count"), notes),
        "workflow_state": "ARCHIVED" if service.get("Archived") else "ACTIVE",
        "archived": bool(service.get("Archived")) if "Archived" in service else None,
    }
