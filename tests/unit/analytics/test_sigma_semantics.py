"""Sigma as Sigma means it: ``not`` keeps events that lack the field, counting rules (the older
``| count() by f > N`` with ``timeframe``, and correlation rules) run as GROUP BY over time windows, and what
cannot be honoured, or names a field the table does not have, is refused at conversion with the reason."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from orginsight.analytics import sigma
from orginsight.lake import Lake
from orginsight.sources.layout import cloudtrail_key

WINDOW = {"start": datetime(2024, 5, 1), "end": datetime(2024, 5, 2)}
HEAD = "title: {title}\nlogsource:\n    product: aws\n    service: cloudtrail\n"


def lake_with(tmp_path: Path, records: list[dict]) -> Lake:
    key = tmp_path / cloudtrail_key("111122223333", "us-east-1", datetime(2024, 5, 1, 12), "o-abcdefghij")
    key.parent.mkdir(parents=True)
    with gzip.open(key, "wt") as fh:
        json.dump({"Records": records}, fh)
    return Lake.local(tmp_path)


def event(eid: str, when: str, name: str = "ConsoleLogin", ip: str = "198.51.100.1", user: str = "a") -> dict:
    return {
        "eventVersion": "1.08",
        "eventTime": f"2024-05-01T{when}Z",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventSource": "signin.amazonaws.com",
        "eventName": name,
        "eventID": eid,
        "sourceIPAddress": ip,
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::111122223333:user/{user}"},
    }


def rule_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rule.yml"
    path.write_text(text)
    return path


def ids(lake: Lake, q: sigma.RuleQuery) -> set[str]:
    assert q.converted, q.error
    return set(lake.sql(q.sql, **WINDOW)["eventid"])


# --- not, on a field the event lacks ------------------------------------------------------------------

ENUM_BUCKETS = HEAD.format(title="enum buckets") + (
    "detection:\n    selection:\n        eventSource: s3.amazonaws.com\n        eventName: ListBuckets\n"
    "    filter:\n        userIdentity.type: AssumedRole\n    condition: selection and not filter\n"
)


def test_not_keeps_events_that_lack_the_field(tmp_path: Path) -> None:
    """The issue's case: AWS services' events have no userIdentity.type; Sigma's ``not filter`` keeps them."""
    base = {**event("x", "12:00:00", name="ListBuckets"), "eventSource": "s3.amazonaws.com"}
    service = {**base, "eventID": "service", "userIdentity": {"invokedBy": "s3.amazonaws.com"}}
    role = {**base, "eventID": "role", "userIdentity": {"type": "AssumedRole"}}
    user = {**base, "eventID": "user"}
    lake = lake_with(tmp_path, [service, role, user])
    assert ids(lake, sigma.convert_file(rule_file(tmp_path, ENUM_BUCKETS))) == {"service", "user"}


@pytest.mark.parametrize(
    "value",
    [
        "userAgent|contains: boto",
        "userAgent|startswith: boto",
        "userAgent|endswith: boto",
        "userAgent|re: '^boto'",
        "userAgent|cidr: 10.0.0.0/8",
        "userAgent: boto",
        "userAgent|cased: boto",
        "userAgent|contains|all: [bo, to]",
        "requestParameters.bucketName: b",
        "userIdentity.sessionContext.sessionIssuer.type: Role",
        "userAgent|fieldref: sourceIPAddress",
        "requestParameters.size|gt: 5",
    ],
)
def test_not_of_every_modifier_keeps_an_event_without_the_field(tmp_path: Path, value: str) -> None:
    detection = f"detection:\n    sel:\n        eventName: ConsoleLogin\n    filter:\n        {value}\n"
    text = HEAD.format(title="t") + detection + "    condition: sel and not filter\n"
    lake = lake_with(tmp_path, [event("bare", "12:00:00")])
    assert ids(lake, sigma.convert_file(rule_file(tmp_path, text))) == {"bare"}


# --- counting rules -----------------------------------------------------------------------------------

LOGINS = [
    event("a1", "12:00:01", user="a"),
    event("a2", "12:00:02", user="b"),
    event("a3", "12:00:03", user="c"),
    event("late", "12:20:00", user="a"),  # same address, another 5-minute window
    event("other", "12:00:05", ip="203.0.113.9"),
    event("whoami", "12:00:06", name="GetCallerIdentity", ip="203.0.113.9"),
]


def test_older_count_by_with_timeframe_groups_by_field_and_window(tmp_path: Path) -> None:
    text = HEAD.format(title="many logins") + (
        "detection:\n    sel:\n        eventName: ConsoleLogin\n    timeframe: 5m\n"
        "    condition: sel | count() by sourceIPAddress > 2\n"
    )
    q = sigma.convert_file(rule_file(tmp_path, text))
    assert "GROUP BY" in q.sql and "to_unixtime" in q.sql
    lake = lake_with(tmp_path, LOGINS)
    df = lake.sql(q.sql, **WINDOW)
    assert set(df["eventid"]) == {"a1", "a2", "a3"}
    assert set(df["sigma_count"]) == {3} and set(df["group_0"]) == {"198.51.100.1"}


def test_older_count_of_distinct_values(tmp_path: Path) -> None:
    text = HEAD.format(title="many users") + (
        "detection:\n    sel:\n        eventName: ConsoleLogin\n    timeframe: 1h\n"
        "    condition: sel | count(userIdentity.arn) by sourceIPAddress >= 3\n"
    )
    lake = lake_with(tmp_path, LOGINS)
    assert ids(lake, sigma.convert_file(rule_file(tmp_path, text))) == {"a1", "a2", "a3", "late"}


CORRELATIONS = (
    HEAD.format(title="login")
    + "name: login\ndetection:\n    sel:\n        eventName: ConsoleLogin\n    condition: sel\n---\n"
    + HEAD.format(title="whoami")
    + "name: whoami\ndetection:\n    sel:\n        eventName: GetCallerIdentity\n    condition: sel\n---\n"
    + "title: logins\nname: logins\ncorrelation:\n    type: event_count\n    rules: [login]\n"
    "    group-by: [sourceIPAddress]\n    timespan: 5m\n    condition: {gte: 3}\n---\n"
    + "title: users\nname: users\ncorrelation:\n    type: value_count\n    rules: [login]\n"
    "    group-by: [sourceIPAddress]\n    timespan: 1h\n    condition: {gte: 4, field: userIdentity.arn}\n---\n"
    + "title: then\nname: then\ncorrelation:\n    type: temporal\n    rules: [login, whoami]\n"
    "    group-by: [sourceIPAddress]\n    timespan: 1h\n"
)


def test_a_file_of_rules_and_correlations_converts_them_all(tmp_path: Path) -> None:
    queries = {q.name: q for q in sigma.convert_rules(rule_file(tmp_path, CORRELATIONS))}
    assert set(queries) == {"rule:login", "rule:whoami", "rule:logins", "rule:users", "rule:then"}
    lake = lake_with(tmp_path, LOGINS)
    assert ids(lake, queries["rule:login"]) == {"a1", "a2", "a3", "late", "other"}
    assert ids(lake, queries["rule:whoami"]) == {"whoami"}
    assert ids(lake, queries["rule:logins"]) == {"a1", "a2", "a3"}
    assert ids(lake, queries["rule:users"]) == set()  # three distinct users, not four
    assert ids(lake, queries["rule:then"]) == {"other", "whoami"}


def test_run_lists_every_rule_of_a_file(tmp_path: Path) -> None:
    lake = lake_with(tmp_path / "lake", LOGINS)
    summary, hits = sigma.run(lake, [rule_file(tmp_path, CORRELATIONS)], "2024-05-01", "2024-05-02")
    assert list(summary["status"]) == ["ran"] * 5
    assert len(hits["rule:logins"]) == 3


# --- refused, with the reason -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detection", "reason"),
    [
        ("    timeframe: 1M\n    condition: sel | count() > 2\n", "timeframe '1M' cannot be honoured"),
        ("    timeframe: 5x\n    condition: sel | count() > 2\n", "timeframe '5x' cannot be honoured"),
        ("    timeframe: 0m\n    condition: sel | count() > 2\n", "timeframe '0m' cannot be honoured"),
        ("    timeframe: 5m\n    condition: sel\n", "timeframe '5m' cannot be honoured"),
        ("    timeframe: 5m\n    condition: sel | avg(x) > 2\n", "aggregation 'avg()' cannot be honoured"),
        ("    condition: sel | near other\n", "cannot be honoured"),
        ("    condition: sel | count() by hostname > 2\n", "'hostname'"),
    ],
)
def test_counting_that_cannot_be_honoured_is_refused(tmp_path: Path, detection: str, reason: str) -> None:
    text = HEAD.format(title="t") + "detection:\n    sel:\n        eventName: ConsoleLogin\n" + detection
    q = sigma.convert_file(rule_file(tmp_path, text))
    assert not q.converted and reason in q.error


@pytest.mark.parametrize(
    ("correlation", "reason"),
    [
        (
            "type: temporal_ordered\n    rules: [login]\n    timespan: 5m",
            "'temporal_ordered' cannot be honoured",
        ),
        (
            "type: value_sum\n    rules: [login]\n    timespan: 5m\n    condition: {gte: 1, field: x}",
            "value_sum",
        ),
        (
            "type: event_count\n    rules: [login]\n    timespan: 1y\n    condition: {gte: 2}",
            "'1y' cannot be",
        ),
        (
            "type: event_count\n    rules: [login]\n    timespan: 5m\n    group-by: [hostname]\n    condition: {gte: 2}",
            "'hostname'",
        ),
        (
            "type: event_count\n    rules: [login]\n    timespan: 5m\n    group-by: [ip]\n"
            "    aliases:\n        ip:\n            login: sourceIPAddress\n    condition: {gte: 2}",
            "aliases cannot be honoured",
        ),
    ],
)
def test_correlations_that_cannot_be_honoured_are_refused(
    tmp_path: Path, correlation: str, reason: str
) -> None:
    text = (
        HEAD.format(title="login")
        + "name: login\ndetection:\n    sel:\n        eventName: ConsoleLogin\n    condition: sel\n---\n"
        + f"title: c\ncorrelation:\n    {correlation}\n"
    )
    queries = sigma.convert_rules(rule_file(tmp_path, text))
    assert queries[0].converted
    assert not queries[-1].converted and reason in queries[-1].error, queries[-1].error


def test_unknown_sub_fields_are_caught_at_conversion_with_the_field_named(tmp_path: Path) -> None:
    text = HEAD.format(title="t") + (
        "detection:\n    sel:\n        userIdentity.sessionContext.sessionIssuer.colour: red\n    condition: sel\n"
    )
    q = sigma.convert_file(rule_file(tmp_path, text))
    assert not q.converted and "userIdentity.sessionContext.sessionIssuer.colour" in q.error
    assert "'colour'" in q.error
