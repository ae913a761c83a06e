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

Rules are shared between teams, so a rule is input, not code: every field path and value
becomes a sqlglot node (an identifier, a JSON path inside a string literal, a string literal),
and the query is generated from the tree, never pasted together from the rule's text. A field
name that cannot be a path (``userIdentity.arn;DROP``) is refused with the reason; a JSON key
with quotes or SQL in it stays a key inside a literal. The SQL of every converted rule is
parsed back as one read-only SELECT before it is handed out.

Each rule becomes a query an analyst can paste into Athena once ``:start`` and
``:end`` are bound (``orginsight sigma RULE --print`` shows it bound)::

    SELECT eventtime, account, region, eventid, ... FROM cloudtrail
    WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end AND (<rule>)
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.conversion.base import Backend, TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCompareExpression, SigmaString, SpecialChars
from sqlglot import exp

from orginsight.analytics.hunts import parse_time
from orginsight.engines import translate
from orginsight.errors import OrgInsightError, QueryError

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

DERIVED_FIELDS: dict[str, exp.Expression] = {
    "status": exp.Paren(
        this=exp.case()
        .when(exp.column("errorcode").is_(exp.null()), exp.Literal.string("success"))
        .else_(exp.Literal.string("failure"))
    ),
}
"""Fields some Sigma rules use that CloudTrail does not write, derived from what it does:
``status`` is ``success`` when the call raised no error (as SIEM CloudTrail parsers define it)."""

STRUCT_COLUMNS = ("userIdentity", "tlsDetails")
"""Keys whose sub-fields are struct fields of the column of the same name, lower-cased."""

JSON_COLUMNS = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")
"""Keys whose sub-fields live in a JSON string column, read with ``json_extract_scalar``."""

OUTPUT_COLUMNS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("eventtime",), None),
    (("account",), None),
    (("region",), None),
    (("eventid",), None),
    (("eventsource",), None),
    (("eventname",), None),
    (("useridentity", "arn"), "principal"),
    (("sourceipaddress",), None),
    (("useragent",), None),
    (("errorcode",), None),
)
"""The columns every rule's query returns: a column path and its alias, if any."""

SQL_STYLE: dict[str, Any] = {"dialect": "athena", "normalize_functions": "lower"}
"""How rule SQL is written: Athena, function names as analysts write them (``lower``, ``regexp_like``)."""

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A struct field or a JSON key written as a plain path step (``.bucketName``)."""


class UnsupportedField(OrgInsightError):
    """A Sigma field with no place in the ``cloudtrail`` table."""


def column_path(parts: Iterable[str]) -> exp.Expression:
    """A column, or a path into a struct column (``useridentity.sessioncontext.sessionissuer.arn``), as a node."""
    names = [exp.to_identifier(p) for p in parts]
    node: exp.Expression = exp.Column(this=names[0])
    for name in names[1:]:
        node = exp.Dot(this=node, expression=name)
    return node


def json_path(keys: list[str], field: str) -> str:
    """The JSON path text for keys below a JSON column: ``$.a.b``, or ``$["x-amz-acl"]`` for other keys.

    The path ends up inside a string literal node, which the generator escapes; a key that a
    bracketed path cannot hold as it is (a double quote, a backslash, a control character, an
    empty key) is refused rather than guessed.
    """
    steps = []
    for key in keys:
        if IDENTIFIER.fullmatch(key):
            steps.append(f".{key}")
        elif key and not re.search(r'["\\\x00-\x1f]', key):
            steps.append(f'["{key}"]')
        else:
            raise UnsupportedField(
                f"field '{field}': JSON key {key!r} cannot be written as a JSON path step "
                "(empty, or holding a double quote, backslash or control character)"
            )
    return "$" + "".join(steps)


def field_node(name: str) -> exp.Expression:
    """The sqlglot node for a Sigma CloudTrail field name.

    ``eventSource`` -> column ``eventsource``; ``userIdentity.sessionContext.sessionIssuer.type``
    -> struct path ``useridentity.sessioncontext.sessionissuer.type``; ``requestParameters.bucketName``
    -> ``json_extract_scalar(requestparameters, '$.bucketName')`` (JSON keys keep their case, and
    stay inside the path literal whatever they hold). Matching of the first segment is
    case-insensitive, as rules vary (``eventname``). Anything else is refused (UnsupportedField).
    """
    head, _, rest = name.partition(".")
    lower = {k.lower(): v for k, v in TOP_LEVEL_FIELDS.items()}
    if not rest and head.lower() in lower:
        return exp.column(lower[head.lower()])
    if not rest and head in DERIVED_FIELDS:
        return DERIVED_FIELDS[head].copy()
    for col in STRUCT_COLUMNS:
        if head.lower() == col.lower() and rest:
            parts = rest.split(".")
            if not all(IDENTIFIER.fullmatch(p) for p in parts):
                raise UnsupportedField(
                    f"field '{name}': a {col} sub-field is a path of names of letters, digits and '_'"
                )
            return column_path([col.lower(), *(p.lower() for p in parts)])
    for col in JSON_COLUMNS:
        if head.lower() == col.lower():
            column = exp.column(col.lower())
            if not rest:
                return column
            path = exp.Literal.string(json_path(rest.split("."), name))
            return exp.Anonymous(this="json_extract_scalar", expressions=[column, path])
    raise UnsupportedField(
        f"field '{name}' is not a CloudTrail field orginsight can map to the cloudtrail table"
    )


def field_sql(name: str) -> str:
    """The Athena SQL text of :func:`field_node` (what a rule's condition reads for the field)."""
    return field_node(name).sql(**SQL_STYLE)


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


def _string_match(field: exp.Expression, value: SigmaString, lower: bool) -> exp.Expression:
    """``field = 'value'``, or ``field LIKE 'pattern' ESCAPE '\\'`` for a value with wildcards; both lower-cased
    when ``lower`` (Sigma matches strings regardless of case)."""
    if lower:
        field = exp.Lower(this=field)
    if value.contains_special():
        pattern = _like_pattern(value)
        like = exp.Like(this=field, expression=exp.Literal.string(pattern.lower() if lower else pattern))
        return exp.Escape(this=like, expression=exp.Literal.string("\\"))
    text = str(value)
    return exp.EQ(this=field, expression=exp.Literal.string(text.lower() if lower else text))


def _group(node: Any) -> Any:
    """A condition in parentheses (a node; anything else pySigma passes on as it is)."""
    return exp.Paren(this=node) if isinstance(node, exp.Expression) else node


class AthenaCloudTrailBackend(TextQueryBackend):
    """pySigma backend: Sigma ``product: aws, service: cloudtrail`` rules to conditions over the ``cloudtrail`` table.

    Each condition is a sqlglot tree: pySigma's text templates (``re_expression``,
    ``field_null_expression``...) are not used, every conversion method builds nodes, and
    AND/OR/NOT combine nodes. ``convert_rule`` returns one tree per rule condition.
    """

    name: ClassVar[str] = "orginsight Athena CloudTrail"
    formats: ClassVar[dict[str, str]] = {
        "default": "WHERE-clause condition over the cloudtrail table (sqlglot tree)"
    }
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
    compare_operators: ClassVar[dict[Any, type[exp.Expression]]] = {
        SigmaCompareExpression.CompareOperators.LT: exp.LT,
        SigmaCompareExpression.CompareOperators.LTE: exp.LTE,
        SigmaCompareExpression.CompareOperators.GT: exp.GT,
        SigmaCompareExpression.CompareOperators.GTE: exp.GTE,
    }
    cidr_expression: ClassVar[str | None] = None  # pySigma expands a CIDR into address-prefix wildcards

    # --- combining conditions (nodes, not text) ---------------------------------------------------

    def _converted(self, cond: Any, arg: Any, state: ConversionState) -> exp.Expression:
        node = (
            self.convert_condition(arg, state)
            if self.compare_precedence(cond, arg)
            else self.convert_condition_group(arg, state)
        )
        if not isinstance(node, exp.Expression):
            raise NotImplementedError(f"cannot convert the condition part {arg!r}")
        return node

    def convert_condition_group(self, cond: Any, state: ConversionState) -> Any:
        return _group(self.convert_condition(cond, state))

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Any:
        return exp.or_(*(self._converted(cond, arg, state) for arg in cond.args), copy=False)

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> Any:
        return exp.and_(*(self._converted(cond, arg, state) for arg in cond.args), copy=False)

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        arg = cond.args[0]
        inner = (
            self.convert_condition_group(arg, state)
            if arg.__class__ in self.precedence
            else self.convert_condition(arg, state)
        )
        if not isinstance(inner, exp.Expression):
            raise NotImplementedError(f"cannot negate the condition part {arg!r}")
        return exp.Not(this=_group(inner) if isinstance(inner, exp.Connector) else inner)

    def finish_query(self, rule: Any, query: Any, state: ConversionState) -> Any:
        """The condition tree as it is (pySigma's text backend would format it into its query template)."""
        if state.has_deferred():
            raise NotImplementedError("deferred query parts are not supported")
        return Backend.finish_query(self, rule, query, state)

    def finalize_query_default(self, rule: Any, query: Any, index: int, state: ConversionState) -> Any:
        return query

    # --- fields and values ------------------------------------------------------------------------

    def escape_and_quote_field(self, field_name: str) -> str:
        return field_sql(field_name)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """Case-insensitive equality, or LIKE when the value has wildcards."""
        return _string_match(field_node(cond.field), cond.value, lower=True)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return _string_match(field_node(cond.field), cond.value, lower=False)

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """CloudTrail's scalar values are text in the table (and in json_extract_scalar): compare as text."""
        return exp.EQ(this=field_node(cond.field), expression=exp.Literal.string(str(cond.value)))

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        text = str(bool(cond.value.boolean)).lower()
        return exp.EQ(this=exp.Lower(this=field_node(cond.field)), expression=exp.Literal.string(text))

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """``regexp_like(field, 'regex')``, Sigma's flags as an inline ``(?i)`` prefix."""
        regex = cond.value.escape((), "\\", False, True)
        return exp.Anonymous(
            this="regexp_like", expressions=[field_node(cond.field), exp.Literal.string(regex)]
        )

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        number = getattr(cond.value.number, "number", None)
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise NotImplementedError(f"field '{cond.field}': cannot compare with {cond.value.number!r}")
        op = self.compare_operators[cond.value.op]
        cast = exp.TryCast(this=field_node(cond.field), to=exp.DataType.build("double"))
        return op(this=cast, expression=exp.Literal.number(number))

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        ref = cond.value
        if ref.starts_with or ref.ends_with:
            raise NotImplementedError("field references with startswith/endswith are not supported")
        return exp.EQ(
            this=exp.Lower(this=field_node(cond.field)), expression=exp.Lower(this=field_node(ref.field))
        )

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return exp.Is(this=field_node(cond.field), expression=exp.Null())

    convert_condition_field_not_exists = convert_condition_field_eq_val_null

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return exp.Not(this=exp.Is(this=field_node(cond.field), expression=exp.Null()))

    def convert_condition_field_eq_val_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """``exists: true`` is ``IS NOT NULL``, ``exists: false`` is ``IS NULL`` (not a double negation)."""
        if cond.value:
            return self.convert_condition_field_exists(cond, state)
        return self.convert_condition_field_not_exists(cond, state)

    def convert_condition_field_eq_query_expr(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError("query expressions (raw backend text from a pipeline) are not supported")

    def convert_condition_field_eq_val_timestamp_part(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError("timestamp-part modifiers (minute, hour, day...) are not supported")

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError("keyword (field-less) searches are not supported: name the field to match")

    convert_condition_val_num = convert_condition_val_str
    convert_condition_val_re = convert_condition_val_str
    convert_condition_query_expr = convert_condition_val_str
    convert_condition_field_eq_val_re_contains = convert_condition_val_str


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


def query_tree(condition: exp.Expression) -> exp.Select:
    """The full query for one rule condition: the output columns of matching events in the window, by time."""
    columns = [
        column_path(path) if alias is None else exp.alias_(column_path(path), alias)
        for path, alias in OUTPUT_COLUMNS
    ]
    window = exp.Between(
        this=exp.Anonymous(this="from_iso8601_timestamp", expressions=[exp.column("eventtime")]),
        low=exp.Placeholder(this="start"),
        high=exp.Placeholder(this="end"),
    )
    return (
        exp.select(*columns)
        .from_(exp.to_table("cloudtrail"))
        .where(exp.and_(window, exp.Paren(this=condition), copy=False))
        .order_by(exp.Ordered(this=exp.column("eventtime"), nulls_first=False))
    )


def query_sql(condition: exp.Expression) -> str:
    """The full Athena query for one rule condition (see :func:`query_tree`), checked to be one read-only SELECT."""

    sql = query_tree(condition).sql(**SQL_STYLE)
    translate.parse(sql)
    return sql


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
    condition = conditions[0] if len(conditions) == 1 else exp.or_(*map(_group, conditions), copy=False)
    try:
        sql = query_sql(condition)
    except QueryError as e:  # cannot happen for a tree built here; refuse rather than hand it out
        return RuleQuery(path, rid, title, level, None, f"{path}: generated SQL refused: {_reason(e)}")
    return RuleQuery(path, rid, title, level, sql)


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]


def convert(paths: Iterable[str | os.PathLike[str]]) -> list[RuleQuery]:
    """Every rule under ``paths`` converted (or not, with the reason)."""
    return [convert_file(f) for f in rule_files(paths)]


def bound_sql(query: RuleQuery, params: Mapping[str, Any]) -> str:
    """The rule's SQL with ``:start``/``:end`` bound, as it would run on Athena."""

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
