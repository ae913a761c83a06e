"""The S3 key layout rules: which keys are CloudTrail log files, and what partitions they carry."""

from datetime import date, datetime

import pytest

from orginsight.layout import cloudtrail_key, iter_cloudtrail_files, parse_cloudtrail_key

ORG = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2024/06/01/"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (ORG + "111122223333_CloudTrail_eu-west-1_20240601T0005Z_AbCdEf0123456789.json.gz",
         {"org": "o-a1b2c3d4e5", "account": "111122223333", "region": "eu-west-1"}),
        ("AWSLogs/111122223333/CloudTrail/us-east-1/2024/06/01/x.json",
         {"org": None, "account": "111122223333", "region": "us-east-1"}),
        ("prefix/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-gov-west-1/2024/06/01/x.json.gz",
         {"org": "o-a1b2c3d4e5", "account": "111122223333", "region": "us-gov-west-1"}),
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
    key = cloudtrail_key("111122223333", "eu-west-1", datetime(2024, 6, 1, 0, 5), org_id="o-a1b2c3d4e5", suffix="S" * 16)
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
