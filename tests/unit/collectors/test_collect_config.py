"""AWS Config aggregator collector: moto for finding the aggregator, botocore Stubber for the rest.

moto 5 implements DescribeConfigurationAggregators but none of the aggregate compliance, resource-count
or SelectAggregateResourceConfig calls, so those go through a Stubber, which checks every request and
every response against botocore's service model. The evaluation results are REAL (Cloud Custodian's
recorded GetComplianceDetailsByConfigRule, tests/data/real/config/custodian) given aggregator shape by
tests/data/aws/config.py. Every Stubber is checked for unconsumed responses, so the tests also prove the
exact call sequence: the sources' status first, then one details call per NON_COMPLIANT rule x account x
region, one resource-count call per account.
"""

from __future__ import annotations

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import shared_data_dir
from data.aws import config as data

from orginsight.collectors.config import (
    CALLS,
    CONFIG,
    config_frames,
    coverage_status,
    get_aggregators,
    get_config,
    select_resources,
    transform_resource_compliance,
)
from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.service import EVERY_ACCOUNT
from orginsight.collectors.session import Connection, retry_config
from orginsight.errors import CollectionError

HOME = "us-east-1"
AGG = {"ConfigurationAggregatorName": data.AGGREGATOR}


@pytest.fixture
def connection() -> Connection:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=HOME)
    return Connection(session, retry_config(max_attempts=2))


def stubbed(connection: Connection, region: str = HOME) -> Stubber:
    client = connection.session.client("config", region_name=region, config=connection.config)
    connection.use_client("config", region, client)
    return Stubber(client)


def stub_aggregator(
    stub: Stubber,
    details: dict[tuple[str, str, str], list[dict]],
    faults: dict[str, tuple[str, int]] | None = None,
) -> None:
    """The collector's exact call sequence for the org aggregator (one worker: calls in target order).

    ``faults`` maps a details target's rule, or an operation name, to the (code, status) it fails with.
    """
    faults = faults or {}
    stub.add_response("describe_configuration_aggregators", data.DESCRIBE_CONFIGURATION_AGGREGATORS, {})
    sources = "describe_configuration_aggregator_sources_status"
    if sources in faults:
        code, status = faults[sources]
        stub.add_client_error(sources, code, code, status, expected_params=AGG)
    else:
        first, second = data.describe_configuration_aggregator_sources_status()
        stub.add_response(sources, first, AGG)
        stub.add_response(sources, second, {**AGG, "NextToken": "sources-2"})
    pages = data.describe_aggregate_compliance_by_config_rules(details)
    stub.add_response("describe_aggregate_compliance_by_config_rules", pages[0], AGG)
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules", pages[1], {**AGG, "NextToken": "rules-2"}
    )
    for (rule, account, region), results in sorted(details.items()):
        params = {
            **AGG,
            "ConfigRuleName": rule,
            "AccountId": account,
            "AwsRegion": region,
            "ComplianceType": "NON_COMPLIANT",
        }
        if (rule, account, region) in faults:
            code, status = faults[(rule, account, region)]
            stub.add_client_error(
                "get_aggregate_compliance_details_by_config_rule", code, code, status, expected_params=params
            )
        else:
            stub.add_response(
                "get_aggregate_compliance_details_by_config_rule",
                {"AggregateEvaluationResults": results},
                params,
            )
    if "describe_aggregate_compliance_by_conformance_packs" in faults:
        code, status = faults["describe_aggregate_compliance_by_conformance_packs"]
        stub.add_client_error("describe_aggregate_compliance_by_conformance_packs", code, code, status)
    else:
        stub.add_response(
            "describe_aggregate_compliance_by_conformance_packs",
            data.DESCRIBE_AGGREGATE_COMPLIANCE_BY_CONFORMANCE_PACKS,
            AGG,
        )
    first, second = data.get_aggregate_discovered_resource_counts_by_account()
    by_account = {**AGG, "GroupByKey": "ACCOUNT_ID"}
    stub.add_response("get_aggregate_discovered_resource_counts", first, by_account)
    stub.add_response(
        "get_aggregate_discovered_resource_counts", second, {**by_account, "NextToken": "counts-2"}
    )
    for account in sorted(data.RESOURCE_COUNTS_BY_TYPE):
        stub.add_response(
            "get_aggregate_discovered_resource_counts",
            data.get_aggregate_discovered_resource_counts_by_type(account),
            {**AGG, "GroupByKey": "RESOURCE_TYPE", "Filters": {"AccountId": account}},
        )


def test_tables_over_two_accounts_and_two_regions_from_real_results(connection: Connection) -> None:
    results = data.real_evaluation_results()
    details = data.details_by_target(results)
    stub = stubbed(connection)
    stub_aggregator(stub, details)
    log, recording = OutcomeLog(), ApiRecording()

    with stub:
        get_config(connection, [HOME], recording, log, workers=1, progress=False)
        stub.assert_no_pending_responses()

    assert log.failures == []
    frames = config_frames(recording)
    assert list(frames) == list(CONFIG.table_names)
    rules = frames["rule_compliance"]
    assert set(rules["aggregator"]) == {data.AGGREGATOR}  # the organization aggregator, not the legacy one
    assert set(zip(rules["account_id"], rules["region"], strict=True)) == {
        (a, r) for a in data.ACCOUNTS for r in data.REGIONS
    }
    failing = rules[rules["compliance"] == "NON_COMPLIANT"]
    assert len(failing) == 4 * 4 and failing["non_compliant_resources"].sum() == 4 * len(results) == 24
    assert (rules.loc[rules["compliance"] == "COMPLIANT", "rule"] == "s3-bucket-versioning").all()

    resources = frames["resource_compliance"]
    assert len(resources) == 24 and (resources["compliance"] == "NON_COMPLIANT").all()
    trail = resources[
        (resources["resource_type"] == "AWS::CloudTrail::Trail")
        & (resources["account_id"] == "333333333333")
        & (resources["region"] == "eu-west-1")
    ]
    assert len(trail) == 3
    assert "arn:aws:cloudtrail:us-east-1:644160558196:trail/orgTrail" in set(trail["resource_id"])
    volume = resources[resources["resource_id"] == "vol-0c6efd2a9f5677a03"].iloc[0]
    assert volume["rule"] == "custodian-good-vol"
    assert volume["annotation"] == "Resource is not compliant with policy:good-vol"
    assert volume["recorded_at"] == pd.Timestamp("2018-07-11T08:20:23.955Z")
    assert str(volume["evaluated_at"].tz) == "UTC"
    # a rule x account x region's count in rule_compliance matches its rows in resource_compliance
    per_target = resources.groupby(["rule", "account_id", "region"]).size()
    assert per_target.to_dict() == {
        (r.rule, r.account_id, r.region): r.non_compliant_resources for r in failing.itertuples()
    }

    packs = frames["conformance_packs"]
    assert len(packs) == 4 and packs["non_compliant_rules"].tolist() == [4] * 4
    counts = frames["resource_counts"].set_index(["account_id", "resource_type"])["count"]
    assert counts[("222222222222", "AWS::IAM::Role")] == 40 and len(counts) == 5


def test_a_live_collection_fills_the_coverage_column(connection: Connection) -> None:
    """Evaluated accounts are covered where the aggregator evaluates them; elsewhere the organization
    source's status per region decides, for every account (ap-southeast-2's last update FAILED)."""
    stub = stubbed(connection)
    stub_aggregator(stub, data.details_by_target(data.real_evaluation_results()))
    recording = ApiRecording()
    with stub:
        get_config(connection, [HOME], recording, OutcomeLog(), workers=1, progress=False)
        stub.assert_no_pending_responses()

    assert len(recording.calls("config", HOME, "describe_configuration_aggregator_sources_status")) == 2
    (coverage,) = CONFIG.coverage
    assert coverage.transform is coverage_status
    status, features = coverage.transform(recording)
    evaluated = {(a, r): True for a in data.ACCOUNTS for r in data.REGIONS}
    by_source = {(EVERY_ACCOUNT, r): state == "SUCCEEDED" for r, state in data.SOURCE_REGIONS.items()}
    assert status == {**evaluated, **by_source} and features == {}


def test_the_sources_status_alone_still_fills_the_coverage_column(connection: Connection) -> None:
    """Denied rule compliance (nothing evaluated to read): the organization source still says where
    Config runs."""
    stub = stubbed(connection)
    stub.add_response("describe_configuration_aggregators", data.DESCRIBE_CONFIGURATION_AGGREGATORS, {})
    first, second = data.describe_configuration_aggregator_sources_status()
    stub.add_response("describe_configuration_aggregator_sources_status", first, AGG)
    stub.add_response(
        "describe_configuration_aggregator_sources_status", second, {**AGG, "NextToken": "sources-2"}
    )
    stub.add_client_error(
        "describe_aggregate_compliance_by_config_rules",
        "AccessDeniedException",
        "not authorized",
        403,
        expected_params=AGG,
    )
    log, recording = OutcomeLog(), ApiRecording()
    with stub:
        get_config(connection, [HOME], recording, log, workers=1, progress=False)
        stub.assert_no_pending_responses()

    assert [(o.operation, o.status) for o in log.failures] == [
        ("describe_aggregate_compliance_by_config_rules", Status.ACCESS_DENIED)
    ]
    status, _features = coverage_status(recording)
    assert status == {(EVERY_ACCOUNT, r): s == "SUCCEEDED" for r, s in data.SOURCE_REGIONS.items()}


def test_faults_become_outcomes_and_the_rest_is_kept(connection: Connection) -> None:
    details = data.details_by_target(data.real_evaluation_results())
    throttled = ("custodian-dev", "222222222222", "eu-west-1")
    denied = ("custodian-iam-role-check", "333333333333", "us-east-1")
    missing_region = "eu-west-1"
    # eu-west-1 (the home region here) has no aggregator; us-east-1 holds the org aggregator
    empty = stubbed(connection, missing_region)
    empty.add_response("describe_configuration_aggregators", {"ConfigurationAggregators": []}, {})
    stub = stubbed(connection)
    stub_aggregator(
        stub,
        details,
        {
            throttled: ("ThrottlingException", 400),
            denied: ("AccessDeniedException", 403),
            "describe_aggregate_compliance_by_conformance_packs": ("AccessDeniedException", 403),
            "describe_configuration_aggregator_sources_status": ("AccessDeniedException", 403),
        },
    )
    log, recording = OutcomeLog(), ApiRecording()

    with empty, stub:
        get_config(connection, [missing_region, HOME], recording, log, workers=1, progress=False)
        empty.assert_no_pending_responses()
        stub.assert_no_pending_responses()

    failures = {(o.operation, o.account, o.region): o for o in log.failures}
    assert failures[("describe_configuration_aggregators", None, missing_region)].status is Status.NOT_ENABLED
    detail = "get_aggregate_compliance_details_by_config_rule"
    assert failures[(detail, throttled[1], throttled[2])].status is Status.THROTTLED
    assert failures[(detail, denied[1], denied[2])].status is Status.ACCESS_DENIED
    packs = failures[("describe_aggregate_compliance_by_conformance_packs", None, HOME)]
    assert packs.status is Status.ACCESS_DENIED
    sources = failures[("describe_configuration_aggregator_sources_status", None, HOME)]
    assert sources.status is Status.ACCESS_DENIED and len(failures) == 5

    frames = config_frames(recording)
    kept = frames["resource_compliance"]
    assert len(kept) == 24 - len(details[throttled]) - len(details[denied])
    assert frames["conformance_packs"].empty and len(frames["resource_counts"]) == 5
    assert len(frames["rule_compliance"]) == 16 + 4  # compliance rows do not depend on the details
    status, _features = coverage_status(recording)  # without the sources' status: the evaluations alone
    assert status == {(a, r): True for a in data.ACCOUNTS for r in data.REGIONS}


def test_a_missing_aggregator_is_not_enabled(connection: Connection) -> None:
    stub = stubbed(connection)
    stub.add_client_error(
        "describe_configuration_aggregators",
        "NoSuchConfigurationAggregatorException",
        "The configuration aggregator does not exist.",
        400,
    )
    log = OutcomeLog()
    with stub:
        assert get_aggregators(connection, HOME, ApiRecording(), log) == []
    (failure,) = log.failures
    assert (
        failure.status is Status.NOT_ENABLED
        and failure.error_code == "NoSuchConfigurationAggregatorException"
    )


def test_moto_finds_the_organization_aggregator() -> None:
    from moto import mock_aws

    with mock_aws():  # the session must be made inside the mock
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=HOME)
        connection = Connection(session, retry_config(max_attempts=2))
        client = session.client("config", region_name=HOME)
        client.put_configuration_aggregator(
            ConfigurationAggregatorName="accounts",
            AccountAggregationSources=[{"AccountIds": ["222222222222"], "AllAwsRegions": True}],
        )
        client.put_configuration_aggregator(
            ConfigurationAggregatorName=data.AGGREGATOR,
            OrganizationAggregationSource={
                "RoleArn": "arn:aws:iam::123456789012:role/config-aggregator",
                "AllAwsRegions": True,
            },
        )
        recording, log = ApiRecording(), OutcomeLog()
        assert get_aggregators(connection, HOME, recording, log) == [data.AGGREGATOR]
    assert (
        log.failures == [] and len(recording.calls("config", HOME, "describe_configuration_aggregators")) == 1
    )


def test_select_resources_pages_and_passes_the_expression_unchanged(connection: Connection) -> None:
    expression = (
        "SELECT resourceId, accountId, configuration.encrypted WHERE resourceType = 'AWS::EC2::Volume'"
    )
    params = {**AGG, "Expression": expression}
    stub = stubbed(connection)
    first, second = data.SELECT_AGGREGATE_RESOURCE_CONFIG
    stub.add_response("select_aggregate_resource_config", first, params)
    stub.add_response("select_aggregate_resource_config", second, {**params, "NextToken": "select-2"})
    recording = ApiRecording()

    with stub:
        df = select_resources(connection, data.AGGREGATOR, expression, recording=recording)
        stub.assert_no_pending_responses()

    assert list(df.columns) == [
        "resourceId",
        "accountId",
        "configuration.encrypted",
        "configuration.volumeType",
    ]
    assert df["resourceId"].tolist() == [
        "vol-0c6efd2a9f5677a03",
        "vol-0d1e2f3a4b5c6d7e8",
        "vol-0a9b8c7d6e5f4a3b2",
    ]
    assert df["configuration.encrypted"].tolist() == [False, True, False]
    assert pd.isna(df.loc[2, "configuration.volumeType"])
    assert len(recording.calls("config", HOME, "select_aggregate_resource_config")) == 2


def test_select_resources_raises_when_the_query_cannot_run(connection: Connection) -> None:
    stub = stubbed(connection)
    stub.add_client_error("select_aggregate_resource_config", "InvalidExpressionException", "bad query", 400)
    with stub, pytest.raises(CollectionError, match="InvalidExpressionException"):
        select_resources(connection, data.AGGREGATOR, "SELECT nonsense FROM")


def test_service_declares_every_call_and_table() -> None:
    assert CONFIG.name == "config" and CONFIG.api == "config"
    assert CONFIG.operations == {("config", op) for op in CALLS}
    assert all(op.startswith(("describe_", "get_", "select_")) for op in CALLS)
    assert CONFIG.table_names == (
        "rule_compliance",
        "resource_compliance",
        "conformance_packs",
        "resource_counts",
    )


@pytest.mark.shared_data
def test_every_shared_evaluation_result_transforms() -> None:
    results = data.real_evaluation_results(shared_data_dir("config", "custodian"))
    assert len(results) == 6
    call = {
        "params": {**AGG, "ConfigRuleName": "x", "AccountId": "222222222222", "AwsRegion": "eu-west-1"},
        "response": {
            "AggregateEvaluationResults": data.aggregate_results(results, "222222222222", "eu-west-1")
        },
    }
    rows = transform_resource_compliance([call])
    assert len(rows) == 6 and all(r["resource_id"] and r["resource_type"] for r in rows)
    assert all(r["recorded_at"].tzname() == "UTC" for r in rows)
    assert {r["rule"] for r in rows} >= {"custodian-good-vol", "custodian-dev"}
