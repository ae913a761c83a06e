"""The demo's Identity Center, SCPs and stack sets: boto3 shapes (Stubber), read by the collectors, with the
planted gaps visible in the frames, and the same for a seed."""

from __future__ import annotations

import pytest
from conftest import stub_replay
from data.demo import SEED, org_fixture, states_fixture  # noqa: F401 - the fixtures org and states

from orginsight.analytics.guardrails import NOT_DENIED, effective_scps, guardrail_coverage
from orginsight.analytics.stacksets import DRIFTED, missing_baseline
from orginsight.collectors.recording import GLOBAL
from orginsight.collectors.registry import SERVICES
from orginsight.demo.centralization import COLLECTORS, centralization_gaps, governance_responses
from orginsight.demo.cloudtrail import PEOPLE
from orginsight.demo.estate import PERMISSION_SETS
from orginsight.demo.exposure import snapshot_times
from orginsight.demo.org import organizations_responses
from orginsight.demo.services import org_accounts, recording_of


@pytest.fixture(scope="module")
def newest(org):
    return governance_responses(org, SEED, snapshot_times(org)[-1])


@pytest.fixture(scope="module")
def frames(org, newest):
    return {
        name: SERVICES[name].frames(recording_of(calls), org_accounts(org)) for name, calls in newest.items()
    }


@pytest.fixture(scope="module")
def org_frames(org):
    return SERVICES["org"].frames(
        recording_of({("organizations", GLOBAL): organizations_responses(org)}), None
    )


@pytest.mark.parametrize("name", COLLECTORS)
def test_every_recorded_response_matches_the_service_model(name, org):
    for t in (snapshot_times(org)[0], snapshot_times(org)[-1]):
        for (service, region), ops in governance_responses(org, SEED, t)[name].items():
            stub_replay(service, "us-east-1" if region == GLOBAL else region, ops)


@pytest.mark.parametrize("name", COLLECTORS)
def test_the_collectors_read_every_table_and_the_demo_records_what_they_declare(name, frames, newest):
    service = SERVICES[name]
    assert tuple(frames[name]) == service.table_names
    assert all(len(df) for df in frames[name].values()), {t: len(df) for t, df in frames[name].items()}
    recorded = {op for (api, _region), ops in newest[name].items() if api == service.api for op in ops}
    assert recorded == service.demo_records


def test_the_identity_store_holds_exactly_the_people_of_the_trail(frames):
    ic = frames["identitycenter"]
    sessions = {f"{person}@example-corp.com" for person, _ua in PEOPLE}
    assert set(ic["users"]["user_name"]) == sessions == set(ic["users"]["email"])
    assert set(ic["groups"]["display_name"]) >= {
        "platform-admins",
        "developers",
        "security-auditors",
        "read-only",
    }
    assert set(ic["group_memberships"]["user_id"]) == set(ic["users"]["user_id"])
    assert set(PERMISSION_SETS) <= set(ic["permission_sets"]["name"])  # the trail's AWSReservedSSO_ roles
    assert {"GROUP", "USER"} == set(ic["account_assignments"]["principal_type"])


def test_the_long_session_is_in_one_production_account_only(org, frames):
    truth = centralization_gaps(org, SEED)["long_session"]
    ic = frames["identitycenter"]
    sets = ic["permission_sets"].set_index("permission_set_arn")
    assigned = ic["account_assignments"].join(sets[["name", "session_duration_s"]], on="permission_set_arn")
    ou = {a.id: a.ou_path for a in org.accounts}
    assigned["ou"] = assigned["account_id"].map(ou)
    limit = assigned["ou"].map(lambda p: 3600 if p in ("Workloads/Prod", "Security") else 4 * 3600)
    over = assigned[assigned["session_duration_s"] > limit]
    assert set(zip(over["name"], over["account_id"], strict=True)) == {
        (truth["permission_set"], truth["account"])
    }
    assert truth["session_duration"] == "PT12H" and ou[truth["account"]] == "Workloads/Prod"
    before = governance_responses(org, SEED, snapshot_times(org)[0])["identitycenter"]
    old = SERVICES["identitycenter"].frames(recording_of(before), None)["permission_sets"]
    assert old.set_index("name").loc[truth["permission_set"], "session_duration"] == "PT1H"  # a regression


def test_one_guardrail_is_missing_in_one_ou_and_full_access_is_everywhere(org, frames, org_frames):
    truth = centralization_gaps(org, SEED)["missing_scp"]
    g = frames["guardrails"]
    effective = effective_scps(
        g["policies"], g["policy_targets"], org_frames["accounts"], org_frames["ous"], org.management.id
    )
    coverage = guardrail_coverage(effective, g["policies"])
    gaps = coverage[coverage["status"] == NOT_DENIED]
    assert set(zip(gaps["guardrail"], gaps["account_id"], strict=True)) == {
        (truth["guardrail"], a) for a in truth["accounts"]
    }
    assert truth["accounts"] and truth["ou"] == "Workloads/NonProd"
    full = g["policy_targets"][g["policy_targets"]["policy_id"] == "p-FullAWSAccess"]
    assert len(full) == 1 + len(org.ou_ids) + len(org.accounts)


def test_the_baseline_drifts_in_two_accounts_and_misses_only_the_management_account(org, frames, org_frames):
    truth = centralization_gaps(org, SEED)
    s = frames["stacksets"]
    problems = missing_baseline(
        s["stack_instances"], org_frames["accounts"], ["org-security-baseline"], ["us-east-1", "eu-west-1"]
    )
    drifted = problems[problems["problem"] == DRIFTED]
    assert sorted(drifted["account_id"]) == sorted(truth["stackset_drift"]["accounts"])
    assert set(drifted["region"]) == {truth["stackset_drift"]["region"]}
    others = problems[problems["problem"] != DRIFTED]
    assert set(others["account_id"]) == {truth["by_design"]["stackset_management_account"]["account"]}
    stack_set = s["stack_sets"].iloc[0]
    assert (stack_set["permission_model"], stack_set["auto_deployment"], stack_set["drifted_instances"]) == (
        "SERVICE_MANAGED",
        True,
        2,
    )
    assert {"CREATE", "DETECT_DRIFT"} <= set(s["operations"]["action"])


def test_the_state_is_the_same_for_a_seed_and_differs_for_another(org):
    t = snapshot_times(org)[-1]
    assert governance_responses(org, SEED, t) == governance_responses(org, SEED, t)
    assert governance_responses(org, SEED, t) != governance_responses(org, SEED + 1, t)


def test_the_sso_incident_is_played_by_an_identity_center_user_through_a_role_chain(org, frames):
    from orginsight.demo.incidents import plant_incidents  # reason: the incident module only for this test

    scenario = plant_incidents(org, SEED)
    truth = scenario.facts["sso_incident"]
    mine = [e for e in scenario.events if e.incident == truth["name"]]
    assert [e.record["eventID"] for e in mine] == truth["event_ids"]
    users = frames["identitycenter"]["users"].set_index("user_name")
    assert users.loc[truth["person"]["user_name"], "user_id"] == truth["person"]["user_id"]
    sso, _role, chained = truth["role_chain"]
    saml = next(e.record for e in mine if e.record["eventName"] == "AssumeRoleWithSAML")
    assert saml["responseElements"]["assumedRoleUser"]["arn"] == sso
    hop = next(
        e.record
        for e in mine
        if e.record["eventName"] == "AssumeRole" and e.account == org.by_role("shared-services").id
    )
    assert hop["userIdentity"]["arn"] == sso and hop["responseElements"]["assumedRoleUser"]["arn"] == chained
    assert {
        e.record["userIdentity"].get("arn") for e in mine if e.account == truth["accounts"]["target"]
    } >= {chained}
    assert f"AWSReservedSSO_{truth['permission_set']}_" in sso
