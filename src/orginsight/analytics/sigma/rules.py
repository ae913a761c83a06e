"""Sigma rule files to Athena queries over ``cloudtrail``, each checked as one read-only SELECT, and run.

A rule that cannot be converted is returned with the reason (:class:`RuleQuery`), never guessed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule, SigmaExtendedCorrelationCondition
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule
from sqlglot import exp

from orginsight.analytics.hunts import parse_time
from orginsight.analytics.sigma.backend import AthenaCloudTrailBackend, in_parentheses
from orginsight.analytics.sigma.counting import (
    CannotHonour,
    Counting,
    counting_tree,
    split_aggregation,
    timespan_seconds,
)
from orginsight.analytics.sigma.fields import SQL_STYLE, column_path
from orginsight.engines import translate
from orginsight.errors import OrgInsightError, QueryError

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake

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


@dataclass(frozen=True)
class RuleQuery:
    """One Sigma rule and its Athena SQL, or why it could not be converted."""

    path: Path
    rule_id: str | None
    title: str
    level: str | None
    sql: str | None
    error: str | None = None
    name: str | None = None

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


def output_names() -> list[str]:
    """The names of the columns every rule's query returns (:data:`OUTPUT_COLUMNS`)."""
    return [alias or path[-1] for path, alias in OUTPUT_COLUMNS]


def output_select() -> exp.Select:
    """``SELECT <output columns> FROM cloudtrail``, before any condition."""
    columns = [
        column_path(path) if alias is None else exp.alias_(column_path(path), alias)
        for path, alias in OUTPUT_COLUMNS
    ]
    return exp.select(*columns).from_(exp.to_table("cloudtrail"))


def time_range() -> exp.Expression:
    """The query's time range: ``from_iso8601_timestamp(eventtime) BETWEEN :start AND :end``."""
    return exp.Between(
        this=exp.Anonymous(this="from_iso8601_timestamp", expressions=[exp.column("eventtime")]),
        low=exp.Placeholder(this="start"),
        high=exp.Placeholder(this="end"),
    )


def query_tree(condition: exp.Expression) -> exp.Select:
    """The full query for one rule condition: the output columns of matching events in the window, by time."""
    return (
        output_select()
        .where(exp.and_(time_range(), exp.Paren(this=condition), copy=False))
        .order_by(exp.Ordered(this=exp.column("eventtime"), nulls_first=False))
    )


def checked_sql(tree: exp.Expression) -> str:
    """A query tree as Athena SQL, checked to be one read-only SELECT."""
    sql = tree.sql(**SQL_STYLE)
    translate.parse(sql)
    return sql


def query_sql(condition: exp.Expression) -> str:
    """The full Athena query for one rule condition (see :func:`query_tree`), checked to be one read-only SELECT."""
    return checked_sql(query_tree(condition))


def convert_file(path: str | os.PathLike[str]) -> RuleQuery:
    """Convert one Sigma rule file; failures are returned with their reason, not raised. For a file of
    several rules (a correlation and the rules it references), the last one: the correlation, which
    follows what it references (:func:`convert_rules` returns them all)."""
    return convert_rules(path)[-1]


def convert_rules(path: str | os.PathLike[str]) -> list[RuleQuery]:
    """Every rule in one Sigma file (YAML documents: rules, correlations), converted or with the reason."""
    path = Path(path)
    try:
        collection, aggregations = load(path)
    except CannotHonour as e:
        return [RuleQuery(path, None, path.stem, None, None, str(e))]
    except (SigmaError, OSError, ValueError) as e:
        return [RuleQuery(path, None, path.stem, None, None, f"cannot load: {_reason(e)}")]
    rules = [*collection.rules]
    if not rules:
        return [RuleQuery(path, None, path.stem, None, None, "the file holds no rule")]
    queries = []
    for index, rule in enumerate(rules):
        name = path.stem if len(rules) == 1 else f"{path.stem}:{getattr(rule, 'name', None) or index}"
        queries.append(rule_query(path, name, rule, aggregations.get(id(rule))))
    return queries


def rule_query(path: Path, name: str, rule: Any, aggregation: dict[str, Any] | None) -> RuleQuery:
    """One loaded rule (or correlation) as a :class:`RuleQuery`."""
    rid = str(rule.id) if getattr(rule, "id", None) else None
    title = getattr(rule, "title", None) or name
    level = str(rule.level.name).lower() if getattr(rule, "level", None) else None
    try:
        if isinstance(rule, SigmaCorrelationRule):
            tree: exp.Expression = counting_query(correlation_counting(rule))
        else:
            condition = rule_condition(rule)
            if aggregation is not None:
                tree = counting_query(aggregation_counting(name, condition, aggregation))
            else:
                tree = query_tree(condition)
    except (SigmaError, NotImplementedError, OrgInsightError, TypeError, CannotHonour) as e:
        return RuleQuery(path, rid, title, level, None, _reason(e), name)
    try:
        sql = checked_sql(tree)
    except QueryError as e:  # cannot happen for a tree built here; refuse rather than hand it out
        return RuleQuery(path, rid, title, level, None, f"{path}: generated SQL refused: {_reason(e)}", name)
    return RuleQuery(path, rid, title, level, sql, None, name)


def rule_condition(rule: Any) -> exp.Expression:
    """A CloudTrail rule's detection as one condition tree (its conditions OR-ed)."""
    logsource = getattr(rule, "logsource", None)
    if logsource is None or (logsource.product, logsource.service) != ("aws", "cloudtrail"):
        raise NotImplementedError("not a product: aws, service: cloudtrail rule")
    conditions = AthenaCloudTrailBackend().convert_rule(rule)
    if not conditions:
        raise NotImplementedError("conversion produced no condition")
    return conditions[0] if len(conditions) == 1 else exp.or_(*map(in_parentheses, conditions), copy=False)


def counting_query(counting: Counting) -> exp.Select:
    """The query of a counting rule (:func:`counting.counting_tree`) over this module's output columns."""
    return counting_tree(counting, output_select, output_names(), time_range())


def aggregation_counting(name: str, condition: exp.Expression, aggregation: dict[str, Any]) -> Counting:
    """An older ``| count([field]) [by f] > N`` rule as what it counts."""
    return Counting(
        kind="value_count" if aggregation["field"] else "event_count",
        conditions=((name, condition),),
        group_by=tuple(aggregation["by"]),
        seconds=aggregation["seconds"],
        op=aggregation["op"],
        count=aggregation["count"],
        value_field=aggregation["field"],
    )


def correlation_counting(rule: SigmaCorrelationRule) -> Counting:
    """A correlation rule as what it counts; what it asks that cannot be honoured exactly is refused."""
    kind = rule.type.name.lower()
    if kind not in {"event_count", "value_count", "temporal"}:
        raise CannotHonour(
            f"correlation type '{kind}' cannot be honoured (event_count, value_count, temporal)"
        )
    if rule.aliases.aliases:
        raise CannotHonour("correlation field aliases cannot be honoured: name the same field in every rule")
    if isinstance(rule.condition, SigmaExtendedCorrelationCondition):
        raise CannotHonour("extended temporal conditions (and/or/not of rules) cannot be honoured")
    conditions = []
    for ref in rule.rules or []:
        base = ref.rule
        if not isinstance(base, SigmaRule):
            raise CannotHonour(
                f"correlation over '{ref.reference}', itself a correlation, cannot be honoured"
            )
        conditions.append((ref.reference, rule_condition(base)))
    fieldref = rule.condition.fieldref
    if kind == "value_count" and not isinstance(fieldref, str):
        raise CannotHonour("a value_count correlation counts the values of one field: name it")
    return Counting(
        kind=kind,
        conditions=tuple(conditions),
        group_by=tuple(rule.group_by or ()),
        seconds=timespan_seconds(rule.timespan.spec),
        op=rule.condition.op.name.lower(),
        count=int(rule.condition.count),
        value_field=fieldref if kind == "value_count" else None,
    )


def load(path: Path) -> tuple[Any, dict[int, dict[str, Any]]]:
    """A rule file's collection (correlation references resolved) and, by ``id()`` of the rule, the older
    aggregations (``search | count() ... > N`` with its ``timeframe``) taken out of their conditions,
    which pySigma no longer parses."""
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    aggregations: dict[int, dict[str, Any]] = {}
    for index, doc in enumerate(docs):
        detection = doc.get("detection") if isinstance(doc, dict) else None
        if not isinstance(detection, dict):
            continue
        timeframe = detection.pop("timeframe", None) or doc.pop("timeframe", None)
        condition = detection.get("condition")
        split = split_aggregation(condition) if isinstance(condition, str) else None
        if split is None:
            if timeframe is not None:
                raise CannotHonour(
                    f"timeframe '{timeframe}' cannot be honoured: the condition counts nothing (count() ... > N)"
                )
            continue
        detection["condition"], aggregation = split
        aggregation["seconds"] = None if timeframe is None else timespan_seconds(timeframe)
        aggregations[index] = aggregation
    collection = SigmaCollection.from_dicts(docs)
    by_rule = {id(rule): aggregations[i] for i, rule in enumerate(collection.rules) if i in aggregations}
    collection.resolve_rule_references()  # puts referenced rules first
    for rule in collection.rules:
        # pySigma stops converting a rule a correlation references (unless ``generate: true``); the query
        # of the rule on its own is kept here too, and the correlation needs its condition.
        rule._output = True
    return collection, by_rule


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]


def convert(paths: Iterable[str | os.PathLike[str]]) -> list[RuleQuery]:
    """Every rule under ``paths`` converted (or not, with the reason); a file may hold several."""
    return [q for f in rule_files(paths) for q in convert_rules(f)]


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
            "rule": q.name or q.path.stem,
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
                hits[q.name or q.path.stem] = df
        rows.append(row)
    return pd.DataFrame(rows, columns=["rule", "title", "level", "status", "hits", "reason"]), hits
