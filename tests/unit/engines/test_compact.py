"""The Parquet cache of closed partitions: same rows as JSON, used only while it matches the files on disk."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import shutil
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import assert_same_result

from orginsight import Lake, cli
from orginsight.engines import cache_report, parquet_cache, scan
from orginsight.engines.inventory import lake_info
from orginsight.errors import LakeError
from orginsight.sources import schema
from orginsight.sources.layout import cloudtrail_key

ORG = "o-a1b2c3d4e5"
ACCOUNTS = ["111122223333", "444455556666"]
END = datetime(2026, 6, 1)
"""Exclusive end of the generated lake: every one of its days is long closed."""


# --- helpers ----------------------------------------------------------------------------------------


def record(account: str, when: datetime, name: str = "GetObject", **extra) -> dict:
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
        "requestParameters": {"bucketName": "b1", "key": f"k-{when:%H%M%S}"},
        "eventID": f"{account}-{when.isoformat()}-{name}",
        "readOnly": True,
        "resources": [{"ARN": "arn:aws:s3:::b1", "accountId": account, "type": "AWS::S3::Bucket"}],
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
        **extra,
    }


def write(
    root: Path,
    account: str,
    when: datetime,
    records: list[dict] | None = None,
    raw: bytes | None = None,
    suffix: str | None = None,
) -> Path:
    path = root / cloudtrail_key(account, "eu-west-1", when, org_id=ORG, suffix=suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is None:
        records = (
            records
            if records is not None
            else [record(account, when + timedelta(minutes=i)) for i in range(3)]
        )
        raw = gzip.compress(json.dumps({"Records": records}).encode())
    path.write_bytes(raw)
    return path


def replace_file(path: Path, data: bytes) -> None:
    """Rewrite a file as ``aws s3 sync`` and ``cp --remove-destination`` do: a new file renamed over the old one."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def small_lake(root: Path, start: datetime = datetime(2024, 6, 1), days: int = 3) -> Path:
    """``days`` x 2 accounts x 2 files x 3 records."""
    for d in range(days):
        for account in ACCOUNTS:
            for h in (3, 15):
                write(root, account, start + timedelta(days=d, hours=h), suffix=f"d{d}h{h:02d}")
    return root


def caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(x.message) for x in w]


# --- a generated organization, compacted once -----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    from orginsight.demo import generate_lake

    root = tmp_path_factory.mktemp("compact") / "lake"
    generate_lake(root, accounts=6, days=4, events_per_day=300, end=END, progress=False, processes=1)
    return root


@pytest.fixture(scope="module")
def lakes(demo_root) -> tuple[Lake, Lake, dict]:
    """(plain, cached, compact result): the lake read from JSON only, and with its cache in the default place."""
    cached = Lake.local(demo_root)
    result = cached.compact(progress=False)
    plain = Lake.local(demo_root, cache_dir=demo_root.parent / "no-cache-here")
    return plain, cached, result


def test_compact_writes_one_parquet_and_manifest_per_closed_partition(lakes, demo_root):
    _, _, result = lakes
    parts = sorted((demo_root / ".orginsight" / "parquet").rglob("*.parquet"))
    manifests = sorted((demo_root / ".orginsight" / "parquet").rglob("*.manifest.json"))
    assert result["written"] == len(parts) == len(manifests) > 20
    assert result["open"] == 0 and not result["failed"] and not result["bad_files"]
    assert result["files"] == len(list((demo_root / "AWSLogs").glob("*/*/CloudTrail/*/*/*/*/*.json.gz")))
    first = parts[0].relative_to(demo_root / ".orginsight" / "parquet").parts
    assert (
        len(first) == 5 and first[0].isdigit() and first[-1].endswith(".parquet")
    )  # account/region/yyyy/mm/dd
    m = parquet_cache.manifest_from_json(manifests[0].read_text())
    assert m is not None and m.schema_id == parquet_cache.SCHEMA_ID and m.files
    assert all(path.startswith("AWSLogs/") for path, _, _ in m.files)


def test_parquet_holds_every_column_zstd_and_nothing_else(lakes, demo_root):
    import pyarrow.parquet as pq

    path = next((demo_root / ".orginsight" / "parquet").rglob("*.parquet"))
    meta = pq.ParquetFile(path).metadata
    assert meta.schema.to_arrow_schema().names == list(schema.COLUMNS)
    assert meta.row_group(0).column(0).compression == "ZSTD"


QUERIES = [
    "SELECT count(*) AS n FROM cloudtrail",
    "SELECT * FROM cloudtrail",
    "SELECT account, region, timestamp, eventsource, eventname, count(*) AS n FROM cloudtrail GROUP BY 1, 2, 3, 4, 5",
    "SELECT useridentity.arn AS principal, useridentity.sessioncontext.sessionissuer.arn AS issuer, "
    "useridentity.type AS t, count(*) AS n FROM cloudtrail GROUP BY 1, 2, 3",
    "SELECT eventid, useridentity, tlsdetails.tlsversion AS tls FROM cloudtrail WHERE errorcode IS NOT NULL",
    "SELECT r.arn, r.type, count(*) AS n FROM cloudtrail CROSS JOIN UNNEST(resources) AS t(r) GROUP BY 1, 2",
    "SELECT json_extract_scalar(requestparameters, '$.bucketName') AS bucket, "
    "json_extract_scalar(responseelements, '$.credentials.accessKeyId') AS key, count(*) AS n "
    "FROM cloudtrail GROUP BY 1, 2",
    "SELECT a.eventname, count(*) AS n FROM cloudtrail a JOIN cloudtrail b ON a.eventid = b.eventid "
    "WHERE b.timestamp = '2026/05/30' GROUP BY 1",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_results_are_the_same_with_and_without_the_cache(lakes, sql):
    plain, cached, _ = lakes
    expected, got = plain.sql(sql), cached.sql(sql)
    assert_same_result(expected, got)
    assert got.attrs["stats"]["cached_partitions"] == got.attrs["stats"]["partitions_read"] > 0
    assert expected.attrs["stats"]["cached_partitions"] == 0


@pytest.fixture(scope="module")
def half_cached(demo_root, tmp_path_factory) -> Lake:
    """The lake with only its last two days cached: queries unite Parquet and JSON."""
    lake = Lake.local(demo_root, cache_dir=tmp_path_factory.mktemp("half-cache"))
    lake.compact(since=(END - timedelta(days=2)).date(), progress=False)
    return lake


@pytest.mark.parametrize("sql", QUERIES)
def test_results_are_the_same_when_some_partitions_come_from_json(lakes, half_cached, sql):
    plain, _, _ = lakes
    expected, got = plain.sql(sql), half_cached.sql(sql)
    assert_same_result(expected, got)
    s = got.attrs["stats"]
    assert s["cached_partitions"] > 0 and (
        s["cached_partitions"] < s["partitions_read"] or "timestamp =" in sql
    )


@pytest.mark.parametrize(
    "hunt",
    [
        "root_activity",
        "unused_region_activity",
        "lambda_backdoor",
        "new_role_trusting_outside_org",
        "cross_account_assume_role_chain",
        "ebs_snapshot_shared_outside_org",
        "s3_bulk_object_download",
        "cloudtrail_tampering",
    ],
)
def test_hunts_find_the_same_rows_from_the_cache(lakes, hunt):
    plain, cached, _ = lakes
    window = {"start": END - timedelta(days=10), "end": END}
    expected, got = plain.hunt(hunt, **window), cached.hunt(hunt, **window)
    assert len(expected) > 0, f"{hunt} finds nothing in the demo lake: pick a hunt that does"
    assert_same_result(expected, got, sort_lists=True)  # array_agg's order is unspecified, as on Athena
    assert got.attrs["stats"]["cached_partitions"] > 0


def test_partition_pruning_still_reads_only_the_asked_partitions(lakes):
    plain, cached, _ = lakes
    sql = "SELECT count(*) AS n FROM cloudtrail WHERE timestamp = '2026/05/30'"
    expected, got = plain.sql(sql), cached.sql(sql)
    assert got["n"][0] == expected["n"][0] > 0
    s, p = got.attrs["stats"], expected.attrs["stats"]
    assert s["partitions_read"] == p["partitions_read"] == s["cached_partitions"]
    assert s["files_read"] == s["cached_partitions"]  # one Parquet file per partition
    assert s["cached_files"] == p["files_read"] > s["files_read"]
    whole = cached.sql("SELECT count(*) AS n FROM cloudtrail").attrs["stats"]
    assert whole["cached_partitions"] > s["cached_partitions"]


def test_parquet_scan_has_the_json_scans_column_types(lakes, demo_root):
    _, cached, _ = lakes
    con = cached.engine.con
    some = sorted((demo_root / ".orginsight" / "parquet").rglob("*.parquet"))[:2]
    files = [f.path for f in cached.engine.files()][:5]
    for columns in [
        None,
        {"useridentity": {("arn",), ("sessioncontext", "sessionissuer", "arn")}, "eventname": None},
        {
            "useridentity": {("sessioncontext", "webidfederationdata", "attributes")},
            "tlsdetails": {("tlsversion",)},
        },
        {
            "resources": None,
            "addendum": {("reason",)},
            "requestparameters": None,
            "account": None,
            "timestamp": None,
        },
    ]:
        from_json = con.execute(f"DESCRIBE {scan.scan_sql(columns, True)}", {"files": files}).fetchall()
        from_parquet = con.execute(
            f"DESCRIBE {parquet_cache.scan_sql(columns)}", {"parquet": [str(p) for p in some]}
        ).fetchall()
        # A struct read only down to text fields keeps CloudTrail's camelCase keys in the JSON scan;
        # DuckDB matches field names whatever their case, in queries and in UNION ALL BY NAME.
        assert [(n, t.lower()) for n, t, *_ in from_parquet] == [(n, t.lower()) for n, t, *_ in from_json]


def test_load_into_memory_reads_the_cache_too(demo_root, lakes):
    plain, _, _ = lakes
    lake = Lake.local(demo_root)
    loaded = lake.load_into_memory()
    assert (
        loaded["cached_partitions"] > 0
        and loaded["records"] == plain.sql("SELECT count(*) n FROM cloudtrail")["n"][0]
    )
    sql = "SELECT eventname, useridentity.arn AS arn, count(*) AS n FROM cloudtrail GROUP BY 1, 2"
    got = lake.sql(sql)
    assert got.attrs["stats"]["from_memory"]
    assert_same_result(plain.sql(sql), got)


def test_a_second_compact_writes_nothing(lakes, demo_root):
    again = Lake.local(demo_root).compact(progress=False)
    assert again["written"] == 0 and again["up_to_date"] == lakes[2]["written"]


def test_records_missing_whole_structs_read_the_same_from_parquet(tmp_path):
    """A record without userIdentity, resources or tlsDetails: NULL structs, alone and united with JSON."""
    root = tmp_path / "lake"
    for d in (1, 2):
        when = datetime(2024, 6, d, 5)
        bare = {
            k: v
            for k, v in record(ACCOUNTS[0], when, "Bare").items()
            if k not in ("userIdentity", "resources")
        }
        with_context = record(ACCOUNTS[0], when, "AssumeRole", tlsDetails={"tlsVersion": "TLSv1.3"})
        with_context["userIdentity"]["sessionContext"] = {"attributes": {"mfaAuthenticated": "false"}}
        write(root, ACCOUNTS[0], when, [bare, with_context, record(ACCOUNTS[0], when)], suffix=f"d{d}")
    plain = Lake.local(root, cache_dir=tmp_path / "none")
    mixed = Lake.local(root)
    assert mixed.compact(until="2024-06-01", progress=False)["written"] == 1
    for sql in [
        "SELECT eventid, useridentity.arn IS NULL AS no_arn, useridentity.sessioncontext IS NULL AS no_ctx, "
        "useridentity.sessioncontext.attributes AS attrs, tlsdetails.tlsversion AS tls, "
        "cardinality(resources) AS n FROM cloudtrail",
        "SELECT eventid, useridentity.sessioncontext.attributes IS NULL AS no_attrs, "
        "useridentity.sessioncontext.attributes AS attrs, useridentity.sessioncontext.sessionissuer.arn AS issuer "
        "FROM cloudtrail",
        "SELECT eventid, useridentity, resources, tlsdetails FROM cloudtrail",
    ]:
        got = mixed.sql(sql)
        assert got.attrs["stats"]["cached_partitions"] == 1 and got.attrs["stats"]["partitions_read"] == 2
        assert_same_result(plain.sql(sql), got)


# --- staleness, bad files, open days ------------------------------------------------------------------


def test_a_changed_or_added_file_makes_its_partition_stale_until_compacted_again(tmp_path):
    root = small_lake(tmp_path / "lake")
    lake = Lake.local(root)
    assert lake.compact(progress=False)["written"] == 6
    sql = "SELECT count(*) AS n FROM cloudtrail"
    assert lake.sql(sql).attrs["stats"]["cached_partitions"] == 6

    touched = next((root / "AWSLogs").rglob("*d0h03.json.gz"))
    replace_file(
        touched, touched.read_bytes()
    )  # changed as sync tools change files: by renaming a new one over it
    write(root, ACCOUNTS[1], datetime(2024, 6, 3, 20), suffix="late")  # a late file: 3 more records
    df, messages = caught(lambda: lake.sql(sql))
    assert df["n"][0] == 39
    assert df.attrs["stats"]["cached_partitions"] == 4
    assert len(messages) == 1 and "2 partition(s) is out of date" in messages[0]
    assert "orginsight lake compact" in messages[0] and "111122223333/eu-west-1/2024/06/01" in messages[0]
    df, messages = caught(lambda: lake.sql(sql))
    assert df["n"][0] == 39 and messages == []  # said once

    info = lake_info(root)
    assert (info.cache["cached"], info.cache["stale"], info.cache["closed_partitions"]) == (4, 2, 6)
    assert "4 of 6 closed partition(s) cached, 2 stale" in info.render()

    again = lake.compact(progress=False)
    assert (again["written"], again["up_to_date"]) == (2, 4)
    df, messages = caught(lambda: lake.sql(sql))
    assert df["n"][0] == 39 and df.attrs["stats"]["cached_partitions"] == 6 and messages == []


def test_a_missing_parquet_file_or_a_new_schema_falls_back_to_json(tmp_path, monkeypatch):
    root = small_lake(tmp_path / "lake")
    Lake.local(root).compact(progress=False)
    next((root / ".orginsight" / "parquet").rglob("*.parquet")).unlink()
    df, messages = caught(lambda: Lake.local(root).sql("SELECT count(*) AS n FROM cloudtrail"))
    assert df["n"][0] == 36 and df.attrs["stats"]["cached_partitions"] == 5 and len(messages) == 1

    monkeypatch.setattr(parquet_cache, "SCHEMA_ID", "another-schema")
    df, messages = caught(lambda: Lake.local(root).sql("SELECT count(*) AS n FROM cloudtrail"))
    assert df["n"][0] == 36 and df.attrs["stats"]["cached_partitions"] == 0
    assert "6 partition(s) is out of date" in messages[0]


def test_bad_files_stay_excluded_and_reported(tmp_path):
    root = small_lake(tmp_path / "lake")
    corrupt = write(
        root, ACCOUNTS[0], datetime(2024, 6, 2, 8), raw=b"\x1f\x8b\x08\x00 truncated", suffix="corrupt"
    )
    lake = Lake.local(root)
    result = lake.compact(progress=False)
    assert result["written"] == 6
    assert [b["file"] for b in result["bad_files"]] == [str(corrupt)]
    key = parquet_cache.PartitionKey(ACCOUNTS[0], "eu-west-1", date(2024, 6, 2))
    m = parquet_cache.manifest_from_json(parquet_cache.manifest_path(lake.engine.cache.dir, key).read_text())
    assert [b[0] for b in m.bad_files] == [parquet_cache.relative_path(str(corrupt), root)]
    assert "gzip" in m.bad_files[0][3]

    # Another bad file later adds no rows, so the partition's cache stays good; both are still reported.
    not_cloudtrail = write(
        root, ACCOUNTS[0], datetime(2024, 6, 2, 9), raw=gzip.compress(b'{"foo": 1}'), suffix="x"
    )
    df, messages = caught(lambda: Lake.local(root).sql("SELECT count(*) AS n FROM cloudtrail"))
    assert df["n"][0] == 36 and df.attrs["stats"]["cached_partitions"] == 6
    assert {b["file"] for b in df.attrs["stats"]["bad_files"]} == {str(corrupt), str(not_cloudtrail)}
    assert len(messages) == 1 and "2 unreadable file(s) skipped" in messages[0]


def test_open_days_are_not_compacted(tmp_path):
    now = datetime.now(UTC).replace(tzinfo=None)
    root = tmp_path / "lake"
    for days_ago in (0, 1, 3):
        write(root, ACCOUNTS[0], now - timedelta(days=days_ago), suffix=f"ago{days_ago}")
    lake = Lake.local(root)
    result = lake.compact(progress=False)
    assert (result["written"], result["open"]) == (1, 2)
    df = lake.sql("SELECT count(*) AS n FROM cloudtrail")
    assert df["n"][0] == 9 and df.attrs["stats"]["cached_partitions"] == 1
    assert df.attrs["stats"]["files_read"] == 3  # the Parquet file and two JSON files


def test_is_closed_waits_a_delivery_lag_after_the_day():
    day = date(2026, 11, 20)
    assert not parquet_cache.is_closed(day, datetime(2026, 11, 21, 12))
    assert not parquet_cache.is_closed(day, datetime(2026, 11, 21, 23, 59))
    assert parquet_cache.is_closed(day, datetime(2026, 11, 22, 0, 0))


def test_since_until_and_accounts_limit_what_is_compacted(tmp_path):
    root = small_lake(tmp_path / "lake")
    result = Lake.local(root).compact(
        since="2024-06-02", until="2024-06-02", accounts=[ACCOUNTS[1]], progress=False
    )
    assert result["written"] == 1
    df = Lake.local(root).sql("SELECT count(*) AS n FROM cloudtrail")
    assert df["n"][0] == 36 and df.attrs["stats"]["cached_partitions"] == 1


# --- where the cache lives -----------------------------------------------------------------------------


def test_an_unwritable_cache_dir_is_a_clear_error(tmp_path, capsys):
    root = small_lake(tmp_path / "lake")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(LakeError, match="cannot write the Parquet cache in .*a-file.*cache_dir"):
        Lake.local(root, cache_dir=blocker / "cache").compact(progress=False)
    assert cli.main(["lake", "compact", "--lake", str(root), "--cache-dir", str(blocker / "cache")]) == 1
    assert "cannot write the Parquet cache" in capsys.readouterr().err


def test_a_cache_dir_outside_the_lake_serves_a_read_only_lake(tmp_path, capsys):
    root = small_lake(tmp_path / "lake")
    elsewhere = tmp_path / "cache"
    Lake.local(root, cache_dir=elsewhere).compact(progress=False)
    assert not (root / ".orginsight" / "parquet").exists() and len(list(elsewhere.rglob("*.parquet"))) == 6
    assert (
        Lake.local(root, cache_dir=elsewhere)
        .sql("SELECT count(*) n FROM cloudtrail")
        .attrs["stats"]["cached_partitions"]
        == 6
    )
    assert Lake.local(root).sql("SELECT count(*) n FROM cloudtrail").attrs["stats"]["cached_partitions"] == 0
    query = ["sql", "SELECT count(*) n FROM cloudtrail", "--lake", str(root)]
    assert cli.main([*query, "--cache-dir", str(elsewhere)]) == 0
    assert "6 partition(s) from the Parquet cache" in capsys.readouterr().err
    assert cli.main([*query, "--cache-dir", str(elsewhere), "--verify-cache"]) == 0
    assert "6 partition(s) from the Parquet cache" in capsys.readouterr().err
    assert cli.main(query) == 0
    assert "from the Parquet cache" not in capsys.readouterr().err


def test_cli_compact_and_info(tmp_path, capsys):
    root = small_lake(tmp_path / "lake")
    assert cli.main(["lake", "info", "--lake", str(root)]) == 0
    assert "none of 6 closed partition(s)" in capsys.readouterr().out
    assert cli.main(["lake", "compact", "--lake", str(root), "--since", "2024-06-02"]) == 0
    out = capsys.readouterr().out
    assert "compacted 4 partition(s) (8 files, 24 records)" in out and "MB of Parquet" in out
    assert cli.main(["lake", "compact", "--lake", str(root)]) == 0
    out = capsys.readouterr().out
    assert "compacted 2 partition(s)" in out and "4 partition(s) already up to date" in out
    assert cli.main(["sql", "SELECT count(*) n FROM cloudtrail", "--lake", str(root)]) == 0
    captured = capsys.readouterr()
    assert "6 partition(s) from the Parquet cache" in captured.err


# --- pure parts ----------------------------------------------------------------------------------------


def test_manifest_round_trips_and_foreign_manifests_are_ignored():
    key = parquet_cache.PartitionKey("111122223333", "eu-west-1", date(2024, 6, 1))
    m = parquet_cache.Manifest(
        parquet_cache.SCHEMA_ID,
        (("AWSLogs/a.json.gz", 10, 20),),
        (("AWSLogs/b.json.gz", 1, 2, "not JSON"),),
        3,
        100,
        200,
        "2026-01-01T00:00:00Z",
    )
    assert parquet_cache.manifest_from_json(parquet_cache.manifest_to_json(key, m)) == m
    with_folders = dataclasses.replace(
        m, folders=(("AWSLogs/x/2024/06/01", 5, 7, ("a.json.gz", "b.json.gz")),)
    )
    assert parquet_cache.manifest_from_json(parquet_cache.manifest_to_json(key, with_folders)) == with_folders
    assert parquet_cache.manifest_from_json("{}") is None
    assert parquet_cache.manifest_from_json("not json") is None
    assert parquet_cache.manifest_from_json(json.dumps({"version": 99})) is None


def test_paths_and_relative_paths():
    key = parquet_cache.PartitionKey("111122223333", "eu-west-1", date(2024, 6, 1))
    base = Path("/c")
    assert parquet_cache.parquet_path(base, key) == Path("/c/111122223333/eu-west-1/2024/06/01.parquet")
    assert parquet_cache.manifest_path(base, key) == Path(
        "/c/111122223333/eu-west-1/2024/06/01.manifest.json"
    )
    assert parquet_cache.relative_path("/lake/AWSLogs/x/y.json.gz", Path("/lake")) == "AWSLogs/x/y.json.gz"
    assert parquet_cache.relative_path("AWSLogs/x/y.json.gz", Path(".")) == "AWSLogs/x/y.json.gz"


def test_a_copied_lake_keeps_its_cache_while_its_files_are_unchanged(tmp_path):
    """Manifests name files relative to the lake, so a copy keeping mtimes keeps its cache; a rewrite makes it stale."""
    root = small_lake(tmp_path / "lake")
    Lake.local(root).compact(progress=False)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)  # copy2 keeps mtimes, so the cache stays valid...
    assert Lake.local(copy).sql("SELECT count(*) n FROM cloudtrail").attrs["stats"]["cached_partitions"] == 6
    for f in (copy / "AWSLogs").rglob("*.json.gz"):  # ...until the files change
        f.write_bytes(f.read_bytes())
    df, messages = caught(lambda: Lake.local(copy).sql("SELECT count(*) n FROM cloudtrail"))
    assert df["n"][0] == 36 and df.attrs["stats"]["cached_partitions"] == 0 and messages


# --- the quick check on day folders ---------------------------------------------------------------------


SQL_COUNT = "SELECT count(*) AS n FROM cloudtrail"
SQL_ROWS = "SELECT account, timestamp, eventid, eventtime FROM cloudtrail"


def count_log_stats(monkeypatch) -> list[str]:
    """Every ``os.stat`` of a log file from now on (the walk may stat a file by its name inside the open folder)."""
    calls: list[str] = []
    real = os.stat

    def counting(path, *args, **kwargs):
        if str(path).endswith(".json.gz"):
            calls.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    return calls


def day_folder(root: Path, account: str, day: str) -> Path:
    return root / "AWSLogs" / ORG / account / "CloudTrail" / "eu-west-1" / day


def test_an_untouched_partition_is_trusted_without_a_stat_of_its_files(tmp_path, monkeypatch):
    root = small_lake(tmp_path / "lake")
    corrupt = write(root, ACCOUNTS[0], datetime(2024, 6, 2, 8), raw=b"\x1f\x8b\x08\x00 cut", suffix="corrupt")
    assert Lake.local(root).compact(progress=False)["written"] == 6
    expected, _ = caught(lambda: Lake.local(root, cache_dir=tmp_path / "none").sql(SQL_ROWS))

    calls = count_log_stats(monkeypatch)
    lake = Lake.local(root)
    got, messages = caught(lambda: lake.sql(SQL_ROWS))
    s = got.attrs["stats"]
    assert calls == [] and s["files_statted"] == 0
    assert s["cached_partitions"] == s["partitions_read"] == 6 and s["cached_files"] == 12
    assert not lake.engine.checks.loaded  # no file verdict was needed, so the verdict file was not even read
    assert [b["file"] for b in s["bad_files"]] == [str(corrupt)]  # reported from the manifest
    assert "gzip" in s["bad_files"][0]["error"] and "1 unreadable file(s)" in messages[0]
    assert_same_result(expected, got)


@pytest.mark.parametrize("change", ["added", "removed", "renamed"])
def test_an_added_removed_or_renamed_file_sends_its_partition_to_the_full_check(
    tmp_path, monkeypatch, change
):
    root = small_lake(tmp_path / "lake")
    assert Lake.local(root).compact(progress=False)["written"] == 6
    folder = day_folder(root, ACCOUNTS[1], "2024/06/03")
    first = sorted(folder.iterdir())[0]
    if change == "added":
        write(root, ACCOUNTS[1], datetime(2024, 6, 3, 20), suffix="late")
    elif change == "removed":
        first.unlink()
    else:
        first.rename(folder / first.name.replace("_d2h03", "_d2h03renamed"))
    expected = Lake.local(root, cache_dir=tmp_path / "none").sql(SQL_ROWS)
    assert len(expected) == {"added": 39, "removed": 33, "renamed": 36}[change]

    calls = count_log_stats(monkeypatch)
    got, messages = caught(lambda: Lake.local(root).sql(SQL_ROWS))
    s = got.attrs["stats"]
    assert_same_result(expected, got)
    assert sorted(Path(c).name for c in calls) == sorted(
        p.name for p in folder.iterdir()
    )  # that partition only
    assert s["files_statted"] == len(calls) and s["cached_partitions"] == 5
    assert (
        len(messages) == 1
        and "111122223333" not in messages[0]
        and "444455556666/eu-west-1/2024/06/03" in messages[0]
    )

    assert Lake.local(root).compact(progress=False)["written"] == 1
    got = Lake.local(root).sql(SQL_ROWS)
    assert got.attrs["stats"]["files_statted"] == 0 and got.attrs["stats"]["cached_partitions"] == 6
    assert_same_result(expected, got)


def test_a_file_rewritten_in_place_is_seen_by_the_full_check_only(tmp_path):
    """The one change the quick check cannot see (its folder is untouched): verify_cache, lake info and compact do."""
    root = small_lake(tmp_path / "lake")
    Lake.local(root).compact(progress=False)
    target = next(day_folder(root, ACCOUNTS[0], "2024/06/01").glob("*d0h03.json.gz"))
    folder_mtime = target.parent.stat().st_mtime_ns
    more = [record(ACCOUNTS[0], datetime(2024, 6, 1, 3) + timedelta(minutes=i)) for i in range(5)]
    target.write_bytes(
        gzip.compress(json.dumps({"Records": more}).encode())
    )  # truncated and rewritten, same inode
    assert target.parent.stat().st_mtime_ns == folder_mtime

    quick = Lake.local(root).sql(SQL_COUNT)
    assert (
        quick["n"][0] == 36 and quick.attrs["stats"]["files_statted"] == 0
    )  # trusted on its folder, as documented

    verified = Lake.local(root)
    verified.engine.verify_cache = True
    df, messages = caught(lambda: verified.sql(SQL_COUNT))
    assert (
        df["n"][0] == 38
        and df.attrs["stats"]["cached_partitions"] == 5
        and df.attrs["stats"]["files_statted"] == 12
    )
    assert "111122223333/eu-west-1/2024/06/01" in messages[0]
    assert lake_info(root).cache["stale"] == 1

    assert Lake.local(root).compact(progress=False)["written"] == 1
    df = Lake.local(root).sql(SQL_COUNT)
    assert (
        df["n"][0] == 38
        and df.attrs["stats"]["cached_partitions"] == 6
        and df.attrs["stats"]["files_statted"] == 0
    )


def test_manifests_without_folders_get_the_full_check_until_compact_records_them(tmp_path):
    root = small_lake(tmp_path / "lake")
    Lake.local(root).compact(progress=False)
    for path in (root / ".orginsight" / "parquet").rglob(
        "*.manifest.json"
    ):  # as written before folders were kept
        raw = json.loads(path.read_text())
        del raw["folders"]
        path.write_text(json.dumps(raw))
    df = Lake.local(root).sql(SQL_COUNT)
    assert (
        df["n"][0] == 36
        and df.attrs["stats"]["cached_partitions"] == 6
        and df.attrs["stats"]["files_statted"] == 12
    )

    again = Lake.local(root).compact(progress=False)
    assert (again["written"], again["up_to_date"], again["restamped"]) == (0, 6, 6)
    assert "6 of them had their day folders recorded again" in cache_report.summary(again)
    df = Lake.local(root).sql(SQL_COUNT)
    assert (
        df["n"][0] == 36
        and df.attrs["stats"]["cached_partitions"] == 6
        and df.attrs["stats"]["files_statted"] == 0
    )
    assert Lake.local(root).compact(progress=False)["restamped"] == 0


def test_a_copied_lake_gets_the_full_check_until_compacted_there(tmp_path):
    """A copy keeps mtimes but not inodes: its folders are new, so its files are checked one by one."""
    root = small_lake(tmp_path / "lake")
    Lake.local(root).compact(progress=False)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    df = Lake.local(copy).sql(SQL_COUNT)
    assert df.attrs["stats"]["cached_partitions"] == 6 and df.attrs["stats"]["files_statted"] == 12
    assert Lake.local(copy).compact(progress=False)["restamped"] == 6
    df = Lake.local(copy).sql(SQL_COUNT)
    assert (
        df["n"][0] == 36
        and df.attrs["stats"]["cached_partitions"] == 6
        and df.attrs["stats"]["files_statted"] == 0
    )


def test_load_into_memory_over_trusted_partitions_serves_later_queries(tmp_path):
    root = small_lake(tmp_path / "lake")
    Lake.local(root).compact(progress=False)
    lake = Lake.local(root)
    loaded = lake.load_into_memory()
    assert loaded["files"] == 12 and loaded["records"] == 36 and loaded["cached_partitions"] == 6
    df = lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2024/06/02'")
    assert df["n"][0] == 12 and df.attrs["stats"]["from_memory"] and df.attrs["stats"]["files_read"] == 4
