"""The Athena path: DDL, cost guard, and pyathena's plumbing against moto's Athena."""

from __future__ import annotations

import boto3
import pytest
import sqlglot
from conftest import queue_athena_results

from orginsight import Lake
from orginsight.engines.athena import scan_cost_usd
from orginsight.errors import FullScanRefused
from orginsight.sources.ddl import cloudtrail_ddl

COLUMN_INFO = {
    "Name": "n",
    "Label": "n",
    "Type": "bigint",
    "Precision": 19,
    "Scale": 0,
    "Nullable": "UNKNOWN",
}
"""GetQueryResults' ColumnInfo of the one column of the results queued below."""


@pytest.fixture
def aws(moto_aws):
    boto3.client("s3").create_bucket(Bucket="athena-results")
    # moto runs no query: queue the CSV result Athena would write.
    rows = [{"Data": [{"VarCharValue": "n"}]}, {"Data": [{"VarCharValue": "1"}]}]
    queue_athena_results([{"rows": rows, "column_info": [COLUMN_INFO]}] * 2)


def test_ddl_parses_as_athena_and_projects_partitions():
    ddl = cloudtrail_ddl(
        "org-trail", "o-a1b2c3d4e5", ["222233334444", "111122223333"], ["eu-west-1", "us-east-1"]
    )
    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, sqlglot.exp.Create)
    props = {p.name: p.args["value"].name for p in tree.find_all(sqlglot.exp.Property) if p.args.get("value")}
    assert props["projection.enabled"] == "true"
    assert props["projection.account.values"] == "111122223333,222233334444"
    assert props["projection.timestamp.format"] == "yyyy/MM/dd"
    assert props["storage.location.template"] == (
        "s3://org-trail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}"
    )
    columns = [c.name for c in tree.this.expressions]
    assert columns[:3] == ["eventversion", "useridentity", "eventtime"] and "tlsdetails" in columns
    partitions = [
        c.name for p in tree.find_all(sqlglot.exp.PartitionedByProperty) for c in p.this.expressions
    ]
    assert partitions == ["account", "region", "timestamp"]


def test_query_runs_through_pyathena_with_guard_and_stats(aws):
    lake = Lake.athena(
        database="security",
        table="org_trail",
        s3_output="s3://athena-results/q/",
        region="us-east-1",
        unload=False,  # moto reports no DataManifestLocation: UNLOAD is tested in tests/unit/engines/test_athena_fastpaths.py
    )
    with pytest.warns(UserWarning, match="cost guard"):
        df = lake.sql(
            "SELECT eventname, count(*) n FROM cloudtrail WHERE eventtime >= :since GROUP BY 1",
            since="2024-06-01T00:00:00Z",
        )
    stats = df.attrs["stats"]
    assert stats["engine"] == "athena" and stats["query_id"]
    assert "FROM org_trail" in stats["sql"] and "\"timestamp\" >= '2024/05/31'" in stats["sql"]
    execution = boto3.client("athena").get_query_execution(QueryExecutionId=stats["query_id"])[
        "QueryExecution"
    ]
    assert execution["Query"] == stats["sql"]
    assert execution["QueryExecutionContext"]["Database"] == "security"


def test_full_scans_are_refused_unless_allowed(aws):
    lake = Lake.athena(database="security", s3_output="s3://athena-results/q/", region="us-east-1")
    with pytest.raises(FullScanRefused, match="allow_full_scan"):
        lake.sql("SELECT count(*) FROM cloudtrail WHERE eventname = 'StopLogging'")
    open_lake = Lake.athena(
        database="security",
        s3_output="s3://athena-results/q/",
        region="us-east-1",
        allow_full_scan=True,
        unload=False,  # moto reports no DataManifestLocation: UNLOAD is tested in tests/unit/engines/test_athena_fastpaths.py
    )
    assert open_lake.sql("SELECT count(*) FROM cloudtrail").attrs["stats"]["query_id"]


def test_scan_cost_follows_athena_pricing():
    assert scan_cost_usd(0) == 0
    assert scan_cost_usd(1) == pytest.approx(10 * 1024**2 / 1024**4 * 5)  # 10 MB minimum
    assert scan_cost_usd(1024**4) == pytest.approx(5.0)
