"""``lake.sql_file`` and ``orginsight sql --file``: a published .sql file runs on the lake, DDL skipped.

The file is shaped like AWS's documentation for CloudTrail in Athena: a CREATE EXTERNAL TABLE with
manual partitions (``region``, ``year``, ``month``, ``day``), an ALTER TABLE ADD PARTITION, then queries.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_trail_file

from orginsight import cli
from orginsight.analytics import query_compat as qc
from orginsight.errors import QueryError
from orginsight.lake import Lake

DOCUMENTED_FILE = """\
-- Table as AWS's documentation creates it, partitioned by hand
CREATE EXTERNAL TABLE cloudtrail_logs (
    eventversion STRING, eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING,
    sourceipaddress STRING, recipientaccountid STRING
)
PARTITIONED BY (region string, year string, month string, day string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
LOCATION 's3://amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/';

ALTER TABLE cloudtrail_logs ADD PARTITION (region='us-east-1', year='2024', month='05', day='01')
LOCATION 's3://amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/';

SELECT eventname, count(*) AS n
FROM cloudtrail_logs
WHERE year = '2024' AND month = '05' AND day = '01'
GROUP BY eventname ORDER BY eventname;

SELECT eventname FROM cloudtrail_logs WHERE sourceipaddress = 'x.x.x.x' AND year = '2024';
"""


def record(name: str, when: str) -> dict:
    return {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "recipientAccountId": "111122223333",
        "eventID": f"id-{name}-{when}",
    }


@pytest.fixture
def two_day_lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    write_trail_file(root, [record("CreateUser", "2024-05-01T12:00:00Z")], when=datetime(2024, 5, 1, 12))
    write_trail_file(root, [record("DeleteUser", "2024-05-02T12:00:00Z")], when=datetime(2024, 5, 2, 12))
    return root


def test_sql_file_skips_ddl_and_refuses_the_file_while_a_placeholder_is_unfilled(two_day_lake: Path) -> None:
    path = two_day_lake.parent / "playbook.sql"
    path.write_text(DOCUMENTED_FILE)
    with pytest.raises(QueryError, match=r"statement at line 18: .*line 18, column 63: 'x.x.x.x'"):
        Lake.local(two_day_lake).sql_file(path)


def test_sql_file_returns_one_frame_per_query_and_prunes_by_year_month_day(two_day_lake: Path) -> None:
    path = two_day_lake.parent / "playbook.sql"
    path.write_text(DOCUMENTED_FILE)
    first, second = Lake.local(two_day_lake).sql_file(path, placeholders={"x.x.x.x": "198.51.100.7"})
    assert first["eventname"].tolist() == ["CreateUser"] and first["n"].tolist() == [1]
    assert first.attrs["line"] == 13 and first.attrs["stats"]["files_read"] == 1  # only 2024/05/01
    assert first.attrs["notes"][:2] == [
        "line 2: CREATE statement skipped (the lake has its tables)",
        "line 10: ALTER statement skipped (the lake has its tables)",
    ]
    assert "partition column day ran as timestamp" in first.attrs["notes"]
    assert sorted(second["eventname"]) == ["CreateUser", "DeleteUser"]


def test_a_table_created_by_the_file_maps_onto_cloudtrail() -> None:
    ((statement, prepared, skipped),) = qc.script.plan(
        "CREATE EXTERNAL TABLE ir.my_trail (eventname string, eventtime string);\n"
        "SELECT count(*) FROM ir.my_trail"
    )
    assert prepared.sql == "SELECT COUNT(*) FROM cloudtrail" and statement.line == 2 and len(skipped) == 1


def test_cli_sql_file_and_map_table(two_day_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = two_day_lake.parent / "q.sql"
    path.write_text("SELECT eventname FROM case_copy WHERE dt = '2024-05-02';\nDROP TABLE case_copy;\n")
    lake = str(two_day_lake)
    assert cli.main(["sql", "--file", str(path), "--map-table", "case_copy=cloudtrail", "--lake", lake]) == 0
    out, err = capsys.readouterr()
    assert "DeleteUser" in out and "CreateUser" not in out
    assert "note: table case_copy ran as cloudtrail" in err and "note: partition column dt" in err
    query = "SELECT eventname FROM cloudtrail WHERE eventname IN ('CreateUser' 'DeleteUser')"
    assert cli.main(["sql", query, "--lake", lake]) != 0
    assert "string literals side by side" in capsys.readouterr().err
