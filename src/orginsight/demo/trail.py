"""The demo organization trail as the ``cloudtrail`` collector records it: settings, status, selectors, bucket.

A trail set up the way AWS Control Tower sets one up, with the gaps such trails often have: every region,
KMS, log file validation, Insights (the demo's Insights events need them), management events and S3 data
events; no CloudWatch Logs destination, and a bucket that is versioned and under Object Lock (as the
demo's Storage Lens exports show it), whose policy grants writes only to CloudTrail
(``aws-controltower-logs``'s policy, 2024) and denies requests without TLS. The trail posture checks fail
on exactly the one gap: no CloudWatch Logs destination.

Kept apart from ``org.py`` (which calls ``trail_responses`` with what it knows of the organization) so
the trail's story is one module.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

TRAIL_NAME = "org-trail"

S3_DATA_EVENTS = "AWS::S3::Object"
"""The data events the demo trail records (the demo's S3 reads of sensitive buckets)."""


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _recorded(params: dict, response: dict) -> dict:
    return {"params": params, "response": response}


def trail_arn(region: str, management_id: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{management_id}:trail/{TRAIL_NAME}"


def bucket_policy(bucket: str, org_id: str | None = None) -> dict:
    """The Control Tower log bucket's policy: CloudTrail may check the ACL and write the organization's logs;
    every request without TLS is denied."""
    prefix = f"{org_id}/AWSLogs/*" if org_id else "AWSLogs/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSSLRequestsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AWSBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Sid": "AWSBucketDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            },
        ],
    }


def event_selectors(arn: str) -> dict:
    """Advanced selectors: every management event, and S3 object-level events."""
    return {
        "TrailARN": arn,
        "AdvancedEventSelectors": [
            {
                "Name": "Management events",
                "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
            },
            {
                "Name": "S3 data events",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": [S3_DATA_EVENTS]},
                ],
            },
        ],
    }


def trail_responses(
    region: str, management_id: str, bucket: str, kms_key: str, snapshot: datetime, org_id: str | None = None
) -> dict[tuple[str, str], dict[str, list[dict]]]:
    """The trail's recorded calls at ``snapshot``, keyed like ``org.service_responses``: CloudTrail's four
    and S3's four bucket calls, all in the trail's home ``region``."""
    arn = trail_arn(region, management_id)
    delivered = snapshot - timedelta(minutes=4)
    trail = {
        "Name": TRAIL_NAME,
        "S3BucketName": bucket,
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "HomeRegion": region,
        "TrailARN": arn,
        "LogFileValidationEnabled": True,
        "KmsKeyId": kms_key,
        "HasCustomEventSelectors": True,
        "HasInsightSelectors": True,
        "IsOrganizationTrail": True,
    }
    status = {
        "IsLogging": True,
        "LatestDeliveryTime": _iso(delivered),
        "LatestDigestDeliveryTime": _iso(snapshot.replace(minute=0, second=0, microsecond=0)),
        "StartLoggingTime": _iso(snapshot - timedelta(days=400)),
    }
    insights = {"TrailARN": arn, "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}]}  # fmt: skip
    bucket_params = {"Bucket": bucket}
    return {
        ("cloudtrail", region): {
            "describe_trails": [_recorded({"includeShadowTrails": True}, {"trailList": [trail]})],
            "get_trail_status": [_recorded({"Name": arn}, status)],
            "get_event_selectors": [_recorded({"TrailName": arn}, event_selectors(arn))],
            "get_insight_selectors": [_recorded({"TrailName": arn}, insights)],
        },
        ("s3", region): {
            "get_bucket_policy": [
                _recorded(bucket_params, {"Policy": json.dumps(bucket_policy(bucket, org_id))})
            ],
            "get_object_lock_configuration": [
                _recorded(
                    bucket_params,
                    {
                        "ObjectLockConfiguration": {
                            "ObjectLockEnabled": "Enabled",
                            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
                        }
                    },
                )
            ],  # as Storage Lens shows it (demo/storagelens.py: the trail bucket holds Object Lock bytes)
            "get_bucket_versioning": [
                _recorded(bucket_params, {"Status": "Enabled", "MFADelete": "Disabled"})
            ],
            "get_bucket_logging": [_recorded(bucket_params, {})],
        },
    }
