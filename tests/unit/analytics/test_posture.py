"""Posture measures on small hand-built frames with hand-computed answers."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orginsight.analytics import posture
from orginsight.collectors.recording import ApiRecording


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


@pytest.fixture
def findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finding_id": ["a", "b", "c", "d"],
            "type": [
                "Recon:EC2/PortProbeUnprotectedPort",
                "Policy:IAMUser/RootCredentialUsage",
                "Recon:EC2/PortProbeUnprotectedPort",
                "Stealth:IAMUser/CloudTrailLoggingDisabled",
            ],
            "severity_label": ["High", "High", "Low", None],
            "account_id": ["111111111111", "222222222222", "111111111111", "111111111111"],
            "ou_path": ["Workloads/Prod", "Sandbox", "Workloads/Prod", "Workloads/Prod"],
            "first_seen": [
                ts("2024-01-01T05:00"),
                ts("2024-01-02T10:00"),
                ts("2023-12-25"),
                ts("2024-01-03"),
            ],
            "last_seen": [
                ts("2024-01-02T05:00"),
                ts("2024-01-03T10:00"),
                ts("2024-01-01"),
                ts("2024-01-03T01:00"),
            ],
            "workflow_state": ["ARCHIVED", "ACTIVE", "RESOLVED", "NEW"],
            "archived": pd.array([True, False, None, False], dtype="boolean"),
        }
    )


def test_finding_trend_counts_opened_and_active_per_day_and_severity(findings):
    t = posture.finding_trend(findings, start="2024-01-01", end="2024-01-04", as_of=ts("2024-01-04T12:00"))
    high = t[t["severity_label"] == "High"].set_index(t[t["severity_label"] == "High"]["day"].dt.day)
    # a: High, 01-01 -> archived after 01-02; b: High, open since 01-02.
    assert high["opened"].to_dict() == {1: 1, 2: 1, 3: 0, 4: 0}
    assert high["active"].to_dict() == {1: 1, 2: 2, 3: 1, 4: 1}
    low = t[t["severity_label"] == "Low"]
    assert low["opened"].sum() == 0  # opened before the period
    assert low["active"].tolist() == [1, 0, 0, 0]  # resolved on 01-01
    assert t["day"].nunique() == 4
    assert list(t["severity_label"].unique()) == ["High", "Low", "(none)"]  # severity order


def test_finding_trend_per_ou(findings):
    t = posture.finding_trend(
        findings, start="2024-01-01", end="2024-01-04", by=("ou_path",), as_of=ts("2024-01-04T12:00")
    )
    sandbox = t[t["ou_path"] == "Sandbox"]["active"].tolist()
    assert sandbox == [0, 1, 1, 1]


def test_mean_time_active_keeps_open_findings_apart(findings):
    m = posture.mean_time_active(findings, as_of=ts("2024-01-04T12:00")).set_index("account_id")
    one = m.loc["111111111111"]
    assert one["findings"] == 3 and one["closed"] == 2
    assert one["mean_days_active_closed"] == pytest.approx((1.0 + 7.0) / 2)
    assert one["mean_days_open_still_active"] == pytest.approx(1.5)


def test_top_counts_by_type(findings):
    top = posture.top_counts(findings, "type", n=1)
    assert top["type"].tolist() == ["Recon:EC2/PortProbeUnprotectedPort"]
    assert top[["High", "Low", "total"]].iloc[0].tolist() == [1, 1, 2]


def test_notable_changes_finds_a_spike():
    days = pd.date_range("2024-01-01", periods=14, tz="UTC")
    counts = [3, 4, 3, 3, 4, 3, 3, 4, 3, 25, 3, 4, 3, 3]
    n = posture.notable_changes(pd.DataFrame({"day": days, "opened": counts}), "day", "opened")
    assert n["day"].tolist() == [days[9]]


def hourly_stream(account, region, start, hours, skip=()):
    rows = [
        {"account": account, "region": region, "hour": ts(start) + pd.Timedelta(hours=h), "events": 5}
        for h in range(hours)
        if h not in skip
    ]
    return rows


def test_delivery_gaps_flag_silence_in_busy_hours_not_a_quiet_stream_rhythm():
    busy = hourly_stream("111111111111", "eu-west-1", "2024-01-01", 72, skip=set(range(30, 37)))
    # a quiet stream: events every 6 hours only, its normal rhythm
    quiet = [
        r for r in hourly_stream("222222222222", "us-east-1", "2024-01-01", 72) if r["hour"].hour % 6 == 0
    ]
    hourly = pd.DataFrame(busy + quiet)
    gaps = posture.delivery_gaps(hourly)
    flagged = gaps[gaps["flagged"]]
    assert len(flagged) == 1
    g = flagged.iloc[0]
    assert (g["account"], g["region"], g["hours"]) == ("111111111111", "eu-west-1", 7)
    assert g["gap_start"] == ts("2024-01-02T06:00") and g["gap_end"] == ts("2024-01-02T13:00")
    assert g["expected_events"] == pytest.approx(7 * 5 * 2 / 3, abs=0.05)  # 5 events/h on 2 of 3 days
    assert len(gaps[gaps["account"] == "222222222222"]) == 11 and not gaps["flagged"].iloc[1:].any()
    daily = posture.cloudtrail_daily_coverage(hourly)
    day2 = daily[(daily["account"] == "111111111111") & (daily["day"] == ts("2024-01-02"))].iloc[0]
    assert day2["hours_with_events"] == 24 - 7 and bool(day2["delivered"])


def test_daily_coverage_starts_a_stream_on_its_first_day():
    hourly = pd.DataFrame(
        hourly_stream("1", "us-east-1", "2024-01-01", 72) + hourly_stream("2", "us-east-1", "2024-01-02", 48)
    )
    daily = posture.cloudtrail_daily_coverage(hourly)
    assert len(daily[daily["account"] == "2"]) == 2  # joined on day 2: not missing on day 1


def bucket_frame():
    rows = []
    for i, dt in enumerate(pd.date_range("2024-01-01", periods=6)):
        rows.append(
            {
                "dt": dt,
                "account": "1",
                "region": "us-east-1",
                "bucket": "logs",
                "EncryptedStorageBytesRatio": 1.0 if i < 3 else 0.6,
                "UnencryptedStorageBytes": 0 if i < 3 else 40,
                "versioning_enabled": True,
            }
        )
        rows.append(
            {
                "dt": dt,
                "account": "1",
                "region": "us-east-1",
                "bucket": "data",
                "EncryptedStorageBytesRatio": 1.0,
                "UnencryptedStorageBytes": 0,
                "versioning_enabled": i < 4,
            }
        )
        if i >= 2:
            rows.append(
                {
                    "dt": dt,
                    "account": "2",
                    "region": "eu-west-1",
                    "bucket": "scratch",
                    "EncryptedStorageBytesRatio": 0.0,
                    "UnencryptedStorageBytes": 2**30,
                    "versioning_enabled": False,
                }
            )
    return pd.DataFrame(rows)


def test_storage_drift_names_each_planted_change():
    drift = posture.storage_drift(bucket_frame())
    got = {(r["bucket"], r["change"], r["dt"].day) for _, r in drift.iterrows()}
    assert got == {
        ("logs", "encryption_drop", 4),
        ("data", "versioning_disabled", 5),
        ("scratch", "new_unencrypted_bucket", 3),
    }
    logs = drift[drift["change"] == "encryption_drop"].iloc[0]
    assert (logs["before"], logs["after"]) == (1.0, 0.6)


def test_control_pass_rate_uses_latest_status_per_control_and_resource():
    def f(
        control, resource, status, updated, std="standards/aws-foundational-security-best-practices/v/1.0.0"
    ):
        return {
            "AwsAccountId": "1",
            "UpdatedAt": updated,
            "Resources": [{"Id": resource}],
            "Compliance": {
                "Status": status,
                "SecurityControlId": control,
                "AssociatedStandards": [{"StandardsId": std}],
            },
        }

    asff = [
        f("S3.1", "b1", "FAILED", "2024-01-01T00:00:00Z"),
        f("S3.1", "b1", "PASSED", "2024-01-03T00:00:00Z"),
        f("S3.2", "b1", "FAILED", "2024-01-01T00:00:00Z"),
        f("IAM.1", "r", "WARNING", "2024-01-01T00:00:00Z"),
        f(
            "1.1",
            "acct",
            "PASSED",
            "2024-01-01T00:00:00Z",
            std="standards/cis-aws-foundations-benchmark/v/1.4.0",
        ),
    ]
    controls = posture.control_results(asff)
    now = posture.control_pass_rate(controls).set_index("standard")
    assert now.loc["standards/aws-foundational-security-best-practices/v/1.0.0", "pass_rate"] == 0.5
    assert now.loc["standards/cis-aws-foundations-benchmark/v/1.4.0", "pass_rate"] == 1.0
    trend = posture.control_pass_rate(controls, days=["2024-01-01", "2024-01-03"])
    fsbp = trend[trend["standard"].str.contains("foundational")]["pass_rate"].tolist()
    assert fsbp == [0.0, 0.5]


@pytest.mark.parametrize(
    ("data_set", "min_controls"), [("trimmed", 10), pytest.param("full", 20, marks=pytest.mark.shared_data)]
)
def test_control_results_read_real_security_hub_findings(data_set, min_controls):
    """AWS's automated-security-response test findings (Apache-2.0): trimmed in tests/data/real, full in ../shared/data."""
    from conftest import real_data, shared_data_dir

    folder = (real_data if data_set == "trimmed" else shared_data_dir)("securityhub", "asr-asff")
    asff = []
    for path in sorted(folder.rglob("*.json")):
        data = json.loads(path.read_text())
        for rec in data if isinstance(data, list) else [data]:
            if isinstance(rec, dict) and "detail" in rec:
                asff.extend(rec["detail"].get("findings", []))
            elif isinstance(rec, dict) and "Compliance" in rec:
                asff.append(rec)
            elif isinstance(rec, dict) and "Findings" in rec:
                asff.extend(rec["Findings"])
    controls = posture.control_results(asff)
    assert len(controls) > min_controls
    assert controls["standard"].notna().mean() > 0.8
    rates = posture.control_pass_rate(controls)
    assert rates["pass_rate"].between(0, 1).all() and rates["checks"].sum() > 0


def recording_with(calls: dict[tuple[str, str, str], list[dict]]) -> ApiRecording:
    rec = ApiRecording()
    for (service, region, op), entries in calls.items():
        for c in entries:
            rec.add(service, region, op, c.get("params", {}), c["response"], c.get("account"))
    return rec


def test_service_coverage_matrix_from_recorded_state():
    admin, a, b = "111111111111", "222222222222", "333333333333"
    accounts = pd.DataFrame(
        {
            "account_id": [admin, a, b],
            "name": ["sec", "prod", "dev"],
            "ou_path": ["Security", "Workloads/Prod", None],
        }
    )
    gd_members = {
        "Members": [
            {"AccountId": a, "AdministratorId": admin, "RelationshipStatus": "Enabled"},
            {"AccountId": b, "AdministratorId": admin, "RelationshipStatus": "Disabled"},
        ]
    }
    rec = recording_with(
        {
            ("guardduty", "us-east-1", "list_members"): [{"response": gd_members}],
            ("guardduty", "eu-west-1", "list_members"): [
                {
                    "response": {
                        "Members": [
                            {"AccountId": a, "AdministratorId": admin, "RelationshipStatus": "Removed"},
                            {"AccountId": b, "AdministratorId": admin, "RelationshipStatus": "Enabled"},
                        ]
                    }
                }
            ],
            ("guardduty", "us-east-1", "describe_organization_configuration"): [
                {
                    "response": {
                        "Features": [
                            {"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"},
                            {"Name": "RDS_LOGIN_EVENTS", "AutoEnable": "NONE"},
                        ]
                    }
                }
            ],
            ("securityhub", "us-east-1", "list_members"): [
                {
                    "response": {
                        "Members": [{"AccountId": a, "AdministratorId": admin, "MemberStatus": "Enabled"}]
                    }
                }
            ],
            ("macie2", "us-east-1", "list_members"): [
                {
                    "response": {
                        "members": [
                            {"accountId": a, "administratorAccountId": admin, "relationshipStatus": "Paused"}
                        ]
                    }
                }
            ],
            ("accessanalyzer", "us-east-1", "list_analyzers"): [
                {
                    "response": {
                        "analyzers": [
                            {
                                "arn": f"arn:aws:access-analyzer:us-east-1:{admin}:analyzer/org",
                                "name": "org",
                                "type": "ORGANIZATION",
                                "status": "ACTIVE",
                            }
                        ]
                    }
                }
            ],
            ("cloudtrail", "us-east-1", "describe_trails"): [
                {
                    "response": {
                        "trailList": [
                            {
                                "Name": "org-trail",
                                "IsOrganizationTrail": True,
                                "TrailARN": "arn:aws:cloudtrail:us-east-1:1:trail/org-trail",
                            }
                        ]
                    }
                }
            ],
        }
    )
    m = posture.service_coverage(rec, accounts).set_index("account_id")
    assert m.loc[admin, "GuardDuty"] == 1.0
    assert m.loc[a, "GuardDuty"] == 0.5 and m.loc[b, "GuardDuty"] == 0.5
    assert m.loc[a, "GuardDuty S3_DATA_EVENTS"] == 0.5 and m.loc[a, "GuardDuty RDS_LOGIN_EVENTS"] == 0.0
    assert m.loc[b, "Security Hub"] != m.loc[b, "Security Hub"]  # NaN: no recorded state for b
    assert m.loc[a, "Macie"] == 0.0
    assert (m["Access Analyzer"] == 1.0).all() and (m["Organization trail"] == 1.0).all()
    assert m["Config"].isna().all()  # nothing recorded: unknown, not "not covered"
    assert m.loc[b, "ou_path"] == "(root)"
    gaps = posture.coverage_gaps(m.reset_index())
    assert {("GuardDuty", a), ("GuardDuty", b), ("Macie", a)} <= set(
        zip(gaps["service"], gaps["account_id"], strict=True)
    )


def test_membership_history_from_snapshots_shows_coverage_change():
    def snap(at, rows):
        return [
            {"collected_at": ts(at), "region": r, "account_id": a, "relationship_status": st}
            for a, r, st in rows
        ]

    members = pd.DataFrame(
        snap(
            "2024-01-01",
            [("1", "us-east-1", "Enabled"), ("1", "eu-west-1", "Enabled"), ("2", "us-east-1", "Enabled")],
        )
        + snap(
            "2024-02-01",
            [
                ("1", "us-east-1", "Enabled"),
                ("1", "eu-west-1", "Disabled"),
                ("2", "us-east-1", "Enabled"),
                ("3", "us-east-1", "Enabled"),
            ],
        )
    )
    h = posture.membership_history(members)
    assert h[h["collected_at"] == ts("2024-02-01")].set_index("account_id")["covered"].to_dict() == {
        "1": 0.5,
        "2": 1.0,
        "3": 1.0,
    }
    changes = posture.membership_changes(h).set_index("account_id")["change"].to_dict()
    assert changes == {"1": "less coverage", "3": "new member"}
