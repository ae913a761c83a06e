"""Sigma's CloudTrail field names, and the ``cloudtrail`` column or JSON path each one reads.

A rule is input, not code: a field path becomes a sqlglot node (an identifier, or a JSON path
inside a string literal), never text pasted into SQL; a name that cannot be a path is refused
with the reason (:class:`UnsupportedField`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from orginsight.errors import OrgInsightError
from orginsight.sources.schema import CLOUDTRAIL_FIELDS

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


def struct_path(column: str, parts: list[str], field: str) -> list[str]:
    """The lower-case struct field names of ``parts`` below ``column``, each checked against the table's
    schema (sources.schema): a sub-field the struct does not hold is refused now, with its name, rather
    than failing when the query runs (or, on an engine that forgives it, matching nothing)."""
    spec: Any = CLOUDTRAIL_FIELDS[column.lower()][1]
    names = []
    for part in parts:
        keys = {k.lower(): k for k in spec} if isinstance(spec, dict) else {}
        if part.lower() not in keys:
            raise UnsupportedField(
                f"field '{field}': the cloudtrail table's {column} has no sub-field '{part}'"
                + (f" (it has: {', '.join(sorted(keys.values()))})" if keys else "")
            )
        names.append(part.lower())
        spec = spec[keys[part.lower()]]
    return names


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
            return column_path([col.lower(), *struct_path(col, parts, name)])
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
