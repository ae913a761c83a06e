"""Hostile case: path traversal through `lake import`.

A record's account, region, time and the org id name the lake folder a record goes to, and an
archive's member names are chosen by whoever built the archive. None of them may make the import
write outside the lake: a bad value fails only its own record (reported with input, record number
and reason), and every write is checked to lie inside the lake.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orginsight.errors import LakeError
from orginsight.sources.lake_import import import_files


def record(n: int = 1, **fields: object) -> dict:
    base = {
        "eventVersion": "1.09",
        "eventTime": "2024-06-01T10:00:00Z",
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "eu-west-1",
        "eventID": f"event-{n}",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "AWSService"},
    }
    return {**base, **fields}


def files_outside(tmp_path: Path, lake: Path) -> set[str]:
    """Every file and folder under ``tmp_path`` except those inside the lake."""
    return {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if not p.is_relative_to(lake)}


def lake_records(lake: Path) -> list[dict]:
    import gzip

    out: list[dict] = []
    for f in sorted((lake / "AWSLogs").rglob("*.json.gz")):
        out += json.loads(gzip.decompress(f.read_bytes()))["Records"]
    return out


def import_hostile(tmp_path: Path, hostile: dict) -> tuple[object, Path]:
    """Import one hostile record beside a good one; check nothing appeared outside the lake."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "trail.json").write_text(json.dumps({"Records": [record(1), hostile]}))
    lake = tmp_path / "lake"
    before = files_outside(tmp_path, lake)
    report = import_files([src], lake)
    assert files_outside(tmp_path, lake) == before
    assert [r["eventID"] for r in lake_records(lake)] == ["event-1"], "the good record is placed, only it"
    assert (report.records_read, report.records_placed, report.records_failed) == (2, 1, 1)
    [failure] = report.failures
    assert failure.source == str(src / "trail.json") and failure.record == 2
    return failure, lake


HOSTILE_FIELDS = {
    "account-dotdot": ({"recipientAccountId": "../../etc"}, "is not a 12-digit account id"),
    "account-absolute": ({"recipientAccountId": "/etc/cron.d"}, "is not a 12-digit account id"),
    "account-not-a-string": ({"recipientAccountId": ["111122223333", "../x"]}, "is an array"),
    "account-as-number": ({"recipientAccountId": 111122223333}, "is a number"),
    "account-in-identity": (
        {"recipientAccountId": None, "userIdentity": {"accountId": "../../../tmp"}},
        "userIdentity.accountId '../../../tmp' is not a 12-digit account id",
    ),
    "account-other-digits": ({"recipientAccountId": "١١١١٢٢٢٢٣٣٣٣"}, "is not a 12-digit account id"),
    "region-dotdot": ({"awsRegion": "us-east-1/../../x"}, "is not an AWS region name"),
    "region-absolute": ({"awsRegion": "/tmp"}, "is not an AWS region name"),
    "region-object": ({"awsRegion": {"x": 1}}, "awsRegion is an object, not an AWS region name"),
    "time-year-99999": ({"eventTime": "99999-01-01T00:00:00Z"}, "is not an ISO 8601 time"),
    "time-path-chars": ({"eventTime": "2024-06-01T10:00:00Z/../../../x"}, "is not an ISO 8601 time"),
    "time-number": ({"eventTime": 1717236000}, "eventTime is a number, not a time string"),
    "time-year-1": ({"eventTime": "0001-01-01T00:00:00+01:00"}, "is not an ISO 8601 time"),
    "time-too-early": ({"eventTime": "2004-12-31T23:59:59Z"}, "outside the times"),
    "time-future": (
        {"eventTime": (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "outside the times",
    ),
}


@pytest.mark.parametrize("hostile,expected", HOSTILE_FIELDS.values(), ids=list(HOSTILE_FIELDS))
def test_record_field_cannot_name_a_path_outside_the_lake(tmp_path, hostile, expected):
    failure, _ = import_hostile(tmp_path, record(2, **hostile))
    assert expected in failure.reason


@pytest.mark.parametrize("bad", ["a string", ["a", "list"], 42, None])
def test_record_of_the_wrong_type_fails_alone(tmp_path, bad):
    failure, _ = import_hostile(tmp_path, bad)
    assert "not a JSON object" in failure.reason


def test_org_id_argument_cannot_name_a_path(tmp_path):
    (tmp_path / "trail.json").write_text(json.dumps({"Records": [record(1)]}))
    for org in ("../x", "o-abcdefghij/../../x", "/tmp/o-abcdefghij", "O-ABCDEFGHIJ"):
        with pytest.raises(LakeError, match="organization id"):
            import_files([tmp_path / "trail.json"], tmp_path / "lake", org_id=org)
    assert not (tmp_path / "lake").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["trail.json"]


def test_a_lake_folder_named_like_an_org_but_not_one_is_not_taken_as_the_org_id(tmp_path):
    lake = tmp_path / "lake"
    (lake / "AWSLogs" / "o-..").mkdir(parents=True)  # a crafted folder that starts like an org id
    (tmp_path / "trail.json").write_text(json.dumps({"Records": [record(1)]}))
    import_files([tmp_path / "trail.json"], lake)
    [placed] = list((lake / "AWSLogs").rglob("*.json.gz"))
    assert placed.relative_to(lake).parts[:2] == ("AWSLogs", "o-localimport")


def test_a_symbolic_link_inside_the_lake_does_not_lead_writes_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    lake = tmp_path / "lake"
    (lake / "AWSLogs").mkdir(parents=True)
    (lake / "AWSLogs" / "o-a1b2c3d4e5").symlink_to(outside, target_is_directory=True)
    (tmp_path / "trail.json").write_text(json.dumps({"Records": [record(1), record(2)]}))
    report = import_files([tmp_path / "trail.json"], lake, org_id="o-a1b2c3d4e5")
    assert list(outside.rglob("*")) == []
    assert report.records_placed == 0 and report.records_failed == 2
    assert [f.record for f in report.failures] == [1, 2]
    assert all("resolves outside the lake" in f.reason for f in report.failures)


@pytest.fixture
def machine_zone_plus_14(monkeypatch):
    """The machine's local zone at UTC+14 (Kiribati), where a naive time read as local lands a day early."""
    monkeypatch.setenv("TZ", "Etc/GMT-14")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_naive_time_is_utc_not_the_machine_zone(tmp_path, machine_zone_plus_14):
    (tmp_path / "trail.json").write_text(
        json.dumps({"Records": [record(1, eventTime="2024-06-01T05:02:00")]})
    )
    report = import_files([tmp_path / "trail.json"], tmp_path / "lake")
    assert report.records_placed == 1
    [placed] = list((tmp_path / "lake").rglob("*.json.gz"))
    assert placed.parent.relative_to(tmp_path / "lake").as_posix().endswith("/eu-west-1/2024/06/01")
    assert "_20240601T0500Z_" in placed.name


def hostile_members() -> dict[str, bytes]:
    """Member names that try to climb out or to write escapes on the analyst's terminal."""
    good = json.dumps({"Records": [record(1), record(2)]}).encode()
    return {
        "../../evil.json": good,
        "/abs/evil.json": json.dumps({"Records": [record(3)]}).encode(),
        "../../\x1b[2J\x1b]0;owned\x07evil.json": b"not json at all",
    }


def check_archive_import(tmp_path: Path, archive: Path) -> None:
    lake = tmp_path / "work" / "lake"
    lake.parent.mkdir()
    before = files_outside(tmp_path, lake)
    report = import_files([archive], lake)
    assert files_outside(tmp_path, lake) == before, "nothing is written outside the lake"
    assert not [p for p in tmp_path.rglob("*evil*")] and not Path("/abs/evil.json").exists()
    assert sorted(r["eventID"] for r in lake_records(lake)) == ["event-1", "event-2", "event-3"]
    assert all(p.name.startswith("111122223333_CloudTrail_eu-west-1_") for p in lake.rglob("*.json.gz"))
    [failure] = report.failures
    assert "\x1b" not in failure.source and "\x07" not in failure.source
    assert failure.source.endswith("!../../\\x1b[2J\\x1b]0;owned\\x07evil.json")
    assert "\x1b" not in report.summary()


def test_zip_member_names_never_decide_where_anything_is_written(tmp_path):
    archive = tmp_path / "customer.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in hostile_members().items():
            zf.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name as given, ../ and / included
    assert any(n.startswith("/") for n in zipfile.ZipFile(archive).namelist())
    check_archive_import(tmp_path, archive)


def test_tar_member_names_never_decide_where_anything_is_written(tmp_path):
    archive = tmp_path / "customer.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in hostile_members().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("../../evil-link.json")  # a link member is not read, let alone followed
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    with tarfile.open(archive) as tf:
        assert "/abs/evil.json" in tf.getnames()
    check_archive_import(tmp_path, archive)
