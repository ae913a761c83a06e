"""Importing loose CloudTrail files as an analyst receives them."""

from __future__ import annotations

import gzip
import json
import tarfile
import zipfile

from orginsight import Lake
from orginsight.sources.lake_import import ImportFailure, import_files


def rec(i: int, account: str = "111122223333", region: str = "eu-west-1", day: int = 1) -> dict:
    return {
        "eventVersion": "1.09",
        "eventTime": f"2024-06-{day:02d}T10:{i % 60:02d}:00Z",
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": region,
        "eventID": f"e-{account}-{region}-{day}-{i}",
        "recipientAccountId": account,
        "userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com"},
    }


def test_every_wrapping_lands_in_the_layout_once(tmp_path):
    src = tmp_path / "src"
    (src / "tree" / "deeper").mkdir(parents=True)
    (src / "a.json").write_text(json.dumps({"Records": [rec(i) for i in range(5)]}))
    (src / "b.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": [rec(i, day=2) for i in range(5)]}).encode())
    )
    (src / "c.jsonl").write_text("\n".join(json.dumps(rec(i, region="us-east-1")) for i in range(5)))
    (src / "tree" / "deeper" / "d.json").write_text(
        json.dumps({"Records": [rec(i, "444455556666") for i in range(5)]})
    )
    (src / "e.json").write_text(
        "\n".join(
            json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": rec(i, day=3)})
            for i in range(5)
        )
    )
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
    assert sorted(f.source.rsplit("/", 1)[-1] for f in report.failures) == ["broken.json.gz", "notes.json"]
    assert "gzip" in {f.source: f.reason for f in report.failures}[str(src / "broken.json.gz")]
    df = Lake.local(lake).sql(
        "SELECT account, region, timestamp, count(*) n FROM cloudtrail GROUP BY 1, 2, 3"
    )
    assert df["n"].sum() == 35 and set(df["timestamp"]) == {f"2024/06/0{d}" for d in range(1, 6)}
    keys = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.json.gz"))
    assert all(k.startswith("AWSLogs/o-a1b2c3d4e5/") and "/CloudTrail/" in k for k in keys)

    again = import_files([src], lake)
    assert again.files_written == 0 and again.files_already_present == report.files_written
    assert (again.records_read, again.records_placed, again.records_already_in_lake) == (35, 0, 35)
    assert sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.json.gz")) == keys


def test_duplicate_records_across_inputs_are_placed_once(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"Records": [rec(1), rec(2)]}))
    (tmp_path / "b.json").write_text(json.dumps({"Records": [rec(2), rec(3)]}))
    report = import_files([tmp_path / "a.json", tmp_path / "b.json"], tmp_path / "lake")
    assert (report.records_read, report.records_placed, report.duplicates) == (4, 3, 1)


def test_missing_inputs_are_reported(tmp_path):
    report = import_files([tmp_path / "nope.json"], tmp_path / "lake")
    assert report.failures == [ImportFailure(str(tmp_path / "nope.json"), "no such file or folder")]


def test_a_broken_input_keeps_what_was_read_before_the_break(tmp_path):
    whole = gzip.compress(json.dumps({"Records": [rec(i) for i in range(400)]}).encode())
    (tmp_path / "cut.json.gz").write_bytes(whole[: len(whole) // 2])
    lines = [json.dumps(rec(i, day=2)) for i in range(5)]
    lines[2] = lines[2][:40]  # a line cut short, as by an interrupted copy
    (tmp_path / "lines.jsonl").write_text("\n".join(lines))
    report = import_files([tmp_path / "cut.json.gz", tmp_path / "lines.jsonl"], tmp_path / "lake")
    cut, line = report.failures
    assert cut.source == str(tmp_path / "cut.json.gz") and "truncated gzip" in cut.reason
    assert f"the {report.records_read - 4} record(s) before it were read" in cut.reason
    assert line.source == str(tmp_path / "lines.jsonl") and line.reason.startswith("line 3 is not JSON")
    assert 0 < report.records_placed == report.records_read and report.records_read - 4 < 400


def test_records_of_the_wrong_type_fail_one_by_one(tmp_path):
    records = [rec(1), "a string", [rec(2)], {**rec(3), "eventTime": 5}, {**rec(4), "eventID": {"x": 1}}]
    (tmp_path / "a.json").write_text(json.dumps({"Records": records}))
    report = import_files([tmp_path / "a.json"], tmp_path / "lake")
    assert (report.records_read, report.records_placed, report.records_failed) == (5, 2, 3)
    assert [(f.record, f.reason) for f in report.failures] == [
        (2, "is a string, not a JSON object"),
        (3, "is an array, not a JSON object"),
        (4, "eventTime is a number, not a time string"),
    ]
    assert f"record 2 of {tmp_path / 'a.json'}: is a string" in report.summary()


def test_records_are_written_in_batches_and_counted_exactly(tmp_path, monkeypatch):
    """With a tiny batch size every record is flushed on its own; the counts and a re-import stay exact."""
    from orginsight.sources.lake_import import importer as lake_import

    monkeypatch.setattr(lake_import, "_FLUSH_BYTES", 1)
    (tmp_path / "a.json").write_text(json.dumps({"Records": [rec(i) for i in range(20)] + [rec(3)]}))
    report = import_files([tmp_path / "a.json"], tmp_path / "lake")
    assert (report.records_placed, report.files_written, report.duplicates) == (20, 20, 1)
    again = import_files([tmp_path / "a.json"], tmp_path / "lake")
    assert (again.records_placed, again.records_already_in_lake, again.duplicates) == (0, 20, 1)


def test_parse_records_reads_every_wrapping(tmp_path):
    from orginsight.sources.lake_import import parse_records

    wrapped = json.dumps({"Records": [rec(1), "x", rec(2)], "trailer": {"a": [1, 2]}}).encode()
    assert [r["eventID"] for r in parse_records(wrapped)] == [
        "e-111122223333-eu-west-1-1-1",
        "e-111122223333-eu-west-1-1-2",
    ]
    assert len(parse_records(json.dumps([rec(1), {"detail": rec(2)}]).encode())) == 2
    assert len(parse_records(gzip.compress(b"\xef\xbb\xbf" + json.dumps(rec(1)).encode()))) == 1
