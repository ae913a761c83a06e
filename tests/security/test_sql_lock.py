"""Hostile SQL through ``lake.sql``: only one read-only statement runs, and the local engine's DuckDB
reads and writes nothing outside the lake and its cache, loads no extension and keeps its configuration.

Each case names a target outside (and, for writes, inside) the lake and checks afterwards that nothing
was written there; each refusal is checked against a control that works, so the test fails if the
refusal came from anything but the lock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlglot
from conftest import write_trail_file

from orginsight.engines import translate
from orginsight.engines.local import LocalEngine, ensure_one_select
from orginsight.errors import QueryError
from orginsight.lake import Lake

RECORD = {
    "eventVersion": "1.08",
    "eventTime": "2024-05-01T12:00:00Z",
    "eventSource": "sts.amazonaws.com",
    "eventName": "GetCallerIdentity",
    "awsRegion": "us-east-1",
    "eventID": "e-1",
    "recipientAccountId": "111122223333",
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
}


@pytest.fixture()
def lake_dir(tmp_path: Path) -> Path:
    """A one-file lake in ``tmp_path/lake``; ``tmp_path`` itself is outside it."""
    root = tmp_path / "lake"
    write_trail_file(root, [RECORD])
    return root


@pytest.fixture()
def lake(lake_dir: Path) -> Lake:
    return Lake.local(lake_dir)


def test_a_plain_select_still_runs(lake: Lake) -> None:
    df = lake.sql("SELECT eventid FROM cloudtrail WHERE account = '111122223333'")
    assert list(df["eventid"]) == ["e-1"]


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("COPY (SELECT * FROM cloudtrail) TO '{target}'", "COPY"),
        ("ATTACH '{target}' AS stolen", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("PRAGMA database_list", "PRAGMA"),
        ("CREATE TABLE copied AS SELECT * FROM read_text('{target}')", "CREATE"),
        ("SELECT 1 INTO copied", "SELECT ... INTO"),
        ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "INSERT"),
    ],
)
def test_lake_sql_refuses_what_is_not_a_query(lake: Lake, lake_dir: Path, statement: str, kind: str) -> None:
    for target in (lake_dir.parent / "outside.out", lake_dir / "inside.out"):
        with pytest.raises(QueryError, match=rf"{kind} statement.*only read-only queries run"):
            lake.sql(statement.format(target=target))
        assert not target.exists()


def test_lake_sql_refuses_two_statements_and_runs_neither(lake: Lake, lake_dir: Path) -> None:
    target = lake_dir / "second.csv"
    with pytest.raises(QueryError, match="expected one SQL statement, got 2"):
        lake.sql(f"SELECT 1; COPY (SELECT 1) TO '{target}'")
    assert not target.exists()


def test_a_comment_cannot_smuggle_a_second_statement(lake: Lake, lake_dir: Path) -> None:
    target = lake_dir / "smuggled.csv"
    df = lake.sql(f"SELECT 1 AS one -- */ ; COPY (SELECT 1) TO '{target}'\nFROM cloudtrail")
    assert list(df["one"]) == [1]
    assert not target.exists()


def test_the_engine_refuses_a_tree_that_is_not_a_query(lake: Lake, lake_dir: Path) -> None:
    """``engine.run`` checks the tree too: a caller that skips ``translate.parse`` gets no further."""
    target = lake_dir / "direct.csv"
    tree = sqlglot.parse_one(f"COPY (SELECT 1) TO '{target}'", read="duckdb")
    with pytest.raises(QueryError, match="COPY statement refused"):
        lake.engine.run(tree)
    assert not target.exists()


def test_duckdb_itself_must_read_one_select(lake: Lake, lake_dir: Path) -> None:
    ensure_one_select(lake.engine.con, "SELECT 1")
    with pytest.raises(QueryError, match="COPY"):
        ensure_one_select(lake.engine.con, f"SELECT 1; COPY (SELECT 1) TO '{lake_dir / 'x.csv'}'")
    assert not (lake_dir / "x.csv").exists()


def test_reading_a_file_outside_the_lake_is_refused_by_the_engine(lake: Lake) -> None:
    assert translate.parse("SELECT * FROM read_text('/etc/passwd')")  # a SELECT: the engine must refuse it
    with pytest.raises(QueryError, match=r'Cannot access file "/etc/passwd"'):
        lake.sql("SELECT * FROM read_text('/etc/passwd')")


def test_dot_dot_out_of_the_lake_is_refused_and_the_same_read_inside_works(
    lake: Lake, lake_dir: Path
) -> None:
    secret = lake_dir.parent / "secret.json"
    secret.write_text('{"password": "hunter2"}')
    inside = lake_dir / "inside.json"
    inside.write_text('{"password": "in the lake"}')
    df = lake.sql(f"SELECT json FROM read_json_objects('{inside}')")
    assert "in the lake" in df["json"][0]
    escape = f"{lake_dir}/AWSLogs/../../secret.json"
    with pytest.raises(QueryError, match="Cannot access file"):
        lake.sql(f"SELECT json FROM read_json_objects('{escape}')")


def test_the_connection_refuses_writes_outside_extensions_and_settings(lake_dir: Path) -> None:
    """Below the statement check: what DuckDB itself refuses on the engine's connection."""
    import duckdb

    con = LocalEngine(lake_dir).con
    outside = lake_dir.parent / "written.csv"
    refused = [
        f"COPY (SELECT 1) TO '{outside}'",
        f"ATTACH '{lake_dir.parent / 'other.db'}' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET autoload_known_extensions = true",
        "SET lock_configuration = false",
    ]
    for statement in refused:
        with pytest.raises(duckdb.Error):
            con.execute(statement)
    assert not outside.exists()
    assert not (lake_dir.parent / "other.db").exists()
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', "
            "'autoinstall_known_extensions', 'autoload_known_extensions', 'allow_community_extensions')"
        ).fetchall()
    )
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "allow_community_extensions": "false",
    }


def test_the_built_in_json_and_parquet_readers_still_work(lake: Lake, lake_dir: Path) -> None:
    df = lake.sql("SELECT json_extract_scalar('{\"a\": {\"b\": 7}}', '$.a.b') AS v")
    assert df["v"][0] == "7"
    lake.compact(progress=False)  # writes Parquet through DuckDB into <lake>/.orginsight/parquet
    assert list((lake_dir / ".orginsight" / "parquet").rglob("*.parquet"))
    df = lake.sql("SELECT eventid FROM cloudtrail")
    assert list(df["eventid"]) == ["e-1"] and df.attrs["stats"]["cached_partitions"] == 1


def test_a_cache_folder_outside_the_lake_is_allowed(lake_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lake = Lake.local(lake_dir, cache_dir=cache)
    lake.compact(progress=False)
    assert list(cache.rglob("*.parquet"))
    assert lake.sql("SELECT count(*) AS n FROM cloudtrail").attrs["stats"]["cached_partitions"] == 1


def test_registered_views_read_the_lake_only(lake: Lake, lake_dir: Path) -> None:
    (lake_dir / "StorageLens").mkdir()
    export = lake_dir / "StorageLens" / "export.csv"
    export.write_text("bucket,bytes\nb1,10\n")
    lake.engine.register("lens", f"SELECT * FROM read_csv('{export}')")
    assert lake.engine.con.execute("SELECT sum(bytes) FROM lens").fetchall() == [(10,)]
    with pytest.raises(QueryError, match="Cannot access file"):
        lake.engine.register("passwd", "SELECT * FROM read_text('/etc/passwd')")
    with pytest.raises(QueryError, match="COPY"):
        lake.engine.register("x", f"SELECT 1; COPY (SELECT 1) TO '{lake_dir / 'x.csv'}'")
    with pytest.raises(QueryError, match="identifier"):
        lake.engine.register('x" AS SELECT 1; --', "SELECT 1")
    assert not (lake_dir / "x.csv").exists()


def test_a_link_in_the_lake_to_a_file_outside_is_not_followed(lake_dir: Path, tmp_path: Path) -> None:
    # DuckDB's allow-list checks the path it is given, not where a link leads: the walk must not follow links.
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.json"
    secret.write_text(json.dumps({"Records": [{**RECORD, "eventID": "secret"}]}))
    day = lake_dir / "AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2024/05/01"
    (day / "111122223333_CloudTrail_us-east-1_20240501T1200Z_linkedlinkedlink.json").symlink_to(secret)
    (day.parent / "02").symlink_to(outside, target_is_directory=True)
    df = Lake.local(lake_dir).sql("SELECT eventid FROM cloudtrail")
    assert list(df["eventid"]) == ["e-1"]
