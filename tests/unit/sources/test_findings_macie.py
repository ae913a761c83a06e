"""Macie (macie2 GetFindings) findings in the normalized frame: every finding type of botocore's model
(no real Macie finding is public: they are built from the model by tests/data/aws/macie.py)."""

from __future__ import annotations

import pytest
from data.aws import macie as macie_data
from data.aws.findings_model import model, valid_response

from orginsight.sources.findings import normalize_finding, normalize_findings

TYPES = model("macie2").shape_for("FindingType").enum


def built(finding_type: str) -> dict:
    f = macie_data.model_finding(finding_type, "111111111111", "us-east-1")
    return valid_response("macie2", "get_findings", {"findings": [f]})["findings"][0]


@pytest.mark.parametrize("finding_type", TYPES)
def test_each_finding_type_names_its_bucket(finding_type: str) -> None:
    f = built(finding_type)
    row = normalize_finding(f)
    bucket = f["resourcesAffected"]["s3Bucket"]["name"]
    assert (row["source"], row["type"], row["resource_id"], row["bucket_names"]) == (
        "Macie",
        finding_type,
        bucket,
        bucket,
    )
    if finding_type.startswith("SensitiveData:"):
        assert row["object_key"] == f["resourcesAffected"]["s3Object"]["key"]
        assert row["resource_type"] == "AWS::S3::Object"


def test_a_bucket_named_only_by_its_arn_is_still_named() -> None:
    f = built(TYPES[0])
    f["resourcesAffected"]["s3Bucket"].pop("name")
    assert normalize_finding(f)["resource_id"] == f["resourcesAffected"]["s3Bucket"]["arn"].rsplit(":", 1)[-1]


@pytest.mark.parametrize(
    ("description", "score", "normalized"), [("Low", 1, 1.0), ("Medium", 2, 40.0), ("High", 3, 70.0)]
)
def test_severity_is_on_the_frame_scale(description: str, score: int, normalized: float) -> None:
    f = built(TYPES[0])
    f["severity"] = {"description": description, "score": score}
    row = normalize_finding(f)
    assert (row["severity"], row["severity_label"], row["severity_normalized"]) == (
        score,
        description,
        normalized,
    )


def test_a_policy_finding_names_its_actor() -> None:
    f = built("Policy:IAMUser/S3BucketPublic")
    actor = f["policyDetails"]["actor"]
    role = actor["userIdentity"]["assumedRole"]
    row = normalize_finding(f)
    assert (row["principal"], row["remote_account"], row["remote_ip"]) == (
        role["arn"],
        role["accountId"],
        actor["ipAddressDetails"]["ipAddressV4"],
    )


def test_findings_of_every_type_make_one_frame() -> None:
    df = normalize_findings([{"findings": [built(t) for t in TYPES]}])
    assert len(df) == len(TYPES) and df["resource_id"].notna().all() and df.attrs["errors"] == []
