"""Exposure paths (instance -> CVE -> role -> bucket with sensitive data -> outside principal) on crafted
collector frames with decoys, and the ``role_bucket_reads`` hunt on a tiny lake of CloudTrail records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from conftest import write_trail_file

from orginsight import Lake
from orginsight.analytics.posture.exposure import (
    COLUMNS,
    candidate_roles,
    exposure_paths,
    role_bucket_reads,
)
from orginsight.collectors import accessanalyzer, inspector, macie
from orginsight.outputs.report.exposure import EXPOSURE, SOURCES
from orginsight.outputs.report.model import PostureReview

PROD, OTHER, OUTSIDE = "111122223333", "444455556666", "999988887777"
ORG = frozenset({PROD, OTHER})
T = pd.Timestamp("2026-10-01", tz="UTC")


def profile(name: str) -> str:
    return f"arn:aws:iam::{PROD}:instance-profile/{name}"


def role(name: str) -> str:
    return f"arn:aws:iam::{PROD}:role/{name}"


def finding(
    instance: str, cve: str, severity: str, exploit: str, role_name: str, status: str = "ACTIVE"
) -> dict:
    return {
        "finding_arn": f"arn:aws:inspector2:us-east-1:{PROD}:finding/{instance}-{cve}",
        "account_id": PROD,
        "region": "us-east-1",
        "type": "PACKAGE_VULNERABILITY",
        "severity": severity,
        "status": status,
        "vulnerability_id": cve,
        "cvss_score": 10.0,
        "exploit_available": exploit,
        "fix_available": "YES",
        "resource_type": "AWS_EC2_INSTANCE",
        "resource_id": instance,
        "instance_profile_arn": profile(role_name),
        "first_observed_at": T,
    }


@pytest.fixture
def inspector_findings() -> pd.DataFrame:
    rows = [
        finding("i-story", "CVE-2021-44228", "CRITICAL", "YES", "app-role"),
        finding("i-noexploit", "CVE-2024-0001", "CRITICAL", "NO", "batch-role"),  # decoy: no exploit known
        finding("i-closed", "CVE-2021-44228", "CRITICAL", "YES", "app-role", status="CLOSED"),  # decoy: fixed
        finding("i-idle", "CVE-2021-44228", "CRITICAL", "YES", "idle-role"),  # decoy: its role reads nothing
    ]
    return pd.DataFrame(rows, columns=inspector.FINDING_COLUMNS)


@pytest.fixture
def macie_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    buckets = pd.DataFrame(
        [
            {
                "account_id": PROD,
                "region": "us-east-1",
                "bucket_name": "customer-data",
                "sensitivity_score": 10,
            },
            {"account_id": PROD, "region": "us-east-1", "bucket_name": "hr-exports", "sensitivity_score": 80},
            {
                "account_id": PROD,
                "region": "us-east-1",
                "bucket_name": "public-assets",
                "sensitivity_score": 1,
            },
        ],
        columns=macie.BUCKET_COLUMNS,
    )
    pii = json.dumps({"PERSONAL_INFORMATION": 12, "PERSONAL_INFORMATION/USA_SOCIAL_SECURITY_NUMBER": 12})
    findings = pd.DataFrame(
        [
            {
                "finding_id": "m1",
                "account_id": PROD,
                "type": "SensitiveData:S3Object/Personal",
                "category": "CLASSIFICATION",
                "bucket_name": "customer-data",
                "sensitive_data": pii,
                "archived": False,
            },
            {  # decoy: an archived finding does not make a bucket sensitive
                "finding_id": "m2",
                "account_id": PROD,
                "type": "SensitiveData:S3Object/Personal",
                "category": "CLASSIFICATION",
                "bucket_name": "public-assets",
                "sensitive_data": pii,
                "archived": True,
            },
        ],
        columns=macie.FINDING_COLUMNS,
    )
    return buckets, findings


def share(bucket: str, principal_account: str, outside: bool, status: str = "ACTIVE") -> dict:
    return {
        "analyzer_arn": f"arn:aws:access-analyzer:us-east-1:{PROD}:analyzer/org",
        "analyzer_type": "ORGANIZATION",
        "finding_id": f"aa-{bucket}-{principal_account}",
        "finding_type": "ExternalAccess",
        "resource_type": "AWS::S3::Bucket",
        "resource": f"arn:aws:s3:::{bucket}",
        "resource_owner_account": PROD,
        "status": status,
        "principal_type": "AWS",
        "principal": f"arn:aws:iam::{principal_account}:root",
        "principal_account": principal_account,
        "is_public": False,
        "outside_organization": outside,
        "created_at": T + pd.Timedelta(days=3),
    }


@pytest.fixture
def analyzer_findings() -> pd.DataFrame:
    rows = [
        share("customer-data", OUTSIDE, True),  # the story
        share("hr-exports", OTHER, False),  # decoy: sensitive, but shared inside the organization only
        share("public-assets", OUTSIDE, True),  # decoy: shared outside, holds nothing sensitive
        share("customer-data", "555555555555", True, status="ARCHIVED"),  # decoy: no longer shared
    ]
    return pd.DataFrame(rows, columns=accessanalyzer.FINDING_COLUMNS)


@pytest.fixture
def role_access() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "role_arn": [role("app-role"), role("app-role"), role("app-role"), role("batch-role")],
            "bucket": ["customer-data", "hr-exports", "public-assets", "customer-data"],
            "evidence": ["412 reads", "3 reads", "9 reads", "50 reads"],
        }
    )


def test_only_the_full_chain_is_an_exposure_path(
    inspector_findings, macie_frames, analyzer_findings, role_access
) -> None:
    buckets, macie_findings = macie_frames
    paths = exposure_paths(inspector_findings, buckets, macie_findings, analyzer_findings, role_access)
    assert list(paths.columns) == COLUMNS
    assert len(paths) == 1
    (path,) = paths.to_dict("records")
    assert (
        path["instance_id"],
        path["cve"],
        path["role_arn"],
        path["bucket"],
        path["principal_account"],
    ) == (
        "i-story",
        "CVE-2021-44228",
        role("app-role"),
        "customer-data",
        OUTSIDE,
    )
    assert path["sensitive_data"] == "PERSONAL_INFORMATION" and path["read_evidence"] == "412 reads"
    assert path["instance_profile_arn"] == profile("app-role")


def test_a_high_sensitivity_score_is_sensitive_data_too(
    inspector_findings, macie_frames, analyzer_findings, role_access
) -> None:
    buckets, macie_findings = macie_frames
    now_outside = analyzer_findings.assign(
        outside_organization=analyzer_findings["resource"].eq("arn:aws:s3:::hr-exports")
        | analyzer_findings["outside_organization"]
    )
    paths = exposure_paths(inspector_findings, buckets, macie_findings, now_outside, role_access)
    assert set(paths["bucket"]) == {"customer-data", "hr-exports"}
    assert paths.set_index("bucket").loc["hr-exports", "sensitive_data"] == "sensitivity score 80"


def test_no_reads_means_no_path(inspector_findings, macie_frames, analyzer_findings, role_access) -> None:
    buckets, macie_findings = macie_frames
    none = role_access.iloc[0:0]
    assert exposure_paths(inspector_findings, buckets, macie_findings, analyzer_findings, none).empty


def test_inspector_keeps_the_instance_profile_of_the_finding() -> None:
    raw = {
        "findingArn": f"arn:aws:inspector2:us-east-1:{PROD}:finding/abc",
        "awsAccountId": PROD,
        "type": "PACKAGE_VULNERABILITY",
        "severity": "CRITICAL",
        "status": "ACTIVE",
        "firstObservedAt": "2026-10-01T00:00:00+00:00",
        "lastObservedAt": "2026-10-02T00:00:00+00:00",
        "resources": [
            {
                "type": "AWS_EC2_INSTANCE",
                "id": "i-story",
                "details": {"awsEc2Instance": {"iamInstanceProfileArn": profile("app-role")}},
            }
        ],
    }
    assert inspector.transform_finding(raw)["instance_profile_arn"] == profile("app-role")


# ------------------------------------------------------------------------------------ the hunt


def s3_read(
    when: datetime, role_name: str, bucket: str, key: str, n: int, name: str = "GetObject", **extra
) -> dict:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{role_name}-session",
            "arn": f"arn:aws:sts::{PROD}:assumed-role/{role_name}/i-story",
            "accountId": PROD,
            "accessKeyId": "ASIAEXAMPLE000000001",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": role(role_name),
                    "accountId": PROD,
                    "userName": role_name,
                },
                "attributes": {"creationDate": "2024-05-01T11:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "10.0.0.7",
        "userAgent": "aws-sdk-java/1.12",
        "requestParameters": {"bucketName": bucket, "key": key},
        "responseElements": None,
        "requestID": f"R{n}",
        "eventID": f"e-{n}",
        "readOnly": True,
        "resources": [{"ARN": f"arn:aws:s3:::{bucket}", "accountId": PROD, "type": "AWS::S3::Bucket"}],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": PROD,
        "eventCategory": "Data",
        **extra,
    }


@pytest.fixture
def lake(tmp_path) -> Lake:
    when = datetime(2024, 5, 1, 12)
    records = [
        s3_read(when + timedelta(minutes=i), "app-role", "customer-data", f"k{i % 2}", i) for i in range(3)
    ]
    records += [
        s3_read(when, "app-role", "customer-data", "k9", 10, errorCode="AccessDenied"),  # denied: not a read
        s3_read(when, "app-role", "customer-data", "k9", 11, name="PutObject"),  # a write
        s3_read(when, "other-role", "hr-exports", "k1", 12),  # a role not asked about
        s3_read(when + timedelta(hours=1), "app-role", "public-assets", "", 13, name="ListObjects"),
    ]
    write_trail_file(tmp_path, records, account=PROD, when=when)
    return Lake.local(tmp_path)


def test_role_bucket_reads_counts_each_roles_reads_per_bucket(lake) -> None:
    reads = role_bucket_reads(lake, [role("app-role")], "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z")
    by_bucket = reads.set_index("bucket")
    assert set(by_bucket.index) == {"customer-data", "public-assets"}  # not other-role's bucket
    data = by_bucket.loc["customer-data"]
    assert (data["role_arn"], data["role_name"], data["account"]) == (role("app-role"), "app-role", PROD)
    assert (data["reads"], data["objects"]) == (3, 2)  # the denied read and the write are not counted
    assert data["first_seen"] == "2024-05-01T12:00:00Z" and data["last_seen"] == "2024-05-01T12:02:00Z"
    assert data["evidence"].startswith("3 reads of 2 objects")


def test_role_bucket_reads_of_no_role_reads_nothing(lake) -> None:
    assert role_bucket_reads(lake, [], "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z").empty


def test_candidate_roles_are_the_roles_of_exploitable_instances(inspector_findings) -> None:
    assert candidate_roles(inspector_findings) == [role("app-role"), role("idle-role")]


def test_the_report_section_notes_each_missing_source(tmp_path) -> None:
    review = PostureReview(lake=tmp_path, start=T - pd.Timedelta(days=90), end=T)
    EXPOSURE.build(review)
    assert len([n for n in review.notes if n.startswith("exposure:")]) == len(SOURCES)
    assert "exposure_paths" not in review.frames
