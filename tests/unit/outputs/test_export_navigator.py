"""ATT&CK coverage as Navigator layers (format 4.5), the technique ids checked against MITRE's list."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from conftest import real_data

from orginsight import Lake, hunts
from orginsight.outputs.exports import write_navigator
from orginsight.outputs.exports.navigator import (
    CLOUD_PLATFORMS,
    attack_techniques,
    coverage,
    coverage_layer,
    gaps,
    hits_layer,
    layer_errors,
    read_sigma_rules,
    sigma_techniques,
)


@pytest.fixture(scope="module")
def covered() -> pd.DataFrame:
    return coverage(hunts.list_hunts(), read_sigma_rules([real_data("sigma", "rules")]))


def test_the_shipped_attack_list_is_mitres_with_its_tactics():
    known = attack_techniques()
    assert known["T1078.004"].name == "Cloud Accounts" and "IaaS" in known["T1078.004"].platforms
    assert set(known["T1078"].tactics) == {
        "defense-evasion",
        "persistence",
        "privilege-escalation",
        "initial-access",
    }
    assert known["T1562.008"].state == "active" and "T9999" not in known


def test_sigma_tags_name_techniques_not_tactics():
    rule = {
        "tags": ["attack.defense-evasion", "attack.t1562.008", "attack.T1078", "attack.g0016", "cve.2021-1"]
    }
    assert sigma_techniques(rule) == ("T1562.008", "T1078")


def test_every_hunt_and_rule_technique_is_covered_and_checked(covered):
    hunt_ids = {t for h in hunts.list_hunts() for t in h.mitre}
    assert hunt_ids <= set(covered.loc[covered["source"] == "hunt", "technique"])
    assert (covered["source"] == "sigma").any()
    assert set(covered["status"]) <= {"active", "revoked", "deprecated", "unknown"}
    for row in covered.itertuples():
        assert (row.status == "unknown") == (row.technique not in attack_techniques())


def test_the_coverage_layer_validates_as_format_4_5(covered, tmp_path):
    layer = coverage_layer(covered)
    assert layer_errors(layer) == []
    assert layer["versions"]["layer"] == "4.5" and layer["domain"] == "enterprise-attack"
    cells = {(t["techniqueID"], t["tactic"]) for t in layer["techniques"]}
    active = covered[covered["status"] == "active"]
    assert cells == {(tid, tac) for tid in active["technique"] for tac in attack_techniques()[tid].tactics}
    one = next(t for t in layer["techniques"] if t["techniqueID"] == active["technique"].iloc[0])
    assert one["score"] == (covered["technique"] == one["techniqueID"]).sum()


@pytest.mark.parametrize(
    "broken",
    [
        lambda layer: layer["versions"].update(layer="4.4"),
        lambda layer: layer.pop("domain"),
        lambda layer: layer["techniques"].append({"techniqueID": "T9999"}),
        lambda layer: layer["techniques"].append({"techniqueID": "T1078", "tactic": "exfiltration"}),
        lambda layer: layer["techniques"][0].update(score="high"),
        lambda layer: layer["techniques"][0]["metadata"].append({"name": "only a name"}),
    ],
)
def test_the_layer_check_refuses_what_the_format_or_attack_does_not_allow(covered, broken):
    layer = copy.deepcopy(coverage_layer(covered))
    broken(layer)
    assert layer_errors(layer)


def test_gaps_are_the_cloud_techniques_nothing_covers(covered):
    table = gaps(covered)
    assert not set(table["technique"]) & set(covered["technique"])
    for tid in table["technique"]:
        t = attack_techniques()[tid]
        assert t.state == "active" and set(t.platforms) & set(CLOUD_PLATFORMS)
        assert tid.split(".")[0] not in set(covered["technique"])
    assert len(gaps(covered.iloc[0:0])) > len(table)


def test_the_hits_layer_scores_the_techniques_of_the_hunts_that_hit(covered):
    all_hunts = hunts.list_hunts()
    hit, missed = all_hunts[0], all_hunts[1]
    run = pd.DataFrame([{"hunt": hit.name, "hits": 3}, {"hunt": missed.name, "hits": 0}])
    layer = hits_layer(run, all_hunts)
    assert layer_errors(layer) == []
    assert {t["techniqueID"] for t in layer["techniques"]} == set(hit.mitre) & set(attack_techniques())
    assert {t["score"] for t in layer["techniques"]} == {3}


def test_write_navigator_writes_the_layer_and_the_tables(real_lake, tmp_path):
    paths = write_navigator(
        tmp_path, [real_data("sigma", "rules")], Lake.local(real_lake), {"start": "2015-01-01"}
    )
    assert [p.name for p in paths] == ["coverage-layer.json", "coverage.csv", "gaps.csv", "hits-layer.json"]
    for name in ("coverage-layer.json", "hits-layer.json"):
        assert layer_errors(json.loads((tmp_path / name).read_text())) == []
    assert json.loads((tmp_path / "hits-layer.json").read_text())["techniques"], (
        "the real Stratus records hit"
    )
