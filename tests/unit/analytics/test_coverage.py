"""The coverage matrix's columns of Config, Inspector, Access Analyzer, Macie, Systems Manager and Trusted
Advisor, each read through its module's ``Coverage`` declaration from recorded boto3-shaped responses."""

from __future__ import annotations

import copy
import math

import pandas as pd
from data.aws import accessanalyzer as analyzer_data
from data.aws import config as config_data
from data.aws import inspector as inspector_data
from data.aws import macie as macie_data
from data.aws import ssm as ssm_data
from data.aws import trustedadvisor as advisor_data

from orginsight.analytics import posture
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.registry import coverage_rows

ADMIN, A, B = "111111111111", "222222222222", "333333333333"
ACCOUNTS = pd.DataFrame({"account_id": [ADMIN, A, B], "name": ["sec", "prod", "dev"]})


PARAMS = {
    "describe_aggregate_compliance_by_config_rules": {"ConfigurationAggregatorName": config_data.AGGREGATOR},
    "list_organization_recommendation_accounts": {
        "organizationRecommendationIdentifier": "arn:aws:trustedadvisor:::organization-recommendation/"
        "9534ec9b-bf3a-44e8-8213-2ed68b39d9d5"
    },
}
"""The request parameters the collectors record with these operations (the transforms read them)."""


def matrix(*calls: tuple) -> pd.DataFrame:
    """The matrix over ACCOUNTS from (service, region, operation, response[, account]) calls."""
    rec = ApiRecording()
    for service, region, operation, response, *account in calls:
        rec.add(
            service, region, operation, PARAMS.get(operation, {}), response, account[0] if account else None
        )
    return posture.service_coverage(rec, ACCOUNTS).set_index("account_id")


def nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def test_every_column_comes_from_the_registry_in_its_order() -> None:
    m = matrix()
    assert (*(row.label for row in coverage_rows()), "Organization trail") == posture.SERVICES
    assert {"Config", "Inspector", "Access Analyzer", "Macie", "Systems Manager", "Trusted Advisor"} <= set(m)
    assert m[list(posture.SERVICES)].isna().all().all()  # nothing recorded: unknown, never "not covered"


def test_config_reads_the_aggregators_rule_evaluations_then_its_sources_status() -> None:
    evaluated = [(A, r) for r in config_data.REGIONS] + [(B, "us-east-1")]
    pages = config_data.describe_aggregate_compliance_by_config_rules(
        {("s3-bucket-versioning", a, r): [] for a, r in evaluated}, compliant=()
    )
    failed = {
        "AggregatedSourceStatusList": [
            {"SourceId": B, "SourceType": "ACCOUNT", "AwsRegion": r, "LastUpdateStatus": "FAILED"}
            for r in config_data.REGIONS
        ]
    }
    m = matrix(
        *(("config", "us-east-1", "describe_aggregate_compliance_by_config_rules", p) for p in pages),
        ("config", "us-east-1", "describe_configuration_aggregator_sources_status", failed),
    )
    assert m.loc[A, "Config"] == 1.0  # evaluated in both regions
    assert m.loc[B, "Config"] == 0.5  # evaluated in us-east-1 (that wins); its source failed in eu-west-1
    assert nan(m.loc[ADMIN, "Config"])  # the aggregator holds nothing of it


def test_an_organization_aggregator_source_covers_every_account_while_it_updates() -> None:
    def sources(region: str, state: str) -> dict:
        return {
            "AggregatedSourceStatusList": [
                {
                    "SourceId": "o-abcdefghij",
                    "SourceType": "ORGANIZATION",
                    "AwsRegion": region,
                    "LastUpdateStatus": state,
                }
            ]
        }

    m = matrix(
        (
            "config",
            "us-east-1",
            "describe_configuration_aggregator_sources_status",
            sources("us-east-1", "SUCCEEDED"),
        ),
        (
            "config",
            "us-east-1",
            "describe_configuration_aggregator_sources_status",
            sources("eu-west-1", "FAILED"),
        ),
    )
    assert (m["Config"] == 0.5).all()


def test_inspector_account_status_wins_over_membership_and_names_scan_types() -> None:
    status = inspector_data.batch_get_account_status([A], ecr="DISABLED")
    suspended = inspector_data.batch_get_account_status([B], status="SUSPENDED")
    m = matrix(
        ("inspector2", "us-east-1", "list_members", inspector_data.LIST_MEMBERS),
        ("inspector2", "us-east-1", "batch_get_account_status", status),
        ("inspector2", "us-east-1", "batch_get_account_status", suspended),
    )
    assert m.loc[ADMIN, "Inspector"] == 1.0  # the delegated administrator
    assert m.loc[A, "Inspector"] == 1.0 and m.loc[B, "Inspector"] == 0.0  # B: an ENABLED member, SUSPENDED
    assert m.loc[A, "Inspector EC2"] == 1.0 and m.loc[A, "Inspector ECR"] == 0.0
    assert nan(m.loc[ADMIN, "Inspector ECR"])  # no account status of its own


def test_access_analyzer_organization_analyzers_cover_everyone_account_analyzers_their_owner() -> None:
    listed = copy.deepcopy(analyzer_data.LIST_ANALYZERS)  # aws-cli's example: three analyzers in us-west-2
    owner = analyzer_data.ACCOUNT_ARN.split(":")[4]
    accounts = pd.DataFrame({"account_id": [owner, A], "name": ["owner", "other"]})
    only_account = {"analyzers": [a for a in listed["analyzers"] if a["type"] == "ACCOUNT"]}
    rec = ApiRecording()
    rec.add("accessanalyzer", "us-west-2", "list_analyzers", {}, listed)
    rec.add("accessanalyzer", "eu-west-1", "list_analyzers", {}, only_account)
    m = posture.service_coverage(rec, accounts).set_index("account_id")
    assert m.loc[owner, "Access Analyzer"] == 1.0  # its account analyzer in eu-west-1 too
    assert m.loc[A, "Access Analyzer"] == 0.5  # the organization's analyzer is in us-west-2 only
    assert (m["Access Analyzer UNUSED_ACCESS"] == 1.0).all()  # one region's unused-access analyzer is enough


def test_macie_members_first_then_the_buckets_it_inventories() -> None:
    members = {
        "members": [
            {"accountId": A, "administratorAccountId": ADMIN, "relationshipStatus": "Paused"},
        ]
    }
    buckets = {"buckets": macie_data.buckets_of(A, "us-east-1") + macie_data.buckets_of(B, "us-east-1")}
    m = matrix(
        ("macie2", "us-east-1", "list_members", members),
        ("macie2", "us-east-1", "describe_buckets", buckets),
    )
    assert m.loc[ADMIN, "Macie"] == 1.0
    assert m.loc[A, "Macie"] == 0.0  # paused: its listed buckets do not make it covered
    assert m.loc[B, "Macie"] == 1.0  # not a listed member, but Macie inventories its buckets


def test_systems_manager_covers_an_account_where_every_live_instance_is_a_managed_node() -> None:
    def instances(*ids: str) -> dict:
        live = [{"InstanceId": i, "State": {"Name": "running"}} for i in ids]
        return {"Reservations": [{"OwnerId": A, "Instances": live}]}

    nodes = ssm_data.describe_instance_information_for(["i-1"])
    m = matrix(
        ("ssm", "us-east-1", "describe_instance_information", nodes, A),
        ("ec2", "us-east-1", "describe_instances", instances("i-1"), A),
        ("ssm", "eu-west-1", "describe_instance_information", nodes, A),
        ("ec2", "eu-west-1", "describe_instances", instances("i-1", "i-2"), A),
        ("ssm", "us-east-1", "describe_instance_information", {"InstanceInformationList": []}, B),
        ("ssm", "us-east-1", "describe_instance_information", nodes, ADMIN),  # no EC2 read: unknown
    )
    assert m.loc[A, "Systems Manager"] == 0.5  # i-2 in eu-west-1 has no agent
    assert nan(m.loc[B, "Systems Manager"]) and nan(m.loc[ADMIN, "Systems Manager"])


def test_trusted_advisor_organization_recommendations_cover_every_account() -> None:
    m = matrix(
        (
            "trustedadvisor",
            "us-east-1",
            "list_organization_recommendations",
            advisor_data.LIST_ORGANIZATION_RECOMMENDATIONS_2,
        ),
        (
            "trustedadvisor",
            "us-east-1",
            "list_organization_recommendation_accounts",
            advisor_data.LIST_ORGANIZATION_RECOMMENDATION_ACCOUNTS,
        ),
    )
    assert (m["Trusted Advisor"] == 1.0).all()


def test_trusted_advisor_through_the_support_api_covers_the_accounts_that_answered() -> None:
    m = matrix(
        (
            "support",
            "us-east-1",
            "describe_trusted_advisor_checks",
            advisor_data.DESCRIBE_TRUSTED_ADVISOR_CHECKS,
            A,
        )
    )
    assert m.loc[A, "Trusted Advisor"] == 1.0  # Business support: the checks answered
    assert m.loc[B, "Trusted Advisor"] == 0.0 and m.loc[ADMIN, "Trusted Advisor"] == 0.0
    gaps = posture.coverage_gaps(m.reset_index())
    assert {(s, a) for s, a in zip(gaps["service"], gaps["account_id"], strict=True)} == {
        ("Trusted Advisor", ADMIN),
        ("Trusted Advisor", B),
    }
