"""Sigma rules for AWS CloudTrail, converted to Athena SQL over the ``cloudtrail`` table.

Built on pySigma: :class:`AthenaCloudTrailBackend` is a ``TextQueryBackend`` whose
field names are mapped to ``cloudtrail`` columns (:func:`field_sql`) and whose values
become SQL literals. Sigma matches strings case-insensitively, Athena (Trino) does
not, so every string comparison lower-cases both sides; wildcards (and the
``contains``/``startswith``/``endswith`` modifiers, which pySigma turns into
wildcards) become ``LIKE`` with ``%``/``_`` escaped; ``re`` becomes ``regexp_like``;
``cidr`` is expanded by pySigma into address prefixes; ``null`` and ``exists``
become ``IS NULL`` / ``IS NOT NULL``; ``1 of``/``all of`` conditions are expanded by
pySigma. What cannot be converted (keyword searches, unknown fields, correlation
rules) is reported per rule with the reason, never guessed.

Each rule becomes a query an analyst can paste into Athena once ``:start`` and
``:end`` are bound (``orginsight sigma RULE --print`` shows it bound)::

    SELECT eventtime, account, region, eventid, ... FROM cloudtrail
    WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end AND (<rule>)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCompareExpression, SigmaString, SpecialChars

from orginsight.errors import OrgInsightError

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake

TOP_LEVEL_FIELDS: dict[str, str] = {
    "eventVersion": "eventversion",
    "eventTime": "eventtime",
    "eventSource": "eventsource",
    "eventName": "eventname",
    "awsRegion": "awsregion",
    "sourceIPAddress": "sourceipaddress",
    "userAgent": "useragent",
    "errorCode": "errorcode",
    "errorMessage": "errormessage",
    "requestID": "requestid",
    "eventID": "eventid",
    "readOnly": "readonly",
    "eventType": "eventtype",
    "apiVersion": "apiversion",
    "managementEvent": "managementevent",
    "recipientAccountId": "recipientaccountid",
    "sharedEventID": "sharedeventid",
    "vpcEndpointId": "vpcendpointid",
    "eventCategory": "eventcategory",
    "sessionCredentialFromConsole": "sessioncredentialfromconsole",
}
"""CloudTrail's top-level keys (as Sigma rules spell them) and their ``cloudtrail`` columns."""

DERIVED_FIELDS: dict[str, str] = {
    "status": "(CASE WHEN errorcode IS NULL THEN 'success' ELSE 'failure' END)",
}
"""Fields some Sigma rules use that CloudTrail does not write, derived from what it does:
``status`` is ``success`` when the call raised no error (as SIEM CloudTrail parsers define it)."""

STRUCT_COLUMNS = ("userIdentity", "tlsDetails")
"""Keys whose sub-fields are struct fields of the column of the same name, lower-cased."""

JSON_COLUMNS = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")
"""Keys whose sub-fields live in a JSON string column, read with ``json_extract_scalar``."""

OUTPUT_COLUMNS = (
    "eventtime, account, region, eventid, eventsource, eventname, "
    "useridentity.arn AS principal, sourceipaddress, useragent, errorcode"
)


class UnsupportedField(OrgInsightError):
    """A Sigma field with no place in the ``cloudtrail`` table."""


def field_sql(name: str) -> str:
    """The SQL expression for a Sigma CloudTrail field name.

    ``eventSource`` -> ``eventsource``; ``userIdentity.sessionContext.sessionIssuer.type``
    -> ``useridentity.sessioncontext.sessionissuer.type``; ``requestParameters.bucketName``
    -> ``json_extract_scalar(requestparameters, '$.bucketName')`` (JSON keys keep their case).
    Matching of the first segment is case-insensitive, as rules vary (``eventname``).
    """
    head, _, rest = name.partition(".")
    lower = {k.lower(): v for k, v in TOP_LEVEL_FIELDS.items()}
    if not rest and head.lower() in lower:
        return lower[head.lower()]
    if not rest and head in DERIVED_FIELDS:
        return DERIVED_FIELDS[head]
    for col in STRUCT_COLUMNS:
        if head.lower() == col.lower() and rest:
            if not re.fullmatch(r"[A-Za-z0-9_.]+", rest):
                break
            return f"{col.lower()}.{rest.lower()}"
    for col in JSON_COLUMNS:
        if head.lower() == col.lower():
            if not rest:
                return col.lower()
            path = "$" + "".join(
                f".{p}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) else f'["{p}"]' for p in rest.split(".")
            )
            return f"json_extract_scalar({col.lower()}, '{path}')"
    raise UnsupportedField(
        f"field '{name}' is not a CloudTrail field orginsight can map to the cloudtrail table"
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _like_pattern(value: SigmaString) -> str:
    """A LIKE pattern (escape character ``\\``) for a Sigma string with wildcards."""
    out = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(re.sub(r"([\\%_])", r"\\\1", part))
        else:  # placeholders and other special parts cannot be expressed
            raise NotImplementedError(f"unsupported special value part {part!r}")
    return "".join(out)


class AthenaCloudTrailBackend(TextQueryBackend):
    """pySigma backend: Sigma ``product: aws, service: cloudtrail`` rules to Athena SQL conditions."""

    name: ClassVar[str] = "orginsight Athena CloudTrail"
    formats: ClassVar[dict[str, str]] = {"default": "WHERE-clause condition over the cloudtrail table"}
    requires_pipeline: ClassVar[bool] = False

    precedence: ClassVar[tuple[type, type, type]] = (ConditionNOT, ConditionAND, ConditionOR)
    group_expression: ClassVar[str] = "({expr})"
    token_separator: str = " "
    or_token: ClassVar[str] = "OR"
    and_token: ClassVar[str] = "AND"
    not_token: ClassVar[str] = "NOT"
    eq_token: ClassVar[str] = " = "
    str_quote: ClassVar[str] = "'"
    escape_char: ClassVar[str] = "'"
    add_escaped: ClassVar[str] = ""
    re_expression: ClassVar[str] = "regexp_like({field}, '{regex}')"
    re_escape_char: ClassVar[str] = "'"
    re_escape: ClassVar[tuple[str, ...]] = ("'",)
    re_escape_escape_char: bool = False
    re_flag_prefix: bool = True
    field_null_expression: ClassVar[str] = "{field} IS NULL"
    field_exists_expression: ClassVar[str] = "{field} IS NOT NULL"
    field_not_exists_expression: ClassVar[str] = "{field} IS NULL"
    compare_op_expression: ClassVar[str] = "TRY_CAST({field} AS double) {operator} {value}"
    compare_operators: ClassVar[dict[Any, str]] = {
        SigmaCompareExpression.CompareOperators.LT: "<",
        SigmaCompareExpression.CompareOperators.LTE: "<=",
        SigmaCompareExpression.CompareOperators.GT: ">",
        SigmaCompareExpression.CompareOperators.GTE: ">=",
    }
    cidr_expression: ClassVar[str | None] = None  # pySigma expands a CIDR into address-prefix wildcards
    field_equals_field_expression: ClassVar[str] = "lower({field1}) = lower({field2})"

    def escape_and_quote_field(self, field_name: str) -> str:
        return field_sql(field_name)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Case-insensitive equality, or LIKE when the value has wildcards."""
        field = f"lower({field_sql(cond.field)})"
        value: SigmaString = cond.value
        if value.contains_special():
            return f"{field} LIKE {_sql_string(_like_pattern(value).lower())} ESCAPE '\\'"
        return f"{field} = {_sql_string(str(value).lower())}"

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        field = field_sql(cond.field)
        value: SigmaString = cond.value
        if value.contains_special():
            return f"{field} LIKE {_sql_string(_like_pattern(value))} ESCAPE '\\'"
        return f"{field} = {_sql_string(str(value))}"

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """CloudTrail's scalar values are text in the table (and in json_extract_scalar): compare as text."""
        return f"{field_sql(cond.field)} = {_sql_string(str(cond.value))}"

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"lower({field_sql(cond.field)}) = {_sql_string(str(bool(cond.value.boolean)).lower())}"

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> str:
        raise NotImplementedError("keyword (field-less) searches are not supported: name the field to match")

    convert_condition_val_num = convert_condition_val_str
    convert_condition_val_re = convert_condition_val_str


@dataclass(frozen=True)
class RuleQuery:
    """One Sigma rule and its Athena SQL, or why it could not be converted."""

    path: Path
    rule_id: str | None
    title: str
    level: str | None
    sql: str | None
    error: str | None = None

    @property
    def converted(self) -> bool:
        return self.sql is not None


def rule_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Sigma rule files named directly or found (``*.yml``, ``*.yaml``) under folders."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in {".yml", ".yaml"})
        elif p.exists():
            files.append(p)
        else:
            raise OrgInsightError(f"no Sigma rule or folder at {p}")
    return files


def query_sql(condition: str) -> str:
    """The full Athena query for one rule condition."""
    return (
        f"SELECT {OUTPUT_COLUMNS}\nFROM cloudtrail\n"
        f"WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end\n  AND ({condition})\n"
        "ORDER BY eventtime"
    )


def convert_file(path: str | os.PathLike[str]) -> RuleQuery:
    """Convert one Sigma rule file; failures are returned with their reason, not raised."""
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    path = Path(path)
    try:
        collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
    except (SigmaError, OSError, ValueError) as e:
        return RuleQuery(path, None, path.stem, None, None, f"cannot load: {e}")
    rules = [*collection.rules]
    if len(rules) != 1:
        return RuleQuery(path, None, path.stem, None, None, f"expected one rule, found {len(rules)}")
    rule = rules[0]
    rid = str(rule.id) if getattr(rule, "id", None) else None
    title = getattr(rule, "title", path.stem)
    level = str(rule.level.name).lower() if getattr(rule, "level", None) else None
    logsource = getattr(rule, "logsource", None)
    if logsource is None or (logsource.product, logsource.service) != ("aws", "cloudtrail"):
        return RuleQuery(path, rid, title, level, None, "not a product: aws, service: cloudtrail rule")
    try:
        conditions = AthenaCloudTrailBackend().convert_rule(rule)
    except (SigmaError, NotImplementedError, OrgInsightError, TypeError) as e:
        return RuleQuery(path, rid, title, level, None, _reason(e))
    if not conditions:
        return RuleQuery(path, rid, title, level, None, "conversion produced no condition")
    condition = " OR ".join(f"({c})" for c in conditions) if len(conditions) > 1 else conditions[0]
    return RuleQuery(path, rid, title, level, query_sql(condition))


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]


def convert(paths: Iterable[str | os.PathLike[str]]) -> list[RuleQuery]:
    """Every rule under ``paths`` converted (or not, with the reason)."""
    return [convert_file(f) for f in rule_files(paths)]


def bound_sql(query: RuleQuery, params: Mapping[str, Any]) -> str:
    """The rule's SQL with ``:start``/``:end`` bound, as it would run on Athena."""
    from orginsight.engines import translate

    return translate.bind(translate.parse(query.sql or ""), params).sql(
        dialect=translate.DIALECT, pretty=True
    )


def run(
    lake: Lake,
    paths: Iterable[str | os.PathLike[str]],
    start: Any = "30d",
    end: Any = "now",
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Convert and run every rule under ``paths``: a summary (one row per rule: title, level,
    status, hits, or the reason it was not converted or failed to run) and each rule's hits."""
    import pandas as pd
    from tqdm.auto import tqdm

    from orginsight.hunts import parse_time

    window = {"start": parse_time(start), "end": parse_time(end)}
    rows, hits = [], {}
    queries = convert(paths)
    for q in tqdm(queries, desc="sigma rules", unit="rule", disable=len(queries) < 5):
        row = {
            "rule": q.path.stem,
            "title": q.title,
            "level": q.level,
            "status": "",
            "hits": None,
            "reason": q.error,
        }
        if q.sql is None:
            row["status"] = "not converted"
        else:
            try:
                df = lake.sql(q.sql, **window)
            except OrgInsightError as e:
                row.update(status="failed", reason=_reason(e))
            else:
                row.update(status="ran", hits=len(df))
                hits[q.path.stem] = df
        rows.append(row)
    return pd.DataFrame(rows, columns=["rule", "title", "level", "status", "hits", "reason"]), hits
