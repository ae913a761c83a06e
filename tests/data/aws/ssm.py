"""Systems Manager API test data named after the calls, shaped exactly like boto3 responses.

The responses are REAL: the copies in tests/data/real/ssm (SOURCE.md there) of cloud-custodian's
recorded DescribeInstanceInformation and ListResourceComplianceSummaries responses and AWS's own
aws-cli DescribeInstancePatchStates example; the full sets are in ../shared/data/ssm. The
``*_for`` helpers clone a real record once per instance id, so that moto's EC2 instances can be
managed nodes in a test.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1] / "real" / "ssm"
"""The real responses in the repository (the full sets: conftest.SHARED_DATA / "ssm")."""


def _placebo_datetime(obj: dict[str, Any]) -> Any:
    """Custodian's placebo encodes datetimes as {"__class__": "datetime", "year": ...}; they are UTC."""
    if obj.get("__class__") == "datetime":
        fields = {k: v for k, v in obj.items() if k != "__class__"}
        return datetime(**fields, tzinfo=UTC)
    return obj


def placebo_response(path: Path) -> dict[str, Any]:
    """A custodian placebo file's boto3 response (``data``), datetimes decoded, ResponseMetadata dropped."""
    data = json.loads(path.read_text(), object_hook=_placebo_datetime)["data"]
    data.pop("ResponseMetadata", None)
    return data


def awscli_response(path: Path) -> dict[str, Any]:
    """An aws-cli example's output (plain JSON)."""
    return json.loads(path.read_text())


DESCRIBE_INSTANCE_INFORMATION = placebo_response(
    REAL / "custodian" / "test_ec2_ssm_filter__ssm.DescribeInstanceInformation_1.json"
)
LIST_RESOURCE_COMPLIANCE_SUMMARIES = placebo_response(
    REAL / "custodian" / "test_ec2_ssm_compliance_filter__ssm.ListResourceComplianceSummaries_1.json"
)
DESCRIBE_INSTANCE_PATCH_STATES = awscli_response(
    REAL / "awscli-examples" / "ssm_describe-instance-patch-states.1.json"
)


def describe_instance_information_for(ids: list[str], next_token: str | None = None) -> dict[str, Any]:
    """A DescribeInstanceInformation page naming ``ids``, each a clone of the first real node."""
    real = DESCRIBE_INSTANCE_INFORMATION["InstanceInformationList"][0]
    page: dict[str, Any] = {
        "InstanceInformationList": [{**copy.deepcopy(real), "InstanceId": i} for i in ids]
    }
    if next_token:
        page["NextToken"] = next_token
    return page


def list_resource_compliance_summaries_for(ids: list[str], kind: str) -> dict[str, Any]:
    """A ListResourceComplianceSummaries page of ``kind`` (Patch or Association) for ``ids``."""
    real = next(
        i
        for i in LIST_RESOURCE_COMPLIANCE_SUMMARIES["ResourceComplianceSummaryItems"]
        if i["ComplianceType"] == kind
    )
    return {"ResourceComplianceSummaryItems": [{**copy.deepcopy(real), "ResourceId": i} for i in ids]}


def describe_instance_patch_states_for(ids: list[str]) -> dict[str, Any]:
    """A DescribeInstancePatchStates response for ``ids``, each a clone of the real example."""
    real = DESCRIBE_INSTANCE_PATCH_STATES["InstancePatchStates"][0]
    return {"InstancePatchStates": [{**copy.deepcopy(real), "InstanceId": i} for i in ids]}
