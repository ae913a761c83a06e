"""A query's expected scan on Athena, from the S3 listing of the partitions it reads (moto's S3)."""

from __future__ import annotations

from datetime import date

import boto3
import pandas as pd
import pytest

from orginsight import Lake
from orginsight.engines.athena_scan import S3Location, compact_partitions, raw_partitions
from orginsight.engines.pruning import PartitionFilter
from orginsight.errors import LakeError

TRAIL = "s3://org-trail/AWSLogs/o-a1b2c3d4e5/"
ACCOUNTS = ("111122223333", "222233334444")
REGIONS = ("eu-west-1", "us-east-1")
DAYS = (18, 19, 20, 21)


def size(account: str, region: str, day: int, n: int) -> int:
    """A distinct size per object, so that a sum names the objects it added."""
    return 1000 * ACCOUNTS.index(account) + 100 * REGIONS.index(region) + 10 * day + n


@pytest.fixture
def trail(moto_aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="org-trail")
    for a in ACCOUNTS:
        for r in REGIONS:
            for d in DAYS:
                for n in range(2):
                    key = f"AWSLogs/o-a1b2c3d4e5/{a}/CloudTrail/{r}/2026/11/{d:02}/{a}_CloudTrail_{r}_{n}.json.gz"
                    s3.put_object(Bucket="org-trail", Key=key, Body=b"x" * size(a, r, d, n))
    s3.put_object(
        Bucket="org-trail", Key="AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/README", Body=b"x"
    )
    return s3


def expected(accounts=ACCOUNTS, regions=REGIONS, days=DAYS) -> int:
    return sum(size(a, r, d, n) for a in accounts for r in regions for d in days for n in range(2))


def test_the_estimate_lists_only_the_partitions_the_query_reads(trail):
    lake = Lake.athena(database="security", region="us-east-1", trail_location=TRAIL)
    found = lake.estimate(
        "SELECT count(*) FROM cloudtrail WHERE account = '111122223333' "
        "AND timestamp BETWEEN '2026/11/19' AND '2026/11/20'"
    )
    assert found.bytes == expected(accounts=ACCOUNTS[:1], days=(19, 20))
    assert (found.objects, found.partitions) == (8, 4)
    assert "expected scan" in found.line() and found.cost_usd == pytest.approx(found.bytes / 1024**4 * 5)


def test_an_eventtime_range_is_estimated_over_the_days_the_cost_guard_adds(trail):
    lake = Lake.athena(database="security", region="us-east-1", trail_location=TRAIL)
    found = lake.estimate(
        "SELECT count(*) FROM cloudtrail WHERE region = :r AND eventtime >= :since",
        r="eu-west-1",
        since="2026-11-21",
    )
    # a day of slack before the range (late delivery): the 20th and 21st
    assert found.bytes == expected(regions=("eu-west-1",), days=(20, 21))


def test_a_listing_stops_at_the_last_day_and_skips_keys_outside_the_layout(trail):
    pf = PartitionFilter(first_day=date(2026, 11, 18), last_day=date(2026, 11, 18))
    found = raw_partitions(trail, S3Location.trail(TRAIL), pf)
    assert {(p.account, p.region, p.day) for p in found} == {
        (a, r, date(2026, 11, 18)) for a in ACCOUNTS for r in REGIONS
    }
    assert sum(p.bytes for p in found) == expected(days=(18,))


def test_the_compacted_tables_hive_folders_are_read_back(trail):
    trail.put_object(
        Bucket="org-trail",
        Key="compact/account=111122223333/region=us-east-1/timestamp=2026%2F11%2F20/a.parquet",
        Body=b"x" * 7,
    )
    trail.put_object(
        Bucket="org-trail",
        Key="compact/account=111122223333/region=us-east-1/timestamp=2026%2F11%2F21/b.parquet",
        Body=b"x" * 9,
    )
    pf = PartitionFilter(last_day=date(2026, 11, 20))
    found = compact_partitions(trail, S3Location.folder("s3://org-trail/compact/"), pf)
    assert [(p.day, p.bytes) for p in found] == [(date(2026, 11, 20), 7)]


def test_locations_are_checked():
    with pytest.raises(LakeError, match="organization trail"):
        S3Location.trail("s3://org-trail/logs/")
    with pytest.raises(LakeError, match="S3 folder"):
        S3Location.folder("s3://bucket/x' OR 1=1")
    assert S3Location.trail("s3://b-1/pre/AWSLogs/o-a1b2c3d4e5").prefix == "pre/AWSLogs/o-a1b2c3d4e5/"


def test_the_command_prints_the_estimate_and_runs_no_query(trail, capsys):
    from orginsight.cli import main  # reason: the command line, as a user runs it

    code = main(
        [
            "athena", "estimate", "SELECT count(*) FROM cloudtrail WHERE timestamp = :d", "--param", "d=2026/11/21",
            "--athena-database", "security", "--athena-region", "us-east-1", "--trail-location", TRAIL,
        ]
    )  # fmt: skip
    assert code == 0
    assert (
        capsys.readouterr().out.strip()
        == f"expected scan: {expected(days=(21,)):,} bytes in 8 object(s) of 4 partition(s) (about $0.0000)"
    )
    assert boto3.client("athena").list_query_executions()["QueryExecutionIds"] == []


def test_sql_on_athena_prints_the_estimate_before_the_query_runs(trail, capsys, monkeypatch):
    from orginsight.cli import main  # reason: the command line, as a user runs it

    order = []
    monkeypatch.setattr(Lake, "sql_params", lambda self, sql, params: order.append("ran") or pd.DataFrame())
    real_estimate = Lake.estimate
    monkeypatch.setattr(
        Lake, "estimate", lambda self, *a, **k: order.append("estimated") or real_estimate(self, *a, **k)
    )
    code = main(
        [
            "sql", "SELECT count(*) FROM cloudtrail WHERE timestamp = :d", "--param", "d=2026/11/21",
            "--athena-database", "security", "--athena-region", "us-east-1", "--trail-location", TRAIL,
        ]
    )  # fmt: skip
    assert code == 0
    assert order == ["estimated", "ran"]
    assert f"before running: expected scan: {expected(days=(21,)):,} bytes" in capsys.readouterr().err
