"""A ``.sql`` file of several statements, run as its author would in the Athena console, one at a time.

Published files set up their table first (``CREATE EXTERNAL TABLE``, ``MSCK REPAIR TABLE``,
``ALTER TABLE ... ADD PARTITION``, ``DROP``): the lake has its tables already, so DDL is skipped
with a note, and a CloudTrail table the file creates maps onto ``cloudtrail`` for the queries after
it. Every query is prepared (mapped, checked for placeholders) before any runs, so that one
unfilled placeholder stops the file before it spends a scan.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orginsight.analytics.query_compat.placeholders import position
from orginsight.analytics.query_compat.prepare import Prepared, prepare
from orginsight.engines import translate
from orginsight.errors import OrgInsightError, QueryError
from orginsight.sources.schema import TABLE

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake

DDL_KEYWORDS = frozenset({"CREATE", "DROP", "ALTER", "MSCK", "REPAIR"})
"""First keywords of the statements skipped: they define tables, which the lake has already."""

_CREATED = re.compile(r"CREATE\s+(?:EXTERNAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([`\"\w.]+)", re.I)
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)
_SPLITTER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/|;", re.S)


@dataclass(frozen=True)
class Statement:
    """One statement of a file: its text and the line it starts on."""

    sql: str
    line: int


def statements(text: str) -> list[Statement]:
    """The file's statements, split at the semicolons outside strings, identifiers and comments."""
    out, start = [], 0
    for m in _SPLITTER.finditer(text):
        if m.group(0) == ";":
            out.append((start, m.start()))
            start = m.end()
    out.append((start, len(text)))
    found = []
    for begin, end in out:
        chunk = text[begin:end]
        body = _SPLITTER.sub(lambda m: "" if m.group(0).startswith(("--", "/*")) else m.group(0), chunk)
        if body.strip():
            lead = _LEADING.match(chunk).end()  # the statement starts at its code, after its comments
            found.append(Statement(chunk[lead:].strip(), position(text, begin + lead)[0]))
    return found


def _created_table(sql: str) -> str | None:
    """The table a CREATE TABLE over CloudTrail's columns makes (``db.`` kept), if it is one."""
    m = _CREATED.match(sql.lstrip())
    if m and re.search(r"\beventname\b", sql, re.I):
        return m.group(1).replace("`", "").replace('"', "").lower()
    return None


def plan(
    text: str,
    tables: Mapping[str, str] | None = None,
    placeholders: Mapping[str, str] | None = None,
) -> list[tuple[Statement, Prepared, list[str]]]:
    """Each query of the file prepared, with the notes of the statements skipped before it.

    Every unfilled placeholder of the file is reported at once (one error naming each).
    """
    mapping = dict(tables or {})
    out, skipped, errors = [], [], []
    for st in statements(text):
        keyword = (translate.first_keyword(st.sql) or "").upper()
        if keyword in DDL_KEYWORDS:
            created = _created_table(st.sql)
            if created:
                mapping.setdefault(created, TABLE)
                mapping.setdefault(created.rsplit(".", 1)[-1], TABLE)
            skipped.append(f"line {st.line}: {keyword} statement skipped (the lake has its tables)")
            continue
        try:
            out.append(
                (st, prepare(st.sql, tables=mapping, placeholders=placeholders, first_line=st.line), skipped)
            )
        except OrgInsightError as e:
            errors.append(f"statement at line {st.line}: {e}")
        skipped = []
    if errors:
        raise QueryError("; ".join(errors))
    if not out:
        raise QueryError("the file holds no query (only DDL or nothing)")
    return out


def run_file(
    lake: Lake,
    path: str | os.PathLike[str],
    tables: Mapping[str, str] | None = None,
    placeholders: Mapping[str, str] | None = None,
) -> list[pd.DataFrame]:
    """One frame per query of the file; ``attrs["notes"]`` says what was mapped or skipped before it,
    ``attrs["line"]`` where the query starts."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise OrgInsightError(f"cannot read {path}: {e}") from e
    frames = []
    for st, prepared, skipped in plan(text, tables, placeholders):
        df = lake.sql(prepared.sql)
        df.attrs["notes"] = [*skipped, *prepared.notes]
        df.attrs["line"] = st.line
        frames.append(df)
    return frames
