"""Security Hub findings in OCSF (``GetFindingsV2``, the Security Hub of 2025) as normalized columns.

``GetFindingsV2`` returns each finding as an OCSF 1.x document (botocore: ``OcsfFinding``, a
document shape): a Detection Finding (``class_uid`` 2004, GuardDuty and the like), a Compliance
Finding (2003, controls), a Vulnerability Finding (2002, Inspector) or a Data Security Finding (2006,
Macie). The paths read are the ones Security Hub filters on (the model's ``OcsfStringField``,
``OcsfDateField`` and ``OcsfNumberField`` enums): ``finding_info.uid``/``title``/``types``,
``metadata.product.name``, ``cloud.account.uid``/``region``, ``resources[].uid``/``type``/``name``,
``severity_id``, ``status``. OCSF keys are snake_case and are read as they are (never through
``pascal_keys``).

Severity (OCSF ``severity_id``): 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical,
6 Fatal, 99 Other. ``severity`` keeps the id; ``severity_normalized`` is the lowest ASFF score of the
same label (Informational 0, Low 1, Medium 40, High 70, Critical 90; Fatal 100), so both formats of
one finding sort together. Unknown and Other are left unlabelled.
Times: ``*_time_dt`` (ISO-8601) when present, else ``*_time`` (epoch milliseconds, OCSF's timestamp_t).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from orginsight.sources.findings.records import PLAUSIBLE_YEARS, _count, _finite, _first, _time, joined

OCSF_FINDING_CLASSES = {
    2002: "Vulnerability Finding",
    2003: "Compliance Finding",
    2004: "Detection Finding",
    2006: "Data Security Finding",
    2001: "Security Finding",
}
"""OCSF 1.x finding classes (``class_uid``) Security Hub writes (2001 is OCSF 1.0's, deprecated)."""


OCSF_SEVERITY = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Critical"}
"""``severity_id`` to the frame's labels (Fatal shares Critical, the frame's highest)."""


OCSF_NORMALIZED = {1: 0.0, 2: 1.0, 3: 40.0, 4: 70.0, 5: 90.0, 6: 100.0}
"""``severity_id`` on ASFF's 0-100 scale (each label's lowest ASFF score)."""


def is_ocsf(finding: Mapping[str, Any]) -> bool:
    """Whether a raw record is an OCSF finding (snake_case ``finding_info`` or a finding ``class_uid``)."""
    return (
        isinstance(finding.get("finding_info"), Mapping) or finding.get("class_uid") in OCSF_FINDING_CLASSES
    )


def _epoch_ms(value: Any) -> pd.Timestamp | None:
    number = _finite(value)
    if number is None or isinstance(value, str):
        return None
    try:
        ts = pd.Timestamp(number, unit="ms", tz="UTC")
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None
    return ts if PLAUSIBLE_YEARS[0] <= ts.year <= PLAUSIBLE_YEARS[1] else None


def _ocsf_time(info: Mapping[str, Any], name: str, what: str, notes: list[str]) -> pd.Timestamp | None:
    if info.get(f"{name}_dt") not in (None, ""):
        return _time(info[f"{name}_dt"], what, notes)
    value = info.get(name)
    ts = _epoch_ms(value)
    if ts is None and value not in (None, ""):
        notes.append(f"{what} {value!r} is not a time; left empty")
    return ts


def ocsf_resource_id(resource: Mapping[str, Any]) -> str | None:
    """An OCSF resource's id: ``uid``, else ``uid_alt``, else ``name`` (OCSF's Resource Details object)."""
    return _first(resource.get("uid"), resource.get("uid_alt"), resource.get("name"))


def _severity(f: Mapping[str, Any], notes: list[str]) -> tuple[float | None, str | None, float | None]:
    sid = _finite(f.get("severity_id"))
    if sid is None and isinstance(f.get("severity"), str):
        by_name = {v.lower(): k for k, v in OCSF_SEVERITY.items() if k != 6} | {"fatal": 6}
        sid = by_name.get(f["severity"].lower())
    if sid is None:
        if f.get("severity_id") not in (None, ""):
            notes.append(f"severity_id {f['severity_id']!r} is not a number; left empty")
        return None, None, None
    return sid, OCSF_SEVERITY.get(int(sid)), OCSF_NORMALIZED.get(int(sid))


def _entities(f: Mapping[str, Any]) -> dict[str, Any]:
    user = (f.get("actor") or {}).get("user") or {}
    evidences = [e for e in f.get("evidences") or [] if isinstance(e, Mapping)]
    buckets = [r for r in f.get("resources") or [] if isinstance(r, Mapping) and r.get("type") in _BUCKETS]
    return {
        "user_name": _first(
            user.get("name"), *(((e.get("actor") or {}).get("user") or {}).get("name") for e in evidences)
        ),
        "principal_id": user.get("uid"),
        "bucket_names": joined(_first(r.get("name"), r.get("uid")) for r in buckets),
        "dns_domain": _first(*(((e.get("query") or {}).get("hostname")) for e in evidences)),
        "process_name": _first(*(((e.get("process") or {}).get("name")) for e in evidences)),
        "container_image": _first(
            *(
                ((r.get("image") or {}).get("name"))
                for r in f.get("resources") or []
                if isinstance(r, Mapping)
            )
        ),
    }


_BUCKETS = ("AWS::S3::Bucket", "AwsS3Bucket", "AWS_S3_BUCKET")


def extract_ocsf(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one OCSF finding document (``GetFindingsV2``), raw snake_case keys."""
    notes = [] if notes is None else notes
    info = f.get("finding_info") or {}
    metadata = f.get("metadata") or {}
    cloud = f.get("cloud") or {}
    resources = [r for r in f.get("resources") or [] if isinstance(r, Mapping)] or [{}]
    first = resources[0]
    score, label, normalized = _severity(f, notes)
    src = (f.get("src_endpoint") or {}).get("ip")
    evidence_ips = (
        ((e.get("src_endpoint") or {}).get("ip")) for e in f.get("evidences") or [] if isinstance(e, Mapping)
    )
    return {
        "finding_id": _first(info.get("uid"), metadata.get("uid")),
        "source": _first((metadata.get("product") or {}).get("name"), "Security Hub"),
        "type": _first(
            *(info.get("types") or []), f.get("class_name"), OCSF_FINDING_CLASSES.get(f.get("class_uid"))
        ),
        "title": info.get("title"),
        "severity": score,
        "severity_normalized": normalized,
        "severity_label": label,
        "account_id": _first(
            (cloud.get("account") or {}).get("uid"),
            ((first.get("owner") or {}).get("account") or {}).get("uid"),
        ),
        "region": _first(cloud.get("region"), first.get("region")),
        "resource_type": first.get("type"),
        "resource_id": ocsf_resource_id(first),
        "principal": _first(((f.get("actor") or {}).get("user") or {}).get("uid")),
        "remote_ip": _first(src, *evidence_ips),
        "first_seen": _ocsf_time(info, "first_seen_time", "first seen", notes)
        or _ocsf_time(info, "created_time", "created", notes),
        "last_seen": _ocsf_time(info, "last_seen_time", "last seen", notes)
        or _ocsf_time(info, "modified_time", "modified", notes),
        "count": _count(f.get("count"), notes),
        "workflow_state": f.get("status"),
        "archived": f.get("status") == "Archived" if f.get("status") else None,
        **_entities(f),
    }
