"""Config, Systems Manager and Trusted Advisor in the demo: the planted drift shows between known snapshots.

(Shape checks against botocore and "the collectors read every table" are the parametrized tests of
``test_services_state.py``, over every builder in ``services.BUILDERS``.)
"""

from __future__ import annotations

import pandas as pd
import pytest
from data.demo import SEED, org_fixture, states_fixture  # noqa: F401 - the fixtures org and states

from orginsight import Lake
from orginsight.collectors.registry import SERVICES
from orginsight.demo.exposure import plant_exposure, snapshot_times, unmanaged_instances
from orginsight.demo.services import BUILDERS, org_accounts, recording_of


@pytest.fixture(scope="module")
def history(org, states):
    """name -> table -> every snapshot's frame stacked, with its snapshot index in ``k``."""
    _story, built = states
    accounts = org_accounts(org)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for name in ("config", "ssm", "trustedadvisor"):
        per: dict[str, list[pd.DataFrame]] = {}
        for k, t in enumerate(snapshot_times(org)):
            for table, df in SERVICES[name].frames(recording_of(built[name].responses(t)), accounts).items():
                per.setdefault(table, []).append(df.assign(k=k))
        out[name] = {table: pd.concat(dfs, ignore_index=True) for table, dfs in per.items()}
    return out


def test_the_three_services_are_built_for_the_demo():
    assert {"config", "ssm", "trustedadvisor"} <= set(BUILDERS)


def test_config_surge_rises_then_is_remediated(states, history):
    _story, built = states
    drift = built["config"].drift
    rules = history["config"]["rule_compliance"]
    surge = rules[(rules["account_id"] == drift["surge_account"]) & rules["rule"].isin(drift["surge_rules"])]
    bad = surge.groupby("k")["non_compliant_resources"].sum().reindex(range(13), fill_value=0)
    start, fixed = drift["surge_starts_snapshot"], drift["surge_remediated_snapshot"]
    assert bad[start - 1] < bad[fixed - 1]  # rising
    assert bad[fixed - 1] >= 3
    assert bad[fixed] < bad[fixed - 1]  # remediated
    details = history["config"]["resource_compliance"]
    at_peak = details[(details["k"] == fixed - 1) & (details["account_id"] == drift["surge_account"])]
    assert set(drift["surge_rules"]) <= set(at_peak["rule"])


def test_config_flags_the_story_bucket_once_it_is_shared(org, states, history):
    story, built = states
    details = history["config"]["resource_compliance"]
    bucket = details[
        (details["resource_id"] == story.bucket) & (details["rule"] == "s3-bucket-policy-grantee-check")
    ]
    first = story.truth(snapshot_times(org))["first_snapshot_shared"]
    assert sorted(bucket["k"]) == list(range(first, 13))
    assert (bucket["account_id"] == story.account.id).all()
    assert (bucket["evaluated_at"] == pd.Timestamp(story.shared, tz="UTC")).all()


def test_config_conformance_packs_and_counts_follow_the_rules(history):
    packs = history["config"]["conformance_packs"]
    assert (packs["compliant_rules"] + packs["non_compliant_rules"] == packs["total_rules"]).all()
    assert set(packs.loc[packs["non_compliant_rules"] > 0, "compliance"]) == {"NON_COMPLIANT"}
    counts = history["config"]["resource_counts"]
    assert {"AWS::S3::Bucket", "AWS::EC2::Instance", "AWS::IAM::Role"} <= set(counts["resource_type"])


def test_ssm_manages_every_instance_but_the_unmanaged_ones(org, states, history):
    story, _built = states
    last = history["ssm"]["managed_nodes"].query("k == 12")
    unmanaged = history["ssm"]["unmanaged_instances"].query("k == 12")
    expected = unmanaged_instances(org, SEED, story)
    assert (
        set(zip(unmanaged["account_id"], unmanaged["region"], unmanaged["instance_id"], strict=True))
        == expected
    )
    assert not set(last["instance_id"]) & {i for _a, _r, i in expected}
    assert story.instance_id in set(last["instance_id"])
    lost = history["ssm"]["managed_nodes"].query("ping_status == 'ConnectionLost'")
    assert len(lost) and lost["k"].nunique() < 13  # agents reconnect


def test_ssm_nodes_fall_behind_and_a_patch_wave_catches_them_up(states, history):
    _story, built = states
    drift = built["ssm"].drift
    states_ = history["ssm"]["patch_states"]
    behind = states_[states_["account_id"] == drift["behind_account"]]
    wave = drift["patch_wave_after_snapshot"]
    missing = behind.groupby("k")["missing_count"].sum()
    assert missing[drift["behind_from_snapshot"] - 1] == 0
    assert missing[wave] > missing[drift["behind_from_snapshot"]] > 0  # piling up
    assert missing[wave + 1] == 0  # the wave installed them
    before = behind[behind["k"] == wave]
    assert set(before["operation"]) == {"Scan"}
    assert (before["last_install_time"] < before["operation_end_time"] - pd.Timedelta(days=30)).all()
    after = behind[behind["k"] == wave + 1]
    assert set(after["operation"]) == {"Install"}
    compliance = history["ssm"]["compliance"]
    patch = compliance[
        (compliance["compliance_type"] == "Patch") & (compliance["account_id"] == drift["behind_account"])
    ]
    assert set(patch.loc[patch["k"] == wave, "status"]) == {"NON_COMPLIANT"}
    assert set(patch.loc[patch["k"] == wave + 1, "status"]) == {"COMPLIANT"}


def test_ssm_patch_states_are_those_of_the_snapshot_not_of_the_clock(org, states):
    """The recorded pages at a snapshot time are a function of that time alone."""
    _story, built = states
    t = snapshot_times(org)[4]
    frames = SERVICES["ssm"].frames(recording_of(built["ssm"].responses(t)), None)
    assert (frames["patch_states"]["operation_end_time"] <= pd.Timestamp(t, tz="UTC")).all()
    assert (frames["patch_states"]["last_install_time"] <= pd.Timestamp(t, tz="UTC")).all()


def test_trusted_advisor_checks_move_between_ok_warning_and_error(history):
    resources = history["trustedadvisor"]["resources"]
    per = resources.groupby(["account_id", "aws_resource_id", "recommendation_id"])["status"].agg(set)
    assert any(len(s) >= 2 for s in per)  # a resource changed status between snapshots
    assert {"ok", "warning", "error"} <= set(resources["status"])
    listed = history["trustedadvisor"]["recommendations"]
    assert set(listed["status"]) <= {"error", "warning"}
    assert listed.groupby("k")["name"].agg(frozenset).nunique() > 1  # recommendations come and go
    assert set(listed["pillars"]) == {"security"}
    checks = history["trustedadvisor"]["checks"]
    assert set(checks["category"]) == {"security"}
    flagged = history["trustedadvisor"]["check_resources"]
    assert set(flagged["status"]) <= {"warning", "error"} and len(flagged)


def test_the_same_seed_gives_the_same_three_states(org):
    t = snapshot_times(org)[-1]
    story = plant_exposure(org, SEED)
    for name in ("config", "ssm", "trustedadvisor"):
        assert BUILDERS[name](org, SEED, story).responses(t) == BUILDERS[name](org, SEED, story).responses(t)
    other = plant_exposure(org, SEED + 1)
    assert BUILDERS["trustedadvisor"](org, SEED + 1, other).responses(t) != BUILDERS["trustedadvisor"](
        org, SEED, story
    ).responses(t)


def test_the_resource_data_sync_holds_every_managed_node_and_the_engine_reads_it(
    org, states, history, tmp_path
):
    _story, built = states
    t = snapshot_times(org)[-1]
    for key, content in built["ssm"].inventory(t).items():
        (tmp_path / "ssm-inventory" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ssm-inventory" / key).write_bytes(content)
    lake = Lake.local(tmp_path)
    nodes = lake.sql("SELECT accountid, region, resourceid FROM ssm_instanceinformation")
    managed = history["ssm"]["managed_nodes"]
    newest = managed[managed["k"] == managed["k"].max()]
    assert sorted(nodes["resourceid"]) == sorted(newest["instance_id"])
    patches = lake.sql("SELECT resourceid, cast(missingcount AS bigint) AS missing FROM ssm_patchsummary")
    states_now = history["ssm"]["patch_states"]
    states_now = states_now[states_now["k"] == states_now["k"].max()].set_index("instance_id")
    got = patches.set_index("resourceid")["missing"]
    assert (got == states_now.loc[got.index, "missing_count"]).all()  # the sync says what the API says
