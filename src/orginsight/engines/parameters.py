"""Parameters of a query: ``:name`` in the SQL, replaced in the sqlglot tree by typed literal nodes.

A value is never parsed as SQL: it becomes a literal node (a string, a number, a ``CAST`` of an
ISO text to ``timestamp`` or ``date``, an array), and the generator escapes it when it writes
the tree out for an engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlglot import exp

from orginsight.errors import ParameterError


def placeholders(tree: exp.Expression) -> set[str]:
    """Names of the ``:name`` parameters a query uses."""
    return {p.name for p in tree.find_all(exp.Placeholder) if p.name}


def literal(value: Any) -> exp.Expression:
    """A typed SQL literal node for a Python value (the value is never parsed as SQL)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            # sqlglot would write nan/inf as bare words, which SQL reads as column names.
            raise ParameterError(f"cannot bind a non-finite number ({value!r}): SQL has no literal for it")
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.isoformat(sep=" ", timespec="milliseconds")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("timestamp"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple | set | frozenset):
        return exp.Array(expressions=[literal(v) for v in value])
    raise ParameterError(f"cannot bind a value of type {type(value).__name__}: {value!r}")


def bind(tree: exp.Expression, params: Mapping[str, Any]) -> exp.Expression:
    """Replace every ``:name`` in the tree by the literal of ``params[name]``.

    A list bound inside ``IN (:name)`` expands to the list's items; an empty
    list there makes the predicate false (``NOT IN`` true), as no value matches.
    """
    needed = placeholders(tree)
    missing = sorted(needed - set(params))
    if missing:
        raise ParameterError(f"missing value for parameter(s): {', '.join(missing)}")
    tree = tree.copy()
    for node in list(tree.find_all(exp.Placeholder)):
        if not node.name:
            raise ParameterError("positional '?' parameters are not supported; write :name")
        value = params[node.name]
        parent = node.parent
        if (
            isinstance(parent, exp.In)
            and node.arg_key == "expressions"
            and isinstance(value, list | tuple | set)
        ):
            items = (
                [literal(v) for v in sorted(value, key=str)]
                if isinstance(value, set)
                else [literal(v) for v in value]
            )
            others = [e for e in parent.expressions if e is not node]
            if not items and not others:
                parent.replace(exp.false())
                continue
            parent.set("expressions", others + items)
            continue
        node.replace(literal(value))
    return tree
