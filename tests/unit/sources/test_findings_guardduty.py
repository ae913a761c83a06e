"""GuardDuty findings in the normalized frame: the resource id by resource type, the entity columns and
attack sequences, for every member and type of botocore's GuardDuty model (built from the model's shapes,
checked by Stubber) and on the real samples (tests/data/real/guardduty, see SOURCE.md there)."""

from __future__ import annotations

import copy

import pytest
from data.aws import guardduty as gd_data
from data.aws.findings_model import example, model, valid_response

from orginsight.sources.findings import FINDING_COLUMNS, normalize_finding, normalize_findings
from orginsight.sources.findings.guardduty import (
    ATTACK_SEQUENCE,
    GUARDDUTY_ENTITY_MEMBERS,
    GUARDDUTY_RESOURCE_IDS,
    GUARDDUTY_RESOURCE_TYPES,
)
from orginsight.sources.findings.guardduty_entities import GUARDDUTY_ENTITY_COLUMNS, SEQUENCE_COLUMNS
from orginsight.sources.findings.records import LIST_SEPARATOR

MODEL = model("guardduty")
RESOURCE = MODEL.shape_for("Resource")
RESOURCE_MEMBERS = [m for m in RESOURCE.members if m not in GUARDDUTY_ENTITY_MEMBERS]
SEQUENCE_TYPES = MODEL.shape_for("ResourceV2").members["ResourceType"].enum


def finding(resource: dict, service: dict | None = None) -> dict:
    """A GetFindings finding with every required member, ``resource`` and ``service``, Stubber-checked."""
    f = {
        "AccountId": "111111111111",
        "Arn": "arn:aws:guardduty:us-east-1:111111111111:detector/d/finding/f1",
        "CreatedAt": "2026-11-30T12:00:00.000Z",
        "Id": "f1",
        "Region": "us-east-1",
        "Resource": resource,
        "SchemaVersion": "2.0",
        "Severity": 8.0,
        "Type": "Test:Resource/Type",
        "UpdatedAt": "2026-11-30T12:00:00.000Z",
        "Service": service or {},
    }
    return valid_response("guardduty", "get_findings", {"Findings": [f]})["Findings"][0]


def test_every_member_of_the_model_resource_is_mapped() -> None:
    """Fails when GuardDuty's model gains a Resource member the mapping does not read."""
    assert set(RESOURCE.members) == set(GUARDDUTY_RESOURCE_IDS) | set(GUARDDUTY_ENTITY_MEMBERS)
    assert list(GUARDDUTY_RESOURCE_IDS) == RESOURCE_MEMBERS  # the fallback follows the model's order
    for members in GUARDDUTY_RESOURCE_TYPES.values():
        assert set(members) <= set(GUARDDUTY_RESOURCE_IDS)


@pytest.mark.parametrize("member", RESOURCE_MEMBERS)
def test_each_resource_member_alone_names_the_resource(member: str) -> None:
    """A type GuardDuty documents later still gets its id from the one member it fills."""
    populated = example(RESOURCE.members[member])
    row = normalize_finding(finding({"ResourceType": "NotYetDocumented", member: populated}))
    assert row["resource_id"], member
    assert row["resource_id"] == GUARDDUTY_RESOURCE_IDS[member](populated)


DISTRACTORS = {
    "AccessKeyDetails": {"AccessKeyId": "ASIAOTHERKEY", "UserName": "other"},
    "InstanceDetails": {"InstanceId": "i-0other"},
    "S3BucketDetails": [{"Name": "other-bucket"}],
}


@pytest.mark.parametrize("rtype", sorted(GUARDDUTY_RESOURCE_TYPES))
def test_the_resource_follows_the_resource_type_not_a_fixed_order(rtype: str) -> None:
    """With other members present too (an instance's key, a bucket), the type decides which one is the resource."""
    resource = {"ResourceType": rtype, **copy.deepcopy(DISTRACTORS)}
    first = GUARDDUTY_RESOURCE_TYPES[rtype][0]
    resource[first] = example(RESOURCE.members[first])
    row = normalize_finding(finding(resource))
    assert row["resource_type"] == rtype
    assert row["resource_id"] == GUARDDUTY_RESOURCE_IDS[first](resource[first])


def test_an_s3_object_finding_names_its_bucket_and_object_keys() -> None:
    resource = {
        "ResourceType": "S3Object",
        "S3BucketDetails": [
            {"Name": "uploads", "S3ObjectDetails": [{"Key": "a/evil.exe"}, {"Key": "b/ok.txt"}]},
            {"Name": "logs"},
        ],
    }
    row = normalize_finding(finding(resource))
    assert row["resource_id"] == "uploads"
    assert row["bucket_names"] == f"uploads{LIST_SEPARATOR}logs"
    assert row["object_key"] == f"a/evil.exe{LIST_SEPARATOR}b/ok.txt"


def sequence_service(resources: list[dict]) -> dict:
    sequence = example(MODEL.shape_for("Sequence"))
    sequence["Resources"] = resources
    return {"Detection": {"Sequence": sequence}}


@pytest.mark.parametrize("seq_type", SEQUENCE_TYPES)
def test_each_attack_sequence_resource_type_names_the_resource(seq_type: str) -> None:
    uid = f"uid-of-{seq_type.lower()}"
    resources = [{"Uid": uid, "ResourceType": seq_type, "Data": example(MODEL.shape_for("ResourceData"))}]
    row = normalize_finding(finding({"ResourceType": ATTACK_SEQUENCE}, sequence_service(resources)))
    assert row["resource_id"] == uid
    assert uid in row["sequence_resources"].split(LIST_SEPARATOR)


def test_an_attack_sequence_lists_its_actors_endpoints_resources_and_signals() -> None:
    service = sequence_service(
        [
            {"Uid": "arn:aws:s3:::crown-jewels", "Name": "crown-jewels", "ResourceType": "S3_BUCKET"},
            {"Uid": "ASIAKEY", "ResourceType": "ACCESS_KEY"},
        ]
    )
    seq = service["Detection"]["Sequence"]
    seq["Actors"] = [
        {"Id": "a1", "User": {"Name": "mallory", "Uid": "AIDAM", "Type": "IAMUser"}},
        {"Id": "a2"},
    ]
    seq["Endpoints"] = [{"Id": "e1", "Ip": "198.51.100.7"}, {"Id": "e2", "Domain": "evil.example"}]
    signal = seq["Signals"][0]
    seq["Signals"] = [dict(signal, Name="GetObject"), dict(signal, Name="Discovery:S3/AnomalousBehavior")]
    row = normalize_finding(finding({"ResourceType": ATTACK_SEQUENCE}, service))
    assert row["resource_id"] == "arn:aws:s3:::crown-jewels"
    assert row["sequence_resources"] == f"arn:aws:s3:::crown-jewels{LIST_SEPARATOR}ASIAKEY"
    assert row["sequence_actors"] == f"mallory{LIST_SEPARATOR}a2"
    assert row["sequence_endpoints"] == f"198.51.100.7{LIST_SEPARATOR}evil.example"
    assert row["sequence_signals"] == f"GetObject{LIST_SEPARATOR}Discovery:S3/AnomalousBehavior"
    assert row["bucket_names"] == "crown-jewels" and row["user_name"] == "mallory"
    assert row["remote_ip"] == "198.51.100.7"


def test_every_entity_column_is_filled_from_a_finding_that_names_them_all() -> None:
    f = example(MODEL.shape_for("Finding"))
    valid_response("guardduty", "get_findings", {"Findings": [f]})
    row = normalize_finding(f)
    assert {c: row[c] for c in GUARDDUTY_ENTITY_COLUMNS + SEQUENCE_COLUMNS if not row[c]} == {}


ENTITY_PATHS = [
    ("user_name", ("Resource", "AccessKeyDetails", "UserName"), "alice"),
    ("principal_id", ("Resource", "AccessKeyDetails", "PrincipalId"), "AIDAALICE"),
    (
        "kubernetes_user",
        ("Resource", "KubernetesDetails", "KubernetesUserDetails", "Username"),
        "system:anon",
    ),
    ("rds_user", ("Resource", "RdsDbUserDetails", "User"), "dbadmin"),
    ("container_id", ("Resource", "ContainerDetails", "Id"), "c0ffee"),
    ("container_image", ("Resource", "ContainerDetails", "Image"), "nginx:1.25"),
    ("dns_domain", ("Service", "Action", "DnsRequestAction", "Domain"), "pool.minexmr.com"),
    ("process_name", ("Service", "RuntimeDetails", "Process", "Name"), "xmrig"),
    (
        "remote_account",
        ("Service", "Action", "AwsApiCallAction", "RemoteAccountDetails", "AccountId"),
        "999999999999",
    ),
]


@pytest.mark.parametrize(("column", "path", "value"), ENTITY_PATHS, ids=[p[0] for p in ENTITY_PATHS])
def test_each_entity_column_reads_its_model_member(column: str, path: tuple[str, ...], value: str) -> None:
    nested: dict = {path[-1]: value}
    for key in reversed(path[1:-1]):
        nested = {key: nested}
    resource = nested if path[0] == "Resource" else {"ResourceType": "Instance"}
    service = nested if path[0] == "Service" else {}
    row = normalize_finding(finding(resource, service))
    assert row[column] == value
    others = [c for c in GUARDDUTY_ENTITY_COLUMNS if c != column and row[c] is not None]
    assert (
        others in ([], ["user_name"], ["principal_id"])
        if column in ("user_name", "principal_id")
        else not others
    )


def test_a_kubernetes_workload_is_namespace_and_name() -> None:
    resource = {
        "ResourceType": "EKSCluster",
        "KubernetesDetails": {"KubernetesWorkloadDetails": {"Name": "miner", "Namespace": "default"}},
    }
    row = normalize_finding(finding(resource))
    assert row["kubernetes_workload"] == "default/miner" and row["resource_id"] == "default/miner"


def test_the_frame_has_the_entity_columns_empty_when_a_finding_does_not_name_them() -> None:
    df = normalize_findings(gd_data.real_raw_findings())
    assert list(df.columns) == FINDING_COLUMNS
    assert df["kubernetes_user"].isna().all() and df["sequence_signals"].isna().all()
    assert all(v is None for v in df["rds_user"])  # None, not NaN, like every text column left empty


def test_every_real_finding_whose_resource_names_one_has_a_resource_id() -> None:
    raws = gd_data.real_raw_findings()
    df = normalize_findings(raws)
    named = [i for i, raw in enumerate(raws) if set(raw.get("resource") or {}) - {"resourceType"}]
    assert len(named) >= 10
    assert df.loc[named, "resource_id"].notna().all()
    for i, raw in enumerate(raws):
        key = (raw.get("resource") or {}).get("accessKeyDetails") or {}
        if raw.get("resource", {}).get("resourceType") == "AccessKey":
            assert (df.loc[i, "resource_id"], df.loc[i, "user_name"]) == (key["accessKeyId"], key["userName"])
