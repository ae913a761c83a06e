"""From a hunt and the caller's values to the SQL that runs: typed values, optional filters folded away.

Optional filters are written so an empty list or NULL means "all"; :func:`prepare` folds those tests on
the bound values, so the SQL sent to Athena reads ``account IN ('111122223333')`` and partition pruning
sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from orginsight.analytics.hunts.library import Hunt, _parse_sql
from orginsight.analytics.hunts.params import _ANCHORED, coerce, parse_time
from orginsight.engines import translate
from orginsight.errors import ParameterError
from orginsight.timerange import utc_now

if TYPE_CHECKING:
    from sqlglot import exp


def resolve(
    hunt: Hunt, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Every parameter of ``hunt`` with a typed value: given ones converted, the rest from defaults."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(hunt.parameters))
    if unknown:
        raise ParameterError(
            f"hunt '{hunt.name}' has no parameter(s) {', '.join(unknown)}; "
            f"it takes: {', '.join(hunt.parameters)}"
        )
    now = utc_now(now)
    raw = {name: params.get(name, p.default) for name, p in hunt.parameters.items()}
    later = {name: v for name, v in raw.items() if isinstance(v, str) and _ANCHORED.match(v)}
    values = {name: coerce(hunt.parameters[name], v, now) for name, v in raw.items() if name not in later}
    for name, text in later.items():  # "start-30d": relative to another time parameter
        m = _ANCHORED.match(text)
        if m[1] not in values or not isinstance(values[m[1]], datetime):
            raise ParameterError(f"parameter '{name}': {text!r} names no time parameter '{m[1]}'")
        values[name] = parse_time(m[2], now=values[m[1]])
    if "start" in values and "end" in values and values["start"] > values["end"]:
        raise ParameterError(f"hunt '{hunt.name}': start {values['start']} is after end {values['end']}")
    return values


def _fold_value(node: exp.Expression, values: Mapping[str, Any]) -> bool | None:
    """The truth value of a test that only looks at parameters, or None for any other node."""
    from sqlglot import exp

    def param(n: exp.Expression) -> str | None:
        return n.name if isinstance(n, exp.Placeholder) and n.name in values else None

    if isinstance(node, exp.EQ | exp.GT | exp.NEQ) and isinstance(node.this, exp.ArraySize):
        name = param(node.this.this)
        right = node.expression
        if name and isinstance(right, exp.Literal) and right.this == "0":
            empty = len(values[name] or []) == 0
            return empty if isinstance(node, exp.EQ) else not empty
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        name = param(node.this)
        if name:
            return values[name] is None
    return None


def _simplify(node: exp.Expression) -> exp.Expression:
    """Remove TRUE/FALSE operands from AND/OR/NOT/parentheses, bottom-up."""
    from sqlglot import exp

    def const(n: exp.Expression) -> bool | None:
        while isinstance(n, exp.Paren):
            n = n.this
        return n.this if isinstance(n, exp.Boolean) else None

    def transform(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Paren) and (const(n.this) is not None or not isinstance(n.this, exp.Connector)):
            return n.this  # parentheses around a constant or a single predicate say nothing
        if isinstance(n, exp.Not) and const(n.this) is not None:
            return exp.Boolean(this=not const(n.this))
        if isinstance(n, exp.And | exp.Or):
            left, right = const(n.this), const(n.expression)
            absorbing = isinstance(n, exp.Or)  # TRUE absorbs OR, FALSE absorbs AND
            if left is absorbing or right is absorbing:
                return exp.Boolean(this=absorbing)
            if left is not None:
                return n.expression
            if right is not None:
                return n.this
        return n

    for _ in range(20):  # transform() rewrites top-down; repeat until nothing folds any more
        before = node.sql()
        node = node.transform(transform)
        if node.sql() == before:
            break
    return node


def prepare(hunt: Hunt, values: Mapping[str, Any]) -> exp.Expression:
    """The hunt's SQL tree with optional-filter tests folded on the bound ``values`` (still unbound)."""
    from sqlglot import exp

    tree = _parse_sql(hunt.sql, str(hunt.path))
    for node in [*tree.find_all(exp.EQ, exp.GT, exp.NEQ, exp.Is)]:
        truth = _fold_value(node, values)
        if truth is not None:
            target = node.parent if isinstance(node.parent, exp.Not) and isinstance(node, exp.Is) else node
            if target is not node:
                truth = not truth
            target.replace(exp.Boolean(this=truth))
    for node in [*tree.find_all(exp.Placeholder)]:  # a bool parameter used as a condition
        if isinstance(values.get(node.name), bool) and isinstance(
            node.parent, exp.Connector | exp.Not | exp.Paren
        ):
            node.replace(exp.Boolean(this=values[node.name]))
    tree = _simplify(tree)
    for where in [*tree.find_all(exp.Where)]:
        if isinstance(where.this, exp.Boolean) and where.this.this is True:
            where.pop()
    return tree


def athena_sql(hunt: Hunt, params: Mapping[str, Any] | None = None, now: datetime | None = None) -> str:
    """The SQL exactly as it would run on Athena: parameters bound as literals, partition predicates added."""

    values = resolve(hunt, params, now)
    tree = translate.bind(prepare(hunt, values), values)
    tree, _notes, _unbounded = translate.add_timestamp_predicates(tree)
    return tree.sql(dialect=translate.DIALECT, pretty=True)
