"""The Athena tables of ``vpcflow`` and ``dnsquery``: they parse with sqlglot's Athena dialect, project the
partitions the local engine reads, and ``orginsight ddl`` prints them."""

import pytest
import sqlglot
from sqlglot import exp

from orginsight import cli
from orginsight.sources.network import dnslogs, flowlogs
from orginsight.sources.network.ddl import dnsquery_ddl, vpcflow_ddl

ACCOUNTS = ["222233334444", "111122223333"]
V5 = [
    "version",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "start",
    "end",
    "type",
    "packets",
    "bytes",
    "account-id",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "interface-id",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "action",
    "tcp-flags",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "traffic-path",
    "flow-direction",
    "log-status",
]


def parsed(ddl: str) -> tuple[exp.Create, list[tuple[str, str]], dict[str, str], list[str]]:
    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
    schema = tree.this
    cols = [
        (c.name, c.args["kind"].sql("athena")) for c in schema.expressions if isinstance(c, exp.ColumnDef)
    ]
    props = {
        p.name: p.args["value"].name for p in tree.find_all(exp.Property) if p.args.get("value") is not None
    }
    parts = [c.name for p in tree.find_all(exp.PartitionedByProperty) for c in p.find_all(exp.ColumnDef)]
    return tree, cols, props, parts


def test_default_text_table_has_the_version_2_columns_in_format_order():
    _, cols, props, parts = parsed(vpcflow_ddl("s3://archive/prefix", ACCOUNTS, ["us-east-1", "eu-west-1"]))
    assert [c for c, _ in cols] == [flowlogs.column_of(f) for f in flowlogs.DEFAULT_FORMAT]
    assert (
        dict(cols)["srcport"] == "INTEGER"
        and dict(cols)["bytes"] == "BIGINT"
        and dict(cols)["end"] == "BIGINT"
    )
    assert parts == ["account", "region", "timestamp"]
    assert props["skip.header.line.count"] == "1" and props["serialization.null.format"] == "-"
    assert props["projection.account.values"] == "111122223333,222233334444"
    assert props["projection.region.values"] == "us-east-1,eu-west-1"
    assert props["projection.timestamp.format"] == "yyyy/MM/dd"
    assert props["storage.location.template"] == (
        "s3://archive/prefix/AWSLogs/${account}/vpcflowlogs/${region}/${timestamp}"
    )


def test_custom_text_table_follows_the_format_and_keeps_region_the_partition():
    _, cols, _, parts = parsed(vpcflow_ddl("archive", ACCOUNTS, ["ap-southeast-2"], fields=V5))
    names = [c for c, _ in cols]
    assert names[:3] == ["version", "srcaddr", "dstaddr"] and names[-1] == "log_status"
    assert "region" not in names and names[V5.index("region")] == "record_region" and "region" in parts
    assert dict(cols)["traffic_path"] == "INTEGER" and dict(cols)["tcp_flags"] == "INTEGER"


def test_parquet_table_reads_every_column_by_name():
    tree, cols, _, _ = parsed(
        vpcflow_ddl("s3://archive", ACCOUNTS, ["us-east-1"], parquet=True, database="sec")
    )
    assert [c for c, _ in cols] == list(flowlogs.FIELDS)
    assert "ParquetHiveSerDe" in tree.sql("athena") and "sec.vpcflow" in tree.sql("athena")


def test_dnsquery_table_has_aws_columns_and_projects_account_vpc_and_day():
    _, cols, props, parts = parsed(dnsquery_ddl("s3://archive", ACCOUNTS, ["vpc-0a1b2c3d4e5f60718"]))
    assert [c for c, _ in cols] == list(dnslogs.FIELDS)
    assert (
        dict(cols)["answers"].replace(" ", "").upper() == "ARRAY(ROW(RDATAVARCHAR,TYPEVARCHAR,CLASSVARCHAR))"
    )
    assert dict(cols)["srcids"].replace(" ", "").upper() == "ROW(INSTANCEVARCHAR,RESOLVER_ENDPOINTVARCHAR)"
    assert parts == ["account", "vpc", "timestamp"]
    assert props["storage.location.template"] == (
        "s3://archive/AWSLogs/${account}/vpcdnsquerylogs/${vpc}/${timestamp}"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: vpcflow_ddl("s3://a'b", ACCOUNTS, ["us-east-1"]),
        lambda: vpcflow_ddl("s3://archive", ["1234"], ["us-east-1"]),
        lambda: vpcflow_ddl("s3://archive", ACCOUNTS, ["us-east-1'"]),
        lambda: vpcflow_ddl("s3://archive", ACCOUNTS, ["us-east-1"], fields=["version", "x`y"]),
        lambda: dnsquery_ddl("s3://archive", ACCOUNTS, []),
    ],
)
def test_what_would_break_the_statement_is_refused(call):
    with pytest.raises(ValueError):
        call()


def test_ddl_command_prints_the_network_tables(capsys):
    argv = ["ddl", "--account", "111122223333", "--region", "us-east-1", "--athena-database", "sec"]
    assert (
        cli.main(
            [*argv, "--flow-logs", "s3://archive", "--dns-logs", "s3://archive", "--vpc", "vpc-0a1b2c3d"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "sec.vpcflow (" in out and "sec.dnsquery (" in out and "sec.cloudtrail (" not in out
    statements = [s for s in out.split(";") if s.strip()]
    assert [type(sqlglot.parse_one(s, read="athena")) for s in statements] == [exp.Create, exp.Create]
    assert cli.main([*argv, "--dns-logs", "s3://archive"]) == 2  # the VPC ids are needed
