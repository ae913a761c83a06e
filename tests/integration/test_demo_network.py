"""The demo's VPC Flow Logs and Route 53 Resolver query logs: AWS's formats and key layouts, the planted
crypto-mining story as ``scenario.json`` tells it, a background without it, and the same bytes for a seed.

Formats: Amazon VPC User Guide ("Flow log records": the default format and the available fields) and the
Route 53 Developer Guide ("Values that appear in VPC Resolver query logs"); GuardDuty finding shapes from
the real samples in tests/data/real/guardduty (mozilla foxsec-pipeline, MPL-2.0).
"""

from __future__ import annotations

import calendar
import gzip
import hashlib
import json
import random
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import real_data

from orginsight import Lake
from orginsight.demo import generate_lake, load_scenario, scenario_lines
from orginsight.demo.incidents import plant_incidents
from orginsight.demo.mining import plant_mining
from orginsight.demo.mining_findings import guardduty_findings
from orginsight.demo.network import write_network_logs
from orginsight.demo.org import build_organization
from orginsight.sources.layout import GUARDDUTY_KEY, iter_cloudtrail_files
from orginsight.sources.network.flowlogs import DEFAULT_FORMAT

END = datetime(2026, 11, 27)
DOCUMENTED_FIELDS = {
    2: set(DEFAULT_FORMAT),
    3: {"vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr"},
    4: {"region", "az-id", "sublocation-type", "sublocation-id"},
    5: {"pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path"},
}
"""The fields each flow log version added (VPC User Guide, "Available fields")."""
FLOW_KEY = re.compile(
    r"AWSLogs/(?P<account>\d{12})/vpcflowlogs/(?P<region>[a-z]{2}-[a-z]+-\d)/(?P<day>\d{4}/\d\d/\d\d)/"
    r"(?P=account)_vpcflowlogs_(?P=region)_fl-[0-9a-f]{17}_(?P<stamp>\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.gz"
)
DNS_KEY = re.compile(
    r"AWSLogs/(?P<account>\d{12})/vpcdnsquerylogs/(?P<vpc>vpc-[0-9a-f]{17})/(?P<day>\d{4}/\d\d/\d\d)/"
    r"(?P=vpc)_vpcdnsquerylogs_(?P=account)_(?P<stamp>\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.gz"
)
RESOLVER_KEYS = {
    "version", "account_id", "region", "vpc_id", "query_timestamp", "query_name", "query_type", "query_class",
    "rcode", "answers", "srcaddr", "srcport", "transport", "srcids",
}  # fmt: skip
STRATUM_PORTS = {3333, 5555, 7777}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-network")
    generate_lake(
        root, accounts=6, days=4, events_per_day=300, seed=13, end=END, progress=False, processes=1,
        delivery_minutes=60,
    )  # fmt: skip
    return root


@pytest.fixture(scope="module")
def truth(lake: Path) -> dict:
    return json.loads((lake / "scenario.json").read_text())["network_incident"]


def _unix(text: str, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> int:
    """Unix seconds of a UTC time written as ``fmt``."""
    return calendar.timegm(datetime.strptime(text, fmt).timetuple())


def delivered(
    lake: Path, service: str, key_shape: re.Pattern[str]
) -> Iterator[tuple[re.Match, int, list[str]]]:
    """Each log file of ``service`` in the lake (in key order), its key checked against ``key_shape``: the
    key's parts, the unix start of its 5-minute window and its lines."""
    for p in sorted((lake / "AWSLogs").glob(f"*/{service}/**/*.log.gz")):
        key = str(p.relative_to(lake))
        m = key_shape.fullmatch(key)
        assert m, key
        yield m, _unix(m["stamp"], "%Y%m%dT%H%MZ"), gzip.decompress(p.read_bytes()).decode().splitlines()


@pytest.fixture(scope="module")
def flows(lake: Path) -> list[dict]:
    """Every flow record of the lake, by field name, with the key it came from."""
    out = []
    for m, t0, lines in delivered(lake, "vpcflowlogs", FLOW_KEY):
        key = m[0]
        header = lines[0].split(" ")
        assert header == DEFAULT_FORMAT or header[: len(DEFAULT_FORMAT)] == DEFAULT_FORMAT, key
        assert set(header) <= set().union(*DOCUMENTED_FIELDS.values())
        version = max(v for v, fields in DOCUMENTED_FIELDS.items() if fields & set(header))
        assert time.strftime("%Y/%m/%d", time.gmtime(t0)) == m["day"]
        for line in lines[1:]:
            values = line.split(" ")
            assert len(values) == len(header), (key, line)
            rec = dict(zip(header, values, strict=True))
            assert int(rec["version"]) == version and rec["account-id"] == m["account"]
            assert t0 <= int(rec["end"]) < t0 + 300 and int(rec["start"]) <= int(rec["end"])
            out.append({**rec, "_key": key, "_header": tuple(header)})
    return out


@pytest.fixture(scope="module")
def queries(lake: Path) -> list[dict]:
    out = []
    for m, t0, lines in delivered(lake, "vpcdnsquerylogs", DNS_KEY):
        for line in lines:
            q = json.loads(line)
            assert set(q) == RESOLVER_KEYS
            assert (q["account_id"], q["vpc_id"]) == (m["account"], m["vpc"])
            assert t0 <= _unix(q["query_timestamp"]) < t0 + 300
            assert q["query_name"].endswith(".") and q["rcode"] in {"NOERROR", "NXDOMAIN"}
            assert all(set(a) == {"Rdata", "Type", "Class"} for a in q["answers"])
            out.append(q)
    return out


def test_flow_logs_are_files_as_aws_delivers_them_in_both_formats(flows) -> None:
    headers = {r["_header"] for r in flows}
    assert tuple(DEFAULT_FORMAT) in headers  # some VPCs log the default format
    custom = [h for h in headers if h != tuple(DEFAULT_FORMAT)]
    assert custom and all(set(h) & DOCUMENTED_FIELDS[5] and set(h) & DOCUMENTED_FIELDS[3] for h in custom)
    assert {r["action"] for r in flows} == {"ACCEPT", "REJECT"} and {r["log-status"] for r in flows} == {"OK"}
    v5 = [r for r in flows if r["version"] == "5"]
    assert {r["flow-direction"] for r in v5} == {"ingress", "egress"}
    assert all(r["instance-id"] == "-" or r["instance-id"].startswith("i-") for r in v5)


def test_resolver_logs_answer_and_miss(queries) -> None:
    assert {q["rcode"] for q in queries} == {"NOERROR", "NXDOMAIN"}
    assert any(q["query_name"].endswith(".amazonaws.com.") for q in queries)
    assert all(q["answers"] for q in queries if q["rcode"] == "NOERROR")


def test_the_planted_flows_are_as_the_truth_says(flows, truth) -> None:
    mine = [r for r in flows if r["interface-id"] == truth["eni"]]
    assert mine and all(r["account-id"] == truth["account"] for r in mine)
    assert all(truth["region"] in r["_key"] and r["vpc-id"] == truth["vpc_id"] for r in mine)
    assert {r["instance-id"] for r in mine} == {truth["instance_id"]}
    out = [r for r in mine if r["srcaddr"] == truth["private_ip"]]
    assert {(r["dstaddr"], int(r["dstport"])) for r in out} == {
        (c["ip"], c["port"]) for c in truth["connections"]
    }
    assert {int(r["dstport"]) for r in out} == set(truth["ports"]) <= STRATUM_PORTS
    assert min(int(r["start"]) for r in mine) == _unix(truth["start"])
    assert max(int(r["end"]) for r in mine) == _unix(truth["end"])
    assert sum(int(r["bytes"]) for r in out) == truth["bytes_out"]
    assert sum(int(r["bytes"]) for r in mine) - truth["bytes_out"] == truth["bytes_in"]
    assert sum(int(r["packets"]) for r in out) == truth["packets_out"]
    # Long-lived and steady: a record each way every aggregation interval, small packets.
    for c in truth["connections"]:
        recs = sorted(
            int(r["start"]) for r in out if (r["dstaddr"], int(r["dstport"])) == (c["ip"], c["port"])
        )
        assert len(recs) > 20 and {b - a for a, b in zip(recs, recs[1:], strict=False)} == {600}
    assert all(int(r["bytes"]) / int(r["packets"]) < 300 for r in mine)


def test_the_planted_queries_resolve_the_pools(queries, truth) -> None:
    mine = [q for q in queries if q["srcids"] == {"instance": truth["instance_id"]}]
    assert {q["query_name"].rstrip(".") for q in mine} == set(truth["pool_domains"])
    assert all(q["srcaddr"] == truth["private_ip"] and q["vpc_id"] == truth["vpc_id"] for q in mine)
    assert {a["Rdata"] for q in mine for a in q["answers"]} == set(truth["pool_ips"])
    first = min(q["query_timestamp"] for q in mine)
    assert first < truth["start"] and len(mine) == truth["dns_queries"]


def test_the_background_neither_mines_nor_exfiltrates(flows, queries, truth) -> None:
    others = [r for r in flows if r["interface-id"] != truth["eni"]]
    pools = set(truth["pool_ips"])
    assert others and not [r for r in others if {r["srcaddr"], r["dstaddr"]} & pools]
    assert not [r for r in others if {int(r["srcport"]), int(r["dstport"])} & STRATUM_PORTS]
    assert max(int(r["bytes"]) for r in others) < 1_000_000
    names = {f"{d}." for d in truth["pool_domains"]}
    assert not [q for q in queries if q["query_name"] in names and q["srcaddr"] != truth["private_ip"]]
    assert max(len(q["query_name"]) for q in queries) < 60


def test_the_launch_and_the_instance_session_are_in_the_trail(lake, truth) -> None:
    ids = set(truth["cloudtrail_event_ids"])
    found = {}
    for f in iter_cloudtrail_files(lake):
        with gzip.open(f.path) as fh:
            found |= {r["eventID"]: r for r in json.load(fh)["Records"] if r["eventID"] in ids}
    assert set(found) == ids
    backdoor, ec2 = sorted(
        (r for r in found.values() if r["eventName"] == "AssumeRole"), key=lambda r: r["eventTime"]
    )
    by_name = {r["eventName"]: r for r in found.values()}
    # The outside account comes back through the backdoor role the leaked key's run created, and launches.
    assert backdoor["userIdentity"]["accountId"] == truth["launched_by"]["assumed_from_account"]
    assert backdoor["responseElements"]["assumedRoleUser"]["arn"] == truth["launched_by"]["arn"]
    run = by_name["RunInstances"]
    assert run["sourceIPAddress"] == truth["launched_by"]["source_ip"]
    assert run["userIdentity"]["arn"] == truth["launched_by"]["arn"]
    assert run["userIdentity"]["accessKeyId"] == truth["launched_by"]["access_key_id"]
    item = run["responseElements"]["instancesSet"]["items"][0]
    assert (item["instanceId"], item["networkInterfaceSet"]["items"][0]["networkInterfaceId"]) == (
        truth["instance_id"],
        truth["eni"],
    )
    assume = ec2
    assert assume["userIdentity"] == {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    assert assume["requestParameters"]["roleSessionName"] == truth["instance_id"]
    assert assume["responseElements"]["assumedRoleUser"]["arn"] == truth["instance_session"]["arn"]
    call = by_name["GetCallerIdentity"]
    assert call["userIdentity"]["arn"] == truth["instance_session"]["arn"]
    assert call["sourceIPAddress"] == truth["public_ip"] and call["awsRegion"] == truth["region"]


def test_guardduty_reports_the_miner_shaped_like_real_findings(lake, truth) -> None:
    real: dict[str, dict] = {}
    for f in real_data("guardduty", "foxsec-eventbridge").glob("*.txt"):
        for line in f.read_text().splitlines():
            d = json.loads(line)["detail"]
            real.setdefault(d["service"]["action"]["actionType"], d)
    findings = {}
    for p in lake.rglob("*.jsonl.gz"):
        if GUARDDUTY_KEY.search(str(p.relative_to(lake))):
            for line in gzip.decompress(p.read_bytes()).decode().splitlines():
                d = json.loads(line)
                findings[d["id"]] = d  # the last publication of each
    ids = truth["guardduty_finding_ids"]
    assert set(ids) == {"CryptoCurrency:EC2/BitcoinTool.B!DNS", "CryptoCurrency:EC2/BitcoinTool.B"}
    for ftype, fid in ids.items():
        f = findings[fid]
        assert f["type"] == ftype and f["severity"] == 8
        assert (f["accountId"], f["region"]) == (truth["account"], truth["region"])
        details = f["resource"]["instanceDetails"]
        assert details["instanceId"] == truth["instance_id"]
        assert details["networkInterfaces"][0]["networkInterfaceId"] == truth["eni"]
        sample = real[f["service"]["action"]["actionType"]]
        assert set(f) <= set(sample) and set(details) <= set(sample["resource"]["instanceDetails"])
        action = f["service"]["action"]
        key = next(k for k in action if k != "actionType")
        assert set(action[key]) <= set(sample["service"]["action"][key]) | {"localIpDetails"}
    dns = findings[ids["CryptoCurrency:EC2/BitcoinTool.B!DNS"]]["service"]["action"]["dnsRequestAction"]
    assert dns["domain"] in truth["pool_domains"]
    net = findings[ids["CryptoCurrency:EC2/BitcoinTool.B"]]["service"]["action"]["networkConnectionAction"]
    assert net["remoteIpDetails"]["ipAddressV4"] in truth["pool_ips"]
    assert net["remotePortDetails"]["port"] in truth["ports"]


def test_the_summary_names_the_miner(lake, truth) -> None:
    text = "\n".join(scenario_lines(load_scenario(lake)))
    assert truth["instance_id"] in text and "pool.supportxmr.com" in text


def _network_tree(root: Path, seed: int) -> dict[str, str]:
    org = build_organization(random.Random(3), 6, END - timedelta(days=4), END)
    mining = plant_mining(org, seed, plant_incidents(org, seed))
    guardduty_findings(mining, seed)
    write_network_logs(root, org, seed, mining)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_network_logs_are_the_same_bytes_for_a_seed(tmp_path: Path) -> None:
    a = _network_tree(tmp_path / "a", 5)
    assert a and a == _network_tree(tmp_path / "b", 5)
    assert a != _network_tree(tmp_path / "c", 6)


def test_sql_over_the_network_tables_returns_the_planted_story(lake, truth) -> None:
    local = Lake.local(lake)
    df = local.sql(
        "SELECT dstaddr, dstport, count(*) n, sum(bytes) b FROM vpcflow "
        "WHERE account = :account AND interface_id = :eni AND srcaddr = :ip GROUP BY 1, 2",
        account=truth["account"],
        eni=truth["eni"],
        ip=truth["private_ip"],
    )
    assert {(r.dstaddr, int(r.dstport)) for r in df.itertuples()} == {
        (c["ip"], c["port"]) for c in truth["connections"]
    }
    assert int(df["b"].sum()) == truth["bytes_out"]
    pools = local.sql(
        "SELECT DISTINCT srcids.instance AS instance, query_name FROM dnsquery WHERE query_name IN :names",
        names=[f"{d}." for d in truth["pool_domains"]],
    )
    assert set(pools["instance"]) == {truth["instance_id"]}
    assert set(pools["query_name"]) == {f"{d}." for d in truth["pool_domains"]}
