"""Partition and struct columns of other CloudTrail tables, mapped onto the lake's, on the parsed tree.

The lake partitions ``cloudtrail`` by ``account``, ``region`` and ``timestamp`` (``yyyy/MM/dd``), as
AWS's partition projection example for organization trails does. Other tables partition otherwise
(AWS's documentation, "Querying AWS CloudTrail logs", manual partitioning: ``region``, ``year``,
``month``, ``day`` strings; Hive's ``dt``; the security-analytics-bootstrap's ``*_partition``;
Glue tables with integer ``year``/``month``/``day``). Each maps onto ours:

- ``account_partition``, ``accountid``, ``account_id`` -> ``account``; ``region_partition``,
  ``aws_region`` -> ``region``.
- ``dt``, ``date``, ``date_partition`` -> ``timestamp``, a literal day they are compared with
  (``'2024-06-01'``, ``'20240601'``, ``DATE '2024-06-01'``) rewritten as ``'2024/06/01'``.
- ``year``, ``month``, ``day`` -> ``substr("timestamp", ...)`` compared with the zero-padded value
  (``month = 7`` and ``month = '7'`` are ``'07'``), and a ``"timestamp"`` range implied by them added
  to the WHERE, so that partition pruning (engines/pruning.py) reads only those days.

Rewriting the tree (never the text) keeps the predicates where pruning finds them.
"""

from __future__ import annotations

import calendar
import re

from sqlglot import exp

from orginsight.errors import QueryError
from orginsight.sources.schema import COLUMNS

COLUMN_NAMES: dict[str, str] = {
    "account_partition": "account",
    "accountid": "account",
    "account_id": "account",
    "region_partition": "region",
    "aws_region": "region",
    "date_partition": "timestamp",
}
"""Partition columns under other names -> ours (same values: account id, region, ``yyyy/MM/dd``)."""

DAY_COLUMNS = ("dt", "date")
"""Partition columns holding the day in another format (``yyyy-MM-dd``, ``yyyyMMdd``, a DATE)."""

DATE_PARTS: dict[str, tuple[int, int]] = {"year": (1, 4), "month": (6, 2), "day": (9, 2)}
"""Date-part partition columns -> (start, length) of that part in ``timestamp`` (``yyyy/MM/dd``)."""

PARTITION_NAMES = frozenset({*COLUMN_NAMES, *DAY_COLUMNS, *DATE_PARTS})

JSON_STRING_COLUMNS = ("requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails")
"""Columns AWS's CloudTrail table declares as JSON strings; dotted access into them becomes JSON extraction."""

_DAY = re.compile(r"^(\d{4})[-/]?(\d{2})[-/]?(\d{2})$")
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _timestamp() -> exp.Column:
    return exp.column("timestamp", quoted=True)


def _literal_text(node: exp.Expression) -> str | None:
    """The value of a literal (``'2024-06-01'``, ``7``, ``DATE '2024-06-01'``), or None."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        node = node.this
    return str(node.this) if isinstance(node, exp.Literal) else None


def lake_day(value: str, column: str) -> str:
    """``2024-06-01`` / ``20240601`` / ``2024/06/01`` as the lake's ``2024/06/01``."""
    m = _DAY.match(value.strip())
    if not m:
        raise QueryError(f"cannot map {column} = '{value}' onto the lake's days (yyyy/MM/dd)")
    return f"{m[1]}/{m[2]}/{m[3]}"


def _padded(value: str, part: str) -> str:
    return value.strip().zfill(DATE_PARTS[part][1])


def _partition_column(node: exp.Expression, qualifiers: set[str], aliases: set[str]) -> str | None:
    if not isinstance(node, exp.Column) or len(node.parts) > 2:
        return None
    name = node.name.lower()
    if name not in PARTITION_NAMES or name in COLUMNS or name in aliases:
        return None
    return name if not node.table or node.table.lower() in qualifiers else None


def _map_literals(tree: exp.Expression, qualifiers: set[str], aliases: set[str]) -> None:
    """Literals compared with a day or date-part column, in the lake's format (in place)."""
    for node in list(tree.find_all(*_COMPARISONS, exp.In, exp.Between)):
        name = _partition_column(node.this, qualifiers, aliases)
        if isinstance(node, _COMPARISONS) and name is None:
            name = _partition_column(node.expression, qualifiers, aliases)
        if name not in DAY_COLUMNS and name not in DATE_PARTS:
            continue
        for value in [node.args.get(k) for k in ("this", "expression", "low", "high")] + node.expressions:
            text = _literal_text(value) if value is not None else None
            if text is not None:
                mapped = lake_day(text, name) if name in DAY_COLUMNS else _padded(text, name)
                value.replace(exp.Literal.string(mapped))


def _column_for(node: exp.Column, name: str) -> exp.Expression:
    if name in COLUMN_NAMES:
        return exp.column(COLUMN_NAMES[name], table=node.table or None, quoted=True)
    if name in DAY_COLUMNS:
        return _timestamp()
    start, length = DATE_PARTS[name]
    return exp.func("substr", _timestamp(), exp.Literal.number(start), exp.Literal.number(length))


def _compared_with_literals(node: exp.Column) -> bool:
    """Whether the comparison around a column compares it with literals only (or it is in none)."""
    parent = node.parent
    if not isinstance(parent, (*_COMPARISONS, exp.In, exp.Between)):
        return True
    others = [parent.args.get(k) for k in ("this", "expression", "low", "high")] + parent.expressions
    return all(isinstance(o, exp.Literal) for o in others if o is not None and o is not node)


def _json_extraction(node: exp.Column) -> exp.Expression | None:
    parts = [p.name for p in node.parts]
    for i, part in enumerate(p.lower() for p in parts):
        if part in JSON_STRING_COLUMNS and i < len(parts) - 1:
            column = exp.column(part, table=parts[i - 1] if i > 0 else None)
            return exp.func(
                "json_extract_scalar", column, exp.Literal.string("$." + ".".join(parts[i + 1 :]))
            )
    return None


def implied_range(where: exp.Expression) -> exp.Expression | None:
    """The ``"timestamp"`` range the date-part equalities and bounds of a WHERE imply, for pruning."""
    node = where.this
    conjuncts = list(node.flatten()) if isinstance(node, exp.And) else [node]
    equal: dict[int, str] = {}
    low = high = None
    for c in conjuncts:
        func = c.this if isinstance(c, exp.EQ | exp.GTE | exp.LTE | exp.Between | exp.In) else None
        if not (isinstance(func, exp.Substring) and isinstance(func.args.get("start"), exp.Literal)):
            continue
        start = int(func.args["start"].this)
        if start == 1 and isinstance(c, exp.In) and all(isinstance(v, exp.Literal) for v in c.expressions):
            years = sorted(v.this for v in c.expressions)
            low, high = (years[0], years[-1]) if years else (low, high)
            continue
        if isinstance(c, exp.EQ) and isinstance(c.expression, exp.Literal):
            equal[start] = c.expression.this
        elif start == 1 and isinstance(c, exp.GTE | exp.Between):
            low = (c.expression if isinstance(c, exp.GTE) else c.args["low"]).this
        if start == 1 and isinstance(c, exp.LTE | exp.Between):
            high = (c.expression if isinstance(c, exp.LTE) else c.args["high"]).this
    if 1 in equal:
        year, month, day = equal[1], equal.get(6), equal.get(9)
        first = f"{year}/{month or '01'}/{day or '01'}"
        last_day = day or (f"{calendar.monthrange(int(year), int(month))[1]:02d}" if month else "31")
        last = f"{year}/{month or '12'}/{last_day}"
        return exp.Between(this=_timestamp(), low=exp.Literal.string(first), high=exp.Literal.string(last))
    if low and high:
        return exp.Between(
            this=_timestamp(),
            low=exp.Literal.string(f"{low}/01/01"),
            high=exp.Literal.string(f"{high}/12/31"),
        )
    if low:
        return exp.GTE(this=_timestamp(), expression=exp.Literal.string(f"{low}/01/01"))
    if high:
        return exp.LTE(this=_timestamp(), expression=exp.Literal.string(f"{high}/12/31"))
    return None


def map_columns(tree: exp.Expression, qualifiers: set[str], notes: list[str]) -> exp.Expression:
    """The tree with partition columns under other names as the lake's (see the module docstring)."""
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    _map_literals(tree, qualifiers, aliases)
    renamed: set[str] = set()

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Column):
            return node
        extraction = _json_extraction(node)
        if extraction is not None:
            return extraction
        name = _partition_column(node, qualifiers, aliases)
        if name is None:
            return node
        renamed.add(name)
        mapped = _column_for(node, name)
        if name in DAY_COLUMNS and not _compared_with_literals(node):
            # compared with a computed value: in the Hive convention's yyyy-MM-dd, the common one
            mapped = exp.func("replace", mapped, exp.Literal.string("/"), exp.Literal.string("-"))
        in_projection = isinstance(node.parent, exp.Select) and node.arg_key == "expressions"
        return exp.alias_(mapped, node.name) if in_projection else mapped

    tree = tree.transform(rewrite)
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        extra = implied_range(where) if where is not None and renamed & set(DATE_PARTS) else None
        if extra is not None:
            where.set("this", exp.And(this=where.this, expression=extra))  # top level, where pruning looks
    for name in sorted(renamed):
        target = COLUMN_NAMES.get(name) or ("timestamp (yyyy/MM/dd)" if name in DAY_COLUMNS else "timestamp")
        notes.append(f"partition column {name} ran as {target}")
    return tree
