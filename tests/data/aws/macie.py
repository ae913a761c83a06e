"""Macie (macie2) API test data named after the calls, shaped exactly like boto3 responses.

REAL responses (tests/data/real/macie, SOURCE.md there; the same files in ../shared/data/macie):
- ``DESCRIBE_BUCKETS``: aws-cli's DescribeBuckets example (Apache-2.0), 2 buckets;
- ``GET_MACIE_SESSION`` and ``NOT_ENABLED``: cloud-custodian's recorded GetMacieSession and its 403
  "Macie is not enabled" response (Apache-2.0), placebo-decoded by ``placebo``.

No real Macie finding or classification job is public: ``model_findings`` builds one finding per
``FindingType`` of botocore's macie2 model (Finding shape), and ``LIST_CLASSIFICATION_JOBS`` follows the
JobSummary shape. Both are hand-made, in the model's shape, so Stubber checks them, as is ``list_members``
(the Member shape: an administrator's member accounts with their relationship status).
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session

REAL = Path(__file__).resolve().parents[1] / "real" / "macie"
"""The real responses, in the repository (the same files: conftest.SHARED_DATA / "macie")."""

MODEL = botocore.session.get_session().get_service_model("macie2")
FINDING_TYPES: list[str] = list(MODEL.shape_for("FindingType").enum)


def _drop_nulls(value: Any) -> Any:
    """JSON nulls dropped (boto3 never returns a None member; Stubber's validator rejects one)."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _decode_placebo(value: Any) -> Any:
    """Placebo's ``{"__class__": "datetime", "year": ...}`` objects as aware UTC datetimes."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            parts = {k: v for k, v in value.items() if k != "__class__"}
            return datetime(**parts, tzinfo=UTC)
        return {k: _decode_placebo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_placebo(v) for v in value]
    return value


def placebo(path: Path) -> tuple[int, dict[str, Any]]:
    """A custodian placebo file's status code and decoded response (ResponseMetadata dropped)."""
    raw = json.loads(path.read_text())
    data = {k: v for k, v in _decode_placebo(raw["data"]).items() if k != "ResponseMetadata"}
    return raw["status_code"], data


def describe_buckets(root: Path = REAL) -> dict[str, Any]:
    """aws-cli's DescribeBuckets example response."""
    return _drop_nulls(json.loads((root / "awscli-examples" / "macie2_describe-buckets.1.json").read_text()))


_SESSIONS = REAL / "custodian-session"
GET_MACIE_SESSION = placebo(_SESSIONS / "test_account_check_macie__macie2.GetMacieSession_1.json")[1]
_status, _error = placebo(
    _SESSIONS / "test_account_check_macie_disabled__macie2.GetAdministratorAccount_1.json"
)
NOT_ENABLED = (_error["Error"]["Code"], _error["Error"]["Message"], _status)
"""(code, message, HTTP status) of a call in a region where Macie is not enabled."""

DESCRIBE_BUCKETS = describe_buckets()


def buckets_of(account: str, region: str) -> list[dict[str, Any]]:
    """The two real buckets, re-homed to ``account`` and ``region`` (names made unique per account)."""
    out = []
    for b in copy.deepcopy(DESCRIBE_BUCKETS["buckets"]):
        name = f"{b['bucketName']}-{account}-{region}"
        b.update(accountId=account, region=region, bucketName=name, bucketArn=f"arn:aws:s3:::{name}")
        out.append(b)
    return out


ADMINISTRATOR = "111111111111"


def list_members(
    statuses: dict[str, str], region: str, administrator: str = ADMINISTRATOR
) -> list[dict[str, Any]]:
    """ListMembers items of ``administrator`` in ``region``: account -> relationshipStatus (``Enabled``,
    ``Paused``, ``Removed``...); page them with ``pages("members", ...)``."""
    return [
        {
            "accountId": account,
            "administratorAccountId": administrator,
            "arn": f"arn:aws:macie2:{region}:{administrator}:member/{account}",
            "email": f"aws+{account}@example.com",
            "invitedAt": datetime(2024, 3, 4, 10, 0, tzinfo=UTC),
            "masterAccountId": administrator,
            "relationshipStatus": status,
            "tags": {},
            "updatedAt": datetime(2024, 6, 1, 12, 30, tzinfo=UTC),
        }
        for account, status in statuses.items()
    ]


LIST_CLASSIFICATION_JOBS = {
    "items": [
        {
            "bucketDefinitions": [
                {"accountId": "222222222222", "buckets": ["hr-recruiting", "hr-payroll"]},
                {"accountId": "333333333333", "buckets": ["shared-exports"]},
            ],
            "createdAt": "2024-07-09T19:30:00Z",
            "jobId": "188d4f6044d621771ef7d65f2EXAMPLE",
            "jobStatus": "COMPLETE",
            "jobType": "ONE_TIME",
            "lastRunErrorStatus": {"code": "NONE"},
            "name": "pii-sweep-hr",
        },
        {
            "bucketCriteria": {
                "includes": {
                    "and": [
                        {
                            "simpleCriterion": {
                                "comparator": "EQ",
                                "key": "S3_BUCKET_EFFECTIVE_PERMISSION",
                                "values": ["PUBLIC"],
                            }
                        }
                    ]
                }
            },
            "createdAt": "2024-08-19T14:50:00Z",
            "jobId": "08c81dc4a2f3377fae45c9ddaEXAMPLE",
            "jobStatus": "USER_PAUSED",
            "jobType": "SCHEDULED",
            "lastRunErrorStatus": {"code": "ERROR"},
            "name": "public-buckets-daily",
            "userPausedDetails": {
                "jobExpiresAt": "2024-09-18T14:50:00Z",
                "jobPausedAt": "2024-08-19T15:00:00Z",
            },
        },
    ]
}


def _policy_details() -> dict[str, Any]:
    return {
        "action": {
            "actionType": "AWS_API_CALL",
            "apiCallDetails": {
                "api": "PutBucketPolicy",
                "apiServiceName": "s3.amazonaws.com",
                "firstSeen": "2024-10-20T09:00:00Z",
                "lastSeen": "2024-10-21T09:00:00Z",
            },
        },
        "actor": {
            "ipAddressDetails": {"ipAddressV4": "198.51.100.7"},
            "userIdentity": {
                "type": "AssumedRole",
                "assumedRole": {
                    "accountId": "222222222222",
                    "arn": "arn:aws:sts::222222222222:assumed-role/deploy/ci",
                    "principalId": "AROAEXAMPLE:ci",
                },
            },
        },
    }


_CATEGORIES = {
    "Financial": [("FINANCIAL_INFORMATION", "CREDIT_CARD_NUMBER", 12)],
    "Personal": [
        ("PERSONAL_INFORMATION", "USA_SOCIAL_SECURITY_NUMBER", 30),
        ("PERSONAL_INFORMATION", "NAME", 7),
    ],
    "Credentials": [("CREDENTIALS", "AWS_CREDENTIALS", 2)],
    "Multiple": [
        ("FINANCIAL_INFORMATION", "BANK_ACCOUNT_NUMBER", 4),
        ("PERSONAL_INFORMATION", "EMAIL_ADDRESS", 9),
    ],
    "CustomIdentifier": [],
}


def _classification_details(kind: str) -> dict[str, Any]:
    by_category: dict[str, list[dict[str, Any]]] = {}
    for category, detection, count in _CATEGORIES[kind]:
        by_category.setdefault(category, []).append({"type": detection, "count": count})
    result: dict[str, Any] = {
        "additionalOccurrences": False,
        "mimeType": "text/csv",
        "sizeClassified": 20480,
        "status": {"code": "COMPLETE"},
        "sensitiveData": [
            {"category": c, "detections": d, "totalCount": sum(x["count"] for x in d)}
            for c, d in by_category.items()
        ],
    }
    if kind == "CustomIdentifier":
        result["customDataIdentifiers"] = {
            "detections": [
                {
                    "arn": "arn:aws:macie2:us-east-1:111111111111:custom-data-identifier/e1",
                    "count": 5,
                    "name": "EmployeeId",
                }
            ],
            "totalCount": 5,
        }
    return {
        "detailedResultsLocation": "s3://macie-results/AWSLogs/111111111111/Macie/",
        "jobArn": "arn:aws:macie2:us-east-1:111111111111:classification-job/188d4f6044d621771ef7d65f2EXAMPLE",
        "jobId": "188d4f6044d621771ef7d65f2EXAMPLE",
        "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
        "result": result,
    }


def model_finding(finding_type: str, account: str, region: str, n: int = 0) -> dict[str, Any]:
    """One GetFindings ``Finding`` of ``finding_type`` in botocore's model shape (no real one is public)."""
    family, kind = finding_type.split(":", 1)[0], finding_type.rsplit("/", 1)[1]
    ident = hashlib.sha256(f"{finding_type}|{account}|{region}|{n}".encode()).hexdigest()[:32]
    bucket = f"data-{account}-{region}"
    finding: dict[str, Any] = {
        "accountId": account,
        "archived": False,
        "category": "CLASSIFICATION" if family == "SensitiveData" else "POLICY",
        "count": 1,
        "createdAt": "2024-10-22T19:11:25.364Z",
        "description": f"{finding_type} in {bucket}",
        "id": ident,
        "partition": "aws",
        "region": region,
        "resourcesAffected": {
            "s3Bucket": {
                "allowsUnencryptedObjectUploads": "TRUE",
                "arn": f"arn:aws:s3:::{bucket}",
                "createdAt": "2020-05-18T19:54:00Z",
                "defaultServerSideEncryption": {"encryptionType": "NONE"},
                "name": bucket,
                "owner": {
                    "displayName": "owner",
                    "id": "7009a8971cd538e11f6b6606438875e7c86c5b672f46db45460ddcd087d36c32",
                },
                "publicAccess": {"effectivePermission": "PUBLIC"},
                "tags": [{"key": "Division", "value": "HR"}],
            }
        },
        "sample": False,
        "schemaVersion": "1.0",
        "severity": {"description": "High", "score": 3},
        "title": f"{finding_type} finding",
        "type": finding_type,
        "updatedAt": "2024-10-25T07:33:06.337Z",
    }
    if family == "SensitiveData":
        finding["classificationDetails"] = _classification_details(kind)
        finding["resourcesAffected"]["s3Object"] = {
            "bucketArn": f"arn:aws:s3:::{bucket}",
            "eTag": "d41d8cd98f00b204e9800998ecf8427e",
            "extension": "csv",
            "key": f"exports/{kind.lower()}-{n}.csv",
            "lastModified": "2024-10-20T08:00:00Z",
            "path": f"{bucket}/exports/{kind.lower()}-{n}.csv",
            "publicAccess": False,
            "serverSideEncryption": {"encryptionType": "NONE"},
            "size": 20480,
            "storageClass": "STANDARD",
        }
    else:
        finding["policyDetails"] = _policy_details()
    return finding


def model_findings(account: str, region: str, n: int = 1) -> list[dict[str, Any]]:
    """``n`` findings of every FindingType in the model, in ``account`` and ``region``."""
    return [model_finding(t, account, region, i) for i in range(n) for t in FINDING_TYPES]


def pages(key: str, items: list[Any], page: int = 50) -> list[dict[str, Any]]:
    """``items`` as paginated responses under ``key``, with ``nextToken`` ``token-<offset>`` between pages."""
    out = []
    for start in range(0, max(len(items), 1), page):
        response: dict[str, Any] = {key: items[start : start + page]}
        if start + page < len(items):
            response["nextToken"] = f"token-{start + page}"
        out.append(response)
    return out
