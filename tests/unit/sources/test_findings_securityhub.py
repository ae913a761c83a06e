"""Security Hub findings in the normalized frame: ASFF's resource id for every ``ResourceDetails`` member
of botocore's securityhub model, and the OCSF findings of ``GetFindingsV2`` read beside ASFF.

No real Security Hub v2 (OCSF) finding is public (../shared/data/README.md, securitylake): the OCSF
findings here follow the paths the model's ``OcsfStringField``/``OcsfDateField``/``OcsfNumberField``
enums name, and pass Stubber (``Findings`` is a list of documents)."""

from __future__ import annotations

import pytest
from data.aws import securityhub as sh_data
from data.aws.findings_model import example, model, valid_response

from orginsight.sources.findings import FINDING_COLUMNS, normalize_finding, normalize_findings
from orginsight.sources.findings.securityhub import ASFF_ACCOUNT_TYPES, asff_resource_id

MODEL = model("securityhub")
DETAILS = MODEL.shape_for("ResourceDetails")
ID_ONLY = {"AzureResource", "GcpResource", "AwsSsmPatchCompliance", "AwsLambdaLayerVersion"}
"""Types whose model details hold no identifier (empty shapes, a patch summary, a layer's version
number): only ``Resources[].Id``, which ASFF requires, names them."""


def asff(resource: dict) -> dict:
    shape = MODEL.shape_for("AwsSecurityFinding")
    f = {name: example(shape.members[name]) for name in shape.required_members if name != "Resources"}
    f.update(Resources=[resource], AwsAccountId="111111111111", Id="finding-1")
    return f


@pytest.mark.parametrize("rtype", list(DETAILS.members))
def test_each_asff_resource_type_has_a_resource_id(rtype: str) -> None:
    """Built from each member of the model's ResourceDetails; fails for a new member the reader cannot name."""
    details = {rtype: example(DETAILS.members[rtype])}
    resource = {"Type": rtype, "Id": f"id-of-{rtype}", "Details": details}
    valid_response("securityhub", "get_findings", {"Findings": [asff(resource)]})
    row = normalize_finding(asff(resource))
    assert row["resource_type"] == rtype and row["resource_id"] == f"id-of-{rtype}"
    without_id = {"Type": rtype, "Details": details}
    if rtype in ID_ONLY:
        assert rtype not in ASFF_ACCOUNT_TYPES
        return
    assert asff_resource_id(without_id, "111111111111"), f"{rtype}: its details name nothing"


def test_the_id_only_types_are_still_in_the_model() -> None:
    assert set(DETAILS.members) >= ID_ONLY


def test_an_account_level_resource_without_id_is_the_account() -> None:
    resource = {"Type": "AwsS3AccountPublicAccessBlock", "Details": {"AwsS3AccountPublicAccessBlock": {}}}
    assert asff_resource_id(resource, "123456789012") == "123456789012"


def test_asff_entities_name_buckets_objects_and_users() -> None:
    f = asff({"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::pii-bucket"})
    f["Resources"] += [
        {"Type": "AwsS3Object", "Id": "arn:aws:s3:::pii-bucket/exports/users.csv"},
        {
            "Type": "AwsIamUser",
            "Id": "arn:aws:iam::111111111111:user/bob",
            "Details": {"AwsIamUser": {"UserName": "bob"}},
        },
    ]
    row = normalize_finding(f)
    assert (row["bucket_names"], row["object_key"], row["user_name"]) == (
        "pii-bucket",
        "exports/users.csv",
        "bob",
    )


def test_every_real_asff_finding_has_a_resource_id() -> None:
    findings = sh_data.real_findings()
    df = normalize_findings(findings)
    assert len(df) == len(findings) >= 20 and df["resource_id"].notna().all()


# ----------------------------------------------------------------------------- OCSF (GetFindingsV2)

OCSF_DETECTION = {
    "class_uid": 2004,
    "class_name": "Detection Finding",
    "activity_id": 1,
    "severity_id": 4,
    "severity": "High",
    "status": "New",
    "status_id": 1,
    "time": 1796040000000,
    "metadata": {
        "version": "1.5.0",
        "product": {
            "name": "GuardDuty",
            "vendor_name": "AWS",
            "uid": "arn:aws:securityhub:us-east-1::productv2/aws/guardduty",
        },
        "uid": "meta-1",
    },
    "finding_info": {
        "uid": "arn:aws:guardduty:us-east-1:111111111111:detector/d/finding/abc",
        "title": "Credentials used from a Tor exit node",
        "types": ["UnauthorizedAccess:IAMUser/TorIPCaller"],
        "first_seen_time_dt": "2026-11-30T10:00:00Z",
        "last_seen_time": 1796040000000,
    },
    "cloud": {"provider": "AWS", "region": "us-east-1", "account": {"uid": "111111111111"}},
    "resources": [
        {"uid": "arn:aws:iam::111111111111:user/bob", "type": "AWS::IAM::User", "region": "us-east-1"},
        {"uid": "arn:aws:s3:::pii-bucket", "name": "pii-bucket", "type": "AWS::S3::Bucket"},
    ],
    "actor": {"user": {"name": "bob", "uid": "AIDABOB"}},
    "src_endpoint": {"ip": "198.51.100.9"},
}


def ocsf(**changes) -> dict:
    f = {**OCSF_DETECTION, **changes}
    return valid_response("securityhub", "get_findings_v2", {"Findings": [f]})["Findings"][0]


def test_an_ocsf_detection_finding_is_a_row_of_the_same_frame() -> None:
    row = normalize_finding(ocsf())
    assert row["finding_id"] == OCSF_DETECTION["finding_info"]["uid"]
    assert (row["source"], row["type"], row["severity_label"], row["severity_normalized"]) == (
        "GuardDuty",
        "UnauthorizedAccess:IAMUser/TorIPCaller",
        "High",
        70.0,
    )
    assert (row["account_id"], row["region"], row["resource_type"]) == (
        "111111111111",
        "us-east-1",
        "AWS::IAM::User",
    )
    assert row["resource_id"] == "arn:aws:iam::111111111111:user/bob"
    assert (row["user_name"], row["principal"], row["remote_ip"]) == ("bob", "AIDABOB", "198.51.100.9")
    assert row["bucket_names"] == "pii-bucket"
    assert (
        str(row["first_seen"]) == "2026-11-30 10:00:00+00:00"
        and str(row["last_seen"]) == "2026-11-30 12:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("class_uid", "name"),
    [(2002, "Vulnerability Finding"), (2003, "Compliance Finding"), (2006, "Data Security Finding")],
)
def test_every_ocsf_finding_class_reads(class_uid: int, name: str) -> None:
    info = {k: v for k, v in OCSF_DETECTION["finding_info"].items() if k != "types"}
    row = normalize_finding(ocsf(class_uid=class_uid, class_name=name, finding_info=info))
    assert row["type"] == name and row["resource_id"]


def test_ocsf_and_asff_pages_make_one_frame() -> None:
    pages = [
        valid_response("securityhub", "get_findings_v2", {"Findings": [OCSF_DETECTION]}),
        {"Findings": sh_data.real_findings()[:3]},
    ]
    df = normalize_findings(pages)
    assert list(df.columns) == FINDING_COLUMNS and len(df) == 4 and df["resource_id"].notna().all()
    assert df.attrs["errors"] == []


def test_an_ocsf_resource_without_uid_is_named_by_its_name() -> None:
    row = normalize_finding(ocsf(resources=[{"name": "pii-bucket", "type": "AWS::S3::Bucket"}]))
    assert row["resource_id"] == "pii-bucket"
