"""IAM Access Analyzer findings (ListFindings, ListFindingsV2, GetFindingV2) in the normalized frame:
every ``resourceType`` and ``findingType`` of botocore's model, and the real recorded pages
(tests/data/real/accessanalyzer, see SOURCE.md there)."""

from __future__ import annotations

import pytest
from data.aws import accessanalyzer as aa_data
from data.aws.findings_model import WHEN, model, valid_response

from orginsight.sources.findings import normalize_finding, normalize_findings
from orginsight.sources.findings.records import LIST_SEPARATOR

MODEL = model("accessanalyzer")
RESOURCE_TYPES = MODEL.shape_for("ResourceType").enum
FINDING_TYPES = MODEL.shape_for("FindingType").enum
OWNER = "111122223333"


def summary_v2(resource_type: str, finding_type: str = "ExternalAccess") -> dict:
    f = {
        "id": f"id-{resource_type}-{finding_type}",
        "resource": f"arn:aws:service:us-east-1:{OWNER}:{resource_type.lower()}",
        "resourceType": resource_type,
        "resourceOwnerAccount": OWNER,
        "status": "ACTIVE",
        "findingType": finding_type,
        "createdAt": WHEN,
        "analyzedAt": WHEN,
        "updatedAt": WHEN,
    }
    return valid_response("accessanalyzer", "list_findings_v2", {"findings": [f]})["findings"][0]


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_each_resource_type_has_a_resource_id(resource_type: str) -> None:
    row = normalize_finding(summary_v2(resource_type))
    assert (row["source"], row["resource_type"]) == ("IAM Access Analyzer", resource_type)
    assert row["resource_id"].endswith(resource_type.lower()) and row["account_id"] == OWNER


@pytest.mark.parametrize("finding_type", FINDING_TYPES)
def test_each_finding_type_is_the_row_type_with_a_label(finding_type: str) -> None:
    row = normalize_finding(summary_v2("AWS::IAM::Role", finding_type))
    assert row["type"] == finding_type and row["severity_label"] in ("High", "Medium", "Low")
    assert (row["severity_label"] == "Low") == finding_type.startswith("Unused")


def test_external_access_outside_the_account_names_the_remote_account() -> None:
    f = {
        "id": "ext-1",
        "principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "action": ["s3:GetObject", "s3:ListBucket"],
        "resource": "arn:aws:s3:::pii-bucket",
        "isPublic": False,
        "resourceType": "AWS::S3::Bucket",
        "condition": {},
        "createdAt": WHEN,
        "analyzedAt": WHEN,
        "updatedAt": WHEN,
        "status": "ACTIVE",
        "resourceOwnerAccount": OWNER,
    }
    row = normalize_finding(
        valid_response("accessanalyzer", "list_findings", {"findings": [f]})["findings"][0]
    )
    assert (row["remote_account"], row["bucket_names"], row["resource_id"]) == (
        "999999999999",
        "pii-bucket",
        f["resource"],
    )
    assert row["actions"] == f"s3:GetObject{LIST_SEPARATOR}s3:ListBucket" and row["severity_label"] == "High"


def test_unused_access_details_name_keys_and_permissions() -> None:
    key = normalize_finding(aa_data.get_finding_v2_unused("f1a2b3c4-0000-4000-8000-000000000002"))
    assert key["principal"] == "AKIAIOSFODNN7EXAMPLE" and key["type"] == "UnusedIAMUserAccessKey"
    perms = normalize_finding(aa_data.get_finding_v2_unused("f1a2b3c4-0000-4000-8000-000000000004"))
    assert perms["actions"] == LIST_SEPARATOR.join(["s3:DeleteBucket", "s3:PutBucketPolicy", "dynamodb:*"])


def test_the_real_pages_are_rows_of_the_frame() -> None:
    pages = [aa_data.LIST_FINDINGS_ROLES, aa_data.LIST_FINDINGS_SQS]
    df = normalize_findings(pages)
    findings = [f for p in pages for f in p["findings"]]
    assert len(df) == len(findings) and df["resource_id"].notna().all() and df.attrs["errors"] == []
    public = df[df["principal"] == "*"]
    assert set(public["severity_label"]) == {"Critical"}
