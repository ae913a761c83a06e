"""Literals a query's author meant to be replaced, and text Athena would refuse to parse.

A published query carries placeholders (``'START_TIME'``, ``'####'``, ``AKIAxxxxxxxxxxxxxxxx``,
``x.x.x.x``, ``<ACCOUNT_ID>``, ``YOUR_BUCKET``) and AWS's documented example values
(``AKIAIOSFODNN7EXAMPLE``, account ``111122223333``). Left as literals they match nothing, and the
query returns an empty frame that reads as "no activity": so each one still unfilled is reported
with its line and column, and the query is not run (:class:`UnfilledPlaceholders`).

sqlglot also parses text Trino (Athena's engine) rejects: two string literals side by side
(``IN ('a' 'b')``, a missing comma) become one concatenated string. Those are errors here, with
their position, never silent rewrites.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot.dialects import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from orginsight.errors import QueryError

DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "START_TIME": "2023-07-10T00:00:00Z",
    "END_TIME": "2023-07-11T00:00:00Z",
    "AKIAIOSFODNN7EXAMPLE": "AKIATFQR7NSC8Q4X20BJ",
    "SUSPECT_PRINCIPAL": "arn:aws:iam::123837392027:user/bert-jan",
    "SUSPECTED_PRINCIPAL": "arn:aws:iam::123837392027:user/bert-jan",
    "BUCKET_NAME": "stratus-red-team-ctlr-bucket-zqfsvooxqj",
    "TABLE_NAME": "stratus-red-team-table",
    "111122223333": "123837392027",
}
"""Placeholder -> sample value for the published-queries check only (:func:`check`): they point at the
Invictus Stratus sample (one account, 2023-07-10). ``prepare`` fills nothing unless told to."""

PLACEHOLDER_WORDS = (
    "TIME|DATE|DAY|NAME|ID|PRINCIPAL|ACCOUNT|BUCKET|ARN|IP|ADDRESS|KEY|USER|ROLE|REGION|TABLE|DATABASE"
    "|VALUE|HERE|INSTANCE|PROFILE|ORG|EMAIL"
)

PLACEHOLDER_PATTERNS: dict[str, re.Pattern[str]] = {
    "hash marks": re.compile(r"#{3,}|^#+$"),
    "x-ed out access key": re.compile(r"\b(?:AKIA|ASIA)[xX*]{4,}"),
    "x-ed out IP address": re.compile(r"(?<![\w.])[xX*]{1,3}(?:\.[xX*]{1,3}){3}(?![\w.])"),
    "run of x": re.compile(r"x{4,}|X{4,}|\*{4,}"),
    "name in angle brackets": re.compile(r"<[A-Za-z][\w .:/-]*>"),
    "template variable": re.compile(r"\{\{[^}]*\}\}|\$\{[^}]*\}"),
    "YOUR_ name": re.compile(r"\bYOUR_|\b[Yy]our[-_][a-z]"),
    "upper-case placeholder name": re.compile(
        rf"^(?=[A-Z0-9_]*_)(?:[A-Z0-9]+_)*(?:{PLACEHOLDER_WORDS})(?:_[A-Z0-9]+)*$"
    ),
    "AWS documentation example": re.compile(
        r"EXAMPLE(?:KEY)?$|^(?:111122223333|123456789012|444455556666|555555555555|000000000000)$"
        r"|\b(?:111122223333|123456789012|444455556666):|amzn-s3-demo-|DOC-EXAMPLE-"
    ),
}
"""What an unfilled placeholder looks like, by kind: the forms AWS's documentation and AWS teams'
published queries use (2026-12), the example values from AWS's documentation included."""


@dataclass(frozen=True)
class Placeholder:
    """One literal that still looks unfilled, where it is (1-based line and column) and why."""

    value: str
    line: int
    column: int
    kind: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: '{self.value}' ({self.kind})"


class UnfilledPlaceholders(QueryError):
    """The query still holds placeholders: run, it would match nothing and look like a clean result."""

    def __init__(self, found: list[Placeholder], sql: str | None = None) -> None:
        listing = "; ".join(str(p) for p in found)
        super().__init__(
            f"{len(found)} unfilled placeholder(s), not run: {listing}; give values "
            "(placeholders={...}, --placeholder NAME=VALUE) or edit the query",
            sql=sql,
        )
        self.placeholders = found


def placeholder_values(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The Invictus sample values with ``overrides`` on top (see :data:`DEFAULT_PLACEHOLDERS`)."""
    return {**DEFAULT_PLACEHOLDERS, **(overrides or {})}


def fill_like_pattern(pattern: str, values: Mapping[str, str]) -> str:
    """A ``LIKE`` pattern's value with each placeholder in it replaced by its sample value.

    ``'%BUCKET_NAME%'`` is one string literal of the parsed query, the placeholder sitting among
    wildcards: this edits that literal's value, never the query's text. One pass over the pattern
    (longest placeholder first), so a value is not searched again for placeholders: an ARN given for
    ``SUSPECTED_PRINCIPAL`` keeps its account id even when that id is a placeholder (``111122223333``).
    """
    keys = sorted((key for key in values if key), key=len, reverse=True)
    if not keys:
        return pattern
    placeholder = re.compile("|".join(re.escape(key) for key in keys))
    return placeholder.sub(lambda m: values[m.group(0)], pattern)


def filled(text: str, values: Mapping[str, str]) -> str:
    """A string literal's value once the given placeholder values are in (whole, or inside a LIKE pattern)."""
    if text in values:
        return values[text]
    return fill_like_pattern(text, values) if "%" in text else text


def placeholder_kind(text: str) -> str | None:
    """Which kind of unfilled placeholder a literal's value looks like, if any."""
    for kind, pattern in PLACEHOLDER_PATTERNS.items():
        for part in [text, *(p for p in text.split("%") if p and p != text)]:
            if pattern.search(part):
                return kind
    return None


def tokens(sql: str) -> list[Token]:
    try:
        return Dialect.get_or_raise("athena").tokenize(sql)
    except TokenError as e:
        raise QueryError(f"cannot parse the SQL as Athena SQL: {e}", sql=sql) from e


def position(sql: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """1-based line and column of a character offset (``first_line``: the line the text starts on)."""
    before = sql[:offset]
    return first_line + before.count("\n"), offset - (before.rfind("\n") + 1) + 1


def unfilled(sql: str, values: Mapping[str, str] | None = None, first_line: int = 1) -> list[Placeholder]:
    """Every string literal that still looks like a placeholder once ``values`` are filled in."""
    found = []
    removed = dict.fromkeys(values or {}, "")  # a value given is the user's, whatever it looks like
    for token in tokens(sql):
        if token.token_type != TokenType.STRING:
            continue
        kind = placeholder_kind(filled(token.text, removed))
        if kind:
            line, column = position(sql, token.start, first_line)
            found.append(Placeholder(token.text, line, column, kind))
    return found


def ensure_strict_parse(sql: str, first_line: int = 1) -> None:
    """Refuse what Trino refuses but sqlglot reads leniently: string literals side by side.

    ``'a' 'b'`` is one string in sqlglot (and in standard SQL), a syntax error in Trino, Athena's
    engine (its grammar has no literal concatenation; 2026-12): usually a missing comma in an IN list,
    which read leniently turns two values into one that matches nothing.
    """
    previous: Token | None = None
    for token in tokens(sql):
        if previous is not None and previous.token_type == token.token_type == TokenType.STRING:
            line, column = position(sql, token.start, first_line)
            raise QueryError(
                f"line {line}, column {column}: string literals side by side ('{previous.text}' "
                f"'{token.text}'): Athena rejects this; a missing comma?",
                sql=sql,
            )
        previous = token
