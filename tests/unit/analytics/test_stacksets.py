"""Baseline stack sets: the accounts and regions that miss one, hold it outdated, or let it drift, read from
the stacksets collector's transform of tests/data/aws/stacksets.py (botocore-shaped, built from the model)."""

from __future__ import annotations

import pandas as pd
from data.aws import stacksets as data

from orginsight.analytics.stacksets import DRIFTED, MISSING, NOT_CURRENT, missing_baseline
from orginsight.collectors.stacksets import transform_stack_instances

ACCOUNTS = pd.DataFrame(
    [
        {"account_id": data.AUDIT, "name": "audit", "status": "ACTIVE", "ou_path": "Root/Security"},
        {"account_id": data.PROD, "name": "prod", "status": "ACTIVE", "ou_path": "Root/Workloads"},
        {"account_id": data.DEV, "name": "dev", "status": "ACTIVE", "ou_path": "Root/Workloads"},
        {"account_id": "999999999999", "name": "closed", "status": "SUSPENDED", "ou_path": "Root/Suspended"},
    ]
)


def instances() -> pd.DataFrame:
    named = {"StackSetName": data.BASELINE, "CallAs": "SELF"}
    return transform_stack_instances(
        "us-east-1",
        [
            {"params": named, "response": data.LIST_STACK_INSTANCES_1},
            {"params": {**named, "NextToken": "instances-page-2"}, "response": data.LIST_STACK_INSTANCES_2},
        ],
    )


def test_missing_outdated_and_drifted_instances_are_each_one_row() -> None:
    gaps = missing_baseline(instances(), ACCOUNTS, [data.BASELINE], ["us-east-1", "eu-west-1"])
    found = {(r["account_name"], r["region"]): r for r in gaps.to_dict("records")}
    assert {k: r["problem"] for k, r in found.items()} == {
        ("audit", "eu-west-1"): MISSING,
        ("prod", "us-east-1"): DRIFTED,
        ("dev", "eu-west-1"): NOT_CURRENT,
    }
    assert (
        found[("audit", "eu-west-1")]["status"] is None
        and found[("audit", "eu-west-1")]["ou_path"] == "Root/Security"
    )
    assert (found[("dev", "eu-west-1")]["status"], found[("dev", "eu-west-1")]["detailed_status"]) == (
        "OUTDATED",
        "FAILED",
    )


def test_a_baseline_nobody_deployed_is_missing_everywhere_but_in_suspended_accounts() -> None:
    gaps = missing_baseline(instances(), ACCOUNTS, ["guardduty-baseline"], ["us-east-1"])
    assert list(gaps["account_name"]) == ["audit", "prod", "dev"] and set(gaps["problem"]) == {MISSING}


def test_every_baseline_in_place_gives_an_empty_frame_with_its_columns() -> None:
    gaps = missing_baseline(
        instances(), ACCOUNTS[ACCOUNTS["name"] == "audit"], [data.BASELINE], ["us-east-1"]
    )
    assert gaps.empty and "problem" in gaps.columns
