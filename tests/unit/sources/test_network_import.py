"""``lake import`` of loose flow-log and resolver-log files: kind from content, place from the records.

Records: tests/data/real/vpcflow and tests/data/real/dnsquery (AWS-written; see their SOURCE.md).
"""

import gzip
import json

from conftest import real_data

from orginsight.lake import Lake
from orginsight.sources.lake_import import import_files
from orginsight.sources.network.layout import iter_network_files
from orginsight.sources.network.placement import kind_of

V5 = real_data("vpcflow") / "custom-v5-traffic-path.log"
V2 = real_data("vpcflow") / "default-v2.log"
DNS = real_data("dnsquery") / "resolver-query-log-example.log"


def test_kind_comes_from_the_first_line():
    assert kind_of(V5.read_text()) == "vpcflow"
    assert kind_of(DNS.read_text()) == "dnsquery"
    assert kind_of('{"Records": [{"eventTime": "2024-01-01T00:00:00Z"}]}') is None
    assert kind_of("hello world\n") is None


def test_files_named_anything_land_where_their_records_say(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    # names that lie: the records decide account, region / VPC and day
    (inbox / "AWSLogs_999999999999_vpcflowlogs_us-west-2_2030.log.gz").write_bytes(
        gzip.compress(V5.read_bytes())
    )
    (inbox / "dns.txt").write_bytes(DNS.read_bytes())
    report = import_files([inbox], tmp_path / "lake")
    assert (report.records_read, report.records_placed, report.files_written) == (3, 3, 2), report.summary()
    flow = list(iter_network_files(tmp_path / "lake", "vpcflowlogs"))
    assert [(f.account, f.place, f.timestamp) for f in flow] == [
        ("123456789012", "ap-southeast-2", "2021/03/26")
    ]
    dns = list(iter_network_files(tmp_path / "lake", "vpcdnsquerylogs", by_region=False))
    assert [(f.account, f.place, f.timestamp) for f in dns] == [
        ("111122223333", "vpc-7example", "2021/02/04")
    ]
    lake = Lake.local(tmp_path / "lake")
    assert lake.sql("SELECT count(*) AS n FROM vpcflow WHERE region = 'ap-southeast-2'")["n"][0] == 2
    assert lake.sql("SELECT srcids.instance AS i FROM dnsquery")["i"][0] == "i-0d15cd0d3example"
    again = import_files([inbox], tmp_path / "lake")
    assert (again.records_placed, again.records_already_in_lake, again.files_written) == (0, 3, 0)


def test_records_that_cannot_say_where_they_belong_are_reported(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "v2.log").write_bytes(V2.read_bytes())  # the default format has no region field
    rec = json.loads(DNS.read_text())
    bad = [{**rec, "vpc_id": "../../etc"}, {**rec, "account_id": "12"}, {**rec, "query_timestamp": "soon"}]
    (inbox / "dns.log").write_text("\n".join(json.dumps(r) for r in [rec, *bad]) + "\n")
    lines = V5.read_text().splitlines()
    (inbox / "v5.log").write_text("\n".join([lines[0], lines[1], lines[2] + " extra"]) + "\n")
    report = import_files([inbox], tmp_path / "lake")
    assert report.records_placed == 2 and report.records_failed == 7 + 3 + 1
    reasons = " | ".join(f.reason for f in report.failures)
    assert "without region" in reasons and "vpc_id" in reasons and "fields where the header names" in reasons
    assert not list((tmp_path / "lake").rglob("etc"))
