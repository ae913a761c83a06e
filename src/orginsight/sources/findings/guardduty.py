"""GuardDuty findings (API, S3 export, EventBridge detail, all PascalCase by now) as normalized columns.

Severity labels follow GuardDuty's documented scale (User Guide, "Severity levels for findings";
Critical added in 2023): 9.0-10.0 Critical, 7.0-8.9 High, 4.0-6.9 Medium, 1.0-3.9 Low.

The resource id follows the finding's ``Resource.ResourceType``: each type names the ``Resource``
members that describe it (:data:`GUARDDUTY_RESOURCE_TYPES`), each member says where its id is
(:data:`GUARDDUTY_RESOURCE_IDS`, one entry per member of botocore's ``Resource`` shape, checked by a
test). A type GuardDuty adds later still gets an id from whichever member is present, in the model's
order. Attack sequences (``ResourceType`` ``AttackSequence``) name their resources in
``Service.Detection.Sequence.Resources`` (``ResourceV2``, whose ``Uid`` the model requires).
The entities a finding names (user, buckets, Kubernetes, DNS, RDS user, container, process, remote
account, sequence parts) are read by :mod:`orginsight.sources.findings.guardduty_entities`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from orginsight.sources.findings.guardduty_entities import guardduty_entities, objects_of, sequence_of
from orginsight.sources.findings.records import _count, _first, _remote_ip, _score, _time, label_of

GUARDDUTY_SEVERITY_RANGE = (0.0, 10.0)
"""GuardDuty's severity scale. AWS documents 1.0-8.9 in use (and 9.0-10.0 Critical since 2023);
anything in 0-10 is kept, a value outside it is warned about and left empty."""


GUARDDUTY_LABEL_SCORE = {"Informational": 0.0, "Low": 1.0, "Medium": 4.0, "High": 7.0, "Critical": 9.0}
"""Lowest score of each GuardDuty label (Informational: below the documented range; only seen in
hand-made samples)."""


def guardduty_label(score: float | None) -> str | None:
    """GuardDuty's label for a 0-10 severity score (Critical since 2023)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    return label_of(score, GUARDDUTY_LABEL_SCORE)


def _in_items(*keys: str) -> Callable[[Any], str | None]:
    """The first of ``keys`` set in the first of a member's objects that has one."""
    return lambda value: _first(*(_first(*(item.get(k) for k in keys)) for item in objects_of(value)))


def _workload(details: Any) -> str | None:
    """``namespace/name`` of a Kubernetes workload, else the Kubernetes user."""
    kube = details if isinstance(details, Mapping) else {}
    workload = kube.get("KubernetesWorkloadDetails") or {}
    name = workload.get("Name")
    if name:
        return f"{workload['Namespace']}/{name}" if workload.get("Namespace") else name
    return (kube.get("KubernetesUserDetails") or {}).get("Username")


def _volume(details: Any) -> str | None:
    d = details if isinstance(details, Mapping) else {}
    volumes = [*(d.get("ScannedVolumeDetails") or []), *(d.get("SkippedVolumeDetails") or [])]
    return _in_items("VolumeArn", "SnapshotArn", "DeviceName")(volumes)


GUARDDUTY_RESOURCE_IDS: dict[str, Callable[[Any], str | None]] = {
    "AccessKeyDetails": _in_items("AccessKeyId", "UserName", "PrincipalId"),
    "S3BucketDetails": _in_items("Name", "Arn"),
    "InstanceDetails": _in_items("InstanceId", "OutpostArn"),
    "EksClusterDetails": _in_items("Name", "Arn"),
    "KubernetesDetails": _workload,
    "EbsVolumeDetails": _volume,
    "EcsClusterDetails": _in_items("Name", "Arn"),
    "ContainerDetails": _in_items("Id", "Name", "Image"),
    "LambdaDetails": _in_items("FunctionName", "FunctionArn"),
    "RdsDbInstanceDetails": _in_items("DbInstanceIdentifier", "DbInstanceArn", "DbiResourceId"),
    "RdsLimitlessDbDetails": _in_items("DbShardGroupIdentifier", "DbShardGroupArn", "DbShardGroupResourceId"),
    "EbsSnapshotDetails": _in_items("SnapshotArn"),
    "Ec2ImageDetails": _in_items("ImageArn"),
    "RecoveryPointDetails": _in_items("RecoveryPointArn", "BackupVaultName"),
    "BedrockGuardrailDetails": _in_items("GuardrailArn"),
    "ModelDetails": _in_items("ModelId"),
}
"""Where each member of GuardDuty's ``Resource`` (botocore model, 2026-12) names its resource, in the
model's order: the fallback order for a ``ResourceType`` not in :data:`GUARDDUTY_RESOURCE_TYPES`."""


GUARDDUTY_ENTITY_MEMBERS = {
    "ResourceType": "the type itself",
    "RdsDbUserDetails": "the database user who logged in: the rds_user column, not the resource",
}
"""Members of ``Resource`` that name no resource of their own (a test checks every other member is in
:data:`GUARDDUTY_RESOURCE_IDS`)."""


GUARDDUTY_RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "Instance": ("InstanceDetails", "EbsVolumeDetails"),
    "AccessKey": ("AccessKeyDetails",),
    "S3Bucket": ("S3BucketDetails",),
    "S3Object": ("S3BucketDetails",),
    "EKSCluster": ("EksClusterDetails", "KubernetesDetails"),
    "ECSCluster": ("EcsClusterDetails", "ContainerDetails"),
    "Container": ("ContainerDetails",),
    "Lambda": ("LambdaDetails",),
    "RDSDBInstance": ("RdsDbInstanceDetails",),
    "RDSLimitlessDB": ("RdsLimitlessDbDetails",),
    "EBSVolume": ("EbsVolumeDetails",),
    "EBSSnapshot": ("EbsSnapshotDetails",),
    "EC2Image": ("Ec2ImageDetails",),
    "RecoveryPoint": ("RecoveryPointDetails",),
    "BedrockGuardrail": ("BedrockGuardrailDetails",),
    "Model": ("ModelDetails",),
}
"""``Resource.ResourceType`` values (GuardDuty User Guide, "Finding details", 2026) and the members
that describe each, most specific first. The model types ``ResourceType`` as a free string, so
this is the documented list; an unknown type falls back to :data:`GUARDDUTY_RESOURCE_IDS`'s order.
An EKS finding names its workload when no cluster is given; an S3 object finding its bucket (the
object keys are in ``object_key``)."""


ATTACK_SEQUENCE = "AttackSequence"
"""``Resource.ResourceType`` of an attack-sequence finding (``AttackSequence:*`` types, 2024-12)."""


def guardduty_resource_id(
    resource: Mapping[str, Any], sequence: Mapping[str, Any] | None = None
) -> str | None:
    """The id of the resource a finding's ``Resource`` names, by its ``ResourceType`` (see above).

    An attack sequence's resource is the first of ``Sequence.Resources`` (all are in
    ``sequence_resources``).
    """
    rtype = resource.get("ResourceType")
    members = (*GUARDDUTY_RESOURCE_TYPES.get(rtype, ()), *GUARDDUTY_RESOURCE_IDS)
    from_sequence = [
        _first(r.get("Uid"), r.get("Name")) for r in objects_of((sequence or {}).get("Resources"))
    ]
    if rtype == ATTACK_SEQUENCE and _first(*from_sequence):
        return _first(*from_sequence)
    for member in members:
        if resource.get(member) not in (None, "", [], {}):
            rid = GUARDDUTY_RESOURCE_IDS[member](resource[member])
            if rid:
                return rid
    return _first(*from_sequence)


def _principal(resource: Mapping[str, Any], sequence: Mapping[str, Any]) -> str | None:
    key = resource.get("AccessKeyDetails") or {}
    instance = resource.get("InstanceDetails") or {}
    actors = objects_of(sequence.get("Actors"))
    return _first(
        key.get("AccessKeyId"),
        (instance.get("IamInstanceProfile") or {}).get("Arn"),
        key.get("PrincipalId"),
        key.get("UserName"),
        *((a.get("User") or {}).get("CredentialUid") for a in actors),
        *((a.get("User") or {}).get("Uid") for a in actors),
    )


def extract_guardduty(f: Mapping[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """Normalized columns of one PascalCase GuardDuty finding (API, export or EventBridge detail).

    Values outside their scale are appended to ``notes`` and left empty (see the package docstring).
    """
    notes = [] if notes is None else notes
    service = f.get("Service") or {}
    resource = f.get("Resource") or {}
    sequence = sequence_of(service)
    score = _score(f.get("Severity"), "severity", GUARDDUTY_SEVERITY_RANGE, notes)
    arn = f.get("Arn")
    endpoints = objects_of(sequence.get("Endpoints"))
    return {
        "finding_id": _first(f.get("Id"), arn.rsplit("/", 1)[-1] if arn else None),
        "source": "GuardDuty",
        "type": f.get("Type"),
        "title": f.get("Title"),
        "severity": score,
        "severity_normalized": score * 10 if score is not None else None,
        "severity_label": guardduty_label(score),
        "account_id": f.get("AccountId"),
        "region": f.get("Region"),
        "resource_type": resource.get("ResourceType"),
        "resource_id": guardduty_resource_id(resource, sequence),
        "principal": _principal(resource, sequence),
        "remote_ip": _first(_remote_ip(service.get("Action") or {}), *(e.get("Ip") for e in endpoints)),
        "first_seen": _time(_first(service.get("EventFirstSeen"), f.get("CreatedAt")), "first seen", notes),
        "last_seen": _time(_first(service.get("EventLastSeen"), f.get("UpdatedAt")), "last seen", notes),
        "count": _count(service.get("Count"), notes),
        "workflow_state": "ARCHIVED" if service.get("Archived") else "ACTIVE",
        "archived": bool(service.get("Archived")) if "Archived" in service else None,
        **guardduty_entities(resource, service),
    }
