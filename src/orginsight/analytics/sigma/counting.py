"""Sigma rules that count: correlation rules (``event_count``, ``value_count``, ``temporal``) and the older
``condition: selection | count([field]) [by field] > N`` with ``timeframe``, as GROUP BY over time windows.

A counting rule fires on a group of events, not on one: the events its base rules match, grouped by the
``group-by`` fields and by a window of ``timespan`` (fixed windows from the epoch, as a SIEM's ``bin
span=`` or an Athena ``GROUP BY floor(to_unixtime(t) / span)`` counts), and kept when the count meets the
condition. The query returns those events (the same columns as any rule, so an analyst sees what fired),
with the group, the window's start and the count. What cannot be honoured exactly (an ordered temporal
rule, a sum or percentile, field aliases, a month or a year, which have no fixed length) is refused with
the reason rather than converted into something that never matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from orginsight.analytics.sigma.fields import field_node

OPERATORS: dict[str, type[exp.Expression]] = {
    "gt": exp.GT,
    "gte": exp.GTE,
    "lt": exp.LT,
    "lte": exp.LTE,
    "eq": exp.EQ,
    "neq": exp.NEQ,
}
"""Sigma's condition operators (correlation ``condition:`` keys) and their SQL comparisons."""

SYMBOLS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "eq", "==": "eq", "!=": "neq"}
"""The older aggregation syntax's comparison symbols, as correlation operators."""

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
"""Timespan units of a fixed length (Sigma's ``M`` and ``y`` are not: refused)."""

AGGREGATION = re.compile(
    r"^(?P<search>.+?)\s*\|\s*(?P<func>\w+)\s*\(\s*(?P<field>[\w.\-]*)\s*\)"
    r"(?:\s+by\s+(?P<by>[\w.\-]+(?:\s*,\s*[\w.\-]+)*))?\s*(?P<op>>=|<=|==|!=|>|<|=)\s*(?P<count>\d+)\s*$",
    re.S,
)
"""``search | count(field) by a, b > N``: the older Sigma aggregation expression (Sigma 1 specification)."""


class CannotHonour(ValueError):
    """A counting rule whose timespan, aggregation or correlation type cannot be converted exactly."""


@dataclass(frozen=True)
class Counting:
    """What a counting rule counts: over which base conditions, grouped how, in which window, kept when."""

    kind: str  # event_count, value_count or temporal
    conditions: tuple[tuple[str, exp.Expression], ...]  # (base rule name, its condition)
    group_by: tuple[str, ...]
    seconds: int | None  # None: one window, the query's whole time range
    op: str
    count: int
    value_field: str | None = None


def timespan_seconds(spec: object) -> int:
    """Seconds in a Sigma timespan (``5m``, ``1h``, ``2d``); refused when it has no fixed length or no sense."""
    text = str(spec).strip()
    found = re.fullmatch(r"(\d+)([a-zA-Z])", text)
    if not found:
        raise CannotHonour(f"timeframe '{text}' cannot be honoured: not a count and a unit (s, m, h, d, w)")
    number, unit = int(found.group(1)), found.group(2)
    if unit not in UNIT_SECONDS:
        raise CannotHonour(
            f"timeframe '{text}' cannot be honoured: unit '{unit}' has no fixed length (use s, m, h, d or w)"
        )
    if number <= 0:
        raise CannotHonour(f"timeframe '{text}' cannot be honoured: it must be longer than zero")
    return number * UNIT_SECONDS[unit]


def split_aggregation(condition: str) -> tuple[str, dict[str, object]] | None:
    """The search part of an older ``search | count() ... > N`` condition and its aggregation, or None
    when the condition has no pipe. An aggregation other than ``count`` is refused."""
    if "|" not in condition:
        return None
    found = AGGREGATION.match(condition.strip())
    if not found:
        raise CannotHonour(f"aggregation '{condition.strip()}' cannot be honoured: only 'count() [by f] > N'")
    func = found.group("func").lower()
    if func != "count":
        raise CannotHonour(f"aggregation '{func}()' cannot be honoured: only count() is supported")
    by = [f.strip() for f in (found.group("by") or "").split(",") if f.strip()]
    return found.group("search").strip(), {
        "field": found.group("field") or None,
        "by": by,
        "op": SYMBOLS[found.group("op")],
        "count": int(found.group("count")),
    }


def window_bucket(seconds: int | None) -> exp.Expression:
    """The number of the fixed window an event's time falls in (0 for one window over the whole range)."""
    if seconds is None:
        return exp.Literal.number(0)
    unix = exp.Anonymous(
        this="to_unixtime",
        expressions=[exp.Anonymous(this="from_iso8601_timestamp", expressions=[exp.column("eventtime")])],
    )
    return exp.Floor(this=exp.Div(this=unix, expression=exp.Literal.number(seconds)))


def counting_tree(
    counting: Counting,
    matched_select: Callable[[], exp.Select],
    output_names: Sequence[str],
    where_window: exp.Expression,
) -> exp.Select:
    """The query of a counting rule: the matched events (CTE ``matched``), the groups that meet the
    condition (CTE ``fired``), and the events of those groups, in time order.

    ``matched_select()`` is the rule module's select of the output columns (``output_names``) from
    ``cloudtrail``, with no WHERE yet; ``where_window`` is its time-range condition.
    Group keys compare with ``IS NOT DISTINCT FROM``: events that lack a group-by field form their own group.
    """
    keys = [f"group_{i}" for i in range(len(counting.group_by))]
    parts = []
    temporal = counting.kind == "temporal"
    base = (
        counting.conditions
        if temporal
        else (("", exp.or_(*(exp.Paren(this=c) for _, c in counting.conditions), copy=False)),)
    )
    for name, condition in base:
        select = matched_select()
        for key, field in zip(keys, counting.group_by, strict=True):
            select = select.select(exp.alias_(field_node(field), key), copy=False)
        value = field_node(counting.value_field) if counting.value_field else exp.null()
        select = select.select(
            exp.alias_(value, "counted_value"),
            exp.alias_(exp.Literal.string(name), "sigma_rule"),
            exp.alias_(window_bucket(counting.seconds), "time_window"),
            copy=False,
        ).where(exp.and_(where_window.copy(), exp.Paren(this=condition.copy()), copy=False), copy=False)
        parts.append(select)
    matched: exp.Expression = parts[0]
    for part in parts[1:]:
        matched = exp.union(matched, part, distinct=False)
    if counting.kind == "event_count":
        measure: exp.Expression = exp.Count(this=exp.Star())
    else:
        counted = "sigma_rule" if temporal else "counted_value"
        measure = exp.Count(this=exp.Distinct(expressions=[exp.column(counted)]))
    if temporal:
        op, count = "gte", len(counting.conditions)
    else:
        op, count = counting.op, counting.count
    group = [exp.column(k) for k in [*keys, "time_window"]]
    fired = (
        exp.select(*group, exp.alias_(measure, "sigma_count"))
        .from_("matched")
        .group_by(*[g.copy() for g in group])
        .having(OPERATORS[op](this=measure.copy(), expression=exp.Literal.number(count)))
    )
    join_on = exp.and_(
        *(
            exp.NullSafeEQ(this=exp.column(k, table="m"), expression=exp.column(k, table="f"))
            for k in [*keys, "time_window"]
        ),
        copy=False,
    )
    start = (
        exp.Anonymous(
            this="from_unixtime",
            expressions=[
                exp.Mul(
                    this=exp.column("time_window", table="m"), expression=exp.Literal.number(counting.seconds)
                )
            ],
        )
        if counting.seconds
        else exp.null()
    )
    outer = [exp.column(c, table="m") for c in (*output_names, *keys)]
    return (
        exp.select(
            *outer,
            exp.alias_(start, "window_start"),
            exp.column("sigma_count", table="f"),
            *([exp.column("sigma_rule", table="m")] if temporal else []),
        )
        .from_(exp.alias_(exp.to_table("matched"), "m", table=True))
        .join(exp.alias_(exp.to_table("fired"), "f", table=True), on=join_on)
        .with_("matched", as_=matched)
        .with_("fired", as_=fired)
        .order_by(exp.Ordered(this=exp.column("eventtime", table="m"), nulls_first=False))
    )
