"""CloudTrail trail state and the trail bucket's S3 settings, named after the calls, shaped like boto3 responses.

NOT real: no recorded DescribeTrails, GetTrailStatus, GetEventSelectors or GetInsightSelectors response is
public (../shared/data has none, 2026-12), so these follow botocore's service model (``Trail``,
``GetTrailStatusResponse``, ``AdvancedEventSelector``...) and the CloudTrail User Guide's examples of
advanced selectors; the tests feed them through botocore's Stubber, which checks them against the model.

The organization trail ``org-trail`` lives in us-east-1 of the management account 111111111111 and writes
to ``org-trail-logs-222222222222`` in the log archive account; eu-west-1 lists it as a shadow trail beside
a regional trail of its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

MANAGEMENT, LOG_ARCHIVE = "111111111111", "222222222222"
HOME, OTHER = "us-east-1", "eu-west-1"
BUCKET = f"org-trail-logs-{LOG_ARCHIVE}"
ORG_TRAIL_ARN = f"arn:aws:cloudtrail:{HOME}:{MANAGEMENT}:trail/org-trail"
REGIONAL_TRAIL_ARN = f"arn:aws:cloudtrail:{OTHER}:{MANAGEMENT}:trail/eu-audit"
KMS_KEY = f"arn:aws:kms:{HOME}:{LOG_ARCHIVE}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DELIVERED = datetime(2026, 11, 20, 5, 56, tzinfo=UTC)

ORG_TRAIL = {
    "Name": "org-trail",
    "S3BucketName": BUCKET,
    "S3KeyPrefix": "cloudtrail",
    "IncludeGlobalServiceEvents": True,
    "IsMultiRegionTrail": True,
    "HomeRegion": HOME,
    "TrailARN": ORG_TRAIL_ARN,
    "LogFileValidationEnabled": True,
    "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{HOME}:{MANAGEMENT}:log-group:org-trail:*",
    "CloudWatchLogsRoleArn": f"arn:aws:iam::{MANAGEMENT}:role/CloudTrailToCloudWatch",
    "KmsKeyId": KMS_KEY,
    "HasCustomEventSelectors": True,
    "HasInsightSelectors": True,
    "IsOrganizationTrail": True,
}
REGIONAL_TRAIL = {
    "Name": "eu-audit",
    "S3BucketName": BUCKET,
    "IncludeGlobalServiceEvents": False,
    "IsMultiRegionTrail": False,
    "HomeRegion": OTHER,
    "TrailARN": REGIONAL_TRAIL_ARN,
    "LogFileValidationEnabled": False,
    "HasCustomEventSelectors": False,
    "HasInsightSelectors": False,
    "IsOrganizationTrail": False,
}

DESCRIBE_TRAILS_HOME = {"trailList": [ORG_TRAIL]}
DESCRIBE_TRAILS_OTHER = {"trailList": [ORG_TRAIL, REGIONAL_TRAIL]}
"""eu-west-1 lists the organization trail too (a shadow trail: its HomeRegion is us-east-1)."""

GET_TRAIL_STATUS = {
    "IsLogging": True,
    "LatestDeliveryTime": DELIVERED,
    "LatestDigestDeliveryTime": datetime(2026, 11, 20, 5, 0, tzinfo=UTC),
    "LatestCloudWatchLogsDeliveryTime": DELIVERED,
    "StartLoggingTime": datetime(2025, 1, 6, 9, 30, tzinfo=UTC),
    "LatestDigestDeliveryError": "AccessDenied",
}
"""Logging, but the last digest could not be written (a bucket policy change denied it)."""
GET_TRAIL_STATUS_REGIONAL = {"IsLogging": False, "StopLoggingTime": datetime(2026, 11, 18, 22, 4, tzinfo=UTC)}

GET_EVENT_SELECTORS_ADVANCED = {
    "TrailARN": ORG_TRAIL_ARN,
    "AdvancedEventSelectors": [
        {
            "Name": "Management events without KMS",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
            ],
        },
        {
            "Name": "S3 writes to the payments buckets",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "readOnly", "Equals": ["false"]},
                {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::payments-"]},
            ],
        },
    ],
}
GET_EVENT_SELECTORS_BASIC = {
    "TrailARN": REGIONAL_TRAIL_ARN,
    "EventSelectors": [
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}],
            "ExcludeManagementEventSources": [],
        }
    ],
}
GET_INSIGHT_SELECTORS = {
    "TrailARN": ORG_TRAIL_ARN,
    "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}],
}

BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/cloudtrail/AWSLogs/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {
            "Sid": "DenyLogDeletion",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{LOG_ARCHIVE}:role/BreakGlass"}},
        },
    ],
}
GET_BUCKET_POLICY = {"Policy": json.dumps(BUCKET_POLICY)}
GET_OBJECT_LOCK_CONFIGURATION = {
    "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}},
    }
}
GET_BUCKET_VERSIONING = {"Status": "Enabled", "MFADelete": "Disabled"}
GET_BUCKET_LOGGING = {
    "LoggingEnabled": {"TargetBucket": f"access-logs-{LOG_ARCHIVE}", "TargetPrefix": "trail/"}
}
