"""The local engine's SQL dialect: DuckDB, written from trees read as Athena (Trino) SQL.

Queries are written once, in Athena's dialect. sqlglot's DuckDB generator already turns most Trino
into DuckDB; :class:`LocalDuckDB` extends it, the way sqlglot's own dialects extend each other
(``{**Parent.TRANSFORMS, ...}``), where a Trino function and its DuckDB namesake read the same
arguments differently. Each rewrite, why, and the fact behind it:

- ``regexp_replace`` (checked 2026-12 with sqlglot 30.31 and DuckDB 2.0.1): Trino writes groups in
  the replacement as ``$1``/``${name}`` and ``\\`` escapes the next character (Trino docs, Regular
  expression functions; ``JoniRegexpFunctions.appendReplacement``); DuckDB's ``regexp_replace`` is
  RE2's, which reads groups as ``\\1`` (DuckDB docs, Regular Expressions) and inserts ``$1`` as text. sqlglot already asks DuckDB for every match (``'g'``) and fills in the
  two-argument form's empty replacement, but passes ``'$1'`` on. A literal replacement is rewritten
  by :func:`trino_replacement_to_re2`, and a literal pattern's Java ``(?<name>`` becomes RE2's
  ``(?P<name>`` (:func:`re2_pattern`).

The generator assumes the tree was read as Athena SQL: it is for writing Athena queries out as
DuckDB, not for round trips of DuckDB SQL (whose ``\\1`` would be read as Trino's escaped ``1``).
"""

from __future__ import annotations

import re

from sqlglot import exp, transforms
from sqlglot.dialects.duckdb import DuckDB

from orginsight.errors import QueryError

# --- regexp_replace: Trino's replacement strings in RE2 --------------------------------------------


def capture_groups(pattern: str) -> list[str | None]:
    """The capturing groups of a Java/RE2 regular expression, in order: each group's name or None.

    Skips escapes (``\\(``), character classes (``[(]``), ``\\Q...\\E`` quotes and the
    non-capturing ``(?:``, ``(?=``, ``(?<=``, ``(?i)`` ...; ``(?<name>`` and ``(?P<name>`` are named.
    """
    groups: list[str | None] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern.startswith("\\Q", i):
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
                continue
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern.startswith("]", i + 1) or pattern.startswith("^]", i + 1):
                i += 2 if pattern[i + 1] == "]" else 3  # a leading ']' is a literal inside the class
                continue
        elif c == "(":
            named = re.match(r"\(\?P?<([A-Za-z][A-Za-z0-9_]*)>", pattern[i:])
            if named:
                groups.append(named.group(1))
            elif not pattern.startswith("(?", i):
                groups.append(None)
        i += 1
    return groups


def re2_pattern(pattern: str) -> str:
    """A Java pattern's named groups ``(?<name>...)`` in RE2's spelling ``(?P<name>...)``."""
    return re.sub(r"(?<!\\)\(\?<([A-Za-z][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)


def trino_replacement_to_re2(replacement: str, groups: list[str | None] | None = None) -> str:
    """Trino's ``regexp_replace`` replacement string as an RE2 rewrite string (DuckDB's ``regexp_replace``).

    Trino (``JoniRegexpFunctions.appendReplacement``): ``$g`` is numbered group g, taking as many
    digits as still name an existing group (``$12`` is group 12 when the pattern has 12 groups, else
    group 1 then a ``2``); ``$0`` is the whole match; ``${name}`` a named group; a backslash makes the
    next character literal (``\\$``, ``\\\\``). A ``$`` followed by anything else, a trailing ``$`` or
    backslash, and an unknown group are errors, in Trino and here. RE2 knows ``\\0``..``\\9`` and
    ``\\\\`` only, so literal backslashes are doubled and a group above 9 cannot be written.

    ``groups`` are the pattern's capturing groups (:func:`capture_groups`), None when the pattern is
    not a literal: then a group number is one digit, as it is for any pattern of fewer than ten groups,
    and a group name cannot be resolved.
    """
    out: list[str] = []
    i, n = 0, len(replacement)

    def bad(why: str) -> QueryError:
        return QueryError(f"regexp_replace replacement {replacement!r}: {why}")

    while i < n:
        c = replacement[i]
        if c == "\\":
            if i + 1 == n:
                raise bad("a trailing backslash escapes nothing (Trino: illegal replacement sequence)")
            literal_char = replacement[i + 1]
            out.append("\\\\" if literal_char == "\\" else literal_char)
            i += 2
            continue
        if c != "$":
            out.append(c)
            i += 1
            continue
        if i + 1 == n:
            raise bad("'$' at the end names no group (Trino: illegal replacement sequence; write \\$)")
        nxt = replacement[i + 1]
        if nxt == "{":
            end = replacement.find("}", i + 2)
            name = replacement[i + 2 : end if end >= 0 else n]
            if groups is None:
                raise bad(f"the local engine resolves ${{{name}}} only when the pattern is a literal")
            if end < 0 or name not in groups:
                raise bad(f"unknown group {{{name}}}")
            number = groups.index(name) + 1
            i = end + 1
        elif nxt.isdigit():
            number, i = int(nxt), i + 2
            if groups is not None:
                if number > len(groups):
                    raise bad(f"unknown group {number}: the pattern has {len(groups)}")
                while i < n and replacement[i].isdigit() and number * 10 + int(replacement[i]) <= len(groups):
                    number, i = number * 10 + int(replacement[i]), i + 1
        else:
            raise bad(
                f"'$' must be followed by a group number or {{name}}, not {nxt!r} (write \\$ for a dollar)"
            )
        if number > 9:
            raise bad(f"group {number}: DuckDB's regexp_replace can refer to groups 0 to 9 only")
        out.append(f"\\{number}")
    return "".join(out)


def _is_string(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def trino_regexp_replace(node: exp.Expression) -> exp.Expression:
    """One ``regexp_replace`` call with a literal replacement rewritten from Trino's spelling to RE2's.

    A replacement that is not a literal (a column, a concatenation, Trino's lambda form) is left as
    it is: its ``$1`` cannot be rewritten before the query runs, and DuckDB has no lambda form.
    Returns a new node; ``node`` is not modified.
    """
    if not isinstance(node, exp.RegexpReplace) or not _is_string(node.args.get("replacement")):
        return node
    node = node.copy()
    pattern = node.expression
    groups = None
    if _is_string(pattern):
        groups = capture_groups(pattern.this)
        node.set("expression", exp.Literal.string(re2_pattern(pattern.this)))
    node.set(
        "replacement", exp.Literal.string(trino_replacement_to_re2(node.args["replacement"].this, groups))
    )
    return node


# --- the dialect ------------------------------------------------------------------------------------

DIALECT = "athena"
"""The dialect every query is written in (Athena's, which is Trino's SQL), as sqlglot names it."""


class LocalDuckDB(DuckDB):
    """DuckDB as the local engine runs Athena queries: sqlglot's DuckDB plus the rewrites listed in
    this module's docstring. Registered with sqlglot as ``"localduckdb"`` (:data:`NAME`) on import."""

    class Generator(DuckDB.Generator):
        TRANSFORMS = {
            **DuckDB.Generator.TRANSFORMS,
            exp.RegexpReplace: transforms.preprocess(
                [trino_regexp_replace], DuckDB.Generator.regexpreplace_sql
            ),
        }
        """sqlglot's DuckDB generator, with Trino's ``$n`` groups in ``regexp_replace`` made RE2's ``\\n``."""


NAME = "localduckdb"
"""The name sqlglot knows :class:`LocalDuckDB` by (its class name, lower-cased, as for every dialect)."""
