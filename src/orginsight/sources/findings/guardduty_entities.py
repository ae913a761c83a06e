"""The entities a GuardDuty finding names, as columns of the findings frame (empty when absent).

Each column reads the members of botocore's GuardDuty model that name that entity, wherever the
finding's type puts them: the IAM user behind an access key, the buckets (and object keys) of an S3
finding, the Kubernetes user and workload of an EKS finding, the domain of a DNS request (or of an
API call's ``DomainDetails``), the database user of an RDS login, the container of a runtime or ECS
finding, the process of a Runtime Monitoring finding, the remote account of an API call.

Attack sequences (``Service.Detection.Sequence``, 2024-12) list their actors, endpoints, resources and
signals; each list is one ``sequence_*`` column of values joined by ``records.LIST_SEPARATOR``:
an actor by its user name (else user uid, else actor id), an endpoint by IP (else domain, else id),
a resource by ``Uid`` (else name), a signal by name (else type, else uid).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orginsight.sources.findings.records import _first, joined

GUARDDUTY_ENTITY_COLUMNS = [
    "user_name",
    "principal_id",
    "bucket_names",
    "object_key",
    "kubernetes_user",
    "kubernetes_workload",
    "dns_domain",
    "rds_user",
    "container_id",
    "container_image",
    "process_name",
    "remote_account",
]
"""Entity columns every source fills where its findings name the entity (the frame's order)."""


SEQUENCE_COLUMNS = ["sequence_actors", "sequence_endpoints", "sequence_resources", "sequence_signals"]
"""The parts of an attack sequence, each a :data:`records.LIST_SEPARATOR`-joined string."""


def objects_of(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a member that is a list of them (S3BucketDetails, ModelDetails) or one object.

    Anything else is a finding of the wrong shape: TypeError, so it is rejected, not misread.
    """
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list):
        raise TypeError(f"expected an object or a list of objects, not {type(value).__name__}")
    return [v for v in value if isinstance(v, Mapping)]


def sequence_of(service: Mapping[str, Any]) -> Mapping[str, Any]:
    """``Service.Detection.Sequence`` of an attack-sequence finding, else an empty mapping."""
    sequence = (service.get("Detection") or {}).get("Sequence")
    return sequence if isinstance(sequence, Mapping) else {}


def _containers(resource: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Containers a finding names: its own, then its Kubernetes workload's, then its ECS task's."""
    kube = (resource.get("KubernetesDetails") or {}).get("KubernetesWorkloadDetails") or {}
    task = (resource.get("EcsClusterDetails") or {}).get("TaskDetails") or {}
    return [
        *objects_of(resource.get("ContainerDetails")),
        *objects_of(kube.get("Containers")),
        *objects_of(task.get("Containers")),
    ]


def _workload_name(workload: Mapping[str, Any]) -> str | None:
    name = workload.get("Name")
    if name and workload.get("Namespace"):
        return f"{workload['Namespace']}/{name}"
    return name


def _sequence_columns(sequence: Mapping[str, Any]) -> dict[str, str | None]:
    def user(actor: Mapping[str, Any]) -> Any:
        u = actor.get("User") or {}
        return _first(u.get("Name"), u.get("Uid"), actor.get("Id"))

    return {
        "sequence_actors": joined(user(a) for a in objects_of(sequence.get("Actors"))),
        "sequence_endpoints": joined(
            _first(e.get("Ip"), e.get("Domain"), e.get("Id")) for e in objects_of(sequence.get("Endpoints"))
        ),
        "sequence_resources": joined(
            _first(r.get("Uid"), r.get("Name")) for r in objects_of(sequence.get("Resources"))
        ),
        "sequence_signals": joined(
            _first(s.get("Name"), s.get("Type"), s.get("Uid")) for s in objects_of(sequence.get("Signals"))
        ),
    }


def guardduty_entities(resource: Mapping[str, Any], service: Mapping[str, Any]) -> dict[str, Any]:
    """Every entity column (:data:`GUARDDUTY_ENTITY_COLUMNS`, :data:`SEQUENCE_COLUMNS`) of one finding."""
    key = resource.get("AccessKeyDetails") or {}
    buckets = objects_of(resource.get("S3BucketDetails"))
    kube = resource.get("KubernetesDetails") or {}
    action = service.get("Action") or {}
    api = action.get("AwsApiCallAction") or {}
    process = (service.get("RuntimeDetails") or {}).get("Process") or {}
    containers = _containers(resource)
    sequence = sequence_of(service)
    seq_resources = objects_of(sequence.get("Resources"))
    seq_buckets = [r for r in seq_resources if r.get("ResourceType") == "S3_BUCKET"]
    seq_users = [(a.get("User") or {}) for a in objects_of(sequence.get("Actors"))]
    return {
        "user_name": _first(key.get("UserName"), *(u.get("Name") for u in seq_users)),
        "principal_id": _first(key.get("PrincipalId"), *(u.get("Uid") for u in seq_users)),
        "bucket_names": joined(
            [*(b.get("Name") for b in buckets), *(_first(r.get("Name"), r.get("Uid")) for r in seq_buckets)]
        ),
        "object_key": joined(o.get("Key") for b in buckets for o in objects_of(b.get("S3ObjectDetails"))),
        "kubernetes_user": (kube.get("KubernetesUserDetails") or {}).get("Username"),
        "kubernetes_workload": _workload_name(kube.get("KubernetesWorkloadDetails") or {}),
        "dns_domain": _first(
            (action.get("DnsRequestAction") or {}).get("Domain"),
            (api.get("DomainDetails") or {}).get("Domain"),
        ),
        "rds_user": (resource.get("RdsDbUserDetails") or {}).get("User"),
        "container_id": _first(*(c.get("Id") for c in containers)),
        "container_image": _first(*(c.get("Image") for c in containers)),
        "process_name": _first(process.get("Name"), process.get("ExecutablePath")),
        "remote_account": (api.get("RemoteAccountDetails") or {}).get("AccountId"),
        **_sequence_columns(sequence),
    }
