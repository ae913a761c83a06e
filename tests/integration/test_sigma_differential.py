"""Differential test: the SQL of every Sigma rule the backend converts returns, event for event, what an
independent plain-Python evaluator of Sigma's detection logic (tests/sigma_reference.py) says over the raw
records: the real CloudTrail sets, and events made from them that lack each field the rules test.

The trimmed copies (tests/data/real: 7 rules, 268 Invictus records, OTRF, trailscraper) run in a plain
clone; every SigmaHQ rule over the full sets in ../shared/data is marked ``shared_data``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import REAL_CLOUDTRAIL, SHARED_DATA, read_records, real_data, shared_data_dir
from sigma_reference import Unsupported, fields_tested, matcher

from orginsight.analytics import sigma
from orginsight.analytics.hunts import parse_time
from orginsight.lake import Lake
from orginsight.sources.lake_import import import_files

WINDOW = {"start": parse_time("2000-01-01"), "end": parse_time("2030-01-01")}
KEPT_FIELDS = {"eventTime", "eventID", "recipientAccountId", "awsRegion"}
"""Fields a made event keeps even when a rule tests them: the lake files events by them."""
MADE_PER_RULE = 30
"""Records of each rule (its matches first, then others) copied once per tested field, without it."""


def without(record: dict, field: str) -> dict | None:
    """A copy of ``record`` lacking the (dotted) field, or None when it does not have it."""
    made = copy.deepcopy(record)
    *parents, last = field.split(".")
    node = made
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        return None
    del node[last]
    made["eventID"] = f"{record['eventID']}~no-{field}"
    return made


def rules_and_predicates(paths: list[Path]) -> list[tuple[Path, str, object]]:
    """Every rule the backend converts, with its SQL and the reference's predicate."""
    out = []
    for path in paths:
        q = sigma.convert_file(path)
        if not q.converted:
            continue
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.append((path, q.sql, matcher(rule)))
    return out


def made_events(records: list[dict], paths: list[Path]) -> list[dict]:
    """For each rule, copies of its matching records (and some others) that lack each field it tests."""
    made: dict[str, dict] = {}
    for path in paths:
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        predicate = matcher(rule)
        chosen = [r for r in records if predicate(r)][:MADE_PER_RULE]
        chosen += [r for r in records if not predicate(r)][: MADE_PER_RULE - len(chosen) + 5]
        for field in sorted(fields_tested(rule) - KEPT_FIELDS):
            for record in chosen:
                event = without(record, field)
                if event is not None:
                    made[event["eventID"]] = event
    return list(made.values())


def lake_of(records: list[dict], root: Path) -> Lake:
    (root / "in").mkdir(parents=True)
    (root / "in" / "records.json").write_text(json.dumps({"Records": records}))
    report = import_files([root / "in" / "records.json"], root / "lake")
    assert not report.failures, report.summary()
    return Lake.local(root / "lake")


def disagreements(lake: Lake, records: list[dict], rules: list[tuple[Path, str, object]]) -> dict:
    """Per rule, the events only the SQL returned and those only the reference matched."""
    out = {}
    for path, sql, predicate in rules:
        got = set(lake.sql(sql, **WINDOW)["eventid"])
        expected = {r["eventID"] for r in records if predicate(r)}
        if got != expected:
            out[path.stem] = {
                "sql only": sorted(got - expected)[:5],
                "sigma only": sorted(expected - got)[:5],
            }
    return out


def check(rule_dir: Path, record_dirs: list[Path], tmp_path: Path) -> list[tuple[Path, str, object]]:
    paths = sigma.rule_files([rule_dir])
    rules = rules_and_predicates(paths)
    # a rule's query reads a time range: a record without eventTime (the OTRF set's raw file) is in none
    real = [r for d in record_dirs for r in read_records(d) if r.get("eventTime")]
    made = made_events(real, [p for p, _, _ in rules])
    assert len(made) > 100
    assert disagreements(lake_of(real, tmp_path / "real"), real, rules) == {}
    assert disagreements(lake_of(made, tmp_path / "made"), made, rules) == {}
    return rules


def test_sql_agrees_with_sigma_on_the_trimmed_rules_and_records(tmp_path: Path) -> None:
    rules = check(
        real_data("sigma", "rules"), [real_data("cloudtrail", name) for name in REAL_CLOUDTRAIL], tmp_path
    )
    assert len(rules) == 7


@pytest.mark.shared_data
def test_sql_agrees_with_sigma_on_every_rule_and_real_record(tmp_path: Path) -> None:
    shared_data_dir("sigma", "rules")
    rules = check(
        SHARED_DATA / "sigma" / "rules",
        [shared_data_dir("cloudtrail", name) for name in REAL_CLOUDTRAIL],
        tmp_path,
    )
    assert len(rules) >= 50


def test_the_reference_refuses_what_it_does_not_implement() -> None:
    with pytest.raises(Unsupported):
        matcher({"detection": {"keywords": ["evil"], "condition": "keywords"}})({"eventName": "x"})
