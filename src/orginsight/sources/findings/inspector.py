"""Amazon Inspector findings (inspector2 ``ListFindings`` ``Finding``, boto3 camelCase, PascalCase here).

Severity (Inspector User Guide, "Understanding severity levels for your Amazon Inspector findings"):
``severity`` is INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL or UNTRIAGED (no score yet); the
``inspectorScore`` is 0-10 (CVSS-based, adjusted to the environment): 9.0-10.0 Critical, 7.0-8.9 High,
4.0-6.9 Medium, 0.1-3.9 Low, 0 Informational. ``severity`` keeps the score, ``severity_normalized``
is it times 10 (else the label's lowest ASFF score); UNTRIAGED is left unlabelled.

The resource id is ``resources[0].id`` (the model requires it), else what its ``type``'s details name
(:data:`INSPECTOR_RESOURCE_DETAILS`, one entry per ``ResourceType`` of botocore's model, checked by a
test). The CVE (or code detector), package and image are columns too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orginsight.sources.findings.records import _count, _first, _score, _time, joined

INSPECTOR_SCORE_RANGE = (0.0, 10.0)
"""``inspectorScore``'s scale."""


INSPECTOR_LABEL_SCORE = {"Informational": 0.0, "Low": 1.0, "Medium": 40.0, "High": 70.0, "Critical": 90.0}
"""Each label's lowest ASFF score, for findings without an ``inspectorScore``."""


def _image(d: Mapping[str, Any], key: str, digest: str) -> str | None:
    image = d.get(key) or {}
    name = image.get("RepositoryName")
    if not name:
        return None
    name = f"{image['Registry']}/{name}" if image.get("Registry") else name
    return f"{name}@{image[digest]}" if image.get(digest) else name


INSPECTOR_RESOURCE_DETAILS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "AWS_EC2_INSTANCE": lambda d: (d.get("AwsEc2Instance") or {}).get("ImageId"),
    "AWS_ECR_CONTAINER_IMAGE": lambda d: _image(d, "AwsEcrContainerImage", "ImageHash"),
    "AWS_ECR_REPOSITORY": lambda d: (d.get("AwsEcrContainerImage") or {}).get("RepositoryName"),
    "AWS_LAMBDA_FUNCTION": lambda d: (d.get("AwsLambdaFunction") or {}).get("FunctionName"),
    "CODE_REPOSITORY": lambda d: _first(
        (d.get("CodeRepository") or {}).get("ProjectName"),
        (d.get("CodeRepository") or {}).get("IntegrationArn"),
    ),
    "MACHINE_IMAGE": lambda d: (d.get("MachineImage") or {}).get("MachineImageId"),
    "Microsoft.Compute/virtualMachines": lambda d: (d.get("Vm") or {}).get("VmName"),
    "compute.googleapis.com/Instance": lambda d: (d.get("Vm") or {}).get("VmName"),
    "Microsoft.ContainerRegistry/registry/containerImage": lambda d: _image(d, "Image", "ImageDigest"),
    "artifactregistry.googleapis.com/DockerImage": lambda d: _image(d, "Image", "ImageDigest"),
    "Microsoft.Web/sites": lambda d: (d.get("ServerlessFunction") or {}).get("ServerlessFunctionName"),
    "cloudfunctions.googleapis.com/Function": lambda d: (d.get("ServerlessFunction") or {}).get(
        "ServerlessFunctionName"
    ),
}
"""Where each ``Resource.type`` (botocore inspector2 model, 2026-12) names its resource besides ``id``.
An EC2 instance's details carry no instance id, so its fallback is the AMI (``id`` is the instance)."""


def is_inspector(f: Mapping[str, Any]) -> bool:
    """Whether a PascalCase record is an inspector2 finding (``FindingArn`` and ``AwsAccountId``, no ProductArn)."""
    return "FindingArn" in f and "ProductArn" not in f


def inspector_resource_id(resource: Mapping[str, Any]) -> str | None:
    if resource.get("Id"):
        return str(resource["Id"])
    from_details = INSPECTOR_RESOURCE_DETAILS.get(resource.get("Type") or "")
    return from_details(resource.get("Details") or {}) if from_details else None


def _label(severity: Any) -> str | None:
    if isinstance(severity, str) and severity.capitalize() in INSPECTOR_LABEL_SCORE:
        return severity.capitalize()
    return None


def extract_inspector(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one PascalCase inspector2 finding."""
    notes = [] if notes is None else notes
    resources = [r for r in f.get("Resources") or [] if isinstance(r, Mapping)] or [{}]
    first = resources[0]
    label = _label(f.get("Severity"))
    if label is None and f.get("Severity") not in (None, "", "UNTRIAGED"):
        notes.append(f"severity {f.get('Severity')!r} is not one of Inspector's; left empty")
    score = _score(f.get("InspectorScore"), "inspectorScore", INSPECTOR_SCORE_RANGE, notes)
    normalized = score * 10 if score is not None else INSPECTOR_LABEL_SCORE.get(label or "")
    package = f.get("PackageVulnerabilityDetails") or {}
    code = f.get("CodeVulnerabilityDetails") or {}
    arn = f.get("FindingArn") or ""
    details = first.get("Details") or {}
    image = details.get("AwsEcrContainerImage") or {}
    return {
        "finding_id": arn.rsplit("/", 1)[-1] or None,
        "source": "Inspector",
        "type": f.get("Type"),
        "title": _first(f.get("Title"), package.get("VulnerabilityId"), code.get("DetectorName")),
        "severity": score,
        "severity_normalized": normalized,
        "severity_label": label,
        "account_id": f.get("AwsAccountId"),
        "region": _first(first.get("Region"), arn.split(":")[3] if arn.count(":") > 3 else None),
        "resource_type": first.get("Type"),
        "resource_id": inspector_resource_id(first),
        "principal": (details.get("AwsLambdaFunction") or {}).get("ExecutionRoleArn"),
        "remote_ip": None,
        "first_seen": _time(f.get("FirstObservedAt"), "first seen", notes),
        "last_seen": _time(f.get("LastObservedAt"), "last seen", notes),
        "count": _count(None, notes),
        "workflow_state": f.get("Status"),
        "archived": f.get("Status") == "SUPPRESSED" if f.get("Status") else None,
        "container_image": _image(details, "AwsEcrContainerImage", "ImageHash") if image else None,
        "vulnerability_id": package.get("VulnerabilityId"),
        "package_names": joined(
            p.get("Name") for p in package.get("VulnerablePackages") or [] if isinstance(p, Mapping)
        ),
    }
