"""Sigma to Athena SQL: field mapping, modifiers, conditions; every rule's SQL runs on a small lake."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from orginsight.analytics import sigma
from orginsight.lake import Lake
from orginsight.sources.layout import cloudtrail_key


@pytest.mark.parametrize(
    ("field", "sql"),
    [
        ("eventSource", "eventsource"),
        ("eventname", "eventname"),
        ("userIdentity.type", "useridentity.type"),
        (
            "userIdentity.sessionContext.sessionIssuer.userName",
            "useridentity.sessioncontext.sessionissuer.username",
        ),
        ("requestParameters.bucketName", "json_extract_scalar(requestparameters, '$.bucketName')"),
        ("responseElements.ConsoleLogin", "json_extract_scalar(responseelements, '$.ConsoleLogin')"),
        ("requestParameters.x-amz-acl", "json_extract_scalar(requestparameters, '$[\"x-amz-acl\"]')"),
        ("status", "(CASE WHEN errorcode IS NULL THEN 'success' ELSE 'failure' END)"),
    ],
)
def test_fields_map_to_cloudtrail_columns(field: str, sql: str) -> None:
    assert sigma.field_sql(field) == sql


def test_unknown_field_is_refused_with_its_name() -> None:
    with pytest.raises(sigma.UnsupportedField, match="'hostname'"):
        sigma.field_sql("hostname")


RULE = """title: Test rule
id: 0e7d2a8c-1f0b-4b7e-9a57-3d3d3f6d2a10
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
{detection}
level: high
"""


def convert(tmp_path: Path, detection: str) -> sigma.RuleQuery:
    path = tmp_path / "rule.yml"
    path.write_text(RULE.format(detection=detection))
    return sigma.convert_file(path)


@pytest.mark.parametrize(
    ("detection", "expected"),
    [
        ("    sel:\n        eventName: StopLogging\n    condition: sel", "lower(eventname) = 'stoplogging'"),
        (
            "    sel:\n        eventName:\n            - A\n            - B\n    condition: sel",
            "lower(eventname) = 'a' OR lower(eventname) = 'b'",
        ),
        (
            "    sel:\n        userAgent|contains: '50%_off'\n    condition: sel",
            "lower(useragent) LIKE '%50\\%\\_off%' ESCAPE '\\'",
        ),
        (
            "    sel:\n        eventName|startswith: Delete\n    condition: sel",
            "lower(eventname) LIKE 'delete%'",
        ),
        (
            "    sel:\n        eventName|endswith: Policy\n    condition: sel",
            "lower(eventname) LIKE '%policy'",
        ),
        (
            '    sel:\n        userAgent|re: "^o\'k.*"\n    condition: sel',
            "regexp_like(useragent, '^o''k.*')",
        ),
        (
            "    sel:\n        userAgent|contains|all:\n            - a\n            - b\n    condition: sel",
            "lower(useragent) LIKE '%a%' ESCAPE '\\' AND lower(useragent) LIKE '%b%'",
        ),
        ("    sel:\n        errorCode: null\n    condition: sel", "errorcode IS NULL"),
        (
            "    sel:\n        sourceIPAddress|cidr: 10.1.0.0/16\n    condition: sel",
            "lower(sourceipaddress) LIKE '10.1.%'",
        ),
        (
            "    sel:\n        eventName: A\n    filter:\n        readOnly: true\n    condition: sel and not filter",
            "NOT coalesce(lower(readonly) = 'true', FALSE)",
        ),
        (
            "    sel_a:\n        eventName: A\n    sel_b:\n        eventName: B\n    condition: 1 of sel_*",
            "lower(eventname) = 'a' OR lower(eventname) = 'b'",
        ),
        (
            "    sel_a:\n        eventName: A\n    sel_b:\n        eventSource: s\n    condition: all of sel_*",
            "lower(eventname) = 'a' AND lower(eventsource) = 's'",
        ),
    ],
)
def test_modifiers_and_conditions(tmp_path: Path, detection: str, expected: str) -> None:
    q = convert(tmp_path, detection)
    assert q.converted, q.error
    assert expected in q.sql
    assert "from_iso8601_timestamp(eventtime) BETWEEN :start AND :end" in q.sql


def test_unconvertible_rules_say_why(tmp_path: Path) -> None:
    q = convert(tmp_path, "    keywords:\n        - evil\n    condition: keywords")
    assert not q.converted and "keyword" in q.error
    q = convert(tmp_path, "    sel:\n        hostname: x\n    condition: sel")
    assert not q.converted and "'hostname'" in q.error
    path = tmp_path / "windows.yml"
    path.write_text(
        RULE.replace("product: aws\n    service: cloudtrail", "product: windows").format(
            detection="    sel:\n        EventID: 1\n    condition: sel"
        )
    )
    assert sigma.convert_file(path).error == "not a product: aws, service: cloudtrail rule"


def _lake_with(tmp_path: Path, records: list[dict]) -> Lake:
    key = tmp_path / cloudtrail_key("111122223333", "us-east-1", datetime(2024, 5, 1, 12), "o-abcdefghij")
    key.parent.mkdir(parents=True)
    with gzip.open(key, "wt") as fh:
        json.dump({"Records": records}, fh)
    return Lake.local(tmp_path)


def test_matching_is_case_insensitive_like_sigma(tmp_path: Path) -> None:
    """A rule says MFAUsed 'NO'; CloudTrail writes 'No'. Sigma matches strings regardless of case."""
    base = {
        "eventVersion": "1.08",
        "eventTime": "2024-05-01T12:00:00Z",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
    }
    lake = _lake_with(
        tmp_path,
        [
            {**base, "eventID": "no-mfa", "additionalEventData": {"MFAUsed": "No"}},
            {**base, "eventID": "mfa", "additionalEventData": {"MFAUsed": "Yes"}},
        ],
    )
    q = convert(
        tmp_path,
        "    sel:\n        eventName: 'ConsoleLogin'\n        additionalEventData.MFAUsed: 'NO'\n"
        "    condition: sel",
    )
    df = lake.sql(q.sql, start=datetime(2024, 5, 1), end=datetime(2024, 5, 2))
    assert list(df["eventid"]) == ["no-mfa"]
