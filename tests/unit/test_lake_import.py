"""Importing loose CloudTrail files as an analyst receives them."""

from __future__ import annotations

import gzip
import json
import tarfile
import zipfile

from orginsight import Lake
from orginsight.lake_import import import_files


def rec(i: int, account: str = "111122223333", region: str = "eu-west-1", day: int = 1) -> dict:
    return {"eventVersion": "1.09", "eventTime": f"2024-06-{day:02d}T10:{i % 60:02d}:00Z", "eventName": "GetObject",
            "eventSource": "s3.amazonaws.com", "awsRegion": region, "eventID": f"e-{account}-{region}-{day}-{i}",
            "recipientAccountId": account, "userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com"}}


def test_every_wrapping_lands_in_the_layout_once(tmp_path):
    src = tmp_path / "src"
    (src / "tree" / "deeper").mkdir(parents=True)
    (src / "a.json").write_text(json.dumps({"Records": [rec(i) for i in range(5)]}))
    (src / "b.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [rec(i, day=2) for i in range(5)]}).encode()))
    (src / "c.jsonl").write_text("\n".join(json.dumps(rec(i, region="us-east-1")) for i in range(5)))
    (src / "tree" / "deeper" / "d.json").write_text(json.dumps({"Records": [rec(i, "444455556666") for i in range(5)]}))
    (src / "e.json").write_text("\n".join(json.dumps({"detail-type": "AWS API Call via CloudTrail",
                                                      "detail": rec(i, day=3)}) for i in range(5)))
    with zipfile.ZipFile(src / "f.zip", "w") as zf:
        zf.writestr("logs/f.json", json.dumps({"Records": [rec(i, day=4) for i in range(5)]}))
    inner = tmp_path / "g.json"
    inner.write_text(json.dumps({"Records": [rec(i, day=5) for i in range(5)]}))
    with tarfile.open(src / "g.tar.gz", "w:gz") as tf:
        tf.add(inner, arcname="g.json")
    (src / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    (src / "notes.json").write_text('{"hello": "world"}')

    lake = tmp_path / "lake"
    report = import_files([src], lake, org_id="o-a1b2c3d4e5")
    assert report.records_read == report.records_placed == 35
    assert sorted(name.rsplit("/", 1)[-1] for name, _ in report.failures) == ["broken.json.gz", "notes.json"]
    assert "gzip" in dict(report.failures)[str(src / "broken.json.gz")]
    df = Lake.local(lake).sql("SELECT account, region, timestamp, count(*) n FROM cloudtrail GROUP BY 1, 2, 3")
    assert df["n"].sum() == 35 and set(df["timestamp"]) == {f"2024/06/0{d}" for d in range(1, 6)}
    keys = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.json.gz"))
    assert all(k.startswith("AWSLogs/o-a1b2c3d4e5/") and "/CloudTrail/" in k for k in keys)

    again = import_files([src], lake)
    assert again.files_written == 0 and again.files_already_present == report.files_written
    assert sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.json.gz")) == keys


def test_duplicate_records_across_inputs_are_placed_once(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"Records": [rec(1), rec(2)]}))
    (tmp_path / "b.json").write_text(json.dumps({"Records": [rec(2), rec(3)]}))
    report = import_files([tmp_path / "a.json", tmp_path / "b.json"], tmp_path / "lake")
    assert (report.records_read, report.records_placed, report.duplicates) == (4, 3, 1)


def test_missing_inputs_are_reported(tmp_path):
    report = import_files([tmp_path / "nope.json"], tmp_path / "lake")
    assert report.failures == [(str(tmp_path / "nope.json"), "no such file or folder")]
