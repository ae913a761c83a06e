"""The engine contract (``engines.base``): what a Lake asks of any engine, and the typed statistics."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime

import duckdb
import pandas as pd
import pytest

from orginsight import Lake
from orginsight.engines.athena import AthenaEngine
from orginsight.engines.base import DataRange, Engine, QueryStats
from orginsight.engines.local import LocalEngine
from orginsight.engines.scan import scan_sql
from orginsight.errors import LakeError
from orginsight.sources.layout import cloudtrail_key

ORG = "o-a1b2c3d4e5"


def write(root, account: str, region: str, when: datetime) -> None:
    path = root / cloudtrail_key(account, region, when, org_id=ORG)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"eventTime": f"{when:%Y-%m-%dT%H:%M:%SZ}", "eventID": f"{account}-{when}", "eventName": "X"}
    path.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))


def test_both_engines_are_engines():
    """Each engine subclasses the protocol, so it inherits its refusals of what it cannot do."""
    assert Engine in LocalEngine.__mro__ and Engine in AthenaEngine.__mro__


def test_data_range_of_a_local_lake_reads_its_day_folders(tmp_path):
    write(tmp_path, "111122223333", "eu-west-1", datetime(2024, 6, 3, 10))
    write(tmp_path, "111122223333", "us-east-1", datetime(2024, 6, 5, 10))
    write(tmp_path, "444455556666", "eu-west-1", datetime(2024, 6, 9, 10))
    (tmp_path / f"AWSLogs/{ORG}/444455556666/CloudTrail/eu-west-1/2024/06/20").mkdir()  # no log file in it
    lake = Lake.local(tmp_path)
    assert lake.data_range() == DataRange(
        first_day=date(2024, 6, 3),
        last_day=date(2024, 6, 9),
        accounts=("111122223333", "444455556666"),
        regions=("eu-west-1", "us-east-1"),
    )
    assert lake.data_range().end == datetime(2024, 6, 10, tzinfo=UTC)
    mine = lake.data_range(accounts=["111122223333"])
    assert (mine.first_day, mine.last_day, mine.accounts) == (
        date(2024, 6, 3),
        date(2024, 6, 5),
        ("111122223333",),
    )


def test_an_empty_lake_and_athena_have_an_empty_range(tmp_path):
    assert Lake.local(tmp_path).data_range() == DataRange()
    assert DataRange().end is None
    assert Lake.athena(database="security").data_range() == DataRange()


def test_local_only_capabilities_are_refused_on_athena_by_the_contract():
    lake = Lake.athena(database="security")
    with pytest.raises(LakeError, match="compact is for local lakes"):
        lake.compact(progress=False)
    with pytest.raises(LakeError, match="load_into_memory is for local lakes"):
        lake.load_into_memory()
    assert repr(lake) == "Lake(athena: security.cloudtrail (workgroup primary))"


def test_stats_view_holds_what_each_engine_reports_and_reads_back_typed(tmp_path):
    write(tmp_path, "111122223333", "eu-west-1", datetime(2024, 6, 3, 10))
    df = Lake.local(tmp_path).sql("SELECT count(*) AS n FROM cloudtrail")
    view = df.attrs["stats"]
    assert view["engine"] == "local" and view["files_read"] == 1 and view["bad_files"] == []
    assert not {"query_id", "bytes_scanned", "cost_usd", "notes"} & set(view)
    stats = QueryStats.of(df)
    assert stats is not None and stats.files_read == 1 and stats.view() == view
    athena = QueryStats(
        engine="athena", sql="SELECT 1", elapsed_s=0.1, query_id="q", bytes_scanned=10, notes=[]
    )
    assert set(athena.view()) == {
        "engine", "sql", "elapsed_s", "bad_files", "query_id", "bytes_scanned", "cost_usd",
        "engine_elapsed_ms", "queue_ms", "planning_ms", "service_processing_ms", "reused_result", "unload",
        "notes",
    }  # fmt: skip
    assert QueryStats.of(pd.DataFrame()) is None  # a frame no engine made


def test_the_scan_of_no_file_is_empty_with_the_partition_columns():
    con = duckdb.connect()
    sql = scan_sql({"eventname": None, "account": None, "timestamp": None}, any_files=False)
    assert "NULL::VARCHAR" in sql and "filename" not in sql
    assert [c[0] for c in con.execute(f"DESCRIBE {sql}").fetchall()] == ["eventname", "account", "timestamp"]
    assert con.execute(sql).fetchall() == []
