"""The centralization audit: each check on crafted state (pass, fail, unknown), the expectations file and its
errors, and the changes between two audits.

A made-up organization: management 111.., security 222.. (Root/Security), prod 333.. (Root/Workloads/Prod),
dev 444.. (Root/Workloads/NonProd), in two regions. Responses are named after their API call and pass
botocore's Stubber (``test_crafted_responses_have_the_boto3_shape``).
"""

from __future__ import annotations

import json

import botocore.session
import pandas as pd
import pytest
from botocore.stub import Stubber

from orginsight.analytics import audit
from orginsight.analytics.audit import org_checks, service_checks
from orginsight.analytics.audit.base import per_account_region
from orginsight.collectors.guardrails import POLICY_COLUMNS, TARGET_COLUMNS
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.stacksets import STACK_INSTANCE_COLUMNS, STACK_SET_COLUMNS
from orginsight.errors import LakeError

MGMT, SEC, PROD, DEV = "111111111111", "222222222222", "333333333333", "444444444444"
REGIONS = ("us-east-1", "eu-west-1")

ACCOUNTS = pd.DataFrame(
    [
        (MGMT, "org-management", "ACTIVE", "r-root", "Root"),
        (SEC, "security-tooling", "ACTIVE", "ou-sec", "Root/Security"),
        (PROD, "web-prod", "ACTIVE", "ou-prod", "Root/Workloads/Prod"),
        (DEV, "web-dev", "ACTIVE", "ou-dev", "Root/Workloads/NonProd"),
    ],
    columns=["account_id", "name", "status", "ou_id", "ou_path"],
)
OUS = pd.DataFrame(
    [
        ("r-root", "Root", None, "Root", 0, None),
        ("ou-sec", "Security", "r-root", "Root/Security", 1, None),
        ("ou-wl", "Workloads", "r-root", "Root/Workloads", 1, None),
        ("ou-prod", "Prod", "ou-wl", "Root/Workloads/Prod", 2, None),
        ("ou-dev", "NonProd", "ou-wl", "Root/Workloads/NonProd", 2, None),
    ],
    columns=["ou_id", "name", "parent_id", "path", "depth", "arn"],
)
ADMINS = pd.DataFrame(
    [(SEC, "security-tooling", p, None) for p in ("guardduty.amazonaws.com", "securityhub.amazonaws.com")]
    + [(PROD, "web-prod", "macie.amazonaws.com", None)],
    columns=["account_id", "name", "service_principal", "delegation_enabled"],
)
TRUSTED = pd.DataFrame(
    {"service_principal": ["guardduty.amazonaws.com", "macie.amazonaws.com"], "date_enabled": None}
)

TRAIL = {
    "Name": "org-trail",
    "S3BucketName": "org-trail-bucket",
    "IsMultiRegionTrail": True,
    "HomeRegion": "us-east-1",
    "TrailARN": f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org-trail",
    "LogFileValidationEnabled": True,
    "KmsKeyId": f"arn:aws:kms:us-east-1:{MGMT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "HasInsightSelectors": False,
    "IsOrganizationTrail": True,
}
DESCRIBE_TRAILS = {"trailList": [TRAIL]}
GET_TRAIL_STATUS = {"IsLogging": False}
DESCRIBE_ORGANIZATION_CONFIGURATION = {  # GuardDuty
    "AutoEnable": True,
    "MemberAccountLimitReached": False,
    "Features": [
        {"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"},
        {"Name": "EBS_MALWARE_PROTECTION", "AutoEnable": "NEW"},
    ],
    "AutoEnableOrganizationMembers": "NEW",
}
LIST_MEMBERS = {  # GuardDuty
    "Members": [
        {
            "AccountId": a,
            "AdministratorId": SEC,
            "MasterId": SEC,
            "Email": f"{a}@example.com",
            "RelationshipStatus": status,
            "UpdatedAt": "2026-11-01T00:00:00Z",
        }
        for a, status in ((MGMT, "Enabled"), (PROD, "Enabled"), (DEV, "Disabled"))
    ]
}
LIST_FINDING_AGGREGATORS = {
    "FindingAggregators": [
        {"FindingAggregatorArn": f"arn:aws:securityhub:us-east-1:{SEC}:finding-aggregator/1234"}
    ]
}
DESCRIBE_CONFIGURATION_AGGREGATORS = {
    "ConfigurationAggregators": [
        {
            "ConfigurationAggregatorName": "org-aggregator",
            "OrganizationAggregationSource": {
                "RoleArn": f"arn:aws:iam::{SEC}:role/config-org",
                "AwsRegions": ["us-east-1"],
                "AllAwsRegions": False,
            },
        }
    ]
}
LIST_ANALYZERS = {
    "analyzers": [
        {
            "arn": f"arn:aws:access-analyzer:us-east-1:{SEC}:analyzer/org",
            "name": "org",
            "type": "ORGANIZATION",
            "createdAt": "2024-01-01T00:00:00Z",
            "status": "ACTIVE",
        }
    ]
}
LIST_STORAGE_LENS_CONFIGURATIONS = {
    "StorageLensConfigurationList": [
        {
            "Id": "org-lens",
            "StorageLensArn": f"arn:aws:s3:us-east-1:{MGMT}:storage-lens/org-lens",
            "HomeRegion": "us-east-1",
            "IsEnabled": True,
        }
    ]
}
GET_STORAGE_LENS_CONFIGURATION = {
    "StorageLensConfiguration": {
        "Id": "org-lens",
        "AccountLevel": {"BucketLevel": {}},
        "IsEnabled": True,
        "AwsOrg": {"Arn": "arn:aws:organizations::111111111111:organization/o-abcdefghij"},
        "DataExport": {
            "S3BucketDestination": {
                "Format": "CSV",
                "OutputSchemaVersion": "V_1",
                "AccountId": MGMT,
                "Arn": "arn:aws:s3:::lens-exports",
            }
        },
    }
}

RESPONSES = [
    ("cloudtrail", "DescribeTrails", DESCRIBE_TRAILS),
    ("cloudtrail", "GetTrailStatus", GET_TRAIL_STATUS),
    ("guardduty", "DescribeOrganizationConfiguration", DESCRIBE_ORGANIZATION_CONFIGURATION),
    ("guardduty", "ListMembers", LIST_MEMBERS),
    ("securityhub", "ListFindingAggregators", LIST_FINDING_AGGREGATORS),
    ("config", "DescribeConfigurationAggregators", DESCRIBE_CONFIGURATION_AGGREGATORS),
    ("accessanalyzer", "ListAnalyzers", LIST_ANALYZERS),
    ("s3control", "ListStorageLensConfigurations", LIST_STORAGE_LENS_CONFIGURATIONS),
    ("s3control", "GetStorageLensConfiguration", GET_STORAGE_LENS_CONFIGURATION),
]


@pytest.mark.parametrize(("service", "operation", "response"), RESPONSES, ids=[r[1] for r in RESPONSES])
def test_crafted_responses_have_the_boto3_shape(service, operation, response):
    client = botocore.session.get_session().create_client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    Stubber(client).add_response(_snake(operation), response)  # raises when the shape is wrong


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _inp(recording: ApiRecording | None = None, **kw) -> audit.AuditInput:
    base = {
        "accounts": ACCOUNTS,
        "ous": OUS,
        "delegated_admins": ADMINS,
        "trusted_services": TRUSTED,
        "management_account_id": MGMT,
    }
    return audit.AuditInput(recording=recording or ApiRecording(), **{**base, **kw})


def _rec(*calls: tuple[str, str, str, dict]) -> ApiRecording:
    rec = ApiRecording()
    for service, region, operation, response in calls:
        rec.add(service, region, operation, {}, response)
    return rec


EXP = audit.load_expectations()


def _statuses(rows) -> list[str]:
    return [r["status"] for r in rows]


# ----------------------------------------------------------------------------- expectations


def test_the_defaults_load_and_name_every_guardrail():
    assert EXP.security_account == "security-tooling" and EXP.regions is None
    assert EXP.guardduty_auto_enable == "ALL" and EXP.inspector_auto_enable == ("EC2", "ECR", "LAMBDA")
    assert EXP.max_session_s["Workloads/Prod"] == 3600 and EXP.default_max_session_s == 4 * 3600
    assert "cloudtrail-logging" in EXP.guardrails_required


def test_a_team_file_keeps_the_defaults_it_does_not_change(tmp_path):
    path = tmp_path / "ours.toml"
    path.write_text(
        'security_account = "222222222222"\nregions = ["us-east-1"]\n[guardduty]\nauto_enable = "NEW"\n'
    )
    exp = audit.load_expectations(path)
    assert (exp.security_account, exp.regions, exp.guardduty_auto_enable) == (
        "222222222222",
        ("us-east-1",),
        "NEW",
    )
    assert exp.guardduty_delegated_admin and exp.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[guardduty]\nauto_enabel = 'ALL'\n", "unknown key 'guardduty.auto_enabel'"),
        ("secuirty_account = 'x'\n", "unknown key 'secuirty_account'"),
        ("[guardduty]\nauto_enable = 'SOME'\n", "'guardduty.auto_enable' must be one of"),
        ("[trail]\nkms = 'yes'\n", "'trail.kms' must be bool"),
        ("[identitycenter.max_session]\n'Workloads/Prod' = 'one hour'\n", "not an ISO 8601 duration"),
        ("regions = 'all'\n", "'regions' must be"),
        ("[guardrails]\nrequired = ['no-such-guardrail']\n", "allowed:"),
        ("[inspector]\nauto_enable = ['EC3']\n", "allowed:"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_a_bad_expectations_file_is_refused_naming_the_key_and_the_file(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(audit.ExpectationsError, match=message) as e:
        audit.load_expectations(path)
    assert str(path) in str(e.value)


def test_a_missing_expectations_file_is_an_error(tmp_path):
    with pytest.raises(audit.ExpectationsError, match="cannot read"):
        audit.load_expectations(tmp_path / "none.toml")


# ----------------------------------------------------------------------------- organization trail


def test_trail_checks_pass_fail_and_unknown():
    rec = _rec(("cloudtrail", "us-east-1", "describe_trails", DESCRIBE_TRAILS))
    by = {c.name: c for c in audit.CHECKS}
    assert _statuses(by["trail_kms"].run(_inp(rec), EXP)) == ["pass"]
    assert _statuses(by["trail_multi_region"].run(_inp(rec), EXP)) == ["pass"]
    insights = by["trail_insights"].run(_inp(rec), EXP)
    assert _statuses(insights) == ["fail"] and "org-trail" in insights[0]["found"]
    assert _statuses(by["trail_logging"].run(_inp(rec), EXP)) == [
        "pass"
    ]  # no GetTrailStatus: listed = logging
    rec.add("cloudtrail", "us-east-1", "get_trail_status", {"Name": TRAIL["TrailARN"]}, GET_TRAIL_STATUS)
    assert _statuses(by["trail_logging"].run(_inp(rec), EXP)) == ["fail"]
    unknown = by["trail_kms"].run(_inp(), EXP)
    assert _statuses(unknown) == ["unknown"] and "DescribeTrails" in unknown[0]["found"]
    no_org = _rec(
        (
            "cloudtrail",
            "us-east-1",
            "describe_trails",
            {"trailList": [{**TRAIL, "IsOrganizationTrail": False}]},
        )
    )
    assert _statuses(by["trail_organization"].run(_inp(no_org), EXP)) == ["fail"]


# ----------------------------------------------------------------------------- delegated administrators


def test_delegated_admin_pass_fail_and_unknown():
    assert _statuses(service_checks.guardduty_delegated_admin(_inp(), EXP)) == ["pass"]
    hub = service_checks.securityhub_delegated_admin(_inp(), EXP)  # admin right, trusted access off
    assert _statuses(hub) == ["fail"] and "trusted access is off" in hub[0]["found"]
    macie = service_checks.macie_delegated_admin(_inp(), EXP)
    assert _statuses(macie) == ["fail"] and "web-prod" in macie[0]["found"]
    assert _statuses(service_checks.inspector_delegated_admin(_inp(), EXP)) == ["fail"]  # none listed
    assert _statuses(service_checks.detective_delegated_admin(_inp(), EXP)) == ["unknown"]  # not collected
    unread = service_checks.guardduty_delegated_admin(_inp(delegated_admins=None), EXP)
    assert _statuses(unread) == ["unknown"] and "orginsight collect org" in unread[0]["found"]
    other = service_checks.guardduty_delegated_admin(
        _inp(accounts=ACCOUNTS[ACCOUNTS["account_id"] != SEC]), EXP
    )
    assert _statuses(other) == ["unknown"] and "no account named" in other[0]["found"]


# ----------------------------------------------------------------------------- regional services


def test_guardduty_auto_enable_and_plans_per_region():
    rec = _rec(
        ("guardduty", "us-east-1", "describe_organization_configuration", DESCRIBE_ORGANIZATION_CONFIGURATION)
    )
    rec.add("guardduty", "eu-west-1", "list_detectors", {}, {"DetectorIds": []})
    exp = audit.load_expectations()
    rows = service_checks.guardduty_auto_enable(_inp(rec), exp)
    assert {r["region"]: r["status"] for r in rows} == {"eu-west-1": "fail", "us-east-1": "fail"}
    assert rows[1]["found"] == "auto-enable NEW, not ALL"
    plans = service_checks.guardduty_protection_plans(_inp(rec), exp)
    found = {r["region"]: r["found"] for r in plans}["us-east-1"]
    assert "EBS_MALWARE_PROTECTION NEW" in found and "RUNTIME_MONITORING absent" in found
    assert "S3_DATA_EVENTS" not in found


def test_guardduty_auto_enable_all_passes_and_an_unrecorded_region_is_unknown(tmp_path):
    config = {**DESCRIBE_ORGANIZATION_CONFIGURATION, "AutoEnableOrganizationMembers": "ALL"}
    rec = _rec(("guardduty", "us-east-1", "describe_organization_configuration", config))
    path = tmp_path / "e.toml"
    path.write_text('regions = ["us-east-1", "eu-west-1"]\n')
    rows = service_checks.guardduty_auto_enable(_inp(rec), audit.load_expectations(path))
    assert {r["region"]: r["status"] for r in rows} == {"us-east-1": "pass", "eu-west-1": "unknown"}


def test_membership_per_account_and_region_from_the_coverage_transform():
    rec = _rec(("guardduty", "us-east-1", "list_members", LIST_MEMBERS))
    rows = service_checks.guardduty_members(_inp(rec), EXP)
    got = {(r["account_id"], r["region"]): r["status"] for r in rows}
    assert got == {
        (MGMT, "us-east-1"): "pass",
        (SEC, "us-east-1"): "pass",
        (PROD, "us-east-1"): "pass",
        (DEV, "us-east-1"): "fail",
    }
    macie = per_account_region(_inp(rec), EXP, "Macie", "macie2", "macie")  # used regions: GuardDuty's
    assert {r["status"] for r in macie} == {"unknown"} and "orginsight collect macie" in macie[0]["found"]


def test_inspector_scan_types_name_what_is_off():
    status = {
        "accounts": [
            {
                "accountId": PROD,
                "state": {"status": "ENABLED"},
                "resourceState": {
                    "ec2": {"status": "ENABLED"},
                    "ecr": {"status": "DISABLED"},
                    "lambda": {"status": "ENABLED"},
                },
            }
        ],
        "failedAccounts": [],
    }
    rec = _rec(("inspector2", "us-east-1", "batch_get_account_status", status))
    rows = {r["account_id"]: r for r in service_checks.inspector_scan_types(_inp(rec), EXP)}
    assert rows[PROD]["status"] == "fail" and rows[PROD]["found"] == "Inspector on; off: ECR"
    assert rows[DEV]["status"] == "fail"  # not a member at all
    assert [r["status"] for r in service_checks.inspector_auto_enable(_inp(rec), EXP)] == ["unknown"]


def test_securityhub_aggregation_and_central_configuration():
    assert _statuses(service_checks.securityhub_aggregation(_inp(), EXP)) == ["unknown"]
    rec = _rec(("securityhub", "us-east-1", "list_finding_aggregators", LIST_FINDING_AGGREGATORS))
    assert _statuses(service_checks.securityhub_aggregation(_inp(rec), EXP)) == ["pass"]
    empty = _rec(("securityhub", "us-east-1", "list_finding_aggregators", {"FindingAggregators": []}))
    assert _statuses(service_checks.securityhub_aggregation(_inp(empty), EXP)) == ["fail"]
    local = _rec(
        (
            "securityhub",
            "us-east-1",
            "describe_organization_configuration",
            {"AutoEnable": True, "OrganizationConfiguration": {"ConfigurationType": "LOCAL"}},
        )
    )
    assert service_checks.securityhub_central_configuration(_inp(local), EXP)[0]["found"] == (
        "LOCAL configuration, auto-enable on"
    )


def test_config_aggregator_must_cover_every_region():
    rec = _rec(
        ("config", "us-east-1", "describe_configuration_aggregators", DESCRIBE_CONFIGURATION_AGGREGATORS)
    )
    rec.add("config", "eu-west-1", "describe_configuration_aggregator_sources_status", {}, {})
    rows = service_checks.config_aggregator(_inp(rec), EXP)
    assert _statuses(rows) == ["fail"] and "misses eu-west-1" in rows[0]["found"]
    every = json.loads(json.dumps(DESCRIBE_CONFIGURATION_AGGREGATORS))
    every["ConfigurationAggregators"][0]["OrganizationAggregationSource"]["AllAwsRegions"] = True
    ok = _rec(("config", "us-east-1", "describe_configuration_aggregators", every))
    assert _statuses(service_checks.config_aggregator(_inp(ok), EXP)) == ["pass"]
    assert _statuses(service_checks.config_aggregator(_inp(), EXP)) == ["unknown"]


def test_access_analyzer_needs_an_organization_analyzer_in_each_region():
    rec = _rec(
        ("accessanalyzer", "us-east-1", "list_analyzers", LIST_ANALYZERS),
        ("accessanalyzer", "eu-west-1", "list_analyzers", {"analyzers": []}),
    )
    rows = service_checks.accessanalyzer_organization(_inp(rec), EXP)
    assert {r["region"]: r["status"] for r in rows} == {"eu-west-1": "fail", "us-east-1": "pass"}


def test_storage_lens_organization_dashboard_with_export():
    listed = _rec(
        ("s3control", "us-east-1", "list_storage_lens_configurations", LIST_STORAGE_LENS_CONFIGURATIONS)
    )
    assert _statuses(org_checks.storagelens_dashboard(_inp(listed), EXP)) == ["unknown"]
    listed.add("s3control", "us-east-1", "get_storage_lens_configuration", {}, GET_STORAGE_LENS_CONFIGURATION)
    assert _statuses(org_checks.storagelens_dashboard(_inp(listed), EXP)) == ["pass"]
    account_only = json.loads(json.dumps(GET_STORAGE_LENS_CONFIGURATION))
    del account_only["StorageLensConfiguration"]["AwsOrg"]
    rec = _rec(
        ("s3control", "us-east-1", "list_storage_lens_configurations", LIST_STORAGE_LENS_CONFIGURATIONS),
        ("s3control", "us-east-1", "get_storage_lens_configuration", account_only),
    )
    assert _statuses(org_checks.storagelens_dashboard(_inp(rec), EXP)) == ["fail"]
    assert _statuses(org_checks.storagelens_dashboard(_inp(), EXP)) == ["unknown"]


# ----------------------------------------------------------------------------- Identity Center, SCPs, StackSets


def _identitycenter(duration_s: int) -> dict[str, pd.DataFrame]:
    sets = pd.DataFrame(
        {
            "permission_set_arn": ["ps-admin", "ps-read"],
            "name": ["AdminAccess", "ReadOnly"],
            "session_duration_s": [duration_s, 3600],
        }
    )
    assignments = pd.DataFrame(
        {
            "account_id": [PROD, PROD, DEV],
            "permission_set_arn": ["ps-admin", "ps-read", "ps-admin"],
            "principal_type": "GROUP",
            "principal_id": "g-1",
        }
    )
    return {"permission_sets": sets, "account_assignments": assignments}


def test_session_duration_by_ou_prefix():
    assert org_checks.max_session_for("Root/Workloads/Prod/Payments", EXP) == (3600, "Workloads/Prod")
    assert org_checks.max_session_for("Root/Workloads/Production", EXP) == (4 * 3600, "default")
    rows = {
        r["account_id"]: r
        for r in org_checks.identitycenter_session_duration(
            _inp(identitycenter=_identitycenter(8 * 3600)), EXP
        )
    }
    assert rows[PROD]["status"] == "fail" and rows[PROD]["found"] == "AdminAccess 8h > 1h (Workloads/Prod)"
    assert rows[DEV]["status"] == "fail"  # 8h over the default 4h
    short = {
        r["account_id"]: r["status"]
        for r in org_checks.identitycenter_session_duration(_inp(identitycenter=_identitycenter(3600)), EXP)
    }
    assert short == {MGMT: "pass", SEC: "pass", PROD: "pass", DEV: "pass"}
    assert set(_statuses(org_checks.identitycenter_session_duration(_inp(), EXP))) == {"unknown"}


def _deny(sid: str, actions: list[str]) -> dict:
    return {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": "*"}


def test_guardrail_scps_per_account():
    doc = {
        "Version": "2012-10-17",
        "Statement": [_deny("Trail", ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"])],
    }
    policies = pd.DataFrame(
        [("p-trail", "SERVICE_CONTROL_POLICY", "ProtectTrail", None, False, None, json.dumps(doc))],
        columns=POLICY_COLUMNS,
    )
    targets = pd.DataFrame(
        [
            ("p-trail", "ou-prod", "ORGANIZATIONAL_UNIT", "Prod", None),
            ("p-trail", "r-root", "ROOT", "Root", None),
        ],
        columns=TARGET_COLUMNS,
    )
    tables = {"policies": policies, "policy_targets": targets}
    path_exp = audit.load_expectations()
    exp = type(path_exp)(**{**path_exp.__dict__, "guardrails_required": ("cloudtrail-logging",)})
    rows = {r["account_id"]: r for r in org_checks.guardrail_scps(_inp(guardrails=tables), exp)}
    assert rows[PROD]["status"] == "pass" and rows[MGMT]["found"].startswith("management account")
    wide = type(exp)(**{**exp.__dict__, "guardrails_required": ("cloudtrail-logging", "leave-organization")})
    failed = {r["account_id"]: r for r in org_checks.guardrail_scps(_inp(guardrails=tables), wide)}
    assert failed[DEV]["status"] == "fail" and "leave-organization not denied" in failed[DEV]["found"]
    assert set(_statuses(org_checks.guardrail_scps(_inp(), exp))) == {"unknown"}


def test_baseline_stacksets_missing_and_drifted():
    instances = pd.DataFrame(
        [
            {
                "stack_set_name": "Baseline",
                "account_id": SEC,
                "region": "us-east-1",
                "status": "CURRENT",
                "drift_status": "IN_SYNC",
            },
            {
                "stack_set_name": "Baseline",
                "account_id": PROD,
                "region": "us-east-1",
                "status": "CURRENT",
                "drift_status": "DRIFTED",
            },
        ],
        columns=STACK_INSTANCE_COLUMNS,
    )
    sets = pd.DataFrame([{"stack_set_name": "Baseline"}], columns=STACK_SET_COLUMNS)
    exp = type(EXP)(**{**EXP.__dict__, "baseline_stacksets": ("Baseline",)})
    rows = {
        r["account_id"]: r
        for r in org_checks.baseline_stacksets(
            _inp(stacksets={"stack_sets": sets, "stack_instances": instances}), exp
        )
    }
    assert MGMT not in rows  # service-managed stack sets never deploy there
    assert rows[SEC]["status"] == "pass"
    assert rows[PROD]["found"] == "Baseline drifted in us-east-1"
    assert rows[DEV]["found"] == "Baseline missing in us-east-1"
    assert set(_statuses(org_checks.baseline_stacksets(_inp(), exp))) == {"unknown"}


# ----------------------------------------------------------------------------- the whole audit over time


def test_run_audit_names_accounts_and_counts_per_check():
    rec = _rec(
        ("guardduty", "us-east-1", "list_members", LIST_MEMBERS),
        ("cloudtrail", "us-east-1", "describe_trails", DESCRIBE_TRAILS),
    )
    df = audit.run_audit(_inp(rec), EXP)
    assert list(df.columns) == audit.RESULT_COLUMNS
    assert set(df["status"]) <= set(audit.STATUSES)
    dev = df[(df["check"] == "guardduty_members") & (df["account_id"] == DEV)].iloc[0]
    assert (dev["account_name"], dev["ou_path"], dev["status"]) == (
        "web-dev",
        "Root/Workloads/NonProd",
        "fail",
    )
    assert (df[df["account_id"] == "organization"]["account_name"] == "organization").all()
    # the default baseline is every auto-deployed stack set: StackSets not read here, so unknown
    assert set(df[df["check"] == "baseline_stacksets"]["status"]) == {"unknown"}
    summary = audit.audit_summary(df).set_index("check")
    assert summary.loc["guardduty_members", ["pass", "fail", "unknown"]].tolist() == [3, 1, 0]
    fixes = audit.audit_failures(df)
    assert fixes["risk"].is_monotonic_decreasing


def _results(status: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "check": c,
                "service": "s",
                "account_id": PROD,
                "account_name": "web-prod",
                "ou_path": None,
                "region": "all",
                "status": s,
                "expected": "e",
                "found": f"{c} {s}",
                "risk": 5,
            }
            for c, s in status.items()
        ]
    )


def test_audit_changes_show_regressions_fixes_and_new_unknowns(tmp_path):
    before = _results({"a": "pass", "b": "fail", "c": "pass", "d": "pass"})
    after = _results({"a": "fail", "b": "pass", "c": "unknown", "d": "pass", "e": "fail"})
    audit.write_audit_snapshot(tmp_path, before, pd.Timestamp("2026-11-01", tz="UTC").to_pydatetime())
    previous = audit.previous_audit(tmp_path)
    changes = audit.audit_changes(previous, after).set_index("check")["change"].to_dict()
    assert changes == {"a": "regression", "b": "fix", "c": "new unknown", "e": "new failure"}
    assert audit.previous_audit(tmp_path / "none") is None


def test_audit_input_from_a_lake_is_tolerant_of_what_is_missing(tmp_path):
    with pytest.raises(LakeError):
        audit.audit_input_from_lake(tmp_path / "absent")
    inp = audit.audit_input_from_lake(tmp_path)
    assert inp.accounts.empty and inp.identitycenter is None and inp.delegated_admins is None
    df = audit.run_audit(inp, EXP)
    assert set(df["status"]) <= {"unknown"}
