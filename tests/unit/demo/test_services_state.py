"""The posture services' demo state: boto3 shapes (Stubber), read by the collectors, drifting as planted."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import stub_replay
from data.demo import END, SEED, org_fixture, states_fixture  # noqa: F401 - the fixtures org and states

from orginsight.collectors.registry import SERVICES
from orginsight.collectors.snapshots import read_snapshots, snapshot_folders
from orginsight.demo.exposure import SNAPSHOTS, snapshot_times
from orginsight.demo.services import (
    BUILDERS,
    build_states,
    org_accounts,
    recording_of,
    write_posture_services,
)


@pytest.fixture(scope="module")
def lake(org, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("posture")
    return root, write_posture_services(root, org, SEED)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_recorded_response_matches_the_service_model(name, org, states):
    _story, built = states
    for t in (snapshot_times(org)[0], snapshot_times(org)[-1]):
        calls = built[name].responses(t)
        assert calls
        for (service, region), ops in calls.items():
            stub_replay(service, region, ops)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_collectors_read_every_table_and_the_demo_records_what_they_declare(name, org, states):
    _story, built = states
    calls = built[name].responses(snapshot_times(org)[-1])
    service = SERVICES[name]
    frames = service.frames(recording_of(calls), org_accounts(org))
    assert tuple(frames) == service.table_names
    assert all(len(df) for df in frames.values()), {t: len(df) for t, df in frames.items()}
    recorded = {op for (api, _region), ops in calls.items() if api == service.api for op in ops}
    assert recorded <= service.demo_records


def test_thirteen_weekly_snapshots_per_service(lake):
    root, truth = lake
    for name in BUILDERS:
        folders = snapshot_folders(root, name)
        assert len(folders) == SNAPSHOTS == truth["posture_services"]["snapshots"]
    assert (root / "api" / "inspector2" / "us-east-1" / "list_findings.json").is_file()


def test_the_story_bucket_becomes_shared_outside_at_the_known_snapshot(lake):
    root, truth = lake
    e = truth["exposure"]
    found = read_snapshots(root, "accessanalyzer", "findings")
    times = sorted(found["collected_at"].unique())
    mine = found[(found["resource"] == e["bucket_arn"]) & found["outside_organization"].fillna(False)]
    first = sorted(mine["collected_at"].unique())[0]
    assert first == times[e["first_snapshot_shared"]]
    assert set(mine["principal_account"]) == {e["outside_account"]}
    assert set(mine["status"]) == {"ACTIVE"}
    buckets = read_snapshots(root, "macie", "buckets")
    story = buckets[buckets["bucket_name"] == e["bucket"]].sort_values("collected_at")
    shared = story["shared_access"].tolist()
    k = e["first_snapshot_shared"]
    assert set(shared[:k]) == {"NOT_SHARED"} and set(shared[k:]) == {"EXTERNAL"}


def test_an_inspector_finding_is_fixed_between_snapshots(lake):
    root, truth = lake
    fixed = truth["posture_services"]["inspector_fixed"]
    found = read_snapshots(root, "inspector", "findings")
    rows = found[found["finding_arn"] == fixed["finding_arn"]].sort_values("collected_at")
    assert rows["status"].iloc[0] == "ACTIVE" and rows["status"].iloc[-1] == "CLOSED"
    closed = rows[rows["status"] == "CLOSED"]
    assert (closed["updated_at"] == datetime.fromisoformat(fixed["fixed"].replace("Z", "+00:00"))).all()
    # Findings open and close over the 90 days, so the open count is not constant.
    open_counts = found[found["status"] == "ACTIVE"].groupby("collected_at").size()
    assert open_counts.nunique() > 3
    assert (found["status"] == "CLOSED").any()


def test_the_story_truth_matches_what_the_frames_show(lake):
    root, truth = lake
    e = truth["exposure"]
    vulns = read_snapshots(root, "inspector", "findings", latest=True)
    cve = vulns[(vulns["resource_id"] == e["instance_id"]) & (vulns["vulnerability_id"] == e["cve"])]
    assert len(cve) == 1
    row = cve.iloc[0]
    assert (row["severity"], row["exploit_available"], row["status"], row["account_id"]) == (
        "CRITICAL",
        "YES",
        "ACTIVE",
        e["account"],
    )
    assert row["first_observed_at"] == datetime.fromisoformat(e["cve_first_seen"].replace("Z", "+00:00"))
    macie = read_snapshots(root, "macie", "findings", latest=True)
    pii = macie[(macie["bucket_name"] == e["bucket"]) & (macie["type"] == e["macie_finding_type"])]
    assert len(pii) == 1 and pii.iloc[0]["sensitive_data_count"] > 0
    buckets = read_snapshots(root, "macie", "buckets", latest=True)
    bucket = buckets[buckets["bucket_name"] == e["bucket"]].iloc[0]
    assert bucket["sensitivity_score"] >= 80 and bucket["shared_access"] == "EXTERNAL"
    # The instance profile Inspector names is the story's role (the role -> bucket link of the truth).
    calls = build_states_at(root, e)
    assert e["instance_profile_arn"] in calls


def build_states_at(root: Path, e: dict) -> str:
    """The newest recorded Inspector pages as text (the instance's details carry its profile ARN)."""
    return (root / "api" / "inspector2" / e["region"] / "list_findings.json").read_text()


def test_the_joiner_appears_only_after_it_joins(org, states):
    _story, built = states
    before = org.joiner.joined - timedelta(days=1)
    calls = built["inspector"].responses(before)
    accounts = {
        f["awsAccountId"]
        for ops in calls.values()
        for c in ops["list_findings"]
        for f in c["response"]["findings"]
    }
    assert org.joiner.id not in accounts
    assert before.tzinfo is None and snapshot_times(org)[-1] < END.replace(tzinfo=None)


def test_the_same_seed_gives_the_same_state(org):
    t = snapshot_times(org)[-1]
    a = build_states(org, SEED)[1]["accessanalyzer"].responses(t)
    b = build_states(org, SEED)[1]["accessanalyzer"].responses(t)
    assert a == b
