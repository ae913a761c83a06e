"""The local engine on small lakes written by the test: pruning, binding, bad input."""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime, timedelta

import pytest

from orginsight import Lake
from orginsight.sources.layout import cloudtrail_key

ORG = "o-a1b2c3d4e5"
ACCOUNTS = ["111122223333", "444455556666"]


def record(account: str, when: datetime, name: str = "ListBuckets", **extra) -> dict:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{account}:user/alice",
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLE000000001",
            "userName": "alice",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "b1"},
        "responseElements": None,
        "requestID": "R1",
        "eventID": f"{account}-{when.isoformat()}-{name}",
        "readOnly": True,
        "resources": [{"ARN": "arn:aws:s3:::b1", "accountId": account, "type": "AWS::S3::Bucket"}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        **extra,
    }


def write(root, account, when, records, raw: bytes | None = None, suffix=None):
    path = root / cloudtrail_key(account, "eu-west-1", when, org_id=ORG, suffix=suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw if raw is not None else gzip.compress(json.dumps({"Records": records}).encode()))
    return path


@pytest.fixture(scope="module")
def month_lake(tmp_path_factory):
    """30 days x 2 accounts x 2 files a day x 3 records."""
    root = tmp_path_factory.mktemp("month")
    start = datetime(2024, 6, 1)
    for d in range(30):
        for account in ACCOUNTS:
            for h in (3, 15):
                when = start + timedelta(days=d, hours=h)
                write(root, account, when, [record(account, when + timedelta(minutes=i)) for i in range(3)])
    return root


def test_counts_and_partition_columns(month_lake):
    df = Lake.local(month_lake).sql(
        "SELECT account, region, count(*) n, min(timestamp) first FROM cloudtrail GROUP BY 1, 2 ORDER BY 1"
    )
    assert df["n"].tolist() == [180, 180]
    assert df["region"].tolist() == ["eu-west-1"] * 2 and df["first"].tolist() == ["2024/06/01"] * 2
    assert df.attrs["stats"]["files_read"] == 120


def test_a_one_day_query_reads_a_thirtieth_of_the_files(month_lake):
    lake = Lake.local(month_lake)
    df = lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2024/06/10'")
    assert df["n"][0] == 12 and df.attrs["stats"]["files_read"] == 4
    df = lake.sql(
        "SELECT count(*) n FROM cloudtrail WHERE account = :a AND eventtime BETWEEN :s AND :e",
        a=ACCOUNTS[0],
        s="2024-06-10T00:00:00Z",
        e="2024-06-10T23:59:59Z",
    )
    assert df["n"][0] == 6
    # The day's folder and a day of slack each side, one account: six files listed; the slack
    # days' four hold only their own days' records (known from the check), so two are read.
    assert df.attrs["stats"]["files_read"] == 2 and df.attrs["stats"]["files_skipped"] == 4


def test_partition_only_conditions_are_decided_once_per_partition_and_leave_the_query(month_lake):
    # Neither day range nor account list: conditions the planner cannot read, decided on the
    # partitions instead of on every file, with DuckDB's semantics, then taken out of the SQL run.
    lake = Lake.local(month_lake)
    sql = (
        'SELECT account, count(*) AS n, min("timestamp") AS first, max("timestamp") AS last FROM cloudtrail '
        "WHERE substr(\"timestamp\", 9, 2) IN ('05', '17') AND (account LIKE '1%' OR region = 'nowhere') "
        "AND eventname = 'ListBuckets' GROUP BY 1"
    )
    df = lake.sql(sql)
    assert df.to_dict("records") == [
        {"account": ACCOUNTS[0], "n": 12, "first": "2024/06/05", "last": "2024/06/17"}
    ]
    stats = df.attrs["stats"]
    assert stats["files_read"] == 4
    assert "substr" not in stats["sql"].lower() and "like" not in stats["sql"].lower()
    assert "eventname = 'ListBuckets'" in stats["sql"]
    # A join keeps its conditions as written: dropping one could change an outer join.
    joined = lake.sql(
        "SELECT count(*) AS n FROM cloudtrail AS a LEFT JOIN cloudtrail AS b ON a.eventid = b.eventid "
        "AND b.account = a.account WHERE a.\"timestamp\" = '2024/06/05' AND b.\"timestamp\" = '2024/06/05'"
    )
    assert joined["n"][0] == 12 and joined.attrs["stats"]["sql"].count("2024/06/05") == 2


def test_files_are_skipped_by_event_time_only_when_none_of_their_records_can_match(tmp_path):
    day = datetime(2024, 6, 10)
    account = ACCOUNTS[0]
    write(tmp_path, account, day + timedelta(hours=12), [record(account, day + timedelta(hours=12))])
    # Delivered the next day: one file holds a late record of the day, one only the next day's,
    # one a record without eventTime (some public datasets strip it), which is never skipped.
    late = record(account, day + timedelta(hours=23, minutes=59), name="GetObject")
    write(
        tmp_path,
        account,
        day + timedelta(days=1, minutes=5),
        [late, record(account, day + timedelta(days=1))],
    )
    write(
        tmp_path,
        account,
        day + timedelta(days=1, hours=6),
        [record(account, day + timedelta(days=1, hours=6))],
    )
    timeless = record(account, day + timedelta(days=1, hours=7), name="PutObject")
    del timeless["eventTime"]
    write(tmp_path, account, day + timedelta(days=1, hours=7), [timeless])
    sql = (
        "SELECT eventname, count(*) AS n FROM cloudtrail WHERE \"timestamp\" BETWEEN '2024/06/10' AND '2024/06/11' "
        "AND (eventtime IS NULL OR from_iso8601_timestamp(eventtime) >= :since) "
        "AND (eventtime IS NULL OR from_iso8601_timestamp(eventtime) < :until) GROUP BY 1 ORDER BY 1"
    )
    df = Lake.local(tmp_path).sql(sql, since=day, until=day + timedelta(days=1))
    assert dict(zip(df["eventname"], df["n"], strict=True)) == {
        "GetObject": 1,
        "ListBuckets": 1,
        "PutObject": 1,
    }
    assert df.attrs["stats"]["files_read"] == 3 and df.attrs["stats"]["files_skipped"] == 1


def test_an_injection_string_stays_a_string(month_lake):
    df = Lake.local(month_lake).sql(
        "SELECT count(*) n FROM cloudtrail WHERE eventname = :n", n="x' OR '1'='1"
    )
    assert df["n"][0] == 0


def test_struct_array_and_json_columns_have_athenas_shape(month_lake):
    df = Lake.local(month_lake).sql(
        "SELECT useridentity.accesskeyid AS k, resources[1].arn AS arn, "
        "json_extract_scalar(requestparameters, '$.bucketName') AS b, readonly, typeof(eventtime) AS t "
        "FROM cloudtrail WHERE timestamp = '2024/06/01' LIMIT 1"
    )
    row = df.iloc[0].to_dict()
    assert row == {
        "k": "AKIAEXAMPLE000000001",
        "arn": "arn:aws:s3:::b1",
        "b": "b1",
        "readonly": "true",
        "t": "VARCHAR",
    }


BAD_INPUTS = {
    "truncated gzip": lambda good: good[: len(good) // 2],
    "not JSON": lambda good: gzip.compress(b"this is not json"),
    "no Records": lambda good: gzip.compress(b'{"foo": [1, 2]}'),
    "empty file": lambda good: b"",
    "empty gzip": lambda good: gzip.compress(b""),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_files_are_named_and_every_good_record_still_counts(tmp_path, case):
    when = datetime(2024, 6, 1, 12)
    good = gzip.compress(json.dumps({"Records": [record(ACCOUNTS[0], when)] * 4}).encode())
    write(tmp_path, ACCOUNTS[0], when, None, raw=good, suffix="A" * 16)
    write(
        tmp_path,
        ACCOUNTS[1],
        when,
        [record(ACCOUNTS[1], when), {"eventTime": "2024-06-01T12:00:00Z"}],
        suffix="B" * 16,
    )  # a record missing most fields still counts
    bad = write(tmp_path, ACCOUNTS[0], when, None, raw=BAD_INPUTS[case](good), suffix="C" * 16)
    with pytest.warns(UserWarning, match="unreadable"):
        df = Lake.local(tmp_path).sql("SELECT count(*) n FROM cloudtrail")
    assert df["n"][0] == 6
    (entry,) = df.attrs["stats"]["bad_files"]
    assert entry["file"] == str(bad) and entry["error"]


def test_lake_info_lists_bad_files(tmp_path):
    from orginsight.engines.inventory import lake_info

    when = datetime(2024, 6, 1, 12)
    write(tmp_path, ACCOUNTS[0], when, [record(ACCOUNTS[0], when)] * 2, suffix="A" * 16)
    bad = write(tmp_path, ACCOUNTS[0], when, None, raw=b"\x1f\x8b\x08garbage", suffix="B" * 16)
    info = lake_info(tmp_path)
    assert info.records == 2 and info.files == 1
    assert [b["file"] for b in info.bad_files] == [str(bad)]
    assert "gzip" in info.bad_files[0]["error"] and str(bad) in info.render()


def test_a_query_with_no_matching_file_returns_no_rows(month_lake):
    df = Lake.local(month_lake).sql("SELECT eventname FROM cloudtrail WHERE timestamp = '2030/01/01'")
    assert len(df) == 0 and list(df.columns) == ["eventname"]


def test_a_file_past_duckdbs_default_object_size_is_read_whole(tmp_path):
    """CloudTrail files can hold tens of MB of JSON in one object; highly repetitive ones compress > 40x."""
    when = datetime(2024, 6, 1, 12)
    big = [record(ACCOUNTS[0], when, requestParameters={"policy": "x" * 4000})] * 6000  # about 26 MB of JSON
    write(tmp_path, ACCOUNTS[0], when, big)
    df = Lake.local(tmp_path).sql("SELECT count(*) n, max(length(requestparameters)) m FROM cloudtrail")
    assert df["n"][0] == 6000 and df["m"][0] > 4000
    assert df.attrs["stats"]["bad_files"] == []


def test_queries_inside_the_loaded_window_read_memory_with_the_same_results(month_lake):
    query = (
        "SELECT account, count(*) n FROM cloudtrail WHERE eventtime BETWEEN :s AND :e AND timestamp >= '2024/06/09' "
        "GROUP BY 1 ORDER BY 1"
    )
    window = {"s": "2024-06-10T00:00:00Z", "e": "2024-06-12T00:00:00Z"}
    lake = Lake.local(month_lake)
    from_files = lake.sql(query, **window)
    loaded = lake.load_into_memory(since="2024-06-08", until="2024-06-14")
    assert loaded["records"] == 2 * 9 * 6 and not loaded["bad_files"]
    from_memory = lake.sql(query, **window)
    assert from_memory.attrs["stats"]["from_memory"] and not from_files.attrs["stats"]["from_memory"]
    assert from_memory.to_dict("records") == from_files.to_dict("records")
    outside = lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2024/06/01'")
    assert outside["n"][0] == 12 and not outside.attrs["stats"]["from_memory"]


def test_each_file_is_statted_once_per_query(month_lake, monkeypatch):
    """The walk takes size and mtime from one stat; the file check reuses it."""
    import os

    lake = Lake.local(month_lake)
    lake.sql("SELECT count(*) n FROM cloudtrail")  # every file checked once (cached)
    calls = []
    real = os.stat

    def counting(path, *args, **kwargs):
        if str(path).endswith(".json.gz"):
            calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    df = lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp BETWEEN '2024/06/10' AND '2024/06/12'")
    assert df["n"][0] == 36 and df.attrs["stats"]["files_statted"] == len(calls) == 12
    assert df.attrs["stats"]["planning_s"] <= df.attrs["stats"]["elapsed_s"]


def test_file_verdicts_are_kept_per_day_folder_and_read_only_for_the_folders_scanned(tmp_path, monkeypatch):
    """A one-day query reads that day's verdicts, not the lake's; opening the lake by another path
    finds them (keys are relative to the lake), so no file is checked twice."""
    from orginsight.engines.filechecks import CHECKS_DIR
    from orginsight.engines.local import LocalEngine

    start = datetime(2024, 6, 1, 12)
    for d in range(3):
        for account in ACCOUNTS:
            write(
                tmp_path, account, start + timedelta(days=d), [record(account, start + timedelta(days=d))] * 2
            )
    Lake.local(tmp_path).sql("SELECT count(*) n FROM cloudtrail")
    shards = sorted(
        p.relative_to(tmp_path / CHECKS_DIR).as_posix() for p in (tmp_path / CHECKS_DIR).rglob("*.json")
    )
    assert len(shards) == 6 and all(
        s.endswith(("/2024/06/01.json", "/2024/06/02.json", "/2024/06/03.json")) for s in shards
    )

    def no_check(self, batch, limit=None):
        raise AssertionError(f"file checked again: {batch}")

    monkeypatch.setattr(LocalEngine, "_check_batch", no_check)
    other_path = tmp_path / ".." / tmp_path.name  # the same lake, typed differently
    lake = Lake.local(other_path)
    df = lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2024/06/02'")
    assert df["n"][0] == 4
    assert sorted(os.path.relpath(f, other_path) for f in lake.engine.checks._folders) == [
        f"AWSLogs/{ORG}/{a}/CloudTrail/eu-west-1/2024/06/02" for a in ACCOUNTS
    ]
