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

Findings are read from what others can shape (exports, files handed over, EventBridge lines), so
one bad item loses only itself (DESIGN.md, "Trust boundaries"):

- a record that is not a finding (neither an id nor a type), or a finding that cannot be read, is
  rejected: it is left out and described in ``df.attrs["errors"]`` (where, finding id, reason);
- a finding whose severity is outside its product's scale, or whose time is not a time, is kept with
  that value left empty and described in ``df.attrs["warnings"]``;
- a file line that is not JSON (a truncated upload) is rejected as ``file:line``; a truncated gzip
  keeps every complete line it decompressed to.

Each list entry is a dict: ``origin`` (file or source), ``record`` (line number in a file, position
in an iterable of records), ``finding`` (position in a page of several), ``finding_id``, ``where``
(``file:line`` and the like) and ``error`` (or ``warning``). One Python warning summarizes them.
"""

from __future__ import annotations

import json
import math
import re
import warnings
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.errors import OrgInsightError

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

GUARDDUTY_SEVERITY_RANGE = (0.0, 10.0)
"""GuardDuty's severity scale. AWS documents 1.0-8.9 in use (and 9.0-10.0 Critical since 2023);
anything in 0-10 is kept, a value outside it is warned about and left empty."""

ASFF_NORMALIZED_RANGE = (0.0, 100.0)
"""ASFF ``Severity.Normalized`` (an integer 0-100, ASFF syntax)."""

ASFF_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
"""ASFF ``Severity.Label`` values (ASFF syntax); others are warned about and left empty."""

PLAUSIBLE_YEARS = (1970, 2200)
"""Years a finding's time may name; others (year 1, year 9999) are warned about and left empty."""

MAX_DECOMPRESSED_BYTES = 256 * 2**20
"""Most bytes one gzip findings file is decompressed to (a GuardDuty export object holds a few MB):
a larger one is cut there and reported, so a small hostile file cannot fill the memory."""


class FindingError(OrgInsightError, ValueError):
    """A record is not a finding, or a finding cannot be read; the message says why."""


# ----------------------------------------------------------------------------- keys and envelopes


def pascal_keys(value: Any) -> Any:
    """The same structure with every dict key's first letter upper-cased (``accountId`` -> ``AccountId``).

    This is exactly how boto3's GuardDuty shapes relate to the raw JSON API (``ipAddressV4`` ->
    ``IpAddressV4``); ASFF keys are already PascalCase and pass through unchanged.
    """
    # dict and list before the Mapping ABC: an isinstance check against an ABC costs 10x (profiled).
    if isinstance(value, dict) or (
        not isinstance(value, list | str | int | float) and isinstance(value, Mapping)
    ):
        return {
            (k[:1].upper() + k[1:] if isinstance(k, str) else k): pascal_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [pascal_keys(v) for v in value]
    return value


def unwrap(record: Any) -> list[Any]:
    """The items inside one record: an EventBridge event, a GetFindings page, a custom-action event or a
    finding. Items are returned as they are (each is checked on its own by :func:`read_finding`, so a
    bad one in a page of 50 loses only itself); a record that is not a JSON object raises FindingError."""
    if not isinstance(record, Mapping):
        raise FindingError(f"not a finding: a JSON {_json_kind(record)}, not an object")
    if "detail" in record and isinstance(record["detail"], Mapping):  # EventBridge envelope
        detail = record["detail"]
        if isinstance(detail.get("findings"), list):  # "Security Hub Findings - Imported"
            return [*detail["findings"]]
        return [detail]  # "GuardDuty Finding"
    for key in ("Findings", "findings"):  # GetFindings response, Security Hub custom action payload
        if isinstance(record.get(key), list):
            return [*record[key]]
    if isinstance(record.get("Finding"), Mapping):  # ASR notifier event
        return [record["Finding"]]
    return [record]


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


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
    return _asff_severity(severity, [])[0]


def _normalized_label(n: float) -> str:
    """ASFF's label of a ``Severity.Normalized`` score (0-100)."""
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


def _finite(value: Any) -> float | None:
    """``value`` as a finite float (a number, or text of one); None for anything else, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _score(value: Any, what: str, scale: tuple[float, float], notes: list[str]) -> float | None:
    """A severity score within ``scale``; anything else is noted and left empty."""
    if value is None:
        return None
    number = _finite(value)
    low, high = scale
    if number is None:
        notes.append(f"{what} {value!r} is not a finite number; left empty")
    elif not low <= number <= high:
        notes.append(f"{what} {value!r} is outside {low:g}-{high:g}; left empty")
        number = None
    return number


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


_ISO_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
"""ISO-8601 text starts with a date; ``now`` or ``today`` (which pandas would read as the clock) do not."""


def to_utc(value: Any) -> pd.Timestamp | None:
    """A UTC timestamp from ISO-8601 text (with or without zone, ``T`` or space) or a datetime.

    Anything else (``now``, an epoch number, a malformed date, a year outside :data:`PLAUSIBLE_YEARS`)
    gives None: the caller decides whether that deserves a warning (see ``_time``).
    """
    if value is None or isinstance(value, str) and not _ISO_DATE.match(value):
        return None
    if not isinstance(value, str | date):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, OverflowError):
        return None
    if ts is pd.NaT or not PLAUSIBLE_YEARS[0] <= ts.year <= PLAUSIBLE_YEARS[1]:
        return None
    return ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)


def _time(value: Any, what: str, notes: list[str]) -> pd.Timestamp | None:
    """:func:`to_utc` of a finding's time; a value that is there but is not a time is noted."""
    ts = to_utc(value)
    if ts is None and value not in (None, ""):
        notes.append(f"{what} {value!r} is not a time; left empty")
    return ts


def _count(value: Any, notes: list[str]) -> int | None:
    """A finding's occurrence count: a whole number from 0; anything else is noted and left empty."""
    if value is None:
        return None
    number = _finite(value)
    if number is None or number < 0 or not number.is_integer():
        notes.append(f"count {value!r} is not a whole number from 0; left empty")
        return None
    return int(number)


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


def extract_guardduty(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one PascalCase GuardDuty finding (API, export or EventBridge detail).

    Values outside their scale are appended to ``notes`` and left empty (see the module docstring).
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


def extract_asff(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one ASFF finding (Security Hub, or any product sending to it).

    Values outside their scale are appended to ``notes`` and left empty (see the module docstring).
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
        "resource_id": first.get("Id"),
        "principal": principal,
        "remote_ip": _first(network.get("SourceIpV4"), network.get("SourceIpV6"), _remote_ip(action)),
        "first_seen": _time(_first(f.get("FirstObservedAt"), f.get("CreatedAt")), "first seen", notes),
        "last_seen": _time(_first(f.get("LastObservedAt"), f.get("UpdatedAt")), "last seen", notes),
        "count": _count(f.get("Count"), notes),
        "workflow_state": _first(workflow.get("Status"), f.get("WorkflowState")),
        "archived": record_state == "ARCHIVED" if record_state else None,
    }


def normalize_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """One finding (any source, any key case, no envelope) as a normalized row, ``raw`` included.

    Raises FindingError for a record that is not a finding; see :func:`read_finding` for the warnings.
    """
    return read_finding(finding)[0]


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def finding_id(finding: Any) -> str | None:
    """The id of a finding (any key case), or the last part of its ARN, for reports; None when it has neither."""
    if not isinstance(finding, Mapping):
        return None
    fid = _first(finding.get("Id"), finding.get("id"))
    if isinstance(fid, str | int) and not isinstance(fid, bool):
        return str(fid)
    arn = _first(finding.get("Arn"), finding.get("arn"))
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None


def read_finding(finding: Any) -> tuple[dict[str, Any], list[str]]:
    """One finding as a normalized row, and what was wrong with the values left empty in it.

    Raises FindingError for a record that is not a finding: not a JSON object, neither an id nor a
    type (an empty ``{}`` line, another kind of event), or an ASFF finding without its required Id.
    """
    if not isinstance(finding, Mapping):
        raise FindingError(f"not a finding: a JSON {_json_kind(finding)}, not an object")
    f = pascal_keys(finding)
    if not any(_present(f.get(key)) for key in ("Id", "Arn", "Type", "Types")):
        raise FindingError("not a finding: it has neither an id nor a type")
    notes: list[str] = []
    if is_asff(f):
        if not _present(f.get("Id")):
            raise FindingError("not an ASFF finding: it has no Id (ASFF requires one)")
        row = extract_asff(f, notes)
    else:
        row = extract_guardduty(f, notes)
    row["raw"] = json.dumps(finding, sort_keys=True, default=str)
    return row, notes


# ----------------------------------------------------------------------------- the frame


READ_ERRORS = (FindingError, KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)
"""What reading one finding of an unexpected shape raises; caught per finding, never per page."""


def describe(problem: Mapping[str, Any]) -> str:
    """One line for a rejected finding or a warning: ``where: finding <id>: reason``."""
    fid = f"finding {problem['finding_id']}: " if problem.get("finding_id") else ""
    return f"{problem['where']}: {fid}{problem.get('error') or problem.get('warning')}"


@dataclass
class FindingsBatch:
    """Normalized rows read so far, the findings rejected (``errors``) and those kept with a warning."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def add_record(self, record: Any, origin: str, number: int | None, where: str | None = None) -> None:
        """Every finding of one record (a finding, an EventBridge event or a GetFindings page)."""
        where = where or f"{origin} record {number}"
        try:
            items = unwrap(record)
        except FindingError as e:
            self.errors.append(_problem(origin, number, where, None, None, error=str(e)))
            return
        for index, item in enumerate(items):
            position = index if len(items) > 1 else None
            place = f"{where} finding {index}" if position is not None else where
            fid = finding_id(item)
            try:
                row, notes = read_finding(item)
            except READ_ERRORS as e:
                reason = str(e) if isinstance(e, FindingError) else f"cannot read it: {type(e).__name__}: {e}"
                self.errors.append(_problem(origin, number, place, position, fid, error=reason))
                continue
            self.rows.append(row)
            self.warnings += [_problem(origin, number, place, position, fid, warning=n) for n in notes]

    def add_problem(self, origin: str, number: int | None, error: str) -> None:
        """A problem of the input itself (an unreadable file, a line that is not JSON)."""
        where = f"{origin}:{number}" if number is not None else origin
        self.errors.append(_problem(origin, number, where, None, None, error=error))

    def add_bytes(self, data: bytes, origin: str, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> None:
        """Every finding of one file's bytes: JSON (an object or an array) or JSON lines, maybe gzip.

        Problems and findings are reported in the file's order; a gzip stream that stops early is
        reported on the line it stopped in (that line is lost), or after the last line it kept.
        """
        cut = None
        if data[:2] == b"\x1f\x8b":
            data, cut = gunzip_partial(data, max_bytes)
        records, problems = split_json_records(data)
        if cut is not None:
            last = problems[-1][0] if problems else None
            if last is not None and last == data.count(b"\n") + 1 and not data.endswith(b"\n"):
                problems[-1] = (last, f"cut off: {cut}")  # the line the stream stopped in
            else:
                problems.append((None, cut))
        items = [(n, 0, where, record) for n, where, record in records]
        items += [(n, 1, None, reason) for n, reason in problems]
        for number, is_problem, where, item in sorted(items, key=_file_order):
            if is_problem:
                self.add_problem(origin, number, item)
            else:
                self.add_record(item, origin, number, f"{origin}{where}")

    def add_file(self, path: str | Path, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> None:
        """Every finding of one file; an unreadable file is one problem, never an exception."""
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            self.add_problem(str(path), None, f"unreadable: {e}")
            return
        self.add_bytes(data, str(path), max_bytes)

    def extend(self, other: FindingsBatch) -> None:
        self.rows += other.rows
        self.errors += other.errors
        self.warnings += other.warnings

    def frame(self, org: pd.DataFrame | None = None) -> pd.DataFrame:
        """The findings frame, with ``attrs["errors"]`` and ``attrs["warnings"]``, and one Python warning."""
        df = findings_frame(self.rows, org)
        self.mark(df)
        return df

    def mark(self, df: pd.DataFrame) -> None:
        """Put the problems on ``df.attrs`` and say in one warning what was rejected or left empty."""
        df.attrs["errors"] = self.errors
        df.attrs["warnings"] = self.warnings
        problems = self.errors + self.warnings
        if problems:
            listing = "; ".join(describe(p) for p in problems[:3])
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            warnings.warn(
                f"findings: {len(self.errors)} rejected, {len(self.warnings)} value(s) left empty: "
                f"{listing}{more}. See df.attrs['errors'] and df.attrs['warnings'].",
                stacklevel=4,
            )


def _file_order(item: tuple[int | None, int, Any, Any]) -> tuple[float, int]:
    """Line order, with a problem of the whole file (no line) last."""
    return (math.inf if item[0] is None else item[0], item[1])


def _problem(
    origin: str,
    number: int | None,
    where: str,
    position: int | None,
    fid: str | None,
    **reason: str,
) -> dict[str, Any]:
    return {
        "origin": origin,
        "record": number,
        "finding": position,
        "finding_id": fid,
        "where": where,
        **reason,
    }


def gunzip_partial(data: bytes, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> tuple[bytes, str | None]:
    """What a gzip stream (one or several members) decompresses to, and why it stopped early, if it did.

    A truncated or corrupt stream keeps what decompressed before the damage; output beyond
    ``max_bytes`` is never produced (a small file of zeros cannot fill the memory).
    """
    parts: list[bytes] = []
    size = 0
    rest = data
    while rest.strip(b"\x00"):
        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while pending and not stream.eof:
                chunk = stream.decompress(pending, max_bytes - size + 1)
                parts.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    kept = b"".join(parts)[:max_bytes]
                    return kept, f"decompresses to more than {max_bytes:,} bytes; only the first were read"
                pending = stream.unconsumed_tail
        except zlib.error as e:
            return b"".join(parts), f"corrupt gzip data after {size:,} decompressed bytes ({e})"
        if not stream.eof:
            return b"".join(parts), f"truncated gzip stream: it ends after {size:,} decompressed bytes"
        rest = stream.unused_data
    return b"".join(parts), None


def split_json_records(data: bytes) -> tuple[list[tuple[int, str, Any]], list[tuple[int, str]]]:
    """The JSON records of a file's bytes, as ``(number, where, record)``, and its lines that are not JSON.

    A JSON array gives its items (numbered from 0, ``[i]``); one JSON document is record 1 (``:1``);
    otherwise the bytes are JSON lines (numbered from 1, ``:line``), and a line that is not JSON is a
    problem of that line while every other line is kept. Bytes no line of which is JSON on its own
    are one broken document, reported once where the parser stopped.
    """
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as whole:
        records, problems = [], []
        for number, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((number, f":{number}", json.loads(line)))
            except (ValueError, RecursionError) as e:
                problems.append((number, f"not JSON (a truncated or damaged line?): {_json_error(e)}"))
        if not records and len(problems) > 1:
            at = getattr(whole, "lineno", None)
            return [], [(at, f"not JSON (a truncated or damaged file?): {_json_error(whole)}")]
        return records, problems
    if isinstance(doc, list):
        return [(i, f"[{i}]", item) for i, item in enumerate(doc)], []
    return [(1, ":1", doc)], []


def _json_error(e: Exception) -> str:
    if isinstance(e, RecursionError):
        return "nested too deeply"
    return e.msg if isinstance(e, json.JSONDecodeError) else str(e)


def normalize_findings(
    records: Iterable[Any], org: pd.DataFrame | None = None, origin: str = "input"
) -> pd.DataFrame:
    """The normalized findings frame of ``records`` (findings, EventBridge events or GetFindings pages).

    A record or finding that cannot be read is left out and described in ``df.attrs["errors"]``
    with ``origin``, its position and its id, so one bad finding in a page does not lose the others;
    values left empty are in ``df.attrs["warnings"]`` (see the module docstring). With ``org`` (the
    Organizations ``accounts`` frame), account names and OU paths are joined in.
    """
    batch = FindingsBatch()
    for i, record in enumerate(records):
        batch.add_record(record, origin, i)
    return batch.frame(org)


def read_findings_files(
    paths: Iterable[str | Path], org: pd.DataFrame | None = None, max_bytes: int = MAX_DECOMPRESSED_BYTES
) -> pd.DataFrame:
    """Findings from files (GuardDuty exports, EventBridge event lines, ASFF, GetFindings pages; JSON,
    JSON lines or gzip of either), normalized. A damaged line is reported as ``file:line`` in
    ``df.attrs["errors"]``; the rest of that file and every other file are still read."""
    batch = FindingsBatch()
    for path in paths:
        batch.add_file(path, max_bytes)
    return batch.frame(org)


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
