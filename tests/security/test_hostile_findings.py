"""Hostile case: findings readers lose only what is bad.

Findings come from what others can shape: a GuardDuty S3 export, EventBridge event lines and ASFF
files handed over for triage, GetFindings pages of 50 (GuardDuty) or 100 (Security Hub) findings.
Each test takes real records (../shared/data/guardduty and securityhub, see that folder's README:
foxsec-pipeline MPL-2.0, cloud-custodian and automated-security-response Apache-2.0), corrupts one
of them, and checks that:

- one bad finding in a page of 50 loses only itself, reported with its id and reason, and the 49
  others are read exactly as without it;
- a record that is not a finding (no id and no type) is rejected with a reason, never an empty row;
- an out-of-range severity or a time that is not a time keeps its row, with that value left empty
  and a warning naming the finding id;
- a truncated line in a findings file is reported as ``file:line`` while the rest of that file and
  every other file load; a truncated gzip keeps every complete line it decompressed to; a gzip that
  decompresses beyond the cap is cut there.
"""

from __future__ import annotations

import copy
import gzip
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL_DATA
from data.aws import guardduty as gd_data
from data.aws import securityhub as sh_data

from orginsight.collectors import guardduty, securityhub
from orginsight.sources.findings import normalize_findings, read_findings_files
from orginsight.sources.layout import guardduty_key

ACCOUNT, REGION = "111122223333", "eu-west-1"
BAD = 17
"""Position of the corrupted finding in its page (and line in its file, from 1)."""


@pytest.fixture(scope="module")
def guardduty_page() -> list[dict]:
    """A GetFindings page of 50 real GuardDuty findings in boto3's shape, each with its own id."""
    return gd_data.boto3_findings(50, ACCOUNT, REGION)


@pytest.fixture(scope="module")
def asff_page() -> list[dict]:
    """A GetFindings page of 50 real ASFF findings with distinct ids."""
    unique = list({f["Id"]: f for f in sh_data.real_findings()}.values())
    # The trimmed set has fewer than 50 distinct findings: cycle through them, each copy with its own Id.
    return [{**unique[i % len(unique)], "Id": f"{unique[i % len(unique)]['Id']}/copy-{i}"} for i in range(50)]


@pytest.fixture(scope="module")
def raw_guardduty() -> list[dict]:
    """Real camelCase GuardDuty findings (EventBridge details and panther samples), as the export writes them."""
    return gd_data.real_raw_findings()


def rows_by_id(df: pd.DataFrame) -> dict[str, dict]:
    return {r["finding_id"]: r for r in df.to_dict("records")}


def assert_the_others_are_untouched(df: pd.DataFrame, clean: pd.DataFrame, bad_id: str | None) -> None:
    """Every finding but the bad one is there, with exactly the row it has when read without it."""
    expected = {k: v for k, v in rows_by_id(clean).items() if k != bad_id}
    got = rows_by_id(df)
    assert set(got) == set(expected) and len(df) == len(expected)
    for fid, row in expected.items():
        assert json.dumps(got[fid], default=str, sort_keys=True) == json.dumps(
            row, default=str, sort_keys=True
        )


# --- one bad finding in a page of 50 -----------------------------------------------------------------

GUARDDUTY_CORRUPTIONS = {
    "service is text": (lambda f: f.update(Service="garbage"), "cannot read it: AttributeError"),
    "resource is a list": (lambda f: f.update(Resource=["x"]), "cannot read it: AttributeError"),
    "s3 buckets not a list": (
        lambda f: f.update(Resource={"ResourceType": "S3Bucket", "S3BucketDetails": 5}),
        "cannot read it: TypeError",
    ),
}


@pytest.mark.parametrize("corruption", GUARDDUTY_CORRUPTIONS, ids=list(GUARDDUTY_CORRUPTIONS))
def test_one_bad_guardduty_finding_in_a_page_of_50_loses_only_itself(guardduty_page, corruption) -> None:
    corrupt, reason = GUARDDUTY_CORRUPTIONS[corruption]
    page = copy.deepcopy(guardduty_page)
    corrupt(page[BAD])
    clean = guardduty.transform_findings([{"Findings": guardduty_page}])
    with pytest.warns(UserWarning, match=f"finding {page[BAD]['Id']}"):
        df = guardduty.transform_findings([{"Findings": page}])
    assert len(clean) == 50 and clean.attrs["errors"] == []
    assert_the_others_are_untouched(df, clean, page[BAD]["Id"])
    [error] = df.attrs["errors"]
    assert (error["record"], error["finding"], error["finding_id"]) == (0, BAD, page[BAD]["Id"])
    assert (
        error["error"].startswith(reason)
        and error["where"] == f"guardduty get_findings record 0 finding {BAD}"
    )


@pytest.mark.parametrize(
    ("bad_item", "reason"),
    [
        ({}, "not a finding: it has neither an id nor a type"),
        (
            {"SchemaVersion": "2.0", "AccountId": ACCOUNT, "Region": REGION},
            "not a finding: it has neither an id nor a type",
        ),
        ("garbage", "not a finding: a JSON string, not an object"),
        ([1, 2], "not a finding: a JSON array, not an object"),
        (None, "not a finding: a JSON null, not an object"),
    ],
)
def test_an_item_of_a_page_that_is_not_a_finding_is_rejected_not_an_empty_row(
    guardduty_page, bad_item, reason
):
    page = copy.deepcopy(guardduty_page)
    bad_id = page[BAD]["Id"]
    page[BAD] = bad_item
    clean = guardduty.transform_findings([{"Findings": guardduty_page}])
    with pytest.warns(UserWarning, match="1 rejected"):
        df = guardduty.transform_findings([{"Findings": page}])
    assert_the_others_are_untouched(df, clean, bad_id)
    assert df["finding_id"].notna().all() and df["type"].notna().all()
    assert [(e["finding"], e["finding_id"], e["error"]) for e in df.attrs["errors"]] == [(BAD, None, reason)]


ASFF_CORRUPTIONS = {
    "resources is text": (lambda f: f.update(Resources="garbage"), "cannot read it: AttributeError"),
    "no id": (lambda f: f.pop("Id"), "not an ASFF finding: it has no Id"),
    "network is a list": (lambda f: f.update(Network=[1]), "cannot read it: AttributeError"),
}


@pytest.mark.parametrize("corruption", ASFF_CORRUPTIONS, ids=list(ASFF_CORRUPTIONS))
def test_one_bad_asff_finding_in_a_page_of_50_loses_only_itself(asff_page, corruption) -> None:
    corrupt, reason = ASFF_CORRUPTIONS[corruption]
    page = copy.deepcopy(asff_page)
    bad_id = page[BAD]["Id"]
    corrupt(page[BAD])
    clean = securityhub.transform_findings([{"Findings": asff_page}])
    with pytest.warns(UserWarning, match="1 rejected"):
        df = securityhub.transform_findings([{"Findings": page}])
    assert len(clean) == 50 and clean.attrs["errors"] == []
    assert_the_others_are_untouched(df, clean, bad_id)
    [error] = df.attrs["errors"]
    assert error["finding"] == BAD and error["error"].startswith(reason)
    assert error["finding_id"] == (None if corruption == "no id" else bad_id)


def test_a_finding_nested_beyond_the_recursion_limit_loses_only_itself(guardduty_page, tmp_path) -> None:
    page = copy.deepcopy(guardduty_page)
    deep = cursor = {}
    for _ in range(5000):  # deeper than Python's recursion limit
        cursor["Next"] = cursor = {}
    page[BAD]["Service"]["AdditionalInfo"] = deep
    with pytest.warns(UserWarning, match="1 rejected"):
        df = guardduty.transform_findings([{"Findings": page}])
    assert len(df) == 49
    [error] = df.attrs["errors"]
    assert error["finding_id"] == page[BAD]["Id"] and "RecursionError" in error["error"]

    path = tmp_path / "deep.jsonl"
    lines = [json.dumps(f) for f in guardduty_page[:3]]
    path.write_text("\n".join([lines[0], "[" * 200_000, *lines[1:]]) + "\n")
    with pytest.warns(UserWarning, match="deep.jsonl:2: not JSON"):
        assert len(read_findings_files([path])) == 3


def test_a_bad_page_loses_only_itself_and_the_next_page_is_read(guardduty_page) -> None:
    pages = [{"Findings": guardduty_page[:25]}, ["not", "a", "page"], {"Findings": guardduty_page[25:]}]
    with pytest.warns(UserWarning, match="1 rejected"):
        df = guardduty.transform_findings(pages)
    assert len(df) == 50
    assert [(e["record"], e["error"]) for e in df.attrs["errors"]] == [
        (1, "not a finding: a JSON array, not an object")
    ]


# --- out-of-range severities and times that are not times: row kept, value left empty, warned --------


@pytest.mark.parametrize(
    ("field", "value", "column", "message"),
    [
        ("Severity", 11, "severity", "severity 11 is outside 0-10"),
        ("Severity", -1.5, "severity", "severity -1.5 is outside 0-10"),
        ("Severity", "high", "severity", "severity 'high' is not a finite number"),
        ("Severity", float("nan"), "severity", "is not a finite number"),
        ("CreatedAt", "yesterday", None, None),  # EventFirstSeen wins: no warning, nothing lost
        ("Service.EventFirstSeen", "yesterday", "first_seen", "first seen 'yesterday' is not a time"),
        (
            "Service.EventLastSeen",
            "2024-13-45T00:00:00Z",
            "last_seen",
            "last seen '2024-13-45T00:00:00Z' is not",
        ),
        ("Service.EventLastSeen", "now", "last_seen", "last seen 'now' is not a time"),
        ("Service.EventFirstSeen", "0001-01-01T00:00:00Z", "first_seen", "is not a time"),
        ("Service.Count", -3, "count", "count -3 is not a whole number"),
    ],
)
def test_guardduty_values_out_of_range_are_left_empty_with_a_warning(
    guardduty_page, field, value, column, message
):
    page = copy.deepcopy(guardduty_page)
    target = page[BAD]
    *parents, key = field.split(".")
    for parent in parents:
        target = target[parent]
    target[key] = value
    bad_id = page[BAD]["Id"]
    clean = guardduty.transform_findings([{"Findings": guardduty_page}])
    if message is None:
        df = guardduty.transform_findings([{"Findings": page}])
        assert df.attrs["warnings"] == [] and len(df) == 50
        return
    with pytest.warns(UserWarning, match=f"finding {bad_id}: "):
        df = guardduty.transform_findings([{"Findings": page}])
    assert len(df) == 50 and df.attrs["errors"] == []
    row = rows_by_id(df)[bad_id]
    assert pd.isna(row[column]) and not pd.isna(rows_by_id(clean)[bad_id][column])
    if column == "severity":
        assert pd.isna(row["severity_normalized"]) and pd.isna(row["severity_label"])
    [warning] = df.attrs["warnings"]
    assert warning["finding_id"] == bad_id and message in warning["warning"]
    assert_the_others_are_untouched(df.drop(index=df.index[df["finding_id"] == bad_id]), clean, bad_id)


@pytest.mark.parametrize(
    ("severity", "label", "normalized", "message"),
    [
        ({"Normalized": 150}, None, None, "Severity.Normalized 150 is outside 0-100"),
        ({"Normalized": -1, "Label": "HIGH"}, "High", 70.0, "Severity.Normalized -1 is outside 0-100"),
        ({"Label": "URGENT"}, None, None, "Severity.Label 'URGENT' is not one of"),
        ({"Label": "URGENT", "Normalized": 45}, "Medium", 45.0, "Severity.Label 'URGENT'"),
        (
            {"Label": "LOW", "Normalized": "NaN"},
            "Low",
            1.0,
            "Severity.Normalized 'NaN' is not a finite number",
        ),
        ("HIGH", None, None, "Severity 'HIGH' is not an object"),
    ],
)
def test_asff_severity_out_of_range_is_left_empty_with_a_warning(
    asff_page, severity, label, normalized, message
):
    page = copy.deepcopy(asff_page)
    page[BAD]["Severity"] = severity
    bad_id = page[BAD]["Id"]
    with pytest.warns(UserWarning, match="value\\(s\\) left empty"):
        df = securityhub.transform_findings([{"Findings": page}])
    assert len(df) == 50 and df.attrs["errors"] == []
    row = rows_by_id(df)[bad_id]
    assert row["severity_label"] == label or (label is None and pd.isna(row["severity_label"]))
    assert (pd.isna(row["severity_normalized"]) and normalized is None) or row[
        "severity_normalized"
    ] == normalized
    [warning] = df.attrs["warnings"]
    assert warning["finding_id"] == bad_id and warning["warning"].startswith(message)


def test_asff_times_that_are_not_times_are_left_empty_with_a_warning(asff_page) -> None:
    page = copy.deepcopy(asff_page)
    bad = page[BAD]
    bad.pop("FirstObservedAt", None)
    bad.update(CreatedAt="today", LastObservedAt="2020-02-30T00:00:00Z")
    with pytest.warns(UserWarning, match=f"finding {bad['Id']}"):
        df = securityhub.transform_findings([{"Findings": page}])
    row = rows_by_id(df)[bad["Id"]]
    assert pd.isna(row["first_seen"]) and pd.isna(row["last_seen"]) and len(df) == 50
    assert sorted(w["warning"].split(" '")[0] for w in df.attrs["warnings"]) == ["first seen", "last seen"]
    assert df["last_seen"].notna().sum() == 49


# --- files: a truncated line is file:line, the rest of the file and every other file load ------------


def export_lake(root: Path, findings_by_name: dict[str, list[bytes]]) -> dict[str, Path]:
    """GuardDuty export objects (gzip JSON lines) in the export's key layout, one per name."""
    when = datetime(2019, 6, 9, tzinfo=UTC)
    paths = {}
    for name, lines in findings_by_name.items():
        path = root / guardduty_key(ACCOUNT, REGION, when, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
        paths[name] = path
    return paths


def test_a_truncated_line_in_the_guardduty_export_loses_only_that_line(tmp_path, raw_guardduty) -> None:
    split = len(raw_guardduty) - 4  # a damaged file of most findings, another file of the rest
    assert split > BAD
    lines = [json.dumps(f).encode() for f in raw_guardduty[:split]]
    lines[BAD - 1] = lines[BAD - 1][: len(lines[BAD - 1]) // 2]  # an upload cut inside line 17
    other = [json.dumps(f).encode() for f in raw_guardduty[split:]]
    paths = export_lake(tmp_path, {"damaged": lines, "other": other})
    with pytest.warns(UserWarning, match=f"damaged.jsonl.gz:{BAD}: not JSON"):
        df = guardduty.read_guardduty_export(tmp_path, latest_only=False)
    assert len(df) == split - 1 + len(other)
    [error] = df.attrs["errors"]
    assert error["where"] == f"{paths['damaged']}:{BAD}" and error["record"] == BAD
    assert error["error"].startswith("not JSON")
    kept_lines = [json.loads(line) for i, line in enumerate(lines, 1) if i != BAD] + raw_guardduty[split:]
    assert sorted(df["raw"]) == sorted(json.dumps(f, sort_keys=True) for f in kept_lines)


def test_a_truncated_gzip_keeps_every_complete_line_it_decompressed_to(tmp_path, raw_guardduty) -> None:
    lines = [json.dumps(f).encode() for f in raw_guardduty[:50]]
    paths = export_lake(tmp_path, {"cut": lines, "whole": lines[:5]})
    data = paths["cut"].read_bytes()
    paths["cut"].write_bytes(data[: len(data) // 2])  # the upload stopped half way
    decompressed = zlib.decompressobj(wbits=31).decompress(data[: len(data) // 2])
    complete = decompressed.count(b"\n")
    assert 0 < complete < 50  # the test means something: some lines survive, some do not

    with pytest.warns(UserWarning, match="cut off: truncated gzip stream"):
        df = guardduty.read_guardduty_export(tmp_path, latest_only=False)
    assert len(df) == complete + 5
    [error] = df.attrs["errors"]
    assert error["where"] == f"{paths['cut']}:{complete + 1}"
    assert error["error"].startswith("cut off: truncated gzip stream: it ends after")


def test_eventbridge_lines_with_a_truncated_line_and_other_files(tmp_path, raw_guardduty) -> None:
    source = REAL_DATA / "guardduty" / "foxsec-eventbridge" / "guardduty-sample-findings-default.txt"
    events = [line for line in source.read_bytes().splitlines() if line.strip()]
    damaged = tmp_path / "events.jsonl"
    damaged.write_bytes(b"\n".join([*events[:3], events[3][:100], *events[4:]]) + b"\n")
    gz = tmp_path / "events.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\n".join(events[:6])))
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"Findings": [gd_data.to_boto3_finding(f) for f in raw_guardduty[:4]]}))
    missing = tmp_path / "missing.json"

    with pytest.warns(UserWarning, match="2 rejected"):
        df = read_findings_files([damaged, gz, page, missing])
    assert len(df) == (len(events) - 1) + 6 + 4
    assert [(e["where"], e["error"].split(":")[0]) for e in df.attrs["errors"]] == [
        (f"{damaged}:4", "not JSON (a truncated or damaged line?)"),
        (str(missing), "unreadable"),
    ]


def test_records_that_are_not_findings_in_a_file_are_rejected_with_a_reason(tmp_path, raw_guardduty) -> None:
    cloudtrail_event = {
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventID": "e1", "eventName": "x"},
    }
    junk = [{}, {"foo": 1}, cloudtrail_event, 5, "text", [1, 2]]
    lines = [json.dumps(f) for f in raw_guardduty[:3]] + [json.dumps(j) for j in junk]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=f"{len(junk)} rejected"):
        df = read_findings_files([path])
    assert len(df) == 3 and df["finding_id"].notna().all()
    assert [(e["record"], e["error"]) for e in df.attrs["errors"]] == [
        (4, "not a finding: it has neither an id nor a type"),
        (5, "not a finding: it has neither an id nor a type"),
        (6, "not a finding: it has neither an id nor a type"),
        (7, "not a finding: a JSON number, not an object"),
        (8, "not a finding: a JSON string, not an object"),
        (9, "not a finding: a JSON array, not an object"),
    ]


def test_a_gzip_that_decompresses_beyond_the_cap_is_cut_there(tmp_path, raw_guardduty) -> None:
    good = b"\n".join(json.dumps(f).encode() for f in raw_guardduty[:3]) + b"\n"
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(good + b" " * (64 * 2**20)))  # 64 MiB of blanks, about 64 KiB on disk
    assert bomb.stat().st_size < 2**20
    with pytest.warns(UserWarning, match="decompresses to more than"):
        df = read_findings_files([bomb], max_bytes=len(good) + 1000)
    assert len(df) == 3
    [error] = df.attrs["errors"]
    assert "decompresses to more than" in error["error"] and error["origin"] == str(bomb)


def test_a_clean_real_page_raises_no_warning(guardduty_page, asff_page, recwarn) -> None:
    assert len(normalize_findings([{"Findings": guardduty_page}, {"Findings": asff_page}])) == 100
    assert not [w for w in recwarn if "findings:" in str(w.message)]
