"""The SSM resource data sync as a lake source: keys, files, the tolerant reader, path safety, Athena DDL.

Test data follows the documented format, not a sample: AWS Systems Manager User Guide, "Walkthrough: Using
resource data sync to aggregate inventory data" (keys ``<prefix>/<type>/accountid=/region=/resourcetype=/``,
SyncFormat JsonSerDe, AWS's Athena tables) and "Metadata collected by inventory" (attribute names); each
file is one node's items of one type as JSON lines, each item with ``resourceId``, ``captureTime`` and
``schemaVersion``.
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import ddl_argv

from orginsight import cli
from orginsight.errors import ParameterError
from orginsight.sources import ssm_sync

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"
NODE_1 = "i-0123456789abcdef0"
NODE_2 = "i-0fedcba9876543210"
NODE_3 = "mi-0123456789abcdef0"
PARTITION_A = f"accountid={ACCOUNT_A}/region=eu-west-1/resourcetype=ManagedInstanceInventory"
PARTITION_B = f"accountid={ACCOUNT_B}/region=us-east-1/resourcetype=ManagedInstanceInventory"

PATCH_SUMMARY_NODE_1 = (
    '{"PatchGroup":"prod","BaselineId":"pb-0123456789abcdef0","OperationType":"Scan",'
    '"OperationStartTime":"2024-05-01T09:58:02Z","OperationEndTime":"2024-05-01T10:01:44Z",'
    '"InstalledCount":"112","MissingCount":"3","FailedCount":"0",'
    '"resourceId":"i-0123456789abcdef0","captureTime":"2024-05-01T10:01:44Z","schemaVersion":"1.0"}\n'
)
"""AWS:PatchSummary of one node, as the sync writes it (counts are strings, as every inventory value)."""

COMPLIANCE_ITEMS_NODE_1 = (
    '{"ComplianceType":"Patch","ExecutionId":"8e1a2f3b-4c5d-6e7f-8091-a2b3c4d5e6f7","ExecutionType":"Command",'
    '"ExecutionTime":"2024-05-01T10:01:44Z","Id":"openssl.x86_64","Title":"openssl","Status":"NON_COMPLIANT",'
    '"Severity":"CRITICAL","PatchSeverity":"Critical","PatchState":"Missing","Classification":"Security",'
    '"resourceId":"i-0123456789abcdef0","captureTime":"2024-05-01T10:01:44Z","schemaVersion":"1.0"}\n'
    '{"ComplianceType":"Patch","ExecutionId":"8e1a2f3b-4c5d-6e7f-8091-a2b3c4d5e6f7","ExecutionType":"Command",'
    '"ExecutionTime":"2024-05-01T10:01:44Z","Id":"kernel.x86_64","Title":"kernel","Status":"COMPLIANT",'
    '"Severity":"UNSPECIFIED","PatchSeverity":"Important","PatchState":"Installed","Classification":"Security",'
    '"resourceId":"i-0123456789abcdef0","captureTime":"2024-05-01T10:01:44Z","schemaVersion":"1.0"}\n'
)
"""AWS:ComplianceItem of one node: one line per patch."""


def put(lake, key: str, body: bytes | str) -> str:
    path = lake / "ssm-inventory" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    return str(path)


def patch_summary_row(account: str, region: str, node: str, missing: str, **extra) -> dict:
    return {
        "accountid": account,
        "region": region,
        "PatchGroup": "prod",
        "MissingCount": missing,
        "resourceId": node,
        "captureTime": "2024-05-01T10:01:44Z",
        **extra,
    }


# --- what the sync writes -------------------------------------------------------------------------------


def test_sync_files_give_the_documented_key_and_one_json_line_per_item():
    lines = COMPLIANCE_ITEMS_NODE_1.splitlines()
    rows = [{"accountid": ACCOUNT_A, "region": "eu-west-1", **json.loads(line)} for line in lines]
    files = ssm_sync.sync_files("AWS:ComplianceItem", rows, prefix="ssm-inventory")
    key = f"ssm-inventory/AWS:ComplianceItem/{PARTITION_A}/{NODE_1}.json"
    assert files == {key: COMPLIANCE_ITEMS_NODE_1.encode()}


def test_sync_files_write_one_file_per_node_and_the_type_schema_version():
    rows = [
        patch_summary_row(ACCOUNT_A, "eu-west-1", NODE_1, "3"),
        patch_summary_row(ACCOUNT_B, "us-east-1", NODE_3, "0"),
    ]
    files = ssm_sync.sync_files("AWS:PatchSummary", rows)
    assert sorted(files) == [
        f"AWS:PatchSummary/{PARTITION_A}/{NODE_1}.json",
        f"AWS:PatchSummary/{PARTITION_B}/{NODE_3}.json",
    ]
    assert all(b'"schemaVersion":"1.0"' in body and body.endswith(b"}\n") for body in files.values())


@pytest.mark.parametrize(
    ("type_name", "account", "region", "node", "prefix"),
    [
        ("AWS:PatchSummary", "../../../etc", "eu-west-1", NODE_1, ""),
        ("AWS:PatchSummary", ACCOUNT_A, "eu-west-1/../../x", NODE_1, ""),
        ("AWS:PatchSummary", ACCOUNT_A, "eu-west-1", "../i-0123456789abcdef0", ""),
        ("AWS:PatchSummary", ACCOUNT_A, "eu-west-1", "i-0123/../../x", ""),
        ("AWS:../../x", ACCOUNT_A, "eu-west-1", NODE_1, ""),
        ("AWS:PatchSummary", ACCOUNT_A, "eu-west-1", NODE_1, "ssm/../../up"),
        ("AWS:PatchSummary", "１１１１２２２２３３３３", "eu-west-1", NODE_1, ""),
    ],
)
def test_no_row_names_a_path(type_name, account, region, node, prefix):
    with pytest.raises(ParameterError):
        ssm_sync.sync_key(type_name, account, region, node, prefix)


def test_a_row_without_its_node_or_capture_time_is_refused():
    with pytest.raises(ParameterError, match="captureTime"):
        ssm_sync.sync_files(
            "AWS:Tag", [{"accountid": ACCOUNT_A, "region": "eu-west-1", "resourceId": NODE_1}]
        )


# --- reading a lake -----------------------------------------------------------------------------------


def test_read_inventory_reads_the_good_files_and_reports_each_bad_one_with_why(tmp_path):
    put(tmp_path, f"AWS:PatchSummary/{PARTITION_A}/{NODE_1}.json", PATCH_SUMMARY_NODE_1)
    for key, body in ssm_sync.sync_files(
        "AWS:PatchSummary", [patch_summary_row(ACCOUNT_B, "us-east-1", NODE_3, "7")]
    ).items():
        put(tmp_path, key, body)
    put(tmp_path, f"AWS:PatchSummary/{PARTITION_A}/i-00000000000000001.json", "")  # a node with no item
    truncated = put(tmp_path, f"AWS:PatchSummary/{PARTITION_B}/{NODE_2}.json", PATCH_SUMMARY_NODE_1[:80])
    array = put(
        tmp_path, f"AWS:PatchSummary/{PARTITION_B}/i-0aaaaaaaaaaaaaaaa.json", '[{"MissingCount":"1"}]\n'
    )
    binary = put(tmp_path, f"AWS:PatchSummary/{PARTITION_B}/i-0bbbbbbbbbbbbbbbb.json", b"\xff\xfe{}\n")

    frame, errors = ssm_sync.read_inventory(tmp_path, "AWS:PatchSummary")

    got = frame.sort_values("resourceid")[
        ["resourceid", "accountid", "region", "missingcount", "installedcount"]
    ]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        [NODE_1, ACCOUNT_A, "eu-west-1", 3, 112],
        [NODE_3, ACCOUNT_B, "us-east-1", 7, None],
    ]
    assert str(frame["missingcount"].dtype) == "Int64" and set(frame["resourcetype"]) == {
        "ManagedInstanceInventory"
    }
    reasons = {e["file"]: e["error"] for e in errors}
    assert set(reasons) == {truncated, array, binary}
    assert reasons[truncated].startswith("line 1: not JSON") and "list, not an object" in reasons[array]


def test_hostile_names_are_reported_and_never_read(tmp_path):
    lake, outside = tmp_path / "lake", tmp_path / "outside"
    good = put(lake, f"AWS:PatchSummary/{PARTITION_A}/{NODE_1}.json", PATCH_SUMMARY_NODE_1)
    secret = outside / "secret.json"
    outside.mkdir()
    secret.write_text(PATCH_SUMMARY_NODE_1.replace("prod", "SECRET"))
    hostile = [
        f"AWS:PatchSummary/accountid=1111' OR '1'='1/region=eu-west-1/resourcetype=ManagedInstanceInventory/{NODE_2}.json",
        f"AWS:PatchSummary/accountid={ACCOUNT_A}/region=eu-west-1;DROP/resourcetype=ManagedInstanceInventory/{NODE_2}.json",
        f"AWS:PatchSummary/accountid=../region=eu-west-1/resourcetype=ManagedInstanceInventory/{NODE_2}.json",
        f"AWS:PatchSummary/{PARTITION_A}/.{NODE_2}.json.part",  # a temporary file: silently not a node's file
        f"AWS:PatchSummary/{PARTITION_A}/{NODE_2}.json.gz",
    ]
    for key in hostile:
        put(lake, key, PATCH_SUMMARY_NODE_1.replace("prod", "HOSTILE"))
    base = lake / "ssm-inventory" / "AWS:PatchSummary"
    os.symlink(outside, base / f"accountid={ACCOUNT_B}")  # a partition folder that leads out of the lake
    os.symlink(secret, base / PARTITION_A / "i-0ccccccccccccccc1.json")  # a file that does
    (lake / "ssm-inventory" / "AWS:Patch-Summary").mkdir()  # a type no table can be named after

    frame, errors = ssm_sync.read_inventory(lake, "AWS:PatchSummary")

    assert frame["patchgroup"].tolist() == ["prod"] and frame["resourceid"].tolist() == [NODE_1]
    refused = {os.path.relpath(e["file"], base) for e in errors}
    assert refused == {
        "accountid=1111' OR '1'='1",
        f"accountid={ACCOUNT_A}/region=eu-west-1;DROP",
        "accountid=..",
        f"accountid={ACCOUNT_B}",
        f"{PARTITION_A}/{NODE_2}.json.gz",
        f"{PARTITION_A}/i-0ccccccccccccccc1.json",
        "../AWS:Patch-Summary",
    }
    assert good not in {e["file"] for e in errors}


def test_a_file_is_checked_again_only_when_it_changes(tmp_path):
    path = put(tmp_path, f"AWS:Tag/{PARTITION_A}/{NODE_1}.json", '{"Key":"env","Value":')
    checks = ssm_sync.SyncChecks()
    first = ssm_sync.read_inventory(tmp_path, "AWS:Tag", checks)
    with open(path, "a") as fh:
        fh.write(
            f'"prod","resourceId":"{NODE_1}","captureTime":"2024-05-01T10:01:44Z","schemaVersion":"1.0"}}\n'
        )
    second = ssm_sync.read_inventory(tmp_path, "AWS:Tag", checks)
    assert [e["file"] for e in first[1]] == [path] and first[0].empty
    assert second[1] == [] and second[0][["key", "value"]].values.tolist() == [["env", "prod"]]


def test_a_custom_type_keeps_each_item_whole(tmp_path):
    rows = [
        {
            "accountid": ACCOUNT_A,
            "region": "eu-west-1",
            "resourceId": NODE_1,
            "captureTime": "2024-05-01T10:01:44Z",
            "RackLocation": "Bay B/Row C/Rack 1",
        }
    ]
    for key, body in ssm_sync.sync_files("Custom:RackSpace", rows, prefix="ssm-inventory").items():
        (tmp_path / key).parent.mkdir(parents=True)
        (tmp_path / key).write_bytes(body)
    frame, errors = ssm_sync.read_inventory(tmp_path, "Custom:RackSpace")
    assert errors == [] and ssm_sync.table_name("Custom:RackSpace") == "ssm_custom_rackspace"
    assert (
        '"RackLocation":"Bay B/Row C/Rack 1"' in frame.loc[0, "item"] and frame.loc[0, "resourceid"] == NODE_1
    )


# --- Athena -------------------------------------------------------------------------------------------


def test_athena_ddl_has_aws_columns_and_projects_account_region_and_resource_type():
    ddl = ssm_sync.athena_ddl(
        "AWS:PatchSummary",
        "s3://central-logs/ssm-inventory/",
        [ACCOUNT_B, ACCOUNT_A],
        ["eu-west-1", "us-east-1"],
        "sec",
    )
    # The columns of AWS's own AWS_PatchSummary table (the walkthrough), NUMBER attributes as int there too.
    for column in (
        "resourceid",
        "patchgroup",
        "baselineid",
        "snapshotid",
        "ownerinformation",
        "operationtype",
    ):
        assert f"`{column}` string" in ddl
    for column in (
        "installedcount",
        "installedothercount",
        "notapplicablecount",
        "missingcount",
        "failedcount",
    ):
        assert f"`{column}` int" in ddl
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS `sec`.`ssm_patchsummary`" in ddl
    assert "PARTITIONED BY (`accountid` string, `region` string, `resourcetype` string)" in ddl
    assert (
        "'org.openx.data.jsonserde.JsonSerDe'" in ddl
        and "LOCATION 's3://central-logs/ssm-inventory/AWS:PatchSummary/'" in ddl
    )
    assert f"'projection.accountid.values'='{ACCOUNT_A},{ACCOUNT_B}'" in ddl
    assert "'projection.region.values'='eu-west-1,us-east-1'" in ddl
    assert "'projection.resourcetype.values'='ManagedInstanceInventory'" in ddl
    assert (
        "'storage.location.template'='s3://central-logs/ssm-inventory/AWS:PatchSummary/"
        "accountid=${accountid}/region=${region}/resourcetype=${resourcetype}/'"
    ) in ddl


def test_every_documented_type_has_one_table_with_distinct_columns():
    statements = ssm_sync.all_athena_ddl("s3://b/", [ACCOUNT_A], ["eu-west-1"])
    assert len(statements) == len(ssm_sync.INVENTORY_TYPES) == len(ssm_sync.TABLES)
    for kind in ssm_sync.INVENTORY_TYPES.values():
        names = [c for _, c, _ in kind.columns] + list(ssm_sync.PARTITION_COLUMNS)
        assert len(names) == len(set(names)), kind.type_name
    info = ssm_sync.athena_ddl("AWS:InstanceInformation", "s3://b/", [ACCOUNT_A], ["eu-west-1"])
    assert "`node_resourcetype` string" in info and "'mapping.node_resourcetype'='resourcetype'" in info


@pytest.mark.parametrize(
    ("type_name", "location", "accounts"),
    [
        ("Custom:RackSpace", "s3://b/", [ACCOUNT_A]),
        ("AWS:Tag", "b/ssm", [ACCOUNT_A]),
        ("AWS:Tag", "s3://b/x'; DROP TABLE t; --", [ACCOUNT_A]),
        ("AWS:Tag", "s3://b/", []),
        ("AWS:Tag", "s3://b/", ["1234"]),
    ],
)
def test_athena_ddl_refuses_what_it_cannot_write_safely(type_name, location, accounts):
    with pytest.raises(ParameterError):
        ssm_sync.athena_ddl(type_name, location, accounts)


def test_ddl_command_prints_the_ssm_tables_when_given_the_sync(capsys):
    argv = ddl_argv(ACCOUNT_A, "eu-west-1")
    assert cli.main(argv) == 0
    assert "ssm_" not in capsys.readouterr().out
    assert (
        cli.main([*argv, "--ssm-sync", "s3://central-logs/ssm-inventory/", "--athena-database", "sec"]) == 0
    )
    out = capsys.readouterr().out
    assert out.count("CREATE EXTERNAL TABLE") == 2 + len(
        ssm_sync.INVENTORY_TYPES
    )  # the trail, its Insights, each type
    assert (
        "`sec`.`ssm_complianceitem`" in out and "s3://central-logs/ssm-inventory/AWS:ComplianceItem/" in out
    )
