"""What a finding record is, whatever its source: key case, envelopes, and the values read from it.

GuardDuty keys are camelCase in the raw API, EventBridge events and S3 exports, and PascalCase in
boto3 responses; ASFF is PascalCase everywhere: :func:`pascal_keys` makes them one case. Scores,
times and counts are read here for both products; a value that is there but cannot be read is
noted (a warning of the findings frame) and left empty.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from orginsight.errors import OrgInsightError
from orginsight.timerange import parse_time

PLAUSIBLE_YEARS = (1970, 2200)
"""Years a finding's time may name; others (year 1, year 9999) are warned about and left empty."""


class FindingError(OrgInsightError, ValueError):
    """A record is not a finding, or a finding cannot be read; the message says why."""


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


def label_of(score: float, lowest_scores: Mapping[str, float]) -> str:
    """The label whose range holds ``score``, given each label's lowest score, lowest label first.

    A score below every range (or NaN) gets the lowest label. Both products grade severity this way,
    on their own scales.
    """
    found = next(iter(lowest_scores))
    for label, lowest in lowest_scores.items():
        if score >= lowest:
            found = label
    return found


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
        ts = pd.Timestamp(parse_time(value))
    except (ValueError, OverflowError):
        return None
    if ts is pd.NaT or not PLAUSIBLE_YEARS[0] <= ts.year <= PLAUSIBLE_YEARS[1]:
        return None
    return ts


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


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


LIST_SEPARATOR = "; "
"""Between the values of a column that lists several (``bucket_names``, ``sequence_*``): ``;`` is in
no IAM, S3 bucket, Kubernetes or DNS name, so the values split back exactly (object keys may hold
it: ``raw`` keeps them exact). A string, not a list, so the frame groups, deduplicates and writes to
Parquet and DuckDB like every other column."""


def joined(values: Any) -> str | None:
    """The distinct non-empty values, in order, joined by :data:`LIST_SEPARATOR`; None when there are none."""
    seen = dict.fromkeys(str(v) for v in values if v not in (None, "", [], {}))
    return LIST_SEPARATOR.join(seen) or None
