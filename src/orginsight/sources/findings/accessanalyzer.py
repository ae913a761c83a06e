"""IAM Access Analyzer findings (``ListFindings`` ``FindingSummary``, ``ListFindingsV2``
``FindingSummaryV2`` and ``GetFindingV2``; boto3 camelCase, PascalCase here).

The resource is ``resource`` (an ARN; for unused access the IAM role or user), typed by
``resourceType`` (``AWS::S3::Bucket``...). ``type`` is ``findingType`` (ExternalAccess,
InternalAccess, UnusedIAMRole, UnusedIAMUserAccessKey, UnusedIAMUserPassword, UnusedPermission);
a v1 finding is always ExternalAccess. External access names the principal it grants
(``principal``, or ``findingDetails[].externalAccessDetails.principal``): an AWS account or ARN
goes to ``remote_account``; ``isPublic`` gives principal ``*``.

Severity: the API gives Access Analyzer findings none (botocore's ``FindingSummary``/``V2`` have no
severity member). The labels here are orginsight's ranking, not AWS's: public external access
Critical, other external access High, internal access Medium, unused access Low, with the ASFF
lowest scores (Critical 90, High 70, Medium 40, Low 1); ``severity`` (a product score) stays empty.
Security Hub rates the copies it imports itself; those arrive as ASFF and keep AWS's label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orginsight.sources.findings.records import _first, _time, joined

ACCESS_ANALYZER_SEVERITY = {"public": "Critical", "ExternalAccess": "High", "InternalAccess": "Medium"}
"""The label of each kind of finding (unused access: Low): orginsight's ranking (see the module docstring)."""


_LABEL_SCORE = {"Critical": 90.0, "High": 70.0, "Medium": 40.0, "Low": 1.0}
_ACCOUNT = re.compile(r"^(?:arn:[^:]*:[^:]*:[^:]*:)?(\d{12})(?::|$)")


def is_accessanalyzer(f: Mapping[str, Any]) -> bool:
    """Whether a PascalCase record is an Access Analyzer finding (``ResourceOwnerAccount`` or ``AnalyzedAt``)."""
    return "ResourceOwnerAccount" in f or "AnalyzedAt" in f


def _principals(f: Mapping[str, Any]) -> list[str]:
    """Principal values a finding grants access to (v1 ``principal`` map; v2 external access details)."""
    maps = [f.get("Principal") or {}]
    for detail in f.get("FindingDetails") or []:
        if isinstance(detail, Mapping):
            maps.append((detail.get("ExternalAccessDetails") or {}).get("Principal") or {})
    return [str(v) for m in maps if isinstance(m, Mapping) for v in m.values() if v not in (None, "")]


def _is_public(f: Mapping[str, Any]) -> bool:
    details = [
        d.get("ExternalAccessDetails") or {} for d in f.get("FindingDetails") or [] if isinstance(d, Mapping)
    ]
    return bool(f.get("IsPublic")) or any(d.get("IsPublic") for d in details)


def _detail_actions(details: list[Mapping[str, Any]]) -> list[str]:
    """Actions a v2 finding's details name: granted (external, internal access) or unused (permissions)."""
    found: list[str] = []
    for d in details:
        for kind in ("ExternalAccessDetails", "InternalAccessDetails"):
            found += (d.get(kind) or {}).get("Action") or []
        for action in (d.get("UnusedPermissionDetails") or {}).get("Actions") or []:
            found += [action["Action"]] if isinstance(action, Mapping) and action.get("Action") else []
        unused_service = (d.get("UnusedPermissionDetails") or {}).get("ServiceNamespace")
        found += (
            [f"{unused_service}:*"]
            if unused_service and not (d.get("UnusedPermissionDetails") or {}).get("Actions")
            else []
        )
    return found


def _unused_key(details: list[Mapping[str, Any]]) -> str | None:
    return _first(*((d.get("UnusedIamUserAccessKeyDetails") or {}).get("AccessKeyId") for d in details))


def extract_accessanalyzer(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one PascalCase Access Analyzer finding (v1 or v2)."""
    notes = [] if notes is None else notes
    kind = _first(f.get("FindingType"), "ExternalAccess")
    public = _is_public(f)
    label = ACCESS_ANALYZER_SEVERITY["public"] if public else ACCESS_ANALYZER_SEVERITY.get(kind, "Low")
    principals = _principals(f)
    accounts = [m.group(1) for p in principals if (m := _ACCOUNT.match(p))]
    outside = [a for a in accounts if a != f.get("ResourceOwnerAccount")]
    resource = f.get("Resource")
    details = [d for d in f.get("FindingDetails") or [] if isinstance(d, Mapping)]
    return {
        "finding_id": f.get("Id"),
        "source": "IAM Access Analyzer",
        "type": kind,
        "title": f"{kind} to {f.get('ResourceType') or 'a resource'}" + (" (public)" if public else ""),
        "severity": None,
        "severity_normalized": _LABEL_SCORE[label],
        "severity_label": label,
        "account_id": f.get("ResourceOwnerAccount"),
        "region": resource.split(":")[3] or None
        if isinstance(resource, str) and resource.count(":") > 3
        else None,
        "resource_type": f.get("ResourceType"),
        "resource_id": resource,
        "principal": "*" if public and not principals else _first(*principals, _unused_key(details)),
        "remote_ip": None,
        "first_seen": _time(f.get("CreatedAt"), "first seen", notes),
        "last_seen": _time(_first(f.get("UpdatedAt"), f.get("AnalyzedAt")), "last seen", notes),
        "count": None,
        "workflow_state": f.get("Status"),
        "archived": f.get("Status") == "ARCHIVED" if f.get("Status") else None,
        "bucket_names": resource.rsplit(":", 1)[-1]
        if f.get("ResourceType") == "AWS::S3::Bucket" and resource
        else None,
        "remote_account": joined(outside),
        "actions": joined([*(f.get("Action") or []), *_detail_actions(details)]),
    }
