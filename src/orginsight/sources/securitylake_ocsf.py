"""CloudTrail records -> Security Lake's OCSF 1.1.0 API Activity rows (source version 2), and their Parquet layout.

Follows AWS's event dossier for CloudTrail API Activity at OCSF 1.1.0
(aws-samples/amazon-security-lake-ocsf-validation, 2024), the mapping ``sources.securitylake`` undoes:
mapped keys go to their OCSF attribute, every other key to ``unmapped`` by dotted path. It exists to
build Security Lake fixtures from real trail records, so a hunt can be run on both and compared.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orginsight.sources.securitylake import SOURCE_PREFIX

MAPPED = {
    "eventVersion", "userIdentity.type", "userIdentity.principalId", "userIdentity.arn",
    "userIdentity.accountId", "userIdentity.invokedBy", "userIdentity.accessKeyId", "userIdentity.userName",
    "userIdentity.identityProvider", "userIdentity.credentialId", "userIdentity.onBehalfOf.userId",
    "userIdentity.onBehalfOf.identityStoreArn", "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "userIdentity.sessionContext.attributes.creationDate", "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.sessionContext.webIdFederationData.federatedProvider", "eventTime", "eventSource",
    "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestID",
    "eventID", "eventType", "apiVersion", "recipientAccountId", "vpcEndpointId", "eventCategory",
}  # fmt: skip
"""CloudTrail paths the dossier maps to an OCSF attribute (plus the objects kept whole below)."""

WHOLE = ("requestParameters", "responseElements", "resources")
"""Objects mapped whole: api.request.data and api.response.data as JSON text, resources as a list."""

_ACTIVITIES = (
    ("Create", 1),
    ("Get", 2),
    ("Describe", 2),
    ("List", 2),
    ("Update", 3),
    ("Put", 3),
    ("Delete", 4),
)


def flatten(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """``(dotted path, text)`` pairs of a JSON value, as Security Lake writes ``unmapped``:
    lists as ``key[]`` with their values joined by commas."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(value, list):
        pairs: dict[str, list[str]] = {}
        for item in value:
            for k, v in flatten(item, prefix + "[]"):
                pairs.setdefault(k, []).append(v)
        for k, vs in pairs.items():
            yield k, ",".join(vs)
    elif value is not None:
        yield prefix, json.dumps(value) if isinstance(value, bool) else str(value)


def _is_ip(text: str | None) -> bool:
    try:
        ipaddress.ip_address(text or "")
    except ValueError:
        return False
    return True


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC) if text else None


def _activity_id(name: str) -> int:
    return next((i for prefix, i in _ACTIVITIES if name.startswith(prefix)), 99)


def api_activity(record: dict[str, Any]) -> dict[str, Any]:
    """One CloudTrail record as Security Lake's OCSF API Activity row (class_uid 6003)."""
    ui = record.get("userIdentity") or {}
    sc = ui.get("sessionContext") or {}
    attrs = sc.get("attributes") or {}
    obo = ui.get("onBehalfOf") or {}
    extra = record.get("additionalEventData") or {}
    when = _time(record["eventTime"])
    assert when is not None
    source = record.get("sourceIPAddress")
    activity = _activity_id(record.get("eventName") or "")
    unmapped = {
        k: v for k, v in flatten({k: v for k, v in record.items() if k not in WHOLE}, "") if k not in MAPPED
    }
    mfa = attrs.get("mfaAuthenticated")
    return {
        "metadata": {
            "uid": record.get("eventID"),
            "version": "1.1.0",
            "event_code": record.get("eventType"),
            "profiles": ["cloud", "datetime"],
            "product": {
                "name": "CloudTrail",
                "vendor_name": "AWS",
                "version": record.get("eventVersion"),
                "feature": {"name": record.get("eventCategory")},
            },
        },
        "time": int(when.timestamp() * 1000),
        "time_dt": when,
        "class_uid": 6003,
        "class_name": "API Activity",
        "category_uid": 6,
        "category_name": "Application Activity",
        "activity_id": activity,
        "type_uid": 600300 + activity,
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 2 if record.get("errorCode") else 1,
        "status": "Failure" if record.get("errorCode") else "Success",
        "api": {
            "operation": record.get("eventName"),
            "version": record.get("apiVersion"),
            "service": {"name": record.get("eventSource")},
            "request": {"uid": record.get("requestID"), "data": _json(record.get("requestParameters"))},
            "response": {
                "error": record.get("errorCode"),
                "message": record.get("errorMessage"),
                "data": _json(record.get("responseElements")),
            },
        },
        "actor": {
            "user": {
                "type": ui.get("type"),
                "uid": ui.get("arn"),
                "uid_alt": ui.get("principalId") or obo.get("userId"),
                "name": ui.get("userName") or extra.get("UserName"),
                "credential_uid": ui.get("accessKeyId") or ui.get("credentialId"),
                "account": {"uid": ui.get("accountId")},
            },
            "session": {
                "issuer": (sc.get("sessionIssuer") or {}).get("arn"),
                "is_mfa": None if mfa is None else str(mfa).lower() == "true",
                "created_time_dt": _time(attrs.get("creationDate")),
            },
            "invoked_by": ui.get("invokedBy"),
            "idp": {
                "name": ui.get("identityProvider")
                or (sc.get("webIdFederationData") or {}).get("federatedProvider"),
                "uid": obo.get("identityStoreArn"),
            },
        },
        "src_endpoint": {
            "ip": source if _is_ip(source) else None,
            "domain": None if _is_ip(source) else source,
            "uid": record.get("vpcEndpointId"),
        },
        "http_request": {"user_agent": record.get("userAgent")},
        "cloud": {
            "provider": "AWS",
            "region": record.get("awsRegion"),
            "account": {"uid": record.get("recipientAccountId")},
        },
        "resources": [
            {"uid": r.get("ARN"), "type": r.get("type"), "owner": {"account": {"uid": r.get("accountId")}}}
            for r in record.get("resources") or []
        ]
        or None,
        "unmapped": unmapped or None,
    }


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def parquet_schema() -> Any:
    """The Arrow schema of the rows ``api_activity`` makes (the OCSF 1.1.0 attributes Security Lake fills)."""
    import pyarrow as pa  # reason: only fixture builders need Arrow

    s, ts = pa.string(), pa.timestamp("ms", tz="UTC")

    def st(**fields: Any) -> Any:
        return pa.struct([pa.field(k, v) for k, v in fields.items()])

    account = st(uid=s)
    return pa.schema(
        [
            ("metadata", st(uid=s, version=s, event_code=s, profiles=pa.list_(s),
                            product=st(name=s, vendor_name=s, version=s, feature=st(name=s)))),
            ("time", pa.int64()), ("time_dt", ts),
            ("class_uid", pa.int32()), ("class_name", s), ("category_uid", pa.int32()), ("category_name", s),
            ("activity_id", pa.int32()), ("type_uid", pa.int64()), ("severity_id", pa.int32()),
            ("severity", s), ("status_id", pa.int32()), ("status", s),
            ("api", st(operation=s, version=s, service=st(name=s), request=st(uid=s, data=s),
                       response=st(error=s, message=s, data=s))),
            ("actor", st(user=st(type=s, uid=s, uid_alt=s, name=s, credential_uid=s, account=account),
                         session=st(issuer=s, is_mfa=pa.bool_(), created_time_dt=ts),
                         invoked_by=s, idp=st(name=s, uid=s))),
            ("src_endpoint", st(ip=s, domain=s, uid=s)),
            ("http_request", st(user_agent=s)),
            ("cloud", st(provider=s, region=s, account=account)),
            ("resources", pa.list_(st(uid=s, type=s, owner=st(account=account)))),
            ("unmapped", pa.map_(s, s)),
        ]
    )  # fmt: skip


def write_partitions(
    records: Iterable[dict[str, Any]], root: Path, name: str = "part-0.parquet"
) -> list[Path]:
    """Write records as Security Lake lays them out under ``root`` (one Parquet object per partition)."""
    import pyarrow as pa  # reason: only fixture builders need Arrow
    import pyarrow.parquet as pq  # reason: as above

    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in records:
        row = api_activity(r)
        key = (row["cloud"]["region"], row["cloud"]["account"]["uid"], row["time_dt"].strftime("%Y%m%d"))
        if row["unmapped"] is not None:
            row["unmapped"] = list(row["unmapped"].items())
        groups.setdefault(key, []).append(row)
    written = []
    for (region, account, day), rows in sorted(groups.items()):
        folder = root.joinpath(*SOURCE_PREFIX, f"region={region}", f"accountId={account}", f"eventDay={day}")
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=parquet_schema()), folder / name)
        written.append(folder / name)
    return written
