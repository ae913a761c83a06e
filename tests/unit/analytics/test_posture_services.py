"""Posture measures over collector snapshot histories: each trend follows the data from snapshot to snapshot.

Histories are crafted frames with the collectors' own columns (``*_COLUMNS``) and a ``collected_at`` per
snapshot, as ``read_snapshots`` returns them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from orginsight.analytics import posture
from orginsight.analytics.posture.snapshot_history import count_and_sum_per_snapshot, snapshot_times
from orginsight.collectors import accessanalyzer, config, inspector, macie, ssm, trustedadvisor

T1, T2, T3 = (pd.Timestamp(datetime(2026, 9, d, tzinfo=UTC)) for d in (1, 8, 15))
PROD, DEV = "111111111111", "222222222222"
ACCOUNTS = pd.DataFrame(
    {
        "account_id": [PROD, DEV],
        "name": ["payments-prod", "sandbox-dev"],
        "ou_path": ["Root/Prod", "Root/Dev"],
    }
)


def history(columns: list[str], snapshots: dict[pd.Timestamp, list[dict]]) -> pd.DataFrame:
    """A table's snapshot history: each snapshot's rows (missing columns None) with its collected_at."""
    frames = [pd.DataFrame(rows, columns=columns).assign(collected_at=t) for t, rows in snapshots.items()]
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- Config


def rule(name: str, account: str, n: int, compliance: str = "NON_COMPLIANT") -> dict:
    return {
        "aggregator": "org",
        "rule": name,
        "account_id": account,
        "region": "us-east-1",
        "compliance": compliance,
        "non_compliant_resources": n if compliance == "NON_COMPLIANT" else None,
        "count_capped": False,
    }


def config_history() -> pd.DataFrame:
    return history(
        config.RULE_COLUMNS,
        {
            T1: [rule("s3-bucket-versioning", PROD, 3), rule("restricted-ssh", DEV, 1)],
            T2: [rule("s3-bucket-versioning", PROD, 5), rule("restricted-ssh", DEV, 0, "COMPLIANT")],
        },
    )


def test_config_noncompliant_resources_per_rule_follow_the_snapshots():
    trend = posture.config_noncompliant_trend(config_history())
    by_rule = trend.set_index(["collected_at", "rule"])["non_compliant_resources"]
    assert by_rule[(T1, "s3-bucket-versioning")] == 3
    assert by_rule[(T2, "s3-bucket-versioning")] == 5
    assert by_rule[(T1, "restricted-ssh")] == 1
    assert by_rule[(T2, "restricted-ssh")] == 0  # compliant now: the line drops to zero, not vanishes


def test_config_noncompliant_by_ou_and_what_changed():
    trend = posture.config_noncompliant_trend(config_history(), ACCOUNTS, by=("ou_path",))
    assert trend.set_index(["collected_at", "ou_path"])["non_compliant_resources"].to_dict() == {
        (T1, "Root/Dev"): 1,
        (T1, "Root/Prod"): 3,
        (T2, "Root/Dev"): 0,
        (T2, "Root/Prod"): 5,
    }
    changes = posture.first_and_last(trend, ["ou_path"], "non_compliant_resources")
    assert changes.iloc[0].to_dict() == {"ou_path": "Root/Prod", "first": 3, "last": 5, "change": 2}


# ----------------------------------------------------------------------------- Inspector


def finding(
    arn: str, account: str = PROD, severity: str = "CRITICAL", status: str = "ACTIVE", **extra
) -> dict:
    return {
        "finding_arn": arn,
        "account_id": account,
        "severity": severity,
        "status": status,
        "vulnerability_id": extra.pop("cve", f"CVE-2026-{arn[-1]}"),
        "exploit_available": extra.pop("exploit", "YES"),
        "resource_id": "i-1",
        "first_observed_at": extra.pop("first", T1 - pd.Timedelta(days=2)),
        "updated_at": extra.pop("updated", None),
        **extra,
    }


def inspector_history() -> pd.DataFrame:
    return history(
        inspector.FINDING_COLUMNS,
        {
            T1: [finding("f1"), finding("f2", severity="HIGH", exploit="NO"), finding("f3", DEV)],
            T2: [
                finding("f1", status="CLOSED", updated=T2 - pd.Timedelta(days=1)),
                finding("f2", severity="HIGH", exploit="NO"),
                finding("f3", DEV),
                finding("f4", first=T2 - pd.Timedelta(hours=1)),
            ],
            T3: [finding("f1", status="CLOSED", updated=T2 - pd.Timedelta(days=1)), finding("f4", first=T2)],
        },
    )


def test_open_critical_and_high_findings_by_ou_over_time():
    trend = posture.open_findings_trend(inspector_history(), ACCOUNTS)
    counts = trend.set_index(["collected_at", "ou_path", "severity"])
    assert counts.loc[(T1, "Root/Prod", "CRITICAL"), "open"] == 1
    assert counts.loc[(T2, "Root/Prod", "CRITICAL"), "open"] == 1  # f1 closed, f4 opened
    assert counts.loc[(T3, "Root/Prod", "HIGH"), "open"] == 0  # f2 gone
    assert counts.loc[(T3, "Root/Dev", "CRITICAL"), "open"] == 0
    assert counts.loc[(T1, "Root/Prod", "HIGH"), "exploitable"] == 0
    assert counts.loc[(T1, "Root/Prod", "CRITICAL"), "exploitable"] == 1


def test_time_to_fix_from_closed_findings_and_from_findings_that_disappear():
    fixed = posture.time_to_fix(inspector_history(), ACCOUNTS).set_index("finding_arn")
    assert set(fixed.index) == {"f1", "f2", "f3"}  # f4 still open
    assert fixed.loc["f1", "fixed_by"] == "closed"
    assert fixed.loc["f1", "days_to_fix"] == pytest.approx(8.0)  # T1-2d -> T2-1d
    assert fixed.loc["f2", "fixed_by"] == "disappeared"
    assert fixed.loc["f2", "fixed_at"] == T3  # first snapshot without it
    assert fixed.loc["f3", "account_name"] == "sandbox-dev"
    summary = posture.time_to_fix_summary(fixed.reset_index()).set_index("severity")
    assert summary.loc["CRITICAL", "fixed"] == 2


def test_exploitable_critical_cves_opened_per_account():
    opened = posture.opened_exploitable(inspector_history(), ACCOUNTS, since=T2 - pd.Timedelta(days=1))
    assert opened[["account_name", "cves"]].to_dict("records") == [
        {"account_name": "payments-prod", "cves": 1}
    ]
    assert posture.opened_exploitable(inspector_history(), ACCOUNTS, since=T3).empty


def test_unscanned_resources_over_time_by_reason():
    def cov(resource: str, code: str, reason: str | None) -> dict:
        return {
            "account_id": PROD,
            "region": "us-east-1",
            "resource_type": "AWS_EC2_INSTANCE",
            "resource_id": resource,
            "scan_status_code": code,
            "scan_status_reason": reason,
        }

    coverage = history(
        inspector.COVERAGE_COLUMNS,
        {
            T1: [cov("i-1", "ACTIVE", "SUCCESSFUL"), cov("i-2", "INACTIVE", "UNMANAGED_EC2_INSTANCE")],
            T2: [
                cov("i-1", "INACTIVE", "UNMANAGED_EC2_INSTANCE"),
                cov("i-2", "INACTIVE", "UNMANAGED_EC2_INSTANCE"),
                cov("i-3", "INACTIVE", "NO_INVENTORY"),
            ],
        },
    )
    trend = posture.unscanned_trend(coverage).set_index(["collected_at", "scan_status_reason"])["resources"]
    assert trend.to_dict() == {
        (T1, "NO_INVENTORY"): 0,
        (T1, "UNMANAGED_EC2_INSTANCE"): 1,
        (T2, "NO_INVENTORY"): 1,
        (T2, "UNMANAGED_EC2_INSTANCE"): 2,
    }


# ----------------------------------------------------------------------------- Access Analyzer and Macie


def external(resource: str, outside: bool | None, public: bool = False, status: str = "ACTIVE") -> dict:
    return {
        "finding_id": resource,
        "finding_type": "ExternalAccess",
        "resource_type": "AWS::S3::Bucket" if ":s3:" in resource else "AWS::IAM::Role",
        "resource": resource,
        "resource_owner_account": PROD,
        "status": status,
        "is_public": public,
        "outside_organization": outside,
    }


BUCKET = "arn:aws:s3:::customer-exports"
ROLE = "arn:aws:iam::111111111111:role/vendor"


def analyzer_history() -> pd.DataFrame:
    return history(
        accessanalyzer.FINDING_COLUMNS,
        {
            T1: [external(ROLE, True), external("arn:aws:iam::111111111111:role/inside", None)],
            T2: [external(ROLE, True), external(BUCKET, True)],
            T3: [external(ROLE, True, status="ARCHIVED"), external(BUCKET, True, public=True)],
        },
    )


def test_resources_shared_outside_the_organization_over_time():
    trend = posture.external_access_trend(analyzer_history(), by=())
    assert trend["resources"].tolist() == [1, 2, 1]
    assert trend["public"].tolist() == [0, 0, 1]
    by_type = posture.external_access_trend(analyzer_history())
    assert by_type.set_index(["collected_at", "resource_type"]).loc[(T3, "AWS::IAM::Role"), "resources"] == 0


def test_external_access_changes_date_each_resource():
    changes = posture.external_access_changes(analyzer_history(), ACCOUNTS)
    assert changes[["resource", "change", "collected_at"]].to_dict("records") == [
        {"resource": BUCKET, "change": "became shared outside the organization", "collected_at": T2},
        {"resource": ROLE, "change": "no longer shared outside the organization", "collected_at": T3},
    ]
    assert set(changes["account_name"]) == {"payments-prod"}


def bucket(
    name: str, score: int, encryption: str = "AES256", public: str = "NOT_PUBLIC", shared: str = "NOT_SHARED"
):
    return {
        "account_id": PROD,
        "region": "us-east-1",
        "bucket_name": name,
        "bucket_arn": f"arn:aws:s3:::{name}",
        "public_access": public,
        "default_encryption": encryption,
        "objects_unencrypted": 0,
        "shared_access": shared,
        "sensitivity_score": score,
    }


def test_sensitive_buckets_exposed_join_macie_with_access_analyzer():
    buckets = history(
        macie.BUCKET_COLUMNS,
        {
            T1: [bucket("customer-exports", 90), bucket("logs", 10, encryption="NONE"), bucket("hr", 20)],
            T2: [
                bucket("customer-exports", 90),
                bucket("logs", 10, encryption="NONE"),
                bucket("hr", 20, "NONE"),
            ],
        },
    )
    findings = history(
        macie.FINDING_COLUMNS,
        {
            T2: [
                {
                    "finding_id": "m1",
                    "category": "CLASSIFICATION",
                    "bucket_arn": "arn:aws:s3:::hr",
                    "archived": False,
                }
            ]
        },
    )
    exposure = posture.sensitive_bucket_exposure(buckets, findings, analyzer_history(), ACCOUNTS)
    at = exposure.set_index(["collected_at", "bucket_name"])
    # customer-exports: shared per Access Analyzer from T2 on; logs never sensitive; hr sensitive by finding
    assert list(at.index) == [(T2, "customer-exports"), (T2, "hr")]
    assert at.loc[(T2, "customer-exports"), "shared_by"] == "Access Analyzer"
    assert at.loc[(T2, "hr"), "unencrypted"] and not at.loc[(T2, "hr"), "shared_outside"]
    trend = posture.exposure_trend(exposure, posture.snapshot_times(buckets))
    counts = trend.set_index(["collected_at", "exposure"])["buckets"]
    assert counts[(T1, "shared outside the organization")] == 0
    assert counts[(T2, "shared outside the organization")] == 1
    assert counts[(T2, "unencrypted")] == 1


def test_macie_shared_access_alone_marks_a_bucket_shared():
    buckets = history(macie.BUCKET_COLUMNS, {T1: [bucket("b", 75, shared="EXTERNAL", public="PUBLIC")]})
    exposure = posture.sensitive_bucket_exposure(buckets)
    assert exposure[["public", "shared_outside", "shared_by"]].to_dict("records") == [
        {"public": True, "shared_outside": True, "shared_by": "Macie"}
    ]


# ----------------------------------------------------------------------------- Systems Manager


def test_patch_compliance_and_days_since_last_patch_over_time():
    def summary(node: str, status: str) -> dict:
        return {
            "account_id": PROD,
            "region": "us-east-1",
            "resource_id": node,
            "compliance_type": "Patch",
            "status": status,
        }

    def state(node: str, installed: pd.Timestamp | None) -> dict:
        return {
            "account_id": PROD,
            "region": "us-east-1",
            "instance_id": node,
            "last_install_time": installed,
        }

    compliance = history(
        ssm.COMPLIANCE_COLUMNS,
        {
            T1: [summary("i-1", "COMPLIANT"), summary("i-2", "COMPLIANT")],
            T2: [summary("i-1", "NON_COMPLIANT"), summary("i-2", "COMPLIANT")],
        },
    )
    states = history(
        ssm.PATCH_STATE_COLUMNS,
        {
            T1: [state("i-1", T1 - pd.Timedelta(days=2)), state("i-2", None)],
            T2: [state("i-1", T1 - pd.Timedelta(days=2)), state("i-2", T2)],
        },
    )
    trend = posture.patch_compliance_trend(compliance, states, ACCOUNTS)
    assert trend["nodes"].tolist() == [2, 2]
    assert trend["non_compliant"].tolist() == [0, 1]
    assert trend["max_days_since_patch"].tolist() == pytest.approx([2.0, 9.0])  # counted to each snapshot
    assert trend["never_patched"].tolist() == [1, 0]
    by_ou = posture.patch_compliance_trend(compliance, states, ACCOUNTS, by=("ou_path",))
    assert set(by_ou["ou_path"]) == {"Root/Prod"}


def test_unmanaged_instances_per_account_over_time():
    unmanaged = history(
        ssm.UNMANAGED_COLUMNS,
        {T1: [{"account_id": DEV, "instance_id": "i-9"}], T2: []},
    )
    trend = posture.unmanaged_trend(unmanaged, ACCOUNTS, by=("account_name",))
    assert trend["unmanaged_instances"].tolist() == [1]  # the empty snapshot has no rows to show it
    trend = posture.unmanaged_trend(unmanaged, ACCOUNTS, by=("account_name",), times=[T1, T2])
    assert trend.set_index("collected_at")["unmanaged_instances"].to_dict() == {T1: 1, T2: 0}


# ----------------------------------------------------------------------------- Trusted Advisor


def test_security_checks_in_error_or_warning_per_account_over_time():
    def check(account: str, name: str, status: str) -> dict:
        return {
            "account_id": account,
            "check_id": name[:4],
            "name": name,
            "category": "security",
            "status": status,
        }

    checks = history(
        trustedadvisor.CHECK_COLUMNS,
        {
            T1: [check(PROD, "MFA on Root Account", "error"), check(PROD, "Security Groups", "warning")],
            T2: [check(PROD, "MFA on Root Account", "ok"), check(PROD, "Security Groups", "warning")],
        },
    )
    resources = history(
        trustedadvisor.RESOURCE_COLUMNS,
        {
            T1: [{"recommendation_id": "r1", "account_id": DEV, "status": "ok"}],
            T2: [
                {"recommendation_id": "r1", "account_id": DEV, "status": "ok"},
                {"recommendation_id": "r1", "account_id": DEV, "status": "error"},
            ],
        },
    )
    recommendations = pd.DataFrame(
        {"recommendation_id": ["r1"], "name": ["Exposed Access Keys"], "pillars": ["security"]}
    )
    states = posture.security_check_states(checks, resources, recommendations)
    trend = posture.security_checks_trend(states, ACCOUNTS, by=("account_name",))
    counts = trend.set_index(["collected_at", "account_name", "status"])["checks"]
    assert counts[(T1, "payments-prod", "error")] == 1
    assert counts[(T2, "payments-prod", "error")] == 0
    assert counts[(T2, "payments-prod", "warning")] == 1
    assert counts[(T2, "sandbox-dev", "error")] == 1  # the worst of its resources
    assert counts[(T1, "sandbox-dev", "error")] == 0


def test_snapshot_history_helpers():
    h = history(["k"], {T1: [{"k": "a"}], T2: [{"k": "b"}], T3: [{"k": "a"}]})
    assert posture.appeared_and_vanished(h, ["k"])[["k", "change"]].values.tolist() == [
        ["a", "vanished"],
        ["b", "appeared"],
        ["a", "appeared"],
        ["b", "vanished"],
    ]
    assert posture.in_period(h, start=T2).shape[0] == 2


def test_counts_per_snapshot_carry_the_sums_beside_them_with_vanished_groups_at_zero():
    h = history(
        ["k", "public"],
        {T1: [{"k": "a", "public": 1}, {"k": "a", "public": 0}], T2: [{"k": "b", "public": 0}]},
    )
    times = snapshot_times(h, [T3])
    out = count_and_sum_per_snapshot(h, times, ["k"], name="resources", sums=["public"])
    got = {
        (t, k): (n, p) for t, k, n, p in out[["collected_at", "k", "resources", "public"]].itertuples(False)
    }
    assert got[(T1, "a")] == (2, 1)
    assert got[(T2, "a")] == (0, 0) and got[(T2, "b")] == (1, 0)
    assert got[(T3, "b")] == (0, 0)
