"""The centralization audit on a small demo lake finds exactly the gaps the demo planted (scenario.json
``centralization_gaps``) and nothing else; the posture review opens with it; triage of the SSO incident
names the person behind the role chain (scenario.json ``sso_incident``)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from orginsight import Lake
from orginsight.analytics.audit import audit_input_from_lake, load_expectations, run_audit
from orginsight.analytics.audit.base import FAIL, UNKNOWN
from orginsight.demo import generate_lake
from orginsight.outputs.report import SECTIONS, build_posture_review, render_html

END = datetime(2026, 11, 27)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("audit-demo")
    generate_lake(root, days=3, events_per_day=900, seed=18, end=END, progress=False, processes=2)
    return root


@pytest.fixture(scope="module")
def truth(lake: Path) -> dict:
    return json.loads((lake / "scenario.json").read_text())


@pytest.fixture(scope="module")
def results(lake: Path):
    return run_audit(audit_input_from_lake(lake), load_expectations())


def planted(gaps: dict) -> set[tuple[str, str, str]]:
    """The (check, account, region) failures the planted gaps must produce: organization-wide checks of an
    account answer for every region ("all"), GuardDuty membership per region."""
    out = {("guardrail_scps", a, "all") for a in gaps["missing_scp"]["accounts"]}
    out |= {("baseline_stacksets", a, "all") for a in gaps["stackset_drift"]["accounts"]}
    out.add(("identitycenter_session_duration", gaps["long_session"]["account"], "all"))
    hole = gaps["coverage_holes"]["guardduty_not_enabled"]
    out |= {("guardduty_members", hole["account"], r) for r in hole["regions"]}
    return out


def test_the_audit_fails_exactly_the_planted_gaps(results, truth: dict) -> None:
    gaps = truth["centralization_gaps"]
    fails = results[results["status"] == FAIL]
    found = set(zip(fails["check"], fails["account_id"], fails["region"], strict=True))
    assert found == planted(gaps)
    assert (
        truth["coverage"]["guardduty_not_enabled"]["account"]
        == (gaps["coverage_holes"]["guardduty_not_enabled"]["account"])
    )


def test_what_is_by_design_is_not_counted(results, truth: dict) -> None:
    by_design = truth["centralization_gaps"]["by_design"]
    mgmt = by_design["management_account_scps"]["account"]
    assert not ((results["account_id"] == mgmt) & (results["status"] == FAIL)).any()
    assert mgmt not in set(results[results["check"] == "baseline_stacksets"]["account_id"])


def test_only_the_checks_the_demo_cannot_record_are_unknown(results, truth: dict) -> None:
    unknown = set(results[results["status"] == UNKNOWN]["check"])
    assert unknown == set(truth["centralization_gaps"]["unknown_by_design"])


def test_the_review_opens_with_the_audit(lake: Path) -> None:
    assert [s.name for s in SECTIONS[:2]] == ["organization", "audit"]
    review = build_posture_review(lake)
    assert not [n for n in review.notes if n.startswith("audit:")]
    titles = re.findall(r"<h2[^>]*>(.*?)</h2>", render_html(review), flags=re.S)
    assert "Centralization audit" in titles[1], titles[:3]


def test_triage_of_the_sso_incident_names_the_person_across_the_role_chain(lake: Path, truth: dict) -> None:
    incident = truth["sso_incident"]
    t = Lake.local(lake).triage(incident["indicator"]["value"])
    person = incident["person"]["user_name"]
    assert person in set(t.people["person"].dropna())
    assert person in t.summary["people_line"]
    assert "role chain" in t.summary["people_line"]
