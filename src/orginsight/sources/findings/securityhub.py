"""Security Hub findings (ASFF, from Security Hub or any product sending to it) as normalized columns.

Severity: ``Severity.Label`` when present, else ``Severity.Normalized`` (ASFF syntax, 2024):
0 Informational, 1-39 Low, 40-69 Medium, 70-89 High, 90-100 Critical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from orginsight.sources.findings.records import _count, _first, _remote_ip, _score, _time, joined, label_of

ASFF_NORMALIZED_RANGE = (0.0, 100.0)
"""ASFF ``Severity.Normalized`` (an integer 0-100, ASFF syntax)."""


ASFF_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
"""ASFF ``Severity.Label`` values (ASFF syntax); others are warned about and left empty."""


def asff_label(severity: Mapping[str, Any] | None) -> str | None:
    """ASFF's label: ``Severity.Label``, else derived from ``Severity.Normalized`` (0-100)."""
    return _asff_severity(severity, [])[0]


def _normalized_label(n: float) -> str:
    """ASFF's label of a ``Severity.Normalized`` score (0-100)."""
    return label_of(n, ASFF_LABEL_SCORE)


ASFF_LABEL_SCORE = {"Informational": 0, "Low": 1, "Medium": 40, "High": 70, "Critical": 90}
"""Lowest Normalized score of each ASFF label, for findings that carry only a label."""


def _asff_severity(severity: Any, notes: list[str]) -> tuple[str | None, float | None, float | None]:
    """(label, normalized 0-100, product score) of an ASFF ``Severity``; bad parts are noted and left empty.

    A label without a score gets its label's lowest score; a score without a label gets its label.
    """
    if severity in (None, "", {}):
        return None, None, None
    if not isinstance(severity, Mapping):
        notes.append(f"Severity {severity!r} is not an object; left empty")
        return None, None, None
    normalized = _score(severity.get("Normalized"), "Severity.Normalized", ASFF_NORMALIZED_RANGE, notes)
    label = None
    given = severity.get("Label")
    if isinstance(given, str) and given.upper() in ASFF_LABELS:
        label = given.capitalize()
    elif given not in (None, ""):
        notes.append(f"Severity.Label {given!r} is not one of {', '.join(ASFF_LABELS)}; left empty")
    if label is None and normalized is not None:
        label = _normalized_label(normalized)
    if normalized is None and label is not None:
        normalized = float(ASFF_LABEL_SCORE[label])
    product = _score(severity.get("Product"), "Severity.Product", (-math.inf, math.inf), notes)
    return label, normalized, product


AWS_PRODUCTS = {
    "securityhub": "Security Hub",
    "guardduty": "GuardDuty",
    "inspector": "Inspector",
    "macie": "Macie",
    "access-analyzer": "IAM Access Analyzer",
    "config": "Config",
    "firewall-manager": "Firewall Manager",
    "health": "Health",
    "detective": "Detective",
    "ssm-patch-manager": "Systems Manager Patch Manager",
}
"""ASFF ``ProductArn`` suffixes of AWS integrations (``product/aws/<name>``) and their product names."""


def product_from_arn(arn: str | None) -> str | None:
    """The product name of an ASFF ``ProductArn``: AWS's own by name, a custom one by its last segment."""
    if not arn:
        return None
    parts = arn.split(":product/", 1)[-1].split("/")
    if len(parts) == 2 and parts[0] == "aws":
        return AWS_PRODUCTS.get(parts[1], parts[1])
    return "/".join(parts)


ASFF_PRINCIPAL_TYPES = ("AwsIamAccessKey", "AwsIamUser", "AwsIamRole")


_ID_SUFFIXES = ("Arn", "Id", "Name", "Identifier")
"""How ASFF ``Resources[].Details.<Type>`` members name their resource (``Arn``, ``InstanceId``,
``BucketName``, ``DbInstanceIdentifier``...): by the first key ending in one of these, in this order."""


ASFF_ACCOUNT_TYPES = ("AwsS3AccountPublicAccessBlock", "AwsGuardDutyDetector", "AwsAccount")
"""Resource types whose details name no resource but the account itself (botocore model, 2026-12):
their id, when ``Resources[].Id`` is missing, is the finding's ``AwsAccountId``."""


def _id_in(details: Mapping[str, Any]) -> str | None:
    """The first string under a key ending in :data:`_ID_SUFFIXES` (by suffix order), else one level down."""
    for suffix in _ID_SUFFIXES:
        for key, value in details.items():
            if isinstance(key, str) and key.endswith(suffix) and isinstance(value, str | int) and value != "":
                return str(value)
    nested = (v for v in details.values() if isinstance(v, Mapping))
    return _first(*(_id_in(v) for v in nested))


def asff_resource_id(resource: Mapping[str, Any], account_id: str | None = None) -> str | None:
    """An ASFF resource's id: ``Id`` (ASFF requires it), else what ``Details.<Type>`` names.

    ``Details`` has one member per ``Type`` (botocore's ``ResourceDetails``, 102 members in 2026-12);
    a trimmed record or a product that leaves ``Id`` empty still gets its resource named, and an
    account-level type (:data:`ASFF_ACCOUNT_TYPES`) gets the finding's account. ``Other`` (a free map)
    gives its first value.
    """
    if resource.get("Id"):
        return str(resource["Id"])
    rtype = resource.get("Type")
    details = (resource.get("Details") or {}).get(rtype) if rtype else None
    if isinstance(details, Mapping):
        found = _id_in(details) or (_first(*map(str, details.values())) if rtype == "Other" else None)
        if found:
            return found
    return account_id if rtype in ASFF_ACCOUNT_TYPES else None


def _bucket_name(resource: Mapping[str, Any]) -> str | None:
    rid = resource.get("Id") or ""
    return rid.rsplit(":", 1)[-1] if rid.startswith("arn:") else rid or None


def asff_entities(resources: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Entity columns an ASFF finding names through its resources: buckets, objects, IAM users, containers."""
    of = {
        t: [r for r in resources if r.get("Type") == t] for t in ("AwsS3Bucket", "AwsS3Object", "Container")
    }
    users = [
        ((r.get("Details") or {}).get(r.get("Type")) or {}).get("UserName")
        for r in resources
        if r.get("Type") in ("AwsIamUser", "AwsIamAccessKey")
    ]
    containers = [(r.get("Details") or {}).get("Container") or {} for r in of["Container"]]
    return {
        "user_name": _first(*users),
        "bucket_names": joined(_bucket_name(r) for r in of["AwsS3Bucket"]),
        "object_key": joined(
            (r.get("Id") or "").split(":::", 1)[-1].split("/", 1)[-1] or None for r in of["AwsS3Object"]
        ),
        "container_id": _first(*(r.get("Id") for r in of["Container"])),
        "container_image": _first(*(_first(c.get("ImageName"), c.get("ImageId")) for c in containers)),
    }


def extract_asff(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one ASFF finding (Security Hub, or any product sending to it).

    Values outside their scale are appended to ``notes`` and left empty (see the package docstring).
    """
    notes = [] if notes is None else notes
    label, normalized, product_score = _asff_severity(f.get("Severity"), notes)
    resources = f.get("Resources") or [{}]
    first = resources[0]
    principal = next((r.get("Id") for r in resources if r.get("Type") in ASFF_PRINCIPAL_TYPES), None)
    action = f.get("Action") or {}
    network = f.get("Network") or {}
    workflow = f.get("Workflow") or {}
    record_state = f.get("RecordState")
    product = _first(
        f.get("ProductName"),
        (f.get("ProductFields") or {}).get("aws/securityhub/ProductName"),
        product_from_arn(f.get("ProductArn")),
    )
    return {
        "finding_id": f["Id"],
        "source": product,
        "type": (f.get("Types") or [None])[0],
        "title": f.get("Title"),
        "severity": _first(product_score, normalized),
        "severity_normalized": normalized,
        "severity_label": label,
        "account_id": f.get("AwsAccountId"),
        "region": _first(f.get("Region"), first.get("Region")),
        "resource_type": first.get("Type"),
        "resource_id": asff_resource_id(first, f.get("AwsAccountId")),
        "principal": principal,
        "remote_ip": _first(network.get("SourceIpV4"), network.get("SourceIpV6"), _remote_ip(action)),
        "first_seen": _time(_first(f.get("FirstObservedAt"), f.get("CreatedAt")), "first seen", notes),
        "last_seen": _time(_first(f.get("LastObservedAt"), f.get("UpdatedAt")), "last seen", notes),
        "count": _count(f.get("Count"), notes),
        "workflow_state": _first(workflow.get("Status"), f.get("WorkflowState")),
        "archived": record_state == "ARCHIVED" if record_state else None,
        **asff_entities([r for r in resources if isinstance(r, Mapping)]),
    }
