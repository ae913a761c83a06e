"""The S3 key layout rules: which keys are CloudTrail log files, and what partitions they carry."""

import os
from datetime import date, datetime

import pytest

from orginsight.sources.layout import (
    cloudtrail_key,
    iter_cloudtrail_files,
    iter_cloudtrail_folders,
    parse_cloudtrail_key,
)

ORG = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2024/06/01/"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            ORG + "111122223333_CloudTrail_eu-west-1_20240601T0005Z_AbCdEf0123456789.json.gz",
            {"org": "o-a1b2c3d4e5", "account": "111122223333", "region": "eu-west-1"},
        ),
        (
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/06/01/x.json",
            {"org": None, "account": "111122223333", "region": "us-east-1"},
        ),
        (
            "prefix/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-gov-west-1/2024/06/01/x.json.gz",
            {"org": "o-a1b2c3d4e5", "account": "111122223333", "region": "us-gov-west-1"},
        ),
    ],
)
def test_log_file_keys_carry_their_partitions(key, expected):
    got = parse_cloudtrail_key(key)
    assert {k: got[k] for k in expected} == expected
    assert (got["yyyy"], got["mm"], got["dd"]) in {("2024", "06", "01")}


@pytest.mark.parametrize(
    "key",
    [
        "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/2024/06/01/x_CloudTrail-Digest_x.json.gz",
        "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Insight/eu-west-1/2024/06/01/x.json.gz",
        "AWSLogs/111122223333/GuardDuty/eu-west-1/2024/06/01/x.jsonl.gz",
        ORG + "notes.txt",
        "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2024/06/x.json.gz",
    ],
)
def test_digests_insights_and_other_files_are_not_events(key):
    assert parse_cloudtrail_key(key) is None


def test_cloudtrail_key_round_trips():
    key = cloudtrail_key(
        "111122223333", "eu-west-1", datetime(2024, 6, 1, 0, 5), org_id="o-a1b2c3d4e5", suffix="S" * 16
    )
    assert key == ORG + "111122223333_CloudTrail_eu-west-1_20240601T0005Z_SSSSSSSSSSSSSSSS.json.gz"
    assert parse_cloudtrail_key(key)["account"] == "111122223333"


def test_walk_skips_other_prefixes_and_prunes_by_partition(tmp_path):
    def touch(rel):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")

    touch(ORG + "a.json.gz")
    touch("AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2024/06/02/b.json.gz")
    touch("AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/us-east-1/2024/06/01/c.json")
    touch("AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/2024/06/01/d.json.gz")
    touch("AWSLogs/111122223333/GuardDuty/eu-west-1/2024/06/01/e.jsonl.gz")
    names = sorted(f.path.rsplit("/", 1)[1] for f in iter_cloudtrail_files(tmp_path))
    assert names == ["a.json.gz", "b.json.gz", "c.json"]

    class OneDay:
        accounts = {"111122223333"}
        regions = None
        first_day = last_day = date(2024, 6, 1)

    assert [f.path.rsplit("/", 1)[1] for f in iter_cloudtrail_files(tmp_path, OneDay())] == ["a.json.gz"]


def touch(root, rel, data=b"x"):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_day_folders_list_log_names_without_a_stat_per_file(tmp_path):
    for name in ["b.json.gz", "a.json", ".json", ".json.gz", "notes.txt", "c.json.gz.part", "x.jsonl.gz"]:
        touch(tmp_path, ORG + name)
    (tmp_path / ORG / "sub.json.gz").mkdir()  # a folder, not a file
    touch(
        tmp_path, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/06/01/single.json.gz"
    )  # a single-account trail
    (single, folder) = iter_cloudtrail_folders(tmp_path)  # key order: digits before "o-"
    assert folder.names == ("a.json", "b.json.gz") and single.names == ("single.json.gz",)
    assert (folder.account, folder.region, folder.day, folder.org_id) == (
        "111122223333",
        "eu-west-1",
        date(2024, 6, 1),
        "o-a1b2c3d4e5",
    )
    assert single.org_id is None
    st = os.stat(folder.path)
    assert (folder.mtime_ns, folder.inode) == (st.st_mtime_ns, st.st_ino)


def test_files_carry_size_and_mtime_from_one_stat_and_a_file_gone_since_the_listing_is_left_out(tmp_path):
    kept = touch(tmp_path, ORG + "a.json.gz", b"12345")
    gone = touch(tmp_path, ORG + "b.json.gz")
    (folder,) = iter_cloudtrail_folders(tmp_path)
    gone.unlink()
    (f,) = folder.files()
    assert f.path == str(kept) and f.size == 5 and f.mtime_ns == kept.stat().st_mtime_ns
    assert f.timestamp == "2024/06/01"


def test_folders_that_are_no_day_of_a_trail_are_skipped(tmp_path):
    base = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/"
    for rel in [
        "eu-west-1/2024/02/30/a.json.gz",
        "eu-west-1/2024/13/01/a.json.gz",
        "eu-west-1/24/06/01/a.json.gz",
        "eu-west-1/2024/6/01/a.json.gz",
        "not-a-region/2024/06/01/a.json.gz",
        "eu-west-1/2024/06/1/a.json.gz",
    ]:
        touch(tmp_path, base + rel)
    touch(tmp_path, "AWSLogs/o-bad/111122223333/CloudTrail/eu-west-1/2024/06/01/a.json.gz")
    assert list(iter_cloudtrail_folders(tmp_path)) == []


def test_a_day_range_across_months_prunes_years_months_and_days(tmp_path):
    for day in ["2023/12/31", "2024/05/30", "2024/05/31", "2024/06/01", "2024/06/02", "2025/06/01"]:
        touch(tmp_path, f"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/{day}/a.json.gz")

    class TwoDays:
        accounts = regions = None
        first_day, last_day = date(2024, 5, 31), date(2024, 6, 1)

    assert [d.day for d in iter_cloudtrail_folders(tmp_path, TwoDays())] == [
        date(2024, 5, 31),
        date(2024, 6, 1),
    ]
    assert len(list(iter_cloudtrail_files(tmp_path))) == 6
