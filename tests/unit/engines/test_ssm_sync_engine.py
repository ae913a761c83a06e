"""The SSM resource data sync's ssm_* tables on the local engine, like the trail: SQL over a small sync tree.

The tree is written with ``ssm_sync.sync_files`` in the documented layout (AWS Systems Manager User Guide,
"Walkthrough: Using resource data sync to aggregate inventory data": ``<type>/accountid=/region=/
resourcetype=ManagedInstanceInventory/<node>.json``, JSON lines; attribute names from "Metadata collected by
inventory"); tests/unit/sources/test_ssm_sync.py checks those files byte for byte against literal lines.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from orginsight import Lake
from orginsight.engines.connection import locked_connection, readable_dirs
from orginsight.sources import ssm_sync

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"
WEB = "i-0123456789abcdef0"
DB = "i-0fedcba9876543210"
ONPREM = "mi-0123456789abcdef0"
CAPTURED = "2024-05-01T10:01:44Z"

NODES = [  # (account, region, node, platform, missing, critical)
    (ACCOUNT_A, "eu-west-1", WEB, "Amazon Linux", "3", "1"),
    (ACCOUNT_A, "us-east-1", DB, "Ubuntu", "0", "0"),
    (ACCOUNT_B, "eu-west-1", ONPREM, "Microsoft Windows Server 2022 Datacenter", "12", "4"),
]


def write(root, type_name: str, rows: list[dict]) -> list[str]:
    paths = []
    for key, body in ssm_sync.sync_files(type_name, rows, prefix="ssm-inventory").items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        paths.append(str(path))
    return paths


@pytest.fixture
def sync_lake(tmp_path):
    base = {"captureTime": CAPTURED}
    write(
        tmp_path,
        "AWS:InstanceInformation",
        [
            {
                "accountid": a,
                "region": r,
                "resourceId": n,
                "InstanceId": n,
                "PlatformName": p,
                "ResourceType": t,
                **base,
            }
            for a, r, n, p, _, _ in NODES
            for t in ["ManagedInstance" if n.startswith("mi-") else "EC2Instance"]
        ],
    )
    write(
        tmp_path,
        "AWS:PatchSummary",
        [
            {
                "accountid": a,
                "region": r,
                "resourceId": n,
                "MissingCount": m,
                "CriticalNonCompliantCount": c,
                "OperationEndTime": CAPTURED,
                **base,
            }
            for a, r, n, _, m, c in NODES
        ],
    )
    corrupt = tmp_path / f"ssm-inventory/AWS:PatchSummary/accountid={ACCOUNT_B}/region=us-east-1"
    corrupt = corrupt / "resourcetype=ManagedInstanceInventory" / "i-0aaaaaaaaaaaaaaaa.json"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"MissingCount":"99","resourceId":"i-0aaaaaaaaaaaaaaaa","captu')
    return tmp_path, str(corrupt)


NON_COMPLIANT = """
SELECT i.accountid, i.region, i.instanceid, i.platformname, i.node_resourcetype, p.missingcount
FROM ssm_instanceinformation i
JOIN ssm_patchsummary p ON p.resourceid = i.resourceid AND p.accountid = i.accountid
WHERE p.missingcount > 0
ORDER BY p.missingcount DESC
"""


def test_sql_joins_ssm_tables_and_reports_the_corrupt_file(sync_lake):
    root, corrupt = sync_lake
    with pytest.warns(UserWarning, match="1 unreadable file"):
        df = Lake.local(root).sql(NON_COMPLIANT)
    assert df.values.tolist() == [
        [ACCOUNT_B, "eu-west-1", ONPREM, "Microsoft Windows Server 2022 Datacenter", "ManagedInstance", 12],
        [ACCOUNT_A, "eu-west-1", WEB, "Amazon Linux", "EC2Instance", 3],
    ]
    bad = df.attrs["stats"]["bad_files"]
    assert [b["file"] for b in bad] == [corrupt] and "not JSON" in bad[0]["error"]


def test_the_view_and_the_python_reader_give_the_same_rows(sync_lake):
    root, _ = sync_lake
    with pytest.warns(UserWarning):
        by_sql = Lake.local(root).sql("SELECT * FROM ssm_patchsummary ORDER BY resourceid")
    by_python, errors = ssm_sync.read_inventory(root, "AWS:PatchSummary")
    by_python = by_python.sort_values("resourceid").reset_index(drop=True)
    assert list(by_sql.columns) == list(by_python.columns)
    assert by_sql.astype(str).values.tolist() == by_python.astype(str).values.tolist()
    assert len(errors) == 1


def test_a_filter_on_account_and_region_reads_only_those_partitions(sync_lake):
    root, _ = sync_lake
    with pytest.warns(UserWarning):
        df = Lake.local(root).sql(
            "SELECT resourceid FROM ssm_patchsummary WHERE accountid = :a AND region = :r",
            a=ACCOUNT_A,
            r="eu-west-1",
        )
    assert df["resourceid"].tolist() == [WEB]
    # DuckDB decides the Hive partitions of the view's files before reading them: 1 of the 3 good files.
    good, _ = ssm_sync.good_files(ssm_sync.find_files(root, ["AWS:PatchSummary"]))
    con = locked_connection(readable_dirs(root))
    view = ssm_sync.view_sql(
        ssm_sync.INVENTORY_TYPES["AWS:PatchSummary"], [f.path for f in good["AWS:PatchSummary"]]
    )
    plan = con.execute(
        f"EXPLAIN ANALYZE SELECT resourceid FROM ({view}) WHERE accountid = '{ACCOUNT_A}' AND region = 'eu-west-1'"
    ).fetchall()[0][1]
    assert "Scanning Files: 1/3" in plan


def test_a_hostile_partition_value_is_reported_and_its_file_never_read(sync_lake):
    root, corrupt = sync_lake
    hostile = root / "ssm-inventory/AWS:PatchSummary/accountid=1111' OR '1'='1/region=eu-west-1"
    hostile = hostile / "resourcetype=ManagedInstanceInventory" / "i-0bbbbbbbbbbbbbbbb.json"
    hostile.parent.mkdir(parents=True)
    hostile.write_text(
        f'{{"MissingCount":"1000","resourceId":"i-0bbbbbbbbbbbbbbbb","captureTime":"{CAPTURED}"}}\n'
    )
    with pytest.warns(UserWarning, match="2 unreadable file"):
        df = Lake.local(root).sql(
            "SELECT accountid, sum(missingcount) AS missing FROM ssm_patchsummary GROUP BY 1"
        )
    assert dict(df.values.tolist()) == {ACCOUNT_A: 3, ACCOUNT_B: 12}
    reported = {b["file"] for b in df.attrs["stats"]["bad_files"]}
    assert reported == {corrupt, str(hostile.parents[2])}


def test_a_table_with_no_file_in_the_lake_is_empty_with_its_columns(tmp_path):
    df = Lake.local(tmp_path).sql("SELECT resourceid, key, value, accountid FROM ssm_tag")
    assert df.empty and list(df.columns) == ["resourceid", "key", "value", "accountid"]


def test_only_the_ssm_tables_a_query_names_become_views(sync_lake):
    tree = exp.select("*").from_("ssm_patchsummary").join("cloudtrail", on="true")
    assert ssm_sync.referenced_tables(tree) == {"ssm_patchsummary"}
    views = ssm_sync.local_views(sync_lake[0], {"ssm_patchsummary", "ssm_nosuchtype", "cloudtrail"})
    assert set(views.views) == {"ssm_patchsummary"}
