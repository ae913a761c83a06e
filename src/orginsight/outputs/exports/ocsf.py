"""The normalized findings frame as OCSF Detection Finding records, one JSON-lines file per day.

OCSF-speaking SIEMs (Security Lake's custom sources, Splunk, Sentinel, OpenSearch) take Detection Finding
(class 2004, category Findings) as the shape of an alert. The records are plain dicts built from the
documented class (OCSF 1.1.0, schema.ocsf.io, "Detection Finding" and its objects, as published 2024).
Each record declares the ``cloud`` profile it uses (``metadata.profiles``): without it ``cloud`` is not an
attribute of the class, and an OCSF validator rejects the record.

The tests validate every record against the official OCSF 1.1.0 schema, which the ``ocsf-json-schema``
package (a test dependency) ships as the schema server's export and turns into the schema server's
JSON Schema. At run time the required attributes and enums are checked with ``jsonschema`` against
:data:`DETECTION_FINDING_SCHEMA`, a subset of that schema (a test holds it to the official one), so
exporting needs neither that 23 MB package nor ``py-ocsf-models``' pydantic and pinned email-validator.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from jsonschema import Draft202012Validator

OCSF_VERSION = "1.1.0"
"""The OCSF schema version the records declare in ``metadata.version``."""

CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE, ACTIVITY_CLOSE = 1, 3
"""Detection Finding's activities: Create (a finding as reported) and Close (archived or resolved)."""

SEVERITY_IDS = {"Informational": 1, "Low": 2, "Medium": 3, "High": 4, "Critical": 5}
"""OCSF ``severity_id`` by the frame's ``severity_label`` (0 Unknown otherwise)."""

STATUS_IDS = {"NEW": 1, "NOTIFIED": 2, "IN_PROGRESS": 2, "SUPPRESSED": 3, "RESOLVED": 4}
"""OCSF ``status_id`` (1 New, 2 In Progress, 3 Suppressed, 4 Resolved) by Security Hub's workflow status."""

STATUS_NAMES = {0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}

PROFILES = ["cloud"]
"""The OCSF profiles the records use: ``cloud`` adds the ``cloud`` attribute (account, region, provider)."""

AWS_ACCOUNT_TYPE_ID = 10
"""OCSF account ``type_id`` 10: AWS Account."""

OBSERVABLE_TYPES = {
    "remote_ip": (2, "IP Address"),
    "user_name": (4, "User Name"),
    "principal": (10, "Resource UID"),
}
"""The frame's entity columns that become ``observables``, with OCSF's observable type id and name."""

_INT = {"type": "integer"}
_STR = {"type": "string"}
DETECTION_FINDING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "OCSF 1.1.0 Detection Finding (2004): required attributes and their types",
    "type": "object",
    "required": [
        "activity_id",
        "category_uid",
        "class_uid",
        "finding_info",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
        "cloud",
    ],
    "properties": {
        "activity_id": {"enum": [0, 1, 2, 3, 99]},
        "category_uid": {"const": CATEGORY_UID},
        "class_uid": {"const": CLASS_UID},
        "type_uid": {"enum": [CLASS_UID * 100 + a for a in (0, 1, 2, 3, 99)]},
        "severity_id": {"enum": [0, 1, 2, 3, 4, 5, 6, 99]},
        "severity": _STR,
        "status_id": {"enum": [0, 1, 2, 3, 4, 99]},
        "time": _INT,
        "count": _INT,
        "message": _STR,
        "raw_data": _STR,
        "finding_info": {
            "type": "object",
            "required": ["uid", "title"],
            "properties": {
                "uid": _STR,
                "title": _STR,
                "types": {"type": "array", "items": _STR},
                "first_seen_time": _INT,
                "last_seen_time": _INT,
            },
        },
        "metadata": {
            "type": "object",
            "required": ["product", "version", "profiles"],
            "properties": {
                "version": _STR,
                "profiles": {"type": "array", "contains": {"const": "cloud"}},
                "product": {"type": "object", "required": ["vendor_name"], "properties": {"name": _STR}},
            },
        },
        "cloud": {
            "type": "object",
            "required": ["provider"],
            "properties": {
                "provider": _STR,
                "region": _STR,
                "account": {"type": "object", "properties": {"uid": _STR, "name": _STR, "type_id": _INT}},
            },
        },
        "resources": {
            "type": "array",
            "items": {"type": "object", "properties": {"uid": _STR, "type": _STR, "region": _STR}},
        },
        "observables": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type_id"],
                "properties": {"name": _STR, "type_id": _INT, "value": _STR},
            },
        },
    },
}
"""What a Detection Finding must carry (OCSF 1.1.0: the base event's required attributes, the Findings
category's ``finding_info``, the cloud profile's ``cloud``), with the enum values the class defines."""


def ocsf_errors(record: Mapping[str, Any]) -> list[str]:
    """Why ``record`` is not a valid Detection Finding (empty when it is)."""
    validator = Draft202012Validator(DETECTION_FINDING_SCHEMA)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<record>'}: {e.message}"
        for e in validator.iter_errors(record)
    ]


def _present(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return value != ""


def _epoch_ms(value: Any) -> int | None:
    """Milliseconds since the epoch (OCSF's ``timestamp_t``) of a timezone-aware time."""
    return int(pd.Timestamp(value).timestamp() * 1000) if _present(value) else None


def _without_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _observables(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": column, "type_id": type_id, "type": type_name, "value": str(row[column])}
        for column, (type_id, type_name) in OBSERVABLE_TYPES.items()
        if _present(row.get(column))
    ]


def _status_id(row: Mapping[str, Any]) -> int:
    state = row.get("workflow_state")
    if _present(state):
        return STATUS_IDS.get(str(state).upper(), 99)
    return STATUS_IDS["SUPPRESSED"] if row.get("archived") is True else STATUS_IDS["NEW"]


def detection_finding(row: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the normalized findings frame as an OCSF Detection Finding (a plain dict).

    ``time`` is when the finding was last seen (when the source last updated it); a finding archived or
    resolved is a Close activity, any other a Create. The entity columns become ``observables`` so a SIEM
    can pivot on the principal and the remote IP; the source's own record stays in ``raw_data``.
    """
    status_id = _status_id(row)
    activity_id = (
        ACTIVITY_CLOSE if status_id in (STATUS_IDS["SUPPRESSED"], STATUS_IDS["RESOLVED"]) else ACTIVITY_CREATE
    )
    label = row.get("severity_label")
    severity_id = SEVERITY_IDS.get(str(label), 0) if _present(label) else 0
    last_seen = _epoch_ms(row.get("last_seen"))
    first_seen = _epoch_ms(row.get("first_seen"))
    resource = _without_none(
        {
            "uid": str(row["resource_id"]) if _present(row.get("resource_id")) else None,
            "type": str(row["resource_type"]) if _present(row.get("resource_type")) else None,
            "region": str(row["region"]) if _present(row.get("region")) else None,
        }
    )
    raw = row.get("raw")
    record = {
        "activity_id": activity_id,
        "activity_name": "Close" if activity_id == ACTIVITY_CLOSE else "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + activity_id,
        "type_name": f"Detection Finding: {'Close' if activity_id == ACTIVITY_CLOSE else 'Create'}",
        "severity_id": severity_id,
        "severity": str(label) if severity_id else "Unknown",
        "status_id": status_id,
        "status": STATUS_NAMES.get(status_id, "Other"),
        "time": last_seen if last_seen is not None else first_seen,
        "message": str(row["title"]) if _present(row.get("title")) else None,
        "count": int(row["count"]) if _present(row.get("count")) else None,
        "finding_info": _without_none(
            {
                "uid": str(row["finding_id"]),
                "title": str(row["title"]) if _present(row.get("title")) else str(row["finding_id"]),
                "types": [str(row["type"])] if _present(row.get("type")) else None,
                "first_seen_time": first_seen,
                "last_seen_time": last_seen,
            }
        ),
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": list(PROFILES),
            "product": {"name": str(row["source"]), "vendor_name": "AWS"},
        },
        "cloud": _without_none(
            {
                "provider": "AWS",
                "region": str(row["region"]) if _present(row.get("region")) else None,
                "account": _without_none(
                    {
                        "uid": str(row["account_id"]) if _present(row.get("account_id")) else None,
                        "name": str(row["account_name"]) if _present(row.get("account_name")) else None,
                        "type_id": AWS_ACCOUNT_TYPE_ID,
                        "type": "AWS Account",
                    }
                ),
            }
        ),
        "resources": [resource] if "uid" in resource else None,
        "observables": _observables(row) or None,
        "raw_data": raw
        if isinstance(raw, str)
        else (json.dumps(raw, default=str) if _present(raw) else None),
    }
    return _without_none(record)


def detection_findings(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row of a normalized findings frame as a Detection Finding, in the frame's order.

    A row without a time cannot be placed in a day nor carry OCSF's required ``time``: it is left out
    and counted in the returned list's absence; :func:`write_ocsf` reports how many.
    """
    records = (detection_finding(row) for row in findings.to_dict("records"))
    return [r for r in records if "time" in r]


def day_of(record: Mapping[str, Any]) -> str:
    """The UTC day (``YYYY-MM-DD``) of a record's ``time``: the file it goes in."""
    return pd.Timestamp(record["time"], unit="ms", tz="UTC").strftime("%Y-%m-%d")


def write_ocsf(findings: pd.DataFrame, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``findings-YYYY-MM-DD.ocsf.jsonl`` files (one record a line, one file per UTC day) under ``out``.

    Every record is checked against :data:`DETECTION_FINDING_SCHEMA` first: a record that does not validate
    is a bug here, and raises ``ValueError`` before any file is written.
    """
    records = detection_findings(findings)
    for record in records:
        if errors := ocsf_errors(record):
            raise ValueError(
                f"finding {record['finding_info']['uid']} is not a valid Detection Finding: {errors}"
            )
    by_day: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_day.setdefault(day_of(record), []).append(record)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    return [_write_lines(folder / f"findings-{day}.ocsf.jsonl", by_day[day]) for day in sorted(by_day)]


def _write_lines(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    return path
