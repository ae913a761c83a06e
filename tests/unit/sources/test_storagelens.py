"""Storage Lens export readers on small CSV and Parquet exports built from the documented schema.

Schema, key layout and manifest keys: AWS S3 User Guide, "Understanding the Amazon S3 Storage
Lens export schema" (notes in ../shared/data/storagelens/SCHEMA_NOTES.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlglot
from data.aws.storagelens import ACCOUNT, CONFIG, day_rows, write_export
from sqlglot import exp

from orginsight.collectors import storagelens as lens_configs
from orginsight.engines.storagelens import query_local
from orginsight.sources import storagelens as sl


@pytest.fixture
def csv_lake(tmp_path):
    write_export(tmp_path, "2024-05-01", day_rows("2024-05-01"), parts=3)
    write_export(
        tmp_path,
        "2024-05-02",
        day_rows("2024-05-02", alpha_encrypted=200, alpha_versioning=0),
        parts=2,
        header=False,
    )
    return tmp_path


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_split_export_reads_every_listed_file_and_keeps_record_types_apart(tmp_path, fmt):
    rows = day_rows("2024-05-01")
    files = write_export(tmp_path, "2024-05-01", rows, fmt=fmt, parts=3)
    assert len(files) == 3
    long = sl.read_exports(tmp_path)
    assert len(long) == len(rows)
    assert long.attrs["problems"] == []
    assert long["metric_value"].dtype == "int64"
    assert set(long["record_type"]) == {"BUCKET", "ACCOUNT", "PREFIX", "STORAGE_LENS_GROUP_ACCOUNT"}
    assert set(long["dt"]) == {"2024-05-01"}
    wide = sl.pivot_wide(long)
    account = wide[wide["record_type"] == "ACCOUNT"]
    assert account["StorageBytes"].tolist() == [1900]  # not summed with the buckets' 1900 + prefix 700
    assert len(wide[(wide["record_type"] == "BUCKET") & (wide["bucket_name"] == "alpha")]) == 2  # two classes


def test_record_values_are_url_decoded(csv_lake):
    long = sl.read_exports(csv_lake)
    prefixes = set(long.loc[long["record_type"] == "PREFIX", "record_value"])
    assert prefixes == {"logs/2024 Q1/a+b/"}
    groups = set(long.loc[long["record_type"] == "STORAGE_LENS_GROUP_ACCOUNT", "record_value"])
    assert groups == {"arn:aws:s3:us-east-1:111122223333:storage-lens-group/slg-1"}
    assert long.loc[long["record_type"] == "ACCOUNT", "bucket_name"].isna().all()  # missing is None, not ""


def test_derived_metrics_match_hand_computed_values(csv_lake):
    b = sl.read_bucket_protection(csv_lake)
    alpha1 = b[(b["bucket"] == "alpha") & (b["dt"] == "2024-05-01")].iloc[0]
    # alpha over both storage classes: 1500 bytes, 1300 encrypted, 15 objects, 13 encrypted.
    assert alpha1["StorageBytes"] == 1500
    assert alpha1["UnencryptedStorageBytes"] == 200
    assert alpha1["UnencryptedObjectCount"] == 2
    assert alpha1["EncryptedStorageBytesRatio"] == pytest.approx(1300 / 1500)
    assert alpha1["EncryptedObjectCountRatio"] == pytest.approx(13 / 15)
    assert alpha1["UnencryptedStorageBytesRatio"] == pytest.approx(200 / 1500)
    assert alpha1["ReplicatedStorageBytesSourceRatio"] == pytest.approx(900 / 1500)
    assert alpha1["ObjectLockEnabledStorageBytesRatio"] == pytest.approx(250 / 1500)
    assert alpha1["VersioningEnabledBucketRatio"] == 1.0 and bool(alpha1["versioning_enabled"])
    alpha2 = b[(b["bucket"] == "alpha") & (b["dt"] == "2024-05-02")].iloc[0]
    assert alpha2["EncryptedStorageBytesRatio"] == pytest.approx(700 / 1500)
    assert not alpha2["versioning_enabled"]
    beta = b[b["bucket"] == "beta"]
    assert beta["EncryptedStorageBytesRatio"].tolist() == [0.0, 0.0]
    assert beta["region"].unique().tolist() == ["eu-west-1"]

    acct = sl.account_protection(b)
    day1 = acct[acct["dt"] == "2024-05-01"].iloc[0]
    assert day1["EncryptedStorageBytesRatio"] == pytest.approx(1300 / 1900)  # totals over totals
    assert day1["VersioningEnabledBucketRatio"] == pytest.approx(0.5)


def test_ratio_over_an_empty_bucket_is_nan_not_zero():
    wide = pd.DataFrame({"record_type": ["BUCKET"], "StorageBytes": [0], "EncryptedStorageBytes": [0]})
    out = sl.add_derived_metrics(wide)
    assert out["UnencryptedStorageBytes"].tolist() == [0]
    assert out["EncryptedStorageBytesRatio"].isna().all()


def test_manifest_decides_which_files_belong_to_a_day(tmp_path):
    files = write_export(tmp_path, "2024-05-01", day_rows("2024-05-01"), parts=3)
    stray = files[0].with_name("stray-copy.csv")
    stray.write_bytes(files[0].read_bytes())
    files[1].unlink()
    orphan = tmp_path / "exports/StorageLens" / ACCOUNT / CONFIG / "V_1/reports/dt=2024-05-03"
    orphan.mkdir(parents=True)
    (orphan / "x.csv").write_text("")
    with pytest.warns(UserWarning) as warned:
        long = sl.read_exports(tmp_path)
    messages = " | ".join(str(w.message) for w in warned)
    assert (
        "missing" in messages and "not listed in the manifest" in messages and "no manifest.json" in messages
    )
    problems = sl.problems_frame(long)
    by_path = dict(zip(problems["path"].map(lambda p: Path(p).name), problems["problem"], strict=True))
    assert "listed in the manifest but missing" in by_path[files[1].name]
    assert "not listed in the manifest" in by_path["stray-copy.csv"]
    assert "no manifest.json" in by_path["dt=2024-05-03"]
    assert len(long) == len(day_rows("2024-05-01")) - len(day_rows("2024-05-01")[1::3])  # stray not read


def test_since_limits_the_days_read(csv_lake):
    assert set(sl.read_exports(csv_lake, since="2024-05-02")["dt"]) == {"2024-05-02"}


def test_unknown_record_type_is_refused(csv_lake):
    with pytest.raises(sl.ParameterError, match="BUCKETS"):
        sl.read_exports(csv_lake, record_types=["BUCKETS"])


def test_athena_ddl_parses_and_carries_partition_projection():
    ddl = sl.athena_ddl("s3://lens-exports/exports/StorageLens/111122223333/org-lens/V_1/reports")
    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
    props = {
        p.name: p.args["value"].name for p in tree.find_all(exp.Property) if p.args.get("value") is not None
    }
    assert props["projection.enabled"] == "true"
    assert props["projection.dt.type"] == "date"
    assert props["projection.dt.format"] == "yyyy-MM-dd"
    assert props["storage.location.template"].endswith("/V_1/reports/dt=${dt}/")
    cols = [c.name for c in tree.find_all(exp.ColumnDef)]
    assert cols[: len(sl.EXPORT_COLUMNS)] == list(sl.EXPORT_COLUMNS) and "dt" in cols
    parquet = sqlglot.parse_one(
        sl.athena_ddl("s3://b/StorageLens/1/c/V_1/reports/", report_format="Parquet"), read="athena"
    )
    assert "skip.header.line.count" not in parquet.sql("athena")
    with pytest.raises(sl.ParameterError):
        sl.athena_ddl("/local/path")


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_same_athena_sql_runs_locally_over_the_export(tmp_path, fmt):
    write_export(tmp_path, "2024-05-01", day_rows("2024-05-01"), fmt=fmt, parts=2)
    write_export(tmp_path, "2024-05-02", day_rows("2024-05-02", alpha_encrypted=200), fmt=fmt, parts=2)
    sql = """
        SELECT dt, bucket_name,
               sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) * 1.0
             / sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END) AS encrypted_ratio
        FROM storage_lens
        WHERE record_type = 'BUCKET' AND dt >= :since AND bucket_name = :bucket
        GROUP BY dt, bucket_name ORDER BY dt
    """
    df = query_local(tmp_path, sql, since="2024-05-01", bucket="alpha")
    assert df["dt"].tolist() == ["2024-05-01", "2024-05-02"]
    assert df["encrypted_ratio"].tolist() == pytest.approx([1300 / 1500, 700 / 1500])
    raw = query_local(tmp_path, "SELECT DISTINCT record_value FROM storage_lens WHERE record_type = 'PREFIX'")
    assert raw["record_value"].tolist() == ["logs%2F2024+Q1%2Fa%2Bb%2F"]  # encoded, as Athena sees it


def test_list_storage_lens_configurations_with_moto():
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    from moto.core import DEFAULT_ACCOUNT_ID as account  # moto refuses calls for another account

    with moto.mock_aws():
        client = boto3.client("s3control", region_name="us-east-1")
        for i in range(3):
            client.put_storage_lens_configuration(
                ConfigId=f"lens-{i}",
                AccountId=account,
                StorageLensConfiguration={
                    "Id": f"lens-{i}",
                    "IsEnabled": i != 2,
                    "AccountLevel": {"BucketLevel": {}},
                    "DataExport": {
                        "S3BucketDestination": {
                            "Format": "CSV",
                            "OutputSchemaVersion": "V_1",
                            "AccountId": account,
                            "Arn": "arn:aws:s3:::lens-exports",
                            "Prefix": "exports",
                        }
                    },
                },
            )
        df = lens_configs.list_storage_lens_configurations(client, account)
    assert sorted(df["config_id"]) == ["lens-0", "lens-1", "lens-2"]
    assert df.set_index("config_id")["enabled"].to_dict() == {"lens-0": True, "lens-1": True, "lens-2": False}
    assert set(df["export_format"]) == {"CSV"}
    loc = lens_configs.export_location(df.iloc[0].to_dict())
    assert loc == f"s3://lens-exports/exports/StorageLens/{account}/{df.iloc[0]['config_id']}/V_1/reports/"


def test_transform_storage_lens_configurations_on_recorded_responses():
    from data.aws import s3control as data

    df = lens_configs.transform_storage_lens_configurations(
        data.LIST_STORAGE_LENS_CONFIGURATIONS, data.GET_STORAGE_LENS_CONFIGURATION, data.ACCOUNT_ID
    )
    assert df.to_dict("records") == [
        {
            "account_id": "111122223333",
            "config_id": "org-storage-lens",
            "arn": "arn:aws:s3:us-east-1:111122223333:storage-lens/org-storage-lens",
            "home_region": "us-east-1",
            "enabled": True,
            "organization_arn": "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5",
            "prefix_level": True,
            "export_bucket_arn": "arn:aws:s3:::org-log-archive-storage-lens",
            "export_prefix": "exports",
            "export_format": "CSV",
            "export_account_id": "444455556666",
            "export_schema_version": "V_1",
        },
        {
            "account_id": "111122223333",
            "config_id": "default-account-dashboard",
            "arn": "arn:aws:s3:us-east-1:111122223333:storage-lens/default-account-dashboard",
            "home_region": "us-east-1",
            "enabled": False,
            "organization_arn": None,
            "prefix_level": False,
            "export_bucket_arn": None,
            "export_prefix": None,
            "export_format": None,
            "export_account_id": None,
            "export_schema_version": None,
        },
    ]
    assert lens_configs.export_location(df.iloc[0].to_dict()) == (
        "s3://org-log-archive-storage-lens/exports/StorageLens/111122223333/org-storage-lens/V_1/reports/"
    )
    assert lens_configs.export_location(df.iloc[1].to_dict()) is None


def test_get_storage_lens_configurations_follows_next_token_with_stubber():
    import boto3
    from botocore.stub import Stubber
    from data.aws import s3control as data

    client = boto3.client(
        "s3control", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "list_storage_lens_configurations",
            data.LIST_STORAGE_LENS_CONFIGURATIONS[0],
            {"AccountId": data.ACCOUNT_ID},
        )
        stub.add_response(
            "list_storage_lens_configurations",
            data.LIST_STORAGE_LENS_CONFIGURATIONS[1],
            {"AccountId": data.ACCOUNT_ID, "NextToken": "page-2"},
        )
        for resp in data.GET_STORAGE_LENS_CONFIGURATION:
            stub.add_response(
                "get_storage_lens_configuration",
                resp,
                {"ConfigId": resp["StorageLensConfiguration"]["Id"], "AccountId": data.ACCOUNT_ID},
            )
        pages, details = lens_configs.get_storage_lens_configurations(client, data.ACCOUNT_ID)
        stub.assert_no_pending_responses()
    assert len(pages) == 2 and [d["StorageLensConfiguration"]["Id"] for d in details] == [
        "org-storage-lens",
        "default-account-dashboard",
    ]


def test_an_unreadable_file_is_reported_and_the_rest_is_read(tmp_path):
    files = write_export(tmp_path, "2024-05-01", day_rows("2024-05-01"), parts=2)
    bad = files[0]
    bad.write_text(bad.read_text().replace(",1000\n", ",not-a-number\n"))
    manifest = next(tmp_path.rglob("manifest.json"))
    m = json.loads(manifest.read_text())
    for entry in m["reportFiles"]:
        if entry["key"].endswith(bad.name):
            entry["size"], entry["md5Checksum"] = (
                bad.stat().st_size,
                hashlib.md5(bad.read_bytes()).hexdigest(),
            )
    manifest.write_text(json.dumps(m))
    with pytest.warns(UserWarning, match="cannot read as CSV"):
        long = sl.read_exports(tmp_path)
    assert [p.path for p in long.attrs["problems"]] == [str(bad)]
    assert len(long) == len(day_rows("2024-05-01")[1::2])
