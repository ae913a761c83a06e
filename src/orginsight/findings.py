"""One normalized findings frame for every source: GuardDuty (API, S3 export, EventBridge) and Security Hub ASFF.

GuardDuty finding keys are camelCase in the raw API, EventBridge events and S3
exports, and PascalCase in boto3 responses; ASFF is PascalCase everywhere. Every
record first goes through one key normalizer (``pascal_keys``), then through one
extractor per format, so there is a single code path per product.

Severity labels follow each product's documented scale:
- GuardDuty (User Guide, "Severity levels for findings"; Critical added in 2023):
  9.0-10.0 Critical, 7.0-8.9 High, 4.0-6.9 Medium, 1.0-3.9 Low.
- ASFF ``Severity.Label`` when present, else ``Severity.Normalized`` (ASFF syntax, 2024):
  0 Informational, 1-39 Low, 40-69 Medium, 70-89 High, 90-100 Critical.
``severity`` keeps the product's own score; ``severity_normalized`` puts both on ASFF's 0-100.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

FINDING_COLUMNS = [
    "finding_id",
    "source",
    "type",
    "title",
    "severity",
    "severity_normalized",
    "severity_label",
    "account_id",
    "account_name",
    "ou_path",
    "region",
    "resource_type",
    "resource_id",
    "principal",
    "remote_ip",
    "first_seen",
    "last_seen",
    "count",
    "workflow_state",
    "archived",
    "raw",
]
"""Columns of the normalized findings frame, in order."""

TIME_COLUMNS = ["first_seen", "last_seen"]
SEVERITY_LABELS = ["Critical", "High", "Medium", "Low", "Informational"]


# ----------------------------------------------------------------------------- keys and envelopes


def pascal_keys(value: Any) -> Any:
    """The same structure with every dict key's first letter upper-cased (``accountId`` -> ``AccountId``).

    This is exactly how boto3's GuardDuty shapes relate to the raw JSON API (``ipAddressV4`` ->
    ``IpAddressV4``); ASFF keys are already PascalCase and pass through unchanged.
    """
    # dict and list before the Mapping ABC: an isinstance check against an ABC costs 10x (profiled).
    if isinstance(value, dict) or (not isinstance(value, list | str | int | float) and isinstance(value, Mapping)):
        return {
            (k[:1].upper() + k[1:] if isinstance(k, str) else k): pascal_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [pascal_keys(v) for v in value]
    return value


def unwrap(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The findings inside one record: an EventBridge event, a GetFindings page, a custom-action event or a finding."""
    if "detail" in record and isinstance(record["detail"], Mapping):  # EventBridge envelope
        detail = record["detail"]
        if isinstance(detail.get("findings"), list):  # "Security Hub Findings - Imported"
            return [dict(f) for f in detail["findings"]]
        return [dict(detail)]  # "GuardDuty Finding"
    for key in ("Findings", "findings"):  # GetFindings response, Security Hub custom action payload
        if isinstance(record.get(key), list):
            return [dict(f) for f in record[key]]
    if isinstance(record.get("Finding"), Mapping):  # ASR notifier event
        return [dict(record["Finding"])]
    return [dict(record)]


def is_asff(finding: Mapping[str, Any]) -> bool:
    """Whether a (PascalCase) finding is in the AWS Security Finding Format."""
    return "ProductArn" in finding or "AwsAccountId" in finding


# ----------------------------------------------------------------------------- severity and time


def guardduty_label(score: float | None) -> str | None:
    """GuardDuty's label for a 0-10 severity score (Critical since 2023)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    if score >= 9.0:
        return "Critical"
    if score >= 7.0:
        return "High"
    if score >= 4.0:
        return "Medium"
    if score >= 1.0:
        return "Low"
    return "Informational"  # below GuardDuty's documented range; only seen in hand-made samples


def asff_label(severity: Mapping[str, Any] | None) -> str | None:
    """ASFF's label: ``Severity.Label``, else derived from ``Severity.Normalized`` (0-100)."""
    if not severity:
        return None
    label = severity.get("Label")
    if label:
        return str(label).capitalize()
    normalized = severity.get("Normalized")
    if normalized is None:
        return None
    n = float(normalized)
    if n >= 90:
        return "Critical"
    if n >= 70:
        return "High"
    if n >= 40:
        return "Medium"
    if n >= 1:
        return "Low"
    return "Informational"


ASFF_LABEL_SCORE = {"Informational": 0, "Low": 1, "Medium": 40, "High": 70, "Critical": 90}
"""Lowest Normalized score of each ASFF label, for findings that carry only a label."""


def to_utc(value: Any) -> pd.Timestamp | None:
    """A UTC timestamp from ISO-8601 text (with or without zone, ``T`` or space) or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        ts = pd.Timestamp(value)
    else:
        try:
            ts = pd.Timestamp(str(value))
        except ValueError:
            return None
    return ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)


# ----------------------------------------------------------------------------- extractors


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "", [], {})), None)


def _remote_ip(action: Mapping[str, Any]) -> str | None:
    """The remote IPv4/IPv6 of a GuardDuty (or ASFF) action, whatever the action type."""
    for key in (
        "AwsApiCallAction",
        "NetworkConnectionAction",
        "KubernetesApiCallAction",
        "RdsLoginAttemptAction",
    ):
        details = (action.get(key) or {}).get("RemoteIpDetails") or {}
        ip = _first(details.get("IpAddressV4"), details.get("IpAddressV6"))
        if ip:
            return ip
    for probe in (action.get("PortProbeAction") or {}).get("PortProbeDetails") or []:
        details = probe.get("RemoteIpDetails") or {}
        ip = _first(details.get("IpAddressV4"), details.get("IpAddressV6"))
        if ip:
            return ip
    return None


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


def extract_guardduty(f: Mapping[str, Any]) -> dict[str, Any]:
    """Normalized columns of one PascalCase GuardDuty finding (API, export or EventBridge detail)."""
    service = f.get("Service") or {}
    rtype, rid, principal = _guardduty_resource(f.get("Resource") or {})
    score = f.get("Severity")
    score = float(score) if score is not None else None
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
        "first_seen": to_utc(_first(service.get("EventFirstSeen"), f.get("CreatedAt"))),
        "last_seen": to_utc(_first(service.get("EventLastSeen"), f.get("UpdatedAt"))),
        "count": service.get("Count"),
        "workflow_state": "ARCHIVED" if service.get("Archived") else "ACTIVE",
        "archived": bool(service.get("Archived")) if "Archived" in service else None,
    }


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


def extract_asff(f: Mapping[str, Any]) -> dict[str, Any]:
    """Normalized columns of one ASFF finding (Security Hub, or any product sending to it)."""
    severity = f.get("Severity") or {}
    label = asff_label(severity)
    normalized = severity.get("Normalized")
    normalized = float(normalized) if normalized is not None else ASFF_LABEL_SCORE.get(label or "")
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
        "severity": _first(severity.get("Product"), normalized),
        "severity_normalized": normalized,
        "severity_label": label,
        "account_id": f.get("AwsAccountId"),
        "region": _first(f.get("Region"), first.get("Region")),
        "resource_type": first.get("Type"),
        "resource_id": first.get("Id"),
        "principal": principal,
        "remote_ip": _first(network.get("SourceIpV4"), network.get("SourceIpV6"), _remote_ip(action)),
        "first_seen": to_utc(_first(f.get("FirstObservedAt"), f.get("CreatedAt"))),
        "last_seen": to_utc(_first(f.get("LastObservedAt"), f.get("UpdatedAt"))),
        "count": f.get("Count"),
        "workflow_state": _first(workflow.get("Status"), f.get("WorkflowState")),
        "archived": record_state == "ARCHIVED" if record_state else None,
    }


def normalize_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """One finding (any source, any key case, no envelope) as a normalized row, ``raw`` included."""
    f = pascal_keys(finding)
    row = extract_asff(f) if is_asff(f) else extract_guardduty(f)
    row["raw"] = json.dumps(finding, sort_keys=True, default=str)
    return row


# ----------------------------------------------------------------------------- the frame


def normalize_findings(
    records: Iterable[Mapping[str, Any]], org: pd.DataFrame | None = None, origin: str = "input"
) -> pd.DataFrame:
    """The normalized findings frame of ``records`` (findings, EventBridge events or GetFindings pages).

    A record that cannot be read is skipped and described in ``df.attrs["errors"]`` with
    ``origin`` and its position, so one bad record does not lose the others. With ``org``
    (the Organizations ``accounts`` frame), account names and OU paths are joined in.
    """
    rows, errors = [], []
    for i, record in enumerate(records):
        try:
            rows.extend(normalize_finding(f) for f in unwrap(record))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            errors.append({"origin": origin, "record": i, "error": f"{type(e).__name__}: {e}"})
    df = findings_frame(rows, org)
    df.attrs["errors"] = errors
    return df


def findings_frame(rows: list[dict[str, Any]], org: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``normalize_finding`` as a typed frame, with account names and OU paths from ``org``."""
    df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    for col in TIME_COLUMNS:
        df[col] = pd.to_datetime(df[col], utc=True)
    for col in ("severity", "severity_normalized"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["count"] = pd.to_numeric(df["count"], errors="coerce").astype("Int64")
    df["archived"] = df["archived"].astype("boolean")
    df["account_name"] = df["account_name"].astype("object")
    df["ou_path"] = df["ou_path"].astype("object")
    if org is not None and len(org):
        df = with_org(df, org)
    return df


def with_org(findings: pd.DataFrame, org: pd.DataFrame) -> pd.DataFrame:
    """``findings`` with account names and OU paths taken from the Organizations ``accounts`` frame."""
    out = findings.copy()
    names = dict(zip(org["account_id"], org["name"], strict=True))
    paths = dict(zip(org["account_id"], org["ou_path"], strict=True)) if "ou_path" in org else {}
    out["account_name"] = [names.get(a) for a in out["account_id"]]
    out["ou_path"] = [paths.get(a) for a in out["account_id"]]
    return out
