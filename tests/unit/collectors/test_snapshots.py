"""Snapshots: Parquet per table plus a manifest of failures; repeated snapshots accumulate for trends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from conftest import moto_organization
from moto import mock_aws

from orginsight.cli import main
from orginsight.collectors.organizations import get_organization
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.run import collect, frames_from_lake
from orginsight.collectors.session import Connection, retry_config
from orginsight.collectors.snapshots import read_manifests, read_snapshots, snapshot_recording
from orginsight.errors import LakeError

T1 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 6, 8, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def connection():
    with mock_aws():
        session, _ids = moto_organization({"app": "Workloads"})
        yield Connection(session, retry_config())


def test_repeated_snapshots_accumulate(connection: Connection, tmp_path) -> None:
    first = collect("org", tmp_path, connection=connection, progress=False, collected_at=T1)
    second = collect("org", tmp_path, connection=connection, progress=False, collected_at=T2)

    assert first.snapshot == tmp_path / "snapshots" / "org" / "20240601T120000Z"
    assert (second.snapshot / "accounts.parquet").is_file()
    history = read_snapshots(tmp_path, "org", "accounts")
    assert len(history) == 4
    assert sorted(history["collected_at"].unique()) == [T1, T2]
    latest = read_snapshots(tmp_path, "org", "accounts", latest=True)
    assert set(latest["collected_at"]) == {T2}
    manifest = json.loads((second.snapshot / "manifest.json").read_text())
    assert manifest["tables"]["accounts"] == {"file": "accounts.parquet", "rows": 2}
    assert manifest["failures"] == [] and manifest["source"] == "live" and manifest["api_calls"] > 5
    assert manifest["operations"]["list_accounts"] == {"ok": 1, "items": 2, "failed": 0}
    pages = snapshot_recording(tmp_path, "org").calls("organizations", None, "list_accounts")
    assert [a["Name"] for a in pages[0]["response"]["Accounts"]] == ["master", "app"]


def test_manifest_lists_each_failure_with_account_region_and_code(connection: Connection, tmp_path) -> None:
    for region, code in (
        ("eu-west-1", "AccessDeniedException"),
        ("me-south-1", "UnrecognizedClientException"),
    ):
        client = connection.session.client("guardduty", region_name=region, config=connection.config)
        stub = Stubber(client)
        stub.add_client_error("list_detectors", code, "no", 403)
        stub.activate()
        connection.use_client("guardduty", region, client)

    result = collect(
        "guardduty",
        tmp_path,
        connection=connection,
        regions="eu-west-1,me-south-1",
        progress=False,
        collected_at=T1,
    )

    (manifest,) = read_manifests(tmp_path, "guardduty")
    assert sorted(
        (f["account"], f["region"], f["operation"], f["error_code"]) for f in manifest["failures"]
    ) == [
        (None, "eu-west-1", "list_detectors", "AccessDeniedException"),
        (None, "me-south-1", "list_detectors", "UnrecognizedClientException"),
    ]
    assert manifest["regions"] == ["eu-west-1", "me-south-1"]
    assert result.frames["findings"].attrs["failures"] == manifest["failures"]
    assert "me-south-1 list_detectors: region_disabled UnrecognizedClientException" in result.summary()


def test_recorded_lake_goes_through_the_same_transforms(connection: Connection, tmp_path) -> None:
    from orginsight.collectors.fanout import OutcomeLog

    recording = get_organization(connection, ApiRecording(), OutcomeLog(), progress=False)
    recording.save(tmp_path / "lake")
    live = collect("org", None, connection=connection, progress=False).frames

    replayed = frames_from_lake(tmp_path / "lake", "org")

    for name in live:
        assert live[name].equals(replayed[name]), name


def test_cli_collect_from_a_recorded_lake(connection: Connection, tmp_path, capsys) -> None:
    from orginsight.collectors.fanout import OutcomeLog

    get_organization(connection, ApiRecording(), OutcomeLog(), progress=False).save(tmp_path / "lake")

    assert (
        main(["collect", "org", "--from-lake", str(tmp_path / "lake"), "--out", str(tmp_path / "out")]) == 0
    )

    out = capsys.readouterr().out
    assert "accounts 2 rows" in out and "snapshot:" in out
    assert len(read_snapshots(tmp_path / "out", "org", "ous")) == 2


def test_missing_snapshots_and_recordings_say_where_and_what_to_do(tmp_path) -> None:
    with pytest.raises(LakeError, match="orginsight collect guardduty"):
        read_snapshots(tmp_path, "guardduty", "findings")
    with pytest.raises(LakeError, match="no recorded API responses"):
        frames_from_lake(tmp_path, "guardduty")
    (tmp_path / "api" / "guardduty" / "us-east-1").mkdir(parents=True)
    (tmp_path / "api" / "guardduty" / "us-east-1" / "list_detectors.json").write_text("{}")
    with pytest.raises(LakeError, match="list_detectors.json: expected a JSON list"):
        frames_from_lake(tmp_path, "guardduty")


def test_lake_reads_snapshots_or_falls_back_to_recorded_responses(connection: Connection, tmp_path) -> None:
    from orginsight import Lake
    from orginsight.collectors.fanout import OutcomeLog

    get_organization(connection, ApiRecording(), OutcomeLog(), progress=False).save(tmp_path)
    lake = Lake.local(tmp_path)

    recorded = lake.collected("org", "accounts")
    assert len(recorded) == 2 and recorded["collected_at"].notna().all()
    with pytest.raises(LakeError, match="no table 'nope'"):
        lake.collected("org", "nope")

    collect("org", tmp_path, connection=connection, progress=False, collected_at=T1)
    collect("org", tmp_path, connection=connection, progress=False, collected_at=T2)
    assert sorted(lake.collected("org", "ous")["collected_at"].unique()) == [T1, T2]
    assert set(lake.collected("org", "ous", latest=True)["collected_at"]) == {T2}


def test_cli_collect_org_live_with_environment_credentials(moto_aws, tmp_path, capsys) -> None:
    boto3.client("organizations", region_name="us-east-1").create_organization(FeatureSet="ALL")
    assert main(["collect", "org", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "accounts 1 rows" in out and "failure" not in out
    (manifest,) = read_manifests(tmp_path, "org")
    assert manifest["source"] == "live" and manifest["tables"]["ous"]["rows"] == 1
    assert "testing" not in json.dumps(manifest)  # credentials are never written


def test_demo_lake_guardduty_findings_come_from_the_export_with_org_names(
    connection: Connection, tmp_path
) -> None:
    import gzip

    from data.aws import guardduty as gd_data

    from orginsight import Lake
    from orginsight.collectors.fanout import OutcomeLog
    from orginsight.sources.layout import guardduty_key

    recording = get_organization(connection, ApiRecording(), OutcomeLog(), progress=False)
    recording.add("guardduty", "eu-west-1", "list_detectors", {}, {"DetectorIds": ["d1"]})
    recording.save(tmp_path)
    app = next(
        a
        for c in recording.calls("organizations", None, "list_accounts")
        for a in c["response"]["Accounts"]
        if a["Name"] == "app"
    )
    raw = [dict(f, accountId=app["Id"]) for f in gd_data.real_raw_findings() if "id" in f][:5]
    path = tmp_path / guardduty_key(app["Id"], "eu-west-1", T1, "export-1")
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress("\n".join(json.dumps(f) for f in raw).encode()))

    findings = Lake.local(tmp_path).collected("guardduty", "findings")

    assert len(findings) == len({f["id"] for f in raw})
    assert set(findings["account_name"]) == {"app"} and set(findings["ou_path"]) == {"Root/Workloads"}


def test_missing_profile_or_credentials_is_one_clear_error(monkeypatch, tmp_path) -> None:
    from orginsight.errors import CollectionError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CollectionError, match="profile nope"):
        collect("org", tmp_path, profile="nope")
    with pytest.raises(CollectionError, match="no AWS credentials found"):
        collect("org", tmp_path)
    assert main(["collect", "org", "--out", str(tmp_path)]) == 1
