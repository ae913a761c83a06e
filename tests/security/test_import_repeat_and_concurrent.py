"""Hostile cases: repeated, overlapping and concurrent imports, and a damaged lake file.

Counts are evidence in an investigation, so every record of the inputs must be in the lake exactly
once, whatever the order and overlap of imports: importing a folder again after it grew adds only
the new records, overlapping exports add the overlap once, two imports running at the same time
into one lake (two real processes) together place each record once and report exact counts, and
a lake file that was truncated or overwritten is found and rewritten by the next import of its
partition. The lake is counted with the json module, not with the code under test.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

from orginsight.sources.lake_import import ImportReport, import_files

ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
REGIONS = ["eu-west-1", "us-east-1"]


def record(i: int, with_id: bool = True) -> dict:
    """Record ``i``: spread over 3 accounts x 2 regions x 2 days, several to each 5-minute file."""
    rec = {
        "eventVersion": "1.09",
        "eventTime": f"2024-06-{1 + i % 2:02d}T10:{i % 60:02d}:{i % 7:02d}Z",
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": REGIONS[(i // 2) % 2],
        "recipientAccountId": ACCOUNTS[i % 3],
        "requestParameters": {"bucketName": "b", "key": f"object-{i}"},
        "userIdentity": {"type": "AWSService"},
    }
    if with_id:
        rec["eventID"] = f"event-{i:05d}"
    return rec


def lake_counts(lake: Path) -> Counter:
    """How many times each record is in the lake (by eventID, else by its object key)."""
    seen: Counter = Counter()
    for f in sorted((lake / "AWSLogs").rglob("*.json*")):
        for rec in json.loads(gzip.decompress(f.read_bytes()))["Records"]:
            seen[rec.get("eventID") or rec["requestParameters"]["key"]] += 1
    return seen


def balanced(report: ImportReport) -> bool:
    placed = (
        report.records_placed + report.duplicates + report.records_already_in_lake + report.records_failed
    )
    return report.records_read == placed


def write_records(path: Path, ids: range, with_id: bool = True) -> Path:
    path.write_text(json.dumps({"Records": [record(i, with_id) for i in ids]}))
    return path


def test_importing_a_grown_folder_again_adds_only_the_new_records(tmp_path):
    src = tmp_path / "export"
    src.mkdir()
    write_records(src / "part-1.json", range(0, 100))
    lake = tmp_path / "lake"
    first = import_files([src], lake)
    assert (first.records_placed, first.records_already_in_lake) == (100, 0)

    write_records(src / "part-2.json", range(50, 150))  # the customer's export grew, overlapping the first
    (src / "part-3.jsonl").write_text("\n".join(json.dumps(record(i)) for i in range(140, 160)))
    again = import_files([src], lake)
    assert (again.records_read, again.records_placed) == (220, 60)
    # 0-99 are in the lake; 50-99 and 140-149 are also repeats within this import's inputs
    assert (again.records_already_in_lake, again.duplicates) == (100, 60)
    assert not again.failures and balanced(again)
    assert lake_counts(lake) == Counter({f"event-{i:05d}": 1 for i in range(160)})

    third = import_files([src], lake)
    assert (third.records_placed, third.files_written) == (0, 0)
    assert lake_counts(lake) == Counter({f"event-{i:05d}": 1 for i in range(160)})


def test_two_overlapping_sources_in_other_wrappings_add_each_record_once(tmp_path):
    lake = tmp_path / "lake"
    write_records(tmp_path / "trail.json", range(0, 80))
    with zipfile.ZipFile(tmp_path / "other-copy.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        events = [{"detail-type": "AWS API Call via CloudTrail", "detail": record(i)} for i in range(40, 120)]
        zf.writestr("events.jsonl", "\n".join(map(json.dumps, events)))
    both = import_files([tmp_path / "trail.json", tmp_path / "other-copy.zip"], lake)
    assert (both.records_read, both.records_placed, both.duplicates) == (160, 120, 40) and balanced(both)
    other_order = import_files([tmp_path / "other-copy.zip", tmp_path / "trail.json"], tmp_path / "lake2")
    assert other_order.records_placed == 120
    assert (
        lake_counts(lake)
        == lake_counts(tmp_path / "lake2")
        == Counter({f"event-{i:05d}": 1 for i in range(120)})
    )


def test_records_without_event_id_are_deduplicated_by_content(tmp_path):
    lake = tmp_path / "lake"
    first = import_files([write_records(tmp_path / "a.json", range(0, 60), with_id=False)], lake)
    second = import_files([write_records(tmp_path / "b.json", range(30, 90), with_id=False)], lake)
    assert (first.records_placed, second.records_placed, second.records_already_in_lake) == (60, 30, 30)
    assert lake_counts(lake) == Counter({f"object-{i}": 1 for i in range(90)})


CONCURRENT = r"""
import json, os, sys, time
from orginsight.sources.lake_import import import_files

go, lake, *sources = sys.argv[1:]
while not os.path.exists(go):
    time.sleep(0.002)
r = import_files(sources, lake)
print(json.dumps({k: getattr(r, k) for k in ("records_read", "records_placed", "duplicates",
                                              "records_already_in_lake", "records_failed", "files_written")}))
"""


def test_two_concurrent_imports_place_each_record_once_with_exact_counts(tmp_path):
    a = write_records(tmp_path / "a.json", range(0, 3000))
    b = write_records(tmp_path / "b.json", range(1000, 4000))
    c = write_records(tmp_path / "c.json", range(2000, 5000))
    lake, go = tmp_path / "lake", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(go), str(lake), *map(str, srcs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for srcs in ([a, b, c], [c, b, a])
    ]
    time.sleep(0.5)  # both processes up and waiting: they start importing the same moment
    go.touch()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
        reports.append(json.loads(out))
    assert lake_counts(lake) == Counter({f"event-{i:05d}": 1 for i in range(5000)})
    assert sum(r["records_placed"] for r in reports) == 5000, reports
    for r in reports:
        assert r["records_read"] == 9000 and r["records_failed"] == 0
        assert r["records_placed"] + r["duplicates"] + r["records_already_in_lake"] == 9000, r
    assert not list(lake.rglob(".*.part")), "no temporary file is left behind"


def test_a_damaged_lake_file_is_repaired_by_the_next_import_of_its_partition(tmp_path):
    burst = [
        {
            **record(i),
            "eventTime": f"2024-06-01T10:{i // 400 * 5:02d}:{i % 60:02d}Z",
            "recipientAccountId": ACCOUNTS[0],
            "awsRegion": REGIONS[0],
        }
        for i in range(800)
    ]
    src = tmp_path / "trail.json"
    src.write_text(json.dumps({"Records": burst}))  # two files of 400 records: 10:00 and 10:05
    lake = tmp_path / "lake"
    assert import_files([src], lake).records_placed == 800
    truncated, overwritten = sorted((lake / "AWSLogs").rglob("*.json.gz"))
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size * 2 // 3])
    overwritten.write_bytes(b"\x1f\x8b this is no longer a log file")

    report = import_files([src], lake)
    repaired = {r.path: r for r in report.repairs}
    assert set(repaired) == {f.relative_to(lake).as_posix() for f in (truncated, overwritten)}
    kept = repaired[truncated.relative_to(lake).as_posix()]
    assert "truncated" in kept.reason and 0 < kept.records_kept < 400
    assert repaired[overwritten.relative_to(lake).as_posix()].records_kept == 0
    assert (
        report.records_placed == 800 - kept.records_kept
        and report.records_already_in_lake == kept.records_kept
    )
    assert lake_counts(lake) == Counter({f"event-{i:05d}": 1 for i in range(800)}), (
        "every record once, readable"
    )
    assert all((lake / r.damaged_copy).is_file() for r in report.repairs), (
        "the damaged originals are kept aside"
    )
    assert "repaired" in report.summary() and balanced(report)
    assert import_files([src], lake).repairs == [], "a repaired lake needs no second repair"
