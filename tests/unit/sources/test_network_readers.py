"""``vpcflow`` and ``dnsquery`` on the local engine, read from AWS-written flow-log and resolver-log records.

Records: tests/data/real/vpcflow (awsdocs/amazon-vpc-user-guide @ 06e98d9) and tests/data/real/dnsquery
(awsdocs/amazon-route53-docs @ 7690da8), CC BY-SA 4.0 / MIT-0; see their SOURCE.md.
"""

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import real_data

from orginsight.lake import Lake
from orginsight.sources.network import dnslogs, flowlogs
from orginsight.sources.network.layout import iter_network_files

FLOW = real_data("vpcflow")
DNS = real_data("dnsquery") / "resolver-query-log-example.log"

PLACES = {
    # file: (account, region, day) as its records say (account-id; start in UTC)
    "default-v2.log": ("123456789010", "us-east-1", "2014/12/14"),
    "custom-v3-tcp-flags.log": ("123456789010", "eu-west-1", "2019/08/26"),
    "custom-v3-transit-gateway.log": ("123456789010", "eu-west-1", "2019/08/27"),
    "custom-v5-traffic-path.log": ("123456789012", "ap-southeast-2", "2021/03/26"),
}


def flow_file(root: Path, name: str, body: bytes | None = None, hive: bool = False) -> Path:
    account, region, day = PLACES[name]
    y, m, d = day.split("/")
    if hive:
        folder = f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={y}/month={m}/day={d}"
    else:
        folder = f"AWSLogs/{account}/vpcflowlogs/{region}/{day}"
    path = (
        root
        / folder
        / f"{account}_vpcflowlogs_{region}_fl-0123456789abcdef0_{y}{m}{d}T0000Z_{name[:6]}.log.gz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress((FLOW / name).read_bytes() if body is None else body))
    return path


def flow_lake(root: Path) -> Lake:
    for name in PLACES:
        flow_file(root, name)
    return Lake.local(root)


def dns_file(root: Path, body: bytes | None = None, day: str = "2021/02/04") -> Path:
    path = (
        root
        / f"AWSLogs/111122223333/vpcdnsquerylogs/vpc-7example/{day}/111122223333_vpcdnsquerylogs_x.log.gz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(DNS.read_bytes() if body is None else body))
    return path


def test_default_format_reads_every_version_2_field_and_dash_is_null(tmp_path):
    df = flow_lake(tmp_path).sql(
        "SELECT * FROM vpcflow WHERE region = 'us-east-1' ORDER BY start, action, log_status"
    )
    assert len(df) == 7
    ssh = df[(df["dstport"] == 22) & (df["srcaddr"] == "172.31.16.139")].iloc[0]
    assert (ssh["version"], ssh["account_id"], ssh["interface_id"], ssh["dstaddr"], ssh["srcport"]) == (
        2,
        "123456789010",
        "eni-1235b8ca123456789",
        "172.31.16.21",
        20641,
    )
    assert (ssh["protocol"], ssh["packets"], ssh["bytes"], ssh["start"], ssh["end"]) == (
        6,
        20,
        4249,
        1418530010,
        1418530070,
    )
    nodata = df[df["log_status"] == "NODATA"].iloc[0]
    assert pd.isna(nodata["srcaddr"]) and pd.isna(nodata["action"]) and nodata["start"] == 1431280876
    # fields the default format lacks are NULL, never a shifted value
    assert df["vpc_id"].isna().all() and df["tcp_flags"].isna().all() and df["flow_direction"].isna().all()
    assert set(df["log_status"]) == {"OK", "NODATA", "SKIPDATA"}
    assert "2001:db8:1234:a100:8d6e:3477:df66:f105" in set(df["srcaddr"])


def test_custom_formats_are_read_by_their_header_not_by_position(tmp_path):
    df = flow_lake(tmp_path).sql(
        "SELECT version, vpc_id, instance_id, interface_id, srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr, "
        "protocol, bytes, packets, tcp_flags, type, az_id, traffic_path, flow_direction, pkt_src_aws_service, "
        'pkt_dst_aws_service, sublocation_type, account, region, "timestamp" FROM vpcflow WHERE version >= 3'
    )
    assert len(df) == 7 + 4 + 2
    # TCP flag section: bytes comes before packets in that format; read by name they stay apart
    big = df[df["bytes"] == 23294588].iloc[0]
    assert (big["packets"], big["tcp_flags"], big["type"]) == (15774, 1, "IPv4")
    # transit gateway: a requester-managed interface has no instance ('-'), and pkt-srcaddr differs
    tgw = df[df["interface_id"] == "eni-11111111111111111"].iloc[0]
    assert pd.isna(tgw["instance_id"]) and (tgw["srcaddr"], tgw["pkt_srcaddr"]) == (
        "10.40.1.175",
        "10.20.33.164",
    )
    v5 = df[df["version"] == 5].set_index("flow_direction")
    assert v5.loc["egress", "traffic_path"] == 8 and pd.isna(v5.loc["ingress", "traffic_path"])
    assert (v5.loc["egress", "pkt_dst_aws_service"], v5.loc["ingress", "pkt_src_aws_service"]) == ("S3", "S3")
    assert v5.loc["egress", "az_id"] == "apse2-az3" and pd.isna(v5.loc["egress", "sublocation_type"])
    assert set(v5["region"]) == {"ap-southeast-2"} and set(v5["account"]) == {"123456789012"}
    assert df[df["version"] == 3]["az_id"].isna().all()


def test_partition_predicates_read_only_their_files(tmp_path):
    lake = flow_lake(tmp_path)
    one = lake.sql(
        "SELECT count(*) AS n FROM vpcflow WHERE account = '123456789010' AND \"timestamp\" = '2019/08/26'"
    )
    assert (one["n"][0], one.attrs["stats"]["files_read"]) == (7, 1)
    region = lake.sql("SELECT count(*) AS n FROM vpcflow WHERE region = 'ap-southeast-2'")
    assert (region["n"][0], region.attrs["stats"]["files_read"]) == (2, 1)
    everything = lake.sql("SELECT count(*) AS n FROM vpcflow")
    assert (everything["n"][0], everything.attrs["stats"]["files_read"]) == (20, 4)


def test_hive_compatible_and_hourly_prefixes_are_walked(tmp_path):
    flow_file(tmp_path, "custom-v5-traffic-path.log", hive=True)
    hourly = flow_file(tmp_path, "default-v2.log")
    moved = hourly.parent / "13" / hourly.name
    moved.parent.mkdir()
    hourly.rename(moved)
    df = Lake.local(tmp_path).sql(
        'SELECT account, region, "timestamp", count(*) AS n FROM vpcflow GROUP BY 1, 2, 3'
    )
    got = {(r.account, r.region, r.timestamp): r.n for r in df.itertuples()}
    assert got == {
        ("123456789012", "ap-southeast-2", "2021/03/26"): 2,
        ("123456789010", "us-east-1", "2014/12/14"): 7,
    }


def test_bad_flow_log_files_are_reported_and_the_rest_read(tmp_path):
    lake = flow_lake(tmp_path)
    good = next(tmp_path.rglob("*_custom.log.gz"))
    no_header = good.with_name("no-header.log.gz")
    no_header.write_bytes(gzip.compress(b"2 123456789010 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1 2 ACCEPT OK\n"))
    truncated = good.with_name("truncated.log.gz")
    truncated.write_bytes(gzip.compress((FLOW / "default-v2.log").read_bytes() * 50)[:-40])
    hostile = good.with_name("hostile.log.gz")
    hostile.write_bytes(gzip.compress(b"version \"'; DROP TABLE x; --\n2 x\n"))
    with pytest.warns(UserWarning, match="3 unreadable"):
        df = lake.sql("SELECT count(*) AS n FROM vpcflow")
    assert df["n"][0] == 20
    bad = {Path(b["file"]).name: b["error"] for b in df.attrs["stats"]["bad_files"]}
    assert set(bad) == {"no-header.log.gz", "truncated.log.gz", "hostile.log.gz"}
    assert "header" in bad["no-header.log.gz"] and "gzip" in bad["truncated.log.gz"]


def test_header_fields_accepts_any_documented_order_and_refuses_records():
    assert flowlogs.header_fields(b"version account-id interface-id\n") == (
        "version",
        "account-id",
        "interface-id",
    )
    assert isinstance(flowlogs.header_fields(b"2 123456789010 eni-1 ACCEPT OK\n"), str)
    assert isinstance(flowlogs.header_fields(b"foo bar\n"), str)  # no flow-log field at all
    assert isinstance(flowlogs.header_fields(b"version version\n"), str)
    assert flowlogs.column_of("${pkt-src-aws-service}") == "pkt_src_aws_service"


def test_parquet_flow_logs_are_read_by_column_name(tmp_path):
    lines = (FLOW / "custom-v5-traffic-path.log").read_text().splitlines()
    header, rows = lines[0].split(" "), [line.split(" ") for line in lines[1:]]
    columns = {
        flowlogs.column_of(h): [None if r[i] == "-" else r[i] for r in rows] for i, h in enumerate(header)
    }
    ints = {"version", "srcport", "dstport", "tcp_flags", "traffic_path"}
    longs = {"protocol", "packets", "bytes", "start", "end"}
    table = pa.table(
        {
            c: pa.array(
                [None if v is None else int(v) for v in vals], pa.int32() if c in ints else pa.int64()
            )
            if c in ints | longs
            else pa.array(vals, pa.string())
            for c, vals in columns.items()
        }
    )
    folder = tmp_path / "AWSLogs/123456789012/vpcflowlogs/ap-southeast-2/2021/03/26"
    folder.mkdir(parents=True)
    pq.write_table(
        table, folder / "123456789012_vpcflowlogs_ap-southeast-2_fl-1_20210326T0305Z_ab.log.parquet"
    )
    (folder / "broken.log.parquet").write_bytes(b"PAR1 not really")
    with pytest.warns(UserWarning, match="1 unreadable"):
        df = Lake.local(tmp_path).sql(
            "SELECT bytes, traffic_path, flow_direction, region FROM vpcflow ORDER BY bytes"
        )
    assert list(df["bytes"]) == [471, 15044] and list(df["flow_direction"]) == ["egress", "ingress"]
    assert df["traffic_path"].iloc[0] == 8 and set(df["region"]) == {"ap-southeast-2"}
    assert [Path(b["file"]).name for b in df.attrs["stats"]["bad_files"]] == ["broken.log.parquet"]


def test_resolver_log_reads_answers_and_srcids_as_athena_names_them(tmp_path):
    dns_file(tmp_path)
    df = Lake.local(tmp_path).sql(
        "SELECT query_name, query_type, rcode, answers[1].rdata AS rdata, answers[1].type AS atype, "
        "srcids.instance AS instance, srcids.resolver_endpoint AS endpoint, srcport, srcaddr, "
        'firewall_rule_action, region, vpc_id, account, vpc, "timestamp", '
        "from_iso8601_timestamp(query_timestamp) AS at FROM dnsquery"
    )
    row = df.iloc[0]
    assert (row["query_name"], row["query_type"], row["rcode"]) == (
        "15.3.4.32.in-addr.arpa.",
        "PTR",
        "NOERROR",
    )
    assert (row["rdata"], row["atype"], row["instance"]) == ("203.0.113.9", "PTR", "i-0d15cd0d3example")
    assert pd.isna(row["endpoint"]) and row["srcport"] == 56067 and row["firewall_rule_action"] == "BLOCK"
    assert (row["region"], row["account"], row["vpc"], row["timestamp"]) == (
        "us-east-1",
        "111122223333",
        "vpc-7example",
        "2021/02/04",
    )
    assert str(row["at"]).startswith("2021-02-04 17:51:55")


def test_resolver_logs_prune_by_account_and_day_and_leave_bad_files_out(tmp_path):
    dns_file(tmp_path)
    dns_file(tmp_path, day="2021/02/05")
    rec = json.loads(DNS.read_text())
    bad = dns_file(tmp_path, body=b"not json\n", day="2021/02/06")
    lake = Lake.local(tmp_path)
    one = lake.sql("SELECT count(*) AS n FROM dnsquery WHERE \"timestamp\" = '2021/02/05'")
    assert (one["n"][0], one.attrs["stats"]["files_read"]) == (1, 1)
    none = lake.sql("SELECT count(*) AS n FROM dnsquery WHERE account = '999999999999'")
    assert (none["n"][0], none.attrs["stats"]["files_read"]) == (0, 0)
    with pytest.warns(UserWarning, match="1 unreadable"):
        every = lake.sql("SELECT count(*) AS n FROM dnsquery")
    assert every["n"][0] == 2 and [b["file"] for b in every.attrs["stats"]["bad_files"]] == [str(bad)]
    assert dnslogs.is_query_record(rec) and not dnslogs.is_query_record({"query_name": "x."})


def test_lakes_without_network_logs_have_empty_tables(tmp_path):
    lake = Lake.local(tmp_path)
    assert lake.sql("SELECT count(*) AS n FROM vpcflow")["n"][0] == 0
    assert lake.sql("SELECT count(*) AS n FROM dnsquery WHERE srcids.instance = 'i-1'")["n"][0] == 0
    assert list(iter_network_files(tmp_path, "vpcflowlogs")) == []
