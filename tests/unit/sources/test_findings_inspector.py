"""Inspector (inspector2 ListFindings) findings in the normalized frame: a resource id for every
``ResourceType`` of botocore's model, the severity on the frame's scale, and the real recorded pages
(tests/data/real/inspector2, Cloud Custodian's placebo recordings, see SOURCE.md there)."""

from __future__ import annotations

import pytest
from data.aws import inspector as ins_data
from data.aws.findings_model import example, model, valid_response

from orginsight.sources.findings import FINDING_COLUMNS, normalize_finding, normalize_findings
from orginsight.sources.findings.inspector import INSPECTOR_RESOURCE_DETAILS

MODEL = model("inspector2")
RESOURCE = MODEL.shape_for("Resource")
TYPES = RESOURCE.members["type"].enum


def finding(resource: dict, **changes) -> dict:
    shape = MODEL.shape_for("Finding")
    f = {name: example(shape.members[name]) for name in shape.required_members}
    f.update(
        findingArn="arn:aws:inspector2:eu-central-1:111111111111:finding/0123abcd",
        awsAccountId="111111111111",
        resources=[resource],
        **changes,
    )
    return valid_response("inspector2", "list_findings", {"findings": [f]})["findings"][0]


def test_every_resource_type_of_the_model_is_mapped() -> None:
    """Fails when inspector2's model gains a resource type the mapping lacks."""
    assert set(TYPES) == set(INSPECTOR_RESOURCE_DETAILS)


@pytest.mark.parametrize("rtype", TYPES)
def test_each_resource_type_has_a_resource_id(rtype: str) -> None:
    resource = {"type": rtype, "id": f"id-of-{rtype}", "details": example(MODEL.shape_for("ResourceDetails"))}
    row = normalize_finding(finding(resource))
    assert (row["resource_type"], row["resource_id"]) == (rtype, f"id-of-{rtype}")
    resource.pop("id")  # a record that lost its required id (a hand-trimmed sample) is still named
    assert normalize_finding({**finding({**resource, "id": "x"}), "resources": [resource]})["resource_id"]


@pytest.mark.parametrize(
    ("severity", "score", "label", "normalized"),
    [("CRITICAL", 9.8, "Critical", 98.0), ("HIGH", None, "High", 70.0), ("UNTRIAGED", None, None, None)],
)
def test_severity_is_on_the_frame_scale(severity, score, label, normalized) -> None:
    changes = {"severity": severity} | ({"inspectorScore": score} if score is not None else {})
    row = normalize_finding(finding({"type": "AWS_EC2_INSTANCE", "id": "i-1"}, **changes))
    assert (row["severity"], row["severity_label"], row["severity_normalized"]) == (score, label, normalized)


def test_an_ecr_image_finding_names_its_image() -> None:
    details = {
        "awsEcrContainerImage": {
            "repositoryName": "web",
            "imageHash": "sha256:" + "a" * 64,
            "registry": "111111111111",
        }
    }
    row = normalize_finding(
        finding({"type": "AWS_ECR_CONTAINER_IMAGE", "id": "arn:aws:ecr:img", "details": details})
    )
    assert row["container_image"] == f"111111111111/web@sha256:{'a' * 64}"


def test_the_real_pages_are_rows_of_the_frame() -> None:
    pages = ins_data.real_list_findings()
    df = normalize_findings(pages)
    findings = [f for p in pages for f in p["findings"]]
    assert list(df.columns) == FINDING_COLUMNS and len(df) == len(findings) > 0
    assert set(df["source"]) == {"Inspector"} and df["resource_id"].notna().all()
    assert list(df["resource_id"]) == [f["resources"][0]["id"] for f in findings]
    assert list(df["vulnerability_id"]) == [
        f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in findings
    ]
    assert df["first_seen"].notna().all() and df.attrs["warnings"] == []
