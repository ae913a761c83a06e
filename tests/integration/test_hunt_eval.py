"""Hunts against the demo organization's ground truth (scenario.json): every planted technique is found,
background activity raises at most a handful of hits per hunt, and every hunt fires on some test data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import test_hunts_real as real
from conftest import network_hunts

from orginsight import cli
from orginsight.analytics import hunts
from orginsight.lake import Lake

MAX_BACKGROUND_EVENTS = 10
"""Background (not planted) events one hunt may return on the demo before it counts as noisy."""

DEMO_PROVEN = {
    "console_login_without_mfa",
    "new_source_ip_for_principal",
    "new_user_agent_for_principal",
    "root_activity",
    "access_key_created_for_other_user",
    "iam_user_created",
    "login_profile_created_or_changed",
    "new_role_trusting_outside_org",
    "role_trust_policy_outside_org",
    "admin_policy_granted",
    "iam_policy_changes",
    "cloudtrail_tampering",
    "guardduty_tampering",
    "identity_discovery",
    "ebs_snapshot_shared_outside_org",
    "s3_bucket_made_public",
    "s3_bulk_object_download",
    "cross_account_assume_role_chain",
}
"""Hunts that must return planted events of the demo."""

OTHER_REAL_TESTS = {
    "instance_credentials_used_outside",
    "s3_bulk_object_download",
    "enumeration_burst",
    "new_user_agent_for_principal",
    "mfa_device_deactivated",
    "access_analyzer_or_detective_disabled",
    "role_bucket_reads",  # needs the roles to list: the demo's exposure test (test_posture_report) runs it
    "person_activity",  # the SSO users of the Panther records: tests/integration/test_people_real.py
    # network hunts: tests/unit/analytics/test_network_hunts.py and tests/integration/test_network_triage_demo.py
    *network_hunts(),
}
"""Hunts proven by the dedicated tests of test_hunts_real.py (OTRF, definitions, documented shapes)."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo organization: 6 accounts, 7 days (a baseline before the incidents), hourly files."""
    from orginsight.demo import generate_lake

    root = tmp_path_factory.mktemp("demo") / "lake"
    generate_lake(
        root, accounts=6, days=7, events_per_day=500, progress=False, processes=1, delivery_minutes=60
    )
    return root


@pytest.fixture(scope="module")
def evaluation(demo: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return hunts.evaluate(Lake.local(demo), hunts.load_ground_truth(demo / "scenario.json"))


def test_every_planted_technique_is_found_by_some_hunt(evaluation) -> None:
    _, per_technique = evaluation
    assert len(per_technique) >= 10
    missed = per_technique[per_technique["found"] == 0]
    assert missed.empty, missed.to_string()


def test_demo_proven_hunts_return_planted_events(evaluation) -> None:
    per_hunt, _ = evaluation
    tp = per_hunt.set_index("hunt")["true_positives"]
    silent = sorted(h for h in DEMO_PROVEN if tp[h] == 0)
    assert not silent


def test_no_hunt_is_noisy_on_background_activity(evaluation) -> None:
    per_hunt, _ = evaluation
    noisy = per_hunt[per_hunt["false_positives"] > MAX_BACKGROUND_EVENTS]
    assert noisy.empty, noisy.to_string()


def test_every_hunt_fires_on_some_test_data() -> None:
    proven = set(real.INVICTUS) | set(real.PANTHER) | DEMO_PROVEN | OTHER_REAL_TESTS
    assert {h.name for h in hunts.list()} <= proven, sorted({h.name for h in hunts.list()} - proven)


SAMPLE = ("cloudtrail_tampering", "guardduty_tampering", "root_activity")


@pytest.fixture
def few_hunts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands over three hunts only: the whole library is already scored above."""
    chosen = [h for h in hunts.list_hunts() if h.name in SAMPLE]
    monkeypatch.setattr(hunts.library, "list_hunts", lambda directory=None: [*chosen])


def test_hunt_eval_command_prints_both_tables(demo: Path, few_hunts, capsys) -> None:
    code = cli.main(["hunt", "eval", "--lake", str(demo), "--format", "csv"])
    out = capsys.readouterr().out
    assert "hunt,mitre,hits,events,true_positives,false_positives,precision,recall" in out
    assert "cloudtrail_tampering,T1562.008,2,2,2,0,1.0,1.0" in out  # both planted trail events, nothing else
    assert "technique,events,found,recall,hunts" in out
    assert code == 1  # three hunts cannot find every planted technique: the command says so


def test_hunt_run_commands_on_the_demo(demo: Path, few_hunts, capsys) -> None:
    window = ["--since", "2026-11-20", "--until", "2026-11-28"]
    assert (
        cli.main(["hunt", "run", "cloudtrail_tampering", "--lake", str(demo), *window, "--format", "json"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.count("StopLogging") == 1 and out.count("DeleteTrail") == 1
    assert cli.main(["hunt", "run", "--all", "--lake", str(demo), *window, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "hunt,severity,hits,accounts,first_hit,last_hit" and len(lines) == len(SAMPLE) + 1
    assert any(line.startswith("cloudtrail_tampering,critical,2,1,") for line in lines)
