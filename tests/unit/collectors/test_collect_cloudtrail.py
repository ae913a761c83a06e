"""CloudTrail collector: moto for the trails and the bucket it implements, botocore's Stubber for what moto does
not (shadow trails of an organization, advanced selectors, InsightNotEnabledException, delivery errors), faults
as outcomes, the transforms against tests/data/aws/cloudtrail.py, and the demo's recorded trail state."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import fake_session, stub_replay
from data.aws import cloudtrail as data
from moto import mock_aws

from orginsight.collectors import cloudtrail
from orginsight.collectors.cloudtrail import (
    CLOUDTRAIL,
    cloudtrail_frames,
    collect_cloudtrail,
    get_cloudtrail,
    transform_event_selectors,
)
from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.registry import SERVICES
from orginsight.collectors.service import RunOptions
from orginsight.collectors.session import Connection, retry_config
from orginsight.demo.org import HOME_REGION, build_organization, service_responses

HOME, OTHER = data.HOME, data.OTHER


@pytest.fixture
def connection():
    with mock_aws():
        session = fake_session(HOME)
        yield Connection(session, retry_config(max_attempts=1))


def _failures(log: OutcomeLog) -> dict[tuple[str | None, str], Status]:
    return {(o.region, o.operation): o.status for o in log.failures}


# ----------------------------------------------------------------------------- moto


def test_moto_trail_its_selectors_and_bucket(connection):
    s3 = connection.session.client("s3", region_name=HOME)
    s3.create_bucket(Bucket=data.BUCKET, ObjectLockEnabledForBucket=True)
    s3.put_bucket_policy(Bucket=data.BUCKET, Policy=data.GET_BUCKET_POLICY["Policy"])
    s3.put_object_lock_configuration(Bucket=data.BUCKET, ObjectLockConfiguration=data.GET_OBJECT_LOCK_CONFIGURATION["ObjectLockConfiguration"])  # fmt: skip
    ct = connection.session.client("cloudtrail", region_name=HOME)
    arn = ct.create_trail(
        Name="org-trail", S3BucketName=data.BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True
    )["TrailARN"]
    ct.start_logging(Name="org-trail")
    ct.put_event_selectors(TrailName="org-trail", AdvancedEventSelectors=data.GET_EVENT_SELECTORS_ADVANCED["AdvancedEventSelectors"])  # fmt: skip
    ct.put_insight_selectors(TrailName="org-trail", InsightSelectors=[{"InsightType": "ApiErrorRateInsight"}])

    frames = collect_cloudtrail(connection, [HOME, OTHER], progress=False)

    trails = frames["trails"]
    assert list(trails["arn"]) == [arn]  # listed in both regions (a multi-region trail), read once
    t = trails.iloc[0]
    assert t["listed_in"] == "eu-west-1,us-east-1"
    assert t["multi_region"] and t["log_file_validation"] and t["is_logging"]
    assert t["status_read"] and t["event_selectors_read"] and t["insight_selectors_read"]
    selectors = frames["event_selectors"]
    assert list(selectors["kind"]) == ["advanced", "advanced"]
    assert list(selectors["management_events"]) == [True, False]
    assert list(frames["insight_selectors"]["insight_type"]) == ["ApiErrorRateInsight"]
    b = frames["buckets"].iloc[0]
    assert b["bucket"] == data.BUCKET and json.loads(b["policy"]) == data.BUCKET_POLICY
    assert b["object_lock_enabled"] and b["object_lock_mode"] == "COMPLIANCE" and b["object_lock_days"] == 365
    assert b["versioning"] == "Enabled"  # Object Lock turns versioning on
    assert frames["trails"].attrs["failures"] == []


def test_moto_bucket_without_policy_or_object_lock_is_read_as_none(connection):
    connection.session.client("s3", region_name=HOME).create_bucket(Bucket=data.BUCKET)
    connection.session.client("cloudtrail", region_name=HOME).create_trail(
        Name="trail-one", S3BucketName=data.BUCKET
    )
    log = OutcomeLog()
    frames = collect_cloudtrail(connection, [HOME], log=log, progress=False)
    b = frames["buckets"].iloc[0]
    assert b["policy"] is None and b["policy_read"]
    assert frames["buckets"]["object_lock_enabled"].tolist() == [False] and b["object_lock_read"]
    assert b["versioning"] is None and b["versioning_read"]
    assert not any(
        o.operation in ("get_bucket_policy", "get_object_lock_configuration") for o in log.failures
    )


# ----------------------------------------------------------------------------- Stubber


def _stub(connection: Connection, service: str, region: str) -> Stubber:
    client = connection.session.client(service, region_name=region, config=connection.config)
    connection.use_client(service, region, client)
    return Stubber(client)


def _stub_trails(
    connection: Connection, status_error: str | None = None, insights: bool = True
) -> list[Stubber]:
    home, other, s3 = _stub(connection, "cloudtrail", HOME), _stub(connection, "cloudtrail", OTHER), _stub(connection, "s3", HOME)  # fmt: skip
    home.add_response("describe_trails", data.DESCRIBE_TRAILS_HOME, {"includeShadowTrails": True})
    other.add_response("describe_trails", data.DESCRIBE_TRAILS_OTHER, {"includeShadowTrails": True})
    org = {"TrailName": data.ORG_TRAIL_ARN}
    if status_error:
        home.add_client_error("get_trail_status", status_error, "denied", 400, expected_params={"Name": data.ORG_TRAIL_ARN})  # fmt: skip
    else:
        home.add_response("get_trail_status", data.GET_TRAIL_STATUS, {"Name": data.ORG_TRAIL_ARN})
    home.add_response("get_event_selectors", data.GET_EVENT_SELECTORS_ADVANCED, org)
    if insights:
        home.add_response("get_insight_selectors", data.GET_INSIGHT_SELECTORS, org)
    else:
        home.add_client_error("get_insight_selectors", "InsightNotEnabledException", "Insights not enabled", 400, expected_params=org)  # fmt: skip
    regional = {"TrailName": data.REGIONAL_TRAIL_ARN}
    other.add_response("get_trail_status", data.GET_TRAIL_STATUS_REGIONAL, {"Name": data.REGIONAL_TRAIL_ARN})
    other.add_response("get_event_selectors", data.GET_EVENT_SELECTORS_BASIC, regional)
    other.add_client_error("get_insight_selectors", "InsightNotEnabledException", "not enabled", 400, expected_params=regional)  # fmt: skip
    bucket = {"Bucket": data.BUCKET}
    s3.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", "The bucket policy does not exist", 404, expected_params=bucket)  # fmt: skip
    s3.add_response("get_object_lock_configuration", data.GET_OBJECT_LOCK_CONFIGURATION, bucket)
    s3.add_response("get_bucket_versioning", data.GET_BUCKET_VERSIONING, bucket)
    s3.add_response("get_bucket_logging", data.GET_BUCKET_LOGGING, bucket)
    for s in (home, other, s3):
        s.activate()
    return [home, other, s3]


def test_shadow_trails_are_read_once_in_their_home_region(connection):
    stubs = _stub_trails(connection)
    log = OutcomeLog()
    recording = get_cloudtrail(connection, [HOME, OTHER], ApiRecording(), log, progress=False)
    for s in stubs:
        s.assert_no_pending_responses()
    frames = cloudtrail_frames(recording)
    trails = frames["trails"].set_index("name")
    assert trails.loc["org-trail", "listed_in"] == "eu-west-1,us-east-1"
    assert trails.loc["org-trail", "home_region"] == HOME  # its own region's entry, not the shadow's
    assert trails.loc["org-trail", "latest_delivery_time"] == pd.Timestamp(data.DELIVERED)
    assert trails.loc["org-trail", "latest_digest_delivery_error"] == "AccessDenied"
    assert trails.loc["org-trail", "latest_delivery_error"] is None
    assert not trails.loc["eu-audit", "is_logging"] and trails.loc["eu-audit", "listed_in"] == OTHER
    # Insights off on the regional trail: an outcome (not enabled), recorded as "none".
    assert _failures(log) == {(OTHER, "get_insight_selectors"): Status.NOT_ENABLED}
    assert trails.loc["eu-audit", "insight_selectors_read"]
    assert list(frames["insight_selectors"]["trail_arn"]) == [data.ORG_TRAIL_ARN]
    b = frames["buckets"].iloc[0]
    assert b["policy"] is None and b["policy_read"]  # NoSuchBucketPolicy: none, not unknown
    assert b["logging_target_bucket"] == f"access-logs-{data.LOG_ARCHIVE}"
    assert recording.calls("s3", HOME, "get_bucket_policy") == [
        {"params": {"Bucket": data.BUCKET}, "response": {}}
    ]


def test_access_denied_and_insights_not_enabled_are_outcomes(connection):
    _stub_trails(connection, status_error="AccessDeniedException", insights=False)
    log = OutcomeLog()
    frames = cloudtrail_frames(get_cloudtrail(connection, [HOME, OTHER], ApiRecording(), log, progress=False))
    assert _failures(log) == {
        (HOME, "get_trail_status"): Status.ACCESS_DENIED,
        (HOME, "get_insight_selectors"): Status.NOT_ENABLED,
        (OTHER, "get_insight_selectors"): Status.NOT_ENABLED,
    }
    org = frames["trails"].set_index("name").loc["org-trail"]
    assert not org["status_read"] and pd.isna(org["is_logging"])
    assert org["insight_selectors_read"] and frames["insight_selectors"].empty


def test_a_throttled_region_loses_only_itself(connection):
    home, other = _stub(connection, "cloudtrail", HOME), _stub(connection, "cloudtrail", OTHER)
    home.add_client_error("describe_trails", "ThrottlingException", "Rate exceeded", 400)
    other.add_response("describe_trails", {"trailList": [data.REGIONAL_TRAIL]}, {"includeShadowTrails": True})
    regional = {"TrailName": data.REGIONAL_TRAIL_ARN}
    other.add_response("get_trail_status", data.GET_TRAIL_STATUS_REGIONAL, {"Name": data.REGIONAL_TRAIL_ARN})
    other.add_response("get_event_selectors", data.GET_EVENT_SELECTORS_BASIC, regional)
    other.add_response("get_insight_selectors", {"TrailARN": data.REGIONAL_TRAIL_ARN}, regional)
    s3 = _stub(connection, "s3", OTHER)
    s3.add_client_error("get_bucket_policy", "MethodNotAllowed", "not the bucket owner", 405)
    s3.add_client_error("get_object_lock_configuration", "AccessDenied", "Access Denied", 403)
    s3.add_client_error("get_bucket_versioning", "AccessDenied", "Access Denied", 403)
    s3.add_client_error("get_bucket_logging", "AccessDenied", "Access Denied", 403)
    for s in (home, other, s3):
        s.activate()
    log = OutcomeLog()
    frames = cloudtrail_frames(get_cloudtrail(connection, [HOME, OTHER], ApiRecording(), log, progress=False))
    failures = _failures(log)
    assert failures[(HOME, "describe_trails")] is Status.THROTTLED
    assert failures[(OTHER, "get_bucket_policy")] is Status.ERROR
    assert failures[(OTHER, "get_bucket_versioning")] is Status.ACCESS_DENIED
    assert list(frames["trails"]["name"]) == ["eu-audit"]
    b = frames["buckets"].iloc[0]
    assert not (b["policy_read"] or b["object_lock_read"] or b["versioning_read"] or b["logging_read"])
    assert frames["buckets"]["object_lock_enabled"].tolist() == [None]


def test_collect_runs_in_the_picked_regions_and_the_home_region(connection):
    connection.session.client("s3", region_name=HOME).create_bucket(Bucket=data.BUCKET)
    connection.session.client("cloudtrail", region_name=HOME).create_trail(
        Name="trail-one", S3BucketName=data.BUCKET
    )
    recording = ApiRecording()
    regions = CLOUDTRAIL.get(connection, recording, OutcomeLog(), RunOptions(regions=OTHER, progress=False))
    assert regions == [OTHER, HOME]
    assert recording.regions("cloudtrail") == sorted([OTHER, HOME])
    assert SERVICES["cloudtrail"] is CLOUDTRAIL


# ----------------------------------------------------------------------------- transforms (pure)


def test_event_selectors_basic_and_advanced():
    calls = [
        {"params": {"TrailName": data.ORG_TRAIL_ARN}, "response": data.GET_EVENT_SELECTORS_ADVANCED},
        {"params": {"TrailName": data.REGIONAL_TRAIL_ARN}, "response": data.GET_EVENT_SELECTORS_BASIC},
    ]
    df = transform_event_selectors(calls)
    df = df.drop(columns=["field_selectors"])
    rows = df.astype(object).where(df.notna(), None).to_dict("records")  # missing: None, whatever pandas made
    assert rows == [
        {
            "trail_arn": data.ORG_TRAIL_ARN,
            "kind": "advanced",
            "name": "Management events without KMS",
            "management_events": True,
            "read_write": "All",
            "data_resource_types": None,
            "data_resources": None,
            "excluded_sources": '["kms.amazonaws.com"]',
        },
        {
            "trail_arn": data.ORG_TRAIL_ARN,
            "kind": "advanced",
            "name": "S3 writes to the payments buckets",
            "management_events": False,
            "read_write": "WriteOnly",
            "data_resource_types": '["AWS::S3::Object"]',
            "data_resources": '["arn:aws:s3:::payments-"]',
            "excluded_sources": None,
        },
        {
            "trail_arn": data.REGIONAL_TRAIL_ARN,
            "kind": "basic",
            "name": None,
            "management_events": True,
            "read_write": "WriteOnly",
            "data_resource_types": '["AWS::Lambda::Function"]',
            "data_resources": '["arn:aws:lambda"]',
            "excluded_sources": None,
        },
    ]


def test_empty_recording_gives_the_declared_empty_tables():
    frames = cloudtrail_frames(ApiRecording())
    assert (
        tuple(frames)
        == CLOUDTRAIL.table_names
        == ("trails", "event_selectors", "insight_selectors", "buckets")
    )
    assert all(df.empty for df in frames.values())
    assert list(frames["trails"].columns) == cloudtrail.TRAIL_COLUMNS


# ----------------------------------------------------------------------------- the demo's trail state


def test_the_demo_trail_state_matches_the_service_models_and_reads_back():
    end = datetime(2026, 11, 27)
    org = build_organization(random.Random(3), 9, end - timedelta(days=10), end)
    responses = service_responses(org, end)
    recording = ApiRecording()
    for service in ("cloudtrail", "s3"):
        ops = responses[(service, HOME_REGION)]
        stub_replay(service, HOME_REGION, ops)
        for op, calls in ops.items():
            for c in calls:
                recording.add(service, HOME_REGION, op, c["params"], c["response"])
    assert set(responses[("cloudtrail", HOME_REGION)]) == set(CLOUDTRAIL.calls) == CLOUDTRAIL.demo_records
    assert {op for _api, op in CLOUDTRAIL.other_calls} == set(responses[("s3", HOME_REGION)])
    frames = cloudtrail_frames(recording)
    assert frames["trails"]["organization_trail"].tolist() == [True]
    assert frames["buckets"]["policy_read"].tolist() == [True]
