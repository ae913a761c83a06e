"""Hostile Sigma rules: quotes or SQL in a field name or a value cannot change the query a rule becomes.

A JSON key with SQL in it (``requestParameters.a') OR 1=1 --``) stays a key inside the JSON path
literal and matches only records holding that key; a name that cannot be a column path
(``userIdentity.arn;DROP``, ``eventName'``) is refused with the reason; values stay literals. Every
converted rule's SQL parses back as exactly one SELECT whose condition holds no other statement.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_trail_file
from sqlglot import exp

from orginsight.analytics import sigma
from orginsight.engines import translate
from orginsight.lake import Lake

RULE = """title: Shared rule
id: 5b1f2a8c-1f0b-4b7e-9a57-3d3d3f6d2a11
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    sel:
{selection}
    condition: sel
level: high
"""

KEY = "a') OR 1=1 --"
"""A JSON key that, pasted into the query's text, would close the path literal and match every record."""


def convert(tmp_path: Path, selection: str) -> sigma.RuleQuery:
    path = tmp_path / "shared_rule.yml"
    path.write_text(RULE.format(selection=selection))
    return sigma.convert_file(path)


def one_select(sql: str) -> exp.Select:
    tree = translate.parse(sql)  # one read-only statement, or QueryError
    assert isinstance(tree, exp.Select)
    return tree


@pytest.fixture()
def lake(tmp_path: Path) -> Lake:
    root = tmp_path / "lake"
    base = {
        "eventVersion": "1.08",
        "eventTime": "2024-05-01T12:00:00Z",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
    }
    records = [
        {**base, "eventID": "has-key", "requestParameters": {KEY: "x"}},
        {**base, "eventID": "other", "requestParameters": {"a": "x"}},
    ]
    write_trail_file(root, records)
    return Lake.local(root)


WINDOW = {"start": datetime(2024, 5, 1), "end": datetime(2024, 5, 2)}


def test_sql_in_a_json_key_stays_inside_the_path_literal(tmp_path: Path, lake: Lake) -> None:
    q = convert(tmp_path, f"        {json.dumps('requestParameters.' + KEY)}: x")
    assert q.converted, q.error
    assert f"""'$["{KEY.replace("'", "''")}"]'""" in q.sql  # the key, quotes doubled, inside the path literal
    tree = one_select(q.sql)
    assert [k.this for k in tree.find_all(exp.JSONPathKey)] == [KEY]  # read back as one key of the JSON path
    assert tree.find(exp.Or) is None  # no OR 1=1 came out of the key
    assert set(lake.sql(q.sql, **WINDOW)["eventid"]) == {"has-key"}


def test_sql_in_a_value_stays_a_literal(tmp_path: Path, lake: Lake) -> None:
    value = "x' OR '1'='1"
    q = convert(tmp_path, f"        eventName: {json.dumps(value)}")
    assert q.converted, q.error
    tree = one_select(q.sql)
    assert value.lower() in [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
    assert lake.sql(q.sql, **WINDOW).empty


def test_sql_in_a_regular_expression_stays_a_literal(tmp_path: Path, lake: Lake) -> None:
    regex = r"^x'\); COPY \(SELECT 1\) TO '/tmp/x'; --$"
    q = convert(tmp_path, f"        eventName|re: {json.dumps(regex)}")
    assert q.converted, q.error
    tree = one_select(q.sql)
    assert regex in [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
    assert lake.sql(q.sql, **WINDOW).empty


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("userIdentity.arn;DROP", "userIdentity sub-field"),
        ("userIdentity.arn) OR (1=1", "userIdentity sub-field"),
        ("userIdentity.sessionContext..arn", "userIdentity sub-field"),
        ("eventName'", "not a CloudTrail field"),
        ("eventName = eventName OR 1", "not a CloudTrail field"),
        ('requestParameters.a"b', "cannot be written as a JSON path step"),
        ("requestParameters.a\\b", "cannot be written as a JSON path step"),
        ("requestParameters..a", "cannot be written as a JSON path step"),
    ],
)
def test_a_field_that_cannot_be_a_path_is_refused_with_the_reason(
    tmp_path: Path, field: str, reason: str
) -> None:
    q = convert(tmp_path, f"        {json.dumps(field)}: x")
    assert not q.converted
    assert reason in q.error and field.split(".")[0] in q.error


def test_a_field_reference_to_a_hostile_name_is_refused(tmp_path: Path) -> None:
    q = convert(tmp_path, "        eventName|fieldref: 'userIdentity.arn;DROP'")
    assert not q.converted and "userIdentity sub-field" in q.error


@pytest.mark.parametrize(
    "field",
    ["requestParameters.x-amz-acl", "requestParameters.a b", "requestParameters.a]b", "requestParameters.ä"],
)
def test_unusual_json_keys_convert_to_one_select(tmp_path: Path, lake: Lake, field: str) -> None:
    q = convert(tmp_path, f"        {json.dumps(field)}: x")
    assert q.converted, q.error
    one_select(q.sql)
    assert lake.sql(q.sql, **WINDOW).empty  # runs on DuckDB, and no record has those keys
