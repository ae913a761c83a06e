"""The normalized findings frame: every record read, one bad item losing only itself.

A record that is not a finding, or a finding that cannot be read, is rejected and described in
``df.attrs["errors"]``; a value left empty is described in ``df.attrs["warnings"]`` (see the
package docstring of ``orginsight.sources.findings``).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.sources.accounts import with_org
from orginsight.sources.findings.accessanalyzer import extract_accessanalyzer, is_accessanalyzer
from orginsight.sources.findings.files import MAX_DECOMPRESSED_BYTES, gunzip_partial, split_json_records
from orginsight.sources.findings.guardduty import extract_guardduty
from orginsight.sources.findings.guardduty_entities import GUARDDUTY_ENTITY_COLUMNS, SEQUENCE_COLUMNS
from orginsight.sources.findings.inspector import extract_inspector, is_inspector
from orginsight.sources.findings.macie import extract_macie, is_macie
from orginsight.sources.findings.ocsf import extract_ocsf, is_ocsf
from orginsight.sources.findings.records import (
    FindingError,
    _first,
    _json_kind,
    _present,
    is_asff,
    pascal_keys,
    unwrap,
)
from orginsight.sources.findings.securityhub import extract_asff

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
    *GUARDDUTY_ENTITY_COLUMNS,
    "vulnerability_id",
    "package_names",
    "actions",
    *SEQUENCE_COLUMNS,
    "raw",
]
"""Columns of the normalized findings frame, in order. The entity columns (``user_name`` to
``remote_account``, then Inspector's CVE and packages, Access Analyzer's actions and the attack
sequence's parts) are empty where a finding does not name them; a column listing several values
joins them with ``records.LIST_SEPARATOR``."""


OPTIONAL_COLUMNS = [
    *GUARDDUTY_ENTITY_COLUMNS,
    "vulnerability_id",
    "package_names",
    "actions",
    *SEQUENCE_COLUMNS,
]
"""Text columns an extractor may leave out of its row: None in the frame."""


TIME_COLUMNS = ["first_seen", "last_seen"]


SEVERITY_LABELS = ["Critical", "High", "Medium", "Low", "Informational"]


def normalize_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """One finding (any source, any key case, no envelope) as a normalized row, ``raw`` included.

    Raises FindingError for a record that is not a finding; see :func:`read_finding` for the warnings.
    """
    return read_finding(finding)[0]


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

    The product is told from the record: OCSF (``finding_info``/``class_uid``, snake_case), Inspector
    (``findingArn``), ASFF (``ProductArn``/``AwsAccountId``), Macie (``resourcesAffected``/``category``),
    Access Analyzer (``resourceOwnerAccount``/``analyzedAt``), else GuardDuty.
    """
    if not isinstance(finding, Mapping):
        raise FindingError(f"not a finding: a JSON {_json_kind(finding)}, not an object")
    notes: list[str] = []
    if is_ocsf(finding):
        row = extract_ocsf(finding, notes)
        if not _present(row["finding_id"]):
            raise FindingError("not an OCSF finding: it has no finding_info.uid or metadata.uid")
        row["raw"] = json.dumps(finding, sort_keys=True, default=str)
        return row, notes
    f = pascal_keys(finding)
    if not any(_present(f.get(key)) for key in ("Id", "Arn", "Type", "Types")):
        raise FindingError("not a finding: it has neither an id nor a type")
    if is_inspector(f):
        row = extract_inspector(f, notes)
    elif is_asff(f):
        if not _present(f.get("Id")):
            raise FindingError("not an ASFF finding: it has no Id (ASFF requires one)")
        row = extract_asff(f, notes)
    elif is_macie(f):
        row = extract_macie(f, notes)
    elif is_accessanalyzer(f):
        row = extract_accessanalyzer(f, notes)
    else:
        row = extract_guardduty(f, notes)
    row["raw"] = json.dumps(finding, sort_keys=True, default=str)
    return row, notes


def raw_field(raw: Any, *path: str) -> Any:
    """The field at ``path`` (camelCase names) of a finding's ``raw`` JSON text, or None when ``raw`` is
    missing or not JSON or lacks the path. Each name is also tried in PascalCase: ``raw`` keeps a finding
    as its source wrote it, and the API (camelCase) and exports in ASFF (PascalCase) spell keys differently."""
    if not isinstance(raw, str):
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    for name in path:
        doc = (doc.get(name) or doc.get(name[:1].upper() + name[1:])) if isinstance(doc, dict) else None
    return doc


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


def normalize_findings(
    records: Iterable[Any], org: pd.DataFrame | None = None, origin: str = "input"
) -> pd.DataFrame:
    """The normalized findings frame of ``records`` (findings, EventBridge events or GetFindings pages).

    A record or finding that cannot be read is left out and described in ``df.attrs["errors"]``
    with ``origin``, its position and its id, so one bad finding in a page does not lose the others;
    values left empty are in ``df.attrs["warnings"]`` (see the package docstring). With ``org`` (the
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
    for col in OPTIONAL_COLUMNS:
        df[col] = df[col].astype("object").where(df[col].notna(), None)
    if org is not None and len(org):
        df = with_org(df, org)
    return df


def latest_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per finding id: its latest version (by last seen, then by order read).

    GuardDuty's S3 export writes a finding again each time it is updated (count,
    eventLastSeen, archived), so the raw frame holds several versions of one finding.
    """
    if findings.empty:
        return findings
    order = findings.assign(_pos=range(len(findings))).sort_values(["last_seen", "_pos"], na_position="first")
    return order.drop_duplicates("finding_id", keep="last").drop(columns="_pos").sort_index()
