"""Compaction in the bucket: the SQL (parsed as Athena's), the plan, and a run against moto's Athena and S3."""

from __future__ import annotations

from datetime import UTC, date, datetime

import boto3
import pytest
import sqlglot
from conftest import queue_athena_results
from sqlglot import exp

from orginsight.engines.athena import AthenaEngine
from orginsight.engines.athena_compact import (
    compact_table_ddl,
    compacted_days,
    done_partitions_sql,
    insert_sql,
    plan_compaction,
    run_compaction,
    union_view_sql,
)
from orginsight.engines.athena_scan import PartitionSize
from orginsight.errors import LakeError
from orginsight.sources.schema import ATHENA_TYPES

A, B = "111122223333", "222233334444"
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
"""The 20th is closed (over, and a day of delivery lag past), the 21st still open."""


def day(d: int) -> date:
    return date(2026, 11, d)


def test_the_compacted_table_is_parquet_partitioned_like_the_trail():
    tree = sqlglot.parse_one(
        compact_table_ddl("security", "s3://org-bucket/orginsight/compact"), read="athena"
    )
    assert isinstance(tree, exp.Create)
    partitions = [c.name for p in tree.find_all(exp.PartitionedByProperty) for c in p.this.expressions]
    assert partitions == ["account", "region", "timestamp"]
    assert [c.name for c in tree.this.expressions] == list(ATHENA_TYPES)
    assert tree.find(exp.FileFormatProperty).name.upper() == "PARQUET"
    assert tree.find(exp.LocationProperty).this.name == "s3://org-bucket/orginsight/compact/"


def test_an_insert_reads_one_account_day_and_its_regions():
    tree = sqlglot.parse_one(
        insert_sql("security", "cloudtrail", A, day(20), ["us-east-1", "eu-west-1"]), read="athena"
    )
    assert isinstance(tree, exp.Insert) and tree.this.name == "cloudtrail_compact"
    select = tree.expression
    assert select.find(exp.Table).name == "cloudtrail"
    where = select.args["where"].sql(dialect="athena")
    assert (
        where
        == "WHERE \"timestamp\" = '2026/11/20' AND account = '111122223333' AND region IN ('eu-west-1', 'us-east-1')"
    )
    assert [c.name for c in select.expressions][-3:] == ["account", "region", "timestamp"]


def test_the_view_unions_compacted_days_with_every_other_raw_day():
    tree = sqlglot.parse_one(union_view_sql("security", "cloudtrail", (day(1), day(19))), read="athena")
    union = tree.expression
    assert isinstance(union, exp.Union) and union.args.get("distinct") is False  # UNION ALL
    compact, raw = union.this, union.expression
    assert compact.find(exp.Table).name == "cloudtrail_compact" and raw.find(exp.Table).name == "cloudtrail"
    assert compact.args["where"].find(exp.Between) and raw.args["where"].find(exp.Not)
    assert [c.name for c in compact.expressions] == [c.name for c in raw.expressions]
    raw_only = sqlglot.parse_one(union_view_sql("security", "cloudtrail", None), read="athena")
    assert not raw_only.find(exp.Union) and raw_only.expression.find(exp.Table).name == "cloudtrail"


def test_done_partitions_come_from_the_metadata_table():
    tree = sqlglot.parse_one(done_partitions_sql("security", day(1), day(20)), read="athena")
    assert tree.find(exp.Table).name == "cloudtrail_compact$partitions"


@pytest.mark.parametrize(
    "call",
    [
        lambda: insert_sql("security", "cloudtrail", "1' OR '1'='1", day(20), ["us-east-1"]),
        lambda: insert_sql("security", "cloudtrail", A, day(20), ["us-east-1'); DROP TABLE x; --"]),
        lambda: insert_sql('sec"urity', "cloudtrail", A, day(20), ["us-east-1"]),
        lambda: compact_table_ddl("security", "s3://bucket/x' LOCATION"),
    ],
)
def test_nothing_but_checked_values_reaches_the_sql(call):
    with pytest.raises(LakeError):
        call()


def raw(account: str, region: str, d: int, size: int = 100) -> PartitionSize:
    return PartitionSize(account, region, day(d), 1, size)


def test_the_plan_skips_done_and_open_days_and_groups_an_account_days_regions():
    trail = [raw(a, r, d) for a in (A, B) for r in ("eu-west-1", "us-east-1") for d in (19, 20, 21)]
    done = {(A, "eu-west-1", day(19)), (A, "us-east-1", day(19)), (B, "us-east-1", day(19))}
    plan = plan_compaction(trail, done, NOW)
    assert [(i.account, i.day, i.regions) for i in plan.inserts] == [
        (B, day(19), ("eu-west-1",)),
        (A, day(20), ("eu-west-1", "us-east-1")),
        (B, day(20), ("eu-west-1", "us-east-1")),
    ]
    assert (plan.done, plan.open) == (3, 4) and plan.inserts[1].raw_bytes == 200
    only_a = plan_compaction(trail, done, NOW, accounts={A}, regions={"us-east-1"})
    assert [(i.account, i.day, i.regions) for i in only_a.inserts] == [(A, day(20), ("us-east-1",))]


def test_the_view_reads_compacted_days_only_up_to_the_first_gap():
    trail = [raw(A, "us-east-1", d) for d in (18, 19, 20)]
    done = {(A, "us-east-1", day(18)), (A, "us-east-1", day(20))}
    assert compacted_days(trail, done, day(17), day(20)) == (day(17), day(18))  # the 17th holds nothing
    assert compacted_days(trail, set(), day(18), day(20)) is None


def queue_results(*results: list[list[str]]) -> None:
    """Queue each query's result in moto's Athena, in the order the queries start (first row: header)."""
    info = {"Type": "varchar", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN"}
    body = [
        {
            "rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows],
            "column_info": [{"Name": n, "Label": n, **info} for n in (rows[0] if rows else [])],
        }
        for rows in results
    ]
    queue_athena_results(body)


def test_a_run_inserts_what_the_plan_says_and_recreates_the_view(moto_aws):
    s3 = boto3.client("s3")
    for bucket in ("org-trail", "athena-results"):
        s3.create_bucket(Bucket=bucket)
    for a in (A, B):
        for d in (19, 20, 21):
            key = f"AWSLogs/o-a1b2c3d4e5/{a}/CloudTrail/us-east-1/2026/11/{d}/{a}_CloudTrail_us-east-1_x.json.gz"
            s3.put_object(Bucket="org-trail", Key=key, Body=b"x" * 1000)
    s3.put_object(
        Bucket="org-trail",
        Key=f"compact/account={A}/region=us-east-1/timestamp=2026%2F11%2F19/p.parquet",
        Body=b"x" * 100,
    )
    queue_results([], [["account", "region", "timestamp"], [A, "us-east-1", "2026/11/19"]])
    engine = AthenaEngine(
        database="security", s3_output="s3://athena-results/q/", region="us-east-1",
        trail_location="s3://org-trail/AWSLogs/o-a1b2c3d4e5/",
    )  # fmt: skip
    report = run_compaction(engine, "s3://org-trail/compact/", since=day(19), now=NOW)
    athena = boto3.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    queries = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    assert queries[0].startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `security`.`cloudtrail_compact`")
    assert "cloudtrail_compact$partitions" in queries[1]
    inserts = [q for q in queries if q.startswith("INSERT")]
    assert [(q.split("account = ")[1][1:13], q.split('"timestamp" = ')[1][1:11]) for q in inserts] == [
        (B, "2026/11/19"),
        (A, "2026/11/20"),
        (B, "2026/11/20"),
    ]  # A's 19th is done, the 21st still open
    assert queries[-1].startswith('CREATE OR REPLACE VIEW "security"."cloudtrail_all"')
    assert "BETWEEN '2026/11/19' AND '2026/11/20'" in queries[-1]
    assert (report.inserts, report.skipped_done, report.skipped_open, report.failures) == (3, 1, 2, [])
    assert report.view_days == (day(19), day(20)) and report.sample_days == (day(19), day(20))
    assert (report.sample_raw_bytes, report.sample_compact_bytes) == (4000, 100)
    assert any("saved per hunt" in line for line in report.lines())
