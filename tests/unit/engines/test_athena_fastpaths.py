"""Athena's fast paths against moto: result reuse sent with every query, typed results (aware UTC), and
UNLOAD to Parquet under the results location, read back typed, with Athena's own timings in the stats.

moto runs no query: a query's result is queued through moto's documented endpoint
(``/moto-api/static/athena/query-results``), and moto writes it as the CSV result Athena would. moto's
GetQueryExecution reports no ``DataManifestLocation``, so the UNLOAD test answers Athena's calls with
botocore's Stubber (each response checked against Athena's service model) and plays Athena's part in
moto's S3: the Parquet files and the manifest UNLOAD writes.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import boto3
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import ANY, Stubber
from conftest import queue_athena_results

from orginsight import Lake
from orginsight.engines.athena import AthenaEngine, unload_keeps_order
from orginsight.engines.base import QueryStats
from orginsight.engines.translate import parse

RESULTS = "s3://athena-results/q/"


@pytest.fixture
def aws(moto_aws):
    boto3.client("s3").create_bucket(Bucket="athena-results")


def queue_result(columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """Queue the result of the next query in moto's Athena, shaped as GetQueryResults returns it."""
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    column_info = [
        {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": n, "Label": n, "Type": t}
        | {"Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": t == "varchar"}
        for n, t in columns
    ]
    queue_athena_results([{"rows": [header, *data], "column_info": column_info}])


def sent_requests(engine: AthenaEngine) -> list[dict]:
    """Every StartQueryExecution request the engine's Athena client sends, as sent."""
    sent: list[dict] = []
    engine.connection().client.meta.events.register(
        "provide-client-params.athena.StartQueryExecution", lambda params, **_: sent.append(dict(params))
    )
    return sent


HUNT = "SELECT eventname, from_iso8601_timestamp(eventtime) AS at, 1 AS n FROM cloudtrail WHERE timestamp = '2026/11/20'"


def test_result_reuse_is_sent_with_every_query_and_its_age_is_configurable(aws):
    lake = Lake.athena(database="security", s3_output=RESULTS, region="us-east-1", result_reuse_minutes=15)
    sent = sent_requests(lake.engine)
    queue_result([("n", "bigint")], [["1"]])
    lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2026/11/20' ORDER BY 1")
    assert sent[-1]["ResultReuseConfiguration"] == {
        "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 15}
    }
    default = Lake.athena(database="security", s3_output=RESULTS, region="us-east-1")
    sent = sent_requests(default.engine)
    queue_result([("n", "bigint")], [["1"]])
    default.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2026/11/20' ORDER BY 1")
    assert sent[-1]["ResultReuseConfiguration"]["ResultReuseByAgeConfiguration"]["MaxAgeInMinutes"] == 60
    off = Lake.athena(database="security", s3_output=RESULTS, region="us-east-1", result_reuse_minutes=0)
    sent = sent_requests(off.engine)
    queue_result([("n", "bigint")], [["1"]])
    off.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2026/11/20' ORDER BY 1")
    assert "ResultReuseConfiguration" not in sent[-1]


def test_an_ordered_result_comes_back_typed_with_aware_utc_times(aws):
    lake = Lake.athena(database="security", s3_output=RESULTS, region="us-east-1")
    sent = sent_requests(lake.engine)
    queue_result(
        [("eventname", "varchar"), ("at", "timestamp"), ("n", "bigint")],
        [["ConsoleLogin", "2026-11-20 08:15:00.000", "3"], ["StopLogging", "2026-11-20 23:59:59.500", "1"]],
    )
    df = lake.sql(HUNT + " ORDER BY at")
    assert not sent[-1]["QueryString"].lstrip().upper().startswith("UNLOAD")  # order kept: the CSV result
    assert str(df["at"].dtype) == "datetime64[ms, UTC]" or str(df["at"].dt.tz) == "UTC"
    assert df["at"].tolist() == [
        pd.Timestamp(datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        pd.Timestamp(datetime(2026, 11, 20, 23, 59, 59, 500000, tzinfo=UTC)),
    ]
    assert df["n"].tolist() == [3, 1] and pd.api.types.is_integer_dtype(df["n"])
    stats = QueryStats.of(df)
    assert stats is not None and stats.unload is False and stats.reused_result is False
    assert stats.queue_ms == 0 and stats.planning_ms == 0  # moto's Statistics, read through


def test_unload_needs_an_unordered_query():
    assert unload_keeps_order(parse("SELECT a FROM t"))
    assert unload_keeps_order(parse("WITH x AS (SELECT a FROM t ORDER BY a) SELECT a FROM x"))
    assert not unload_keeps_order(parse("SELECT a FROM t ORDER BY a"))
    assert not unload_keeps_order(parse("SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY 1"))


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_unload_writes_parquet_under_the_results_location_and_reads_it_back_typed(aws):
    """Athena's part (answering its API, writing the UNLOAD files and manifest) is played in the test."""
    engine = AthenaEngine(database="security", s3_output=RESULTS, region="us-east-1", result_reuse_minutes=30)
    client = engine.connection().client
    s3 = boto3.client("s3")
    stubber = Stubber(client)
    query_id = "11111111-2222-3333-4444-555555555555"
    manifest = f"{RESULTS}{query_id}-manifest.csv"
    sent: list[dict] = []

    def athena_runs_the_unload(params: dict, **_: object) -> None:
        sent.append(dict(params))
        location = re.search(r"TO '(s3://[^']+)'", params["QueryString"])[1]
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        rows = pa.table(
            {
                "eventname": ["ConsoleLogin", "StopLogging"],
                "at": pa.array(
                    [datetime(2026, 11, 20, 8, 15), datetime(2026, 11, 20, 23, 0)], pa.timestamp("ms")
                ),
                "n": pa.array([3, 1], pa.int64()),
            }
        )
        s3.put_object(Bucket=bucket, Key=f"{prefix}part-0.parquet", Body=parquet_bytes(rows))
        s3.put_object(
            Bucket="athena-results", Key=f"q/{query_id}-manifest.csv", Body=f"{location}part-0.parquet\n"
        )
        stubber.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "QueryExecutionId": query_id,
                    "Query": params["QueryString"],
                    "StatementType": "DML",
                    "ResultConfiguration": {"OutputLocation": f"{RESULTS}{query_id}"},
                    "ResultReuseConfiguration": {
                        "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 30}
                    },
                    "QueryExecutionContext": {"Database": "security"},
                    "Status": {
                        "State": "SUCCEEDED",
                        "SubmissionDateTime": datetime(2026, 11, 21, tzinfo=UTC),
                        "CompletionDateTime": datetime(2026, 11, 21, 0, 0, 3, tzinfo=UTC),
                    },
                    "Statistics": {
                        "EngineExecutionTimeInMillis": 2100,
                        "DataScannedInBytes": 52_428_800,
                        "DataManifestLocation": manifest,
                        "TotalExecutionTimeInMillis": 2600,
                        "QueryQueueTimeInMillis": 120,
                        "QueryPlanningTimeInMillis": 300,
                        "ServiceProcessingTimeInMillis": 80,
                        "ResultReuseInformation": {"ReusedPreviousResult": False},
                    },
                    "WorkGroup": "primary",
                }
            },
            {"QueryExecutionId": query_id},
        )

    client.meta.events.register("provide-client-params.athena.StartQueryExecution", athena_runs_the_unload)
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": query_id},
        {
            "QueryString": ANY,
            "QueryExecutionContext": {"Catalog": "awsdatacatalog", "Database": "security"},
            "ResultConfiguration": {"OutputLocation": RESULTS},
            "ResultReuseConfiguration": {
                "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 30}
            },
        },
    )
    with stubber:
        df = engine.run(parse(HUNT))
    stubber.assert_no_pending_responses()
    query = sent[0]["QueryString"]
    assert query.lstrip().startswith("UNLOAD") and "format = 'PARQUET'" in query
    assert re.search(rf"TO '{re.escape(RESULTS)}unload/\d{{8}}/[0-9a-f-]{{36}}/'", query)
    assert df["eventname"].tolist() == ["ConsoleLogin", "StopLogging"]
    assert str(df["at"].dt.tz) == "UTC" and df["at"][0] == pd.Timestamp("2026-11-20T08:15:00Z")
    assert pd.api.types.is_integer_dtype(df["n"])
    stats = QueryStats.of(df)
    assert stats.unload is True and stats.bytes_scanned == 52_428_800
    assert (stats.engine_elapsed_ms, stats.queue_ms, stats.planning_ms, stats.service_processing_ms) == (
        2100,
        120,
        300,
        80,
    )
    assert stats.reused_result is False and stats.cost_usd == pytest.approx(
        52_428_800 / 1024**4 * 5, abs=1e-6
    )
