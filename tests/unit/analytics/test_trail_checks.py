"""Trail posture checks: each check passes, fails and is unknown on the collector's own tables (built from the
boto3-shaped responses of tests/data/aws/cloudtrail.py, changed one setting at a time)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pandas as pd
import pytest
from data.aws import cloudtrail as data

from orginsight.analytics.posture.trail import (
    CHECK_COLUMNS,
    DEFAULT_EXPECTATIONS,
    FAIL,
    PASS,
    UNKNOWN,
    policy_verdict,
    trail_checks,
)
from orginsight.collectors.cloudtrail import cloudtrail_frames
from orginsight.collectors.recording import ApiRecording

ARN = data.ORG_TRAIL_ARN
AT = pd.Timestamp(data.DELIVERED) + pd.Timedelta(minutes=10)
EVERY_CHECK = {k: True for k, v in DEFAULT_EXPECTATIONS.items() if isinstance(v, bool)}


def responses() -> dict[str, Any]:
    """What a good organization trail answers (a fresh deep copy for each test to change)."""
    status = {k: v for k, v in data.GET_TRAIL_STATUS.items() if k != "LatestDigestDeliveryError"}
    return copy.deepcopy(
        {
            "describe_trails": data.DESCRIBE_TRAILS_HOME,
            "get_trail_status": status,
            "get_event_selectors": data.GET_EVENT_SELECTORS_ADVANCED,
            "get_insight_selectors": {
                "TrailARN": ARN,
                "InsightSelectors": [
                    {"InsightType": "ApiCallRateInsight"},
                    {"InsightType": "ApiErrorRateInsight"},
                ],
            },
            "get_bucket_policy": data.GET_BUCKET_POLICY,
            "get_object_lock_configuration": data.GET_OBJECT_LOCK_CONFIGURATION,
            "get_bucket_versioning": {"Status": "Enabled", "MFADelete": "Enabled"},
            "get_bucket_logging": data.GET_BUCKET_LOGGING,
        }
    )


def frames(answers: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The collector's tables over ``answers`` (operation -> response; a missing operation was not read)."""
    rec = ApiRecording()
    params = {
        "describe_trails": {"includeShadowTrails": True},
        "get_trail_status": {"Name": ARN},
        "get_event_selectors": {"TrailName": ARN},
        "get_insight_selectors": {"TrailName": ARN},
    }
    for op, response in answers.items():
        api = "cloudtrail" if op in params else "s3"
        rec.add(api, data.HOME, op, params.get(op, {"Bucket": data.BUCKET}), response)
    return cloudtrail_frames(rec)


def result(answers: dict[str, Any], check: str, at: pd.Timestamp | None = AT) -> tuple[str, str]:
    checks = trail_checks(frames(answers), EVERY_CHECK, at=at).set_index("check")
    return checks.loc[check, "status"], checks.loc[check, "reason"]


def test_a_sound_trail_passes_every_check():
    checks = trail_checks(frames(responses()), EVERY_CHECK, at=AT)
    assert list(checks.columns) == CHECK_COLUMNS
    assert set(checks["trail"]) == {"org-trail"}
    assert dict(zip(checks["check"], checks["status"], strict=True)) == {c: PASS for c in EVERY_CHECK}


def test_the_defaults_leave_mfa_delete_out_and_expectations_switch_checks_off():
    checks = trail_checks(frames(responses()), at=AT)
    assert "mfa_delete" not in set(checks["check"]) and "object_lock" in set(checks["check"])
    fewer = trail_checks(frames(responses()), {"data_events": False, "insights": False}, at=AT)
    assert not {"data_events", "insights"} & set(fewer["check"])


def test_no_state_no_trail_and_no_organization_trail():
    unknown = trail_checks({})
    assert (
        set(unknown["status"]) == {UNKNOWN} and "orginsight collect cloudtrail" in unknown["reason"].iloc[0]
    )
    answers = responses()
    answers["describe_trails"] = {"trailList": []}
    none = trail_checks(frames(answers)).set_index("check")
    assert none.loc["organization_trail", "status"] == FAIL
    assert set(none.drop(index="organization_trail")["status"]) == {UNKNOWN}
    answers["describe_trails"] = copy.deepcopy(data.DESCRIBE_TRAILS_OTHER)
    answers["describe_trails"]["trailList"][0]["IsOrganizationTrail"] = False
    status, reason = result(answers, "organization_trail")
    assert status == FAIL and "eu-audit, org-trail" in reason


def test_logging():
    answers = responses()
    answers["get_trail_status"] = data.GET_TRAIL_STATUS_REGIONAL
    assert result(answers, "logging") == (FAIL, "not logging: stopped 2026-11-18 22:04 UTC")
    del answers["get_trail_status"]
    assert result(answers, "logging")[0] == UNKNOWN


@pytest.mark.parametrize(
    ("check", "key", "value"),
    [
        ("multi_region", "IsMultiRegionTrail", False),
        ("kms", "KmsKeyId", None),
        ("log_file_validation", "LogFileValidationEnabled", False),
        ("cloudwatch_logs", "CloudWatchLogsLogGroupArn", None),
    ],
)
def test_trail_settings(check, key, value):
    assert result(responses(), check)[0] == PASS
    answers = responses()
    trail = answers["describe_trails"]["trailList"][0]
    if value is None:
        del trail[key]
    else:
        trail[key] = value
    assert result(answers, check)[0] == FAIL


def test_insights():
    answers = responses()
    answers["get_insight_selectors"] = data.GET_INSIGHT_SELECTORS
    status, reason = result(answers, "insights")
    assert status == FAIL and "not ApiErrorRateInsight" in reason
    answers["get_insight_selectors"] = {"TrailARN": ARN}  # InsightNotEnabledException, recorded as none
    assert result(answers, "insights") == (FAIL, "Insights not enabled")
    del answers["get_insight_selectors"]
    assert (
        result(answers, "insights")[0] == UNKNOWN
    )  # HasInsightSelectors says on, the selectors were not read
    answers["describe_trails"]["trailList"][0]["HasInsightSelectors"] = False
    assert result(answers, "insights")[0] == FAIL


def test_management_events_read_and_write():
    status, reason = result(responses(), "management_events")
    assert status == PASS and "excluding kms.amazonaws.com" in reason
    answers = responses()
    answers["get_event_selectors"] = copy.deepcopy(data.GET_EVENT_SELECTORS_BASIC) | {
        "TrailARN": ARN
    }  # changed below
    assert result(answers, "management_events") == (FAIL, "only WriteOnly management events")
    answers["get_event_selectors"]["EventSelectors"].append({"ReadWriteType": "ReadOnly"})
    assert result(answers, "management_events")[0] == PASS
    del answers["get_event_selectors"]
    assert result(answers, "management_events")[0] == UNKNOWN


def test_data_events():
    assert result(responses(), "data_events") == (PASS, "data events: AWS::S3::Object")
    answers = responses()
    answers["get_event_selectors"]["AdvancedEventSelectors"].pop()
    assert result(answers, "data_events") == (FAIL, "no S3 or Lambda data events")
    del answers["get_event_selectors"]
    assert result(answers, "data_events")[0] == UNKNOWN


def test_delivery_errors_and_age():
    answers = responses()
    answers["get_trail_status"]["LatestDigestDeliveryError"] = "AccessDenied"
    answers["get_trail_status"]["LatestCloudWatchLogsDeliveryError"] = "Throttling"
    status, reason = result(answers, "delivery")
    assert (
        status == FAIL
        and reason == "digest delivery error AccessDenied; CloudWatch Logs delivery error Throttling"
    )
    late = AT + pd.Timedelta(hours=7)
    status, reason = result(responses(), "delivery", at=late)
    assert status == FAIL and "over 6 h before" in reason
    status, reason = result(responses(), "delivery", at=None)
    assert status == PASS and "age not checked" in reason
    answers = responses()
    del answers["get_trail_status"]
    assert result(answers, "delivery")[0] == UNKNOWN


def test_delivery_age_defaults_to_the_snapshot_time():
    tables = frames(responses())
    tables["trails"]["collected_at"] = AT + pd.Timedelta(days=1)
    checks = trail_checks(tables).set_index("check")
    assert checks.loc["delivery", "status"] == FAIL


def test_bucket_policy():
    status, reason = result(responses(), "bucket_policy")
    assert (
        status == PASS and "DenyLogDeletion" in reason
    )  # exempting one break-glass role still denies the rest
    answers = responses()
    answers["get_bucket_policy"] = {}  # NoSuchBucketPolicy, recorded as none
    assert result(answers, "bucket_policy") == (FAIL, "no bucket policy")
    del answers["get_bucket_policy"]
    assert result(answers, "bucket_policy")[0] == UNKNOWN


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_policy_verdicts():
    cloudtrail = data.BUCKET_POLICY["Statement"][0]
    assert policy_verdict(_policy(cloudtrail))[0] == PASS  # only CloudTrail writes, no one may delete
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    admin = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
        "Action": "s3:*",
        "Resource": "*",
    }
    status, reason = policy_verdict(_policy(cloudtrail, tls_only, admin))
    assert status == FAIL and "arn:aws:iam::333333333333:root s3:deleteobject" in reason
    denies_all = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:Delete*", "Resource": "*"}
    assert policy_verdict(_policy(cloudtrail, admin, denies_all))[0] == PASS
    read_only = {
        "Effect": "Allow",
        "Principal": {"AWS": "111111111111"},
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    assert policy_verdict(_policy(cloudtrail, read_only))[0] == PASS


def test_object_lock():
    assert result(responses(), "object_lock") == (PASS, "Object Lock COMPLIANCE, 365 days")
    answers = responses()
    answers["get_object_lock_configuration"] = {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}
    assert result(answers, "object_lock")[0] == FAIL  # on, but nothing CloudTrail writes is locked
    answers["get_object_lock_configuration"] = {}  # ObjectLockConfigurationNotFoundError, recorded as none
    assert result(answers, "object_lock") == (FAIL, f"no Object Lock on {data.BUCKET}")
    del answers["get_object_lock_configuration"]
    assert result(answers, "object_lock")[0] == UNKNOWN


def test_versioning_and_mfa_delete():
    assert result(responses(), "versioning") == (PASS, "versioning Enabled, MFA delete Enabled")
    assert result(responses(), "mfa_delete")[0] == PASS
    answers = responses()
    answers["get_bucket_versioning"] = {"Status": "Suspended", "MFADelete": "Disabled"}
    assert result(answers, "versioning")[0] == FAIL and result(answers, "mfa_delete")[0] == FAIL
    answers["get_bucket_versioning"] = {}
    assert "never enabled" in result(answers, "versioning")[1]
    del answers["get_bucket_versioning"]
    assert result(answers, "versioning")[0] == UNKNOWN and result(answers, "mfa_delete")[0] == UNKNOWN
