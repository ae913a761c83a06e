"""CloudTrail Insights events: their key layout, lake import, the ``cloudtrail_insights`` table and its DDL.

Built on the AWS-written Insights events of the CloudTrail User Guide (awsdocs/aws-cloudtrail-user-guide
@ 56f54d9, trimmed copy in tests/data/real/cloudtrail-insights/awsdocs, CC BY-SA 4.0 / MIT-0).
"""

import gzip
import json
import shutil
import warnings
from datetime import datetime

import pytest
import sqlglot
from conftest import ddl_argv, read_records, real_data
from sqlglot import exp

from orginsight import cli
from orginsight.lake import Lake
from orginsight.sources import insights
from orginsight.sources.lake_import import import_files
from orginsight.sources.layout import (
    insight_key,
    iter_cloudtrail_files,
    iter_insight_folders,
    parse_cloudtrail_key,
    parse_insight_key,
)

AWSDOCS = real_data("cloudtrail-insights", "awsdocs")
RECORDS_FILE = AWSDOCS / "cloudtrail-log-file-examples_insights-records.json"
LOOKUP = AWSDOCS / "view-insights-events-cli_lookup-events-response.json"
ORG = "o-a1b2c3d4e5"
ACCOUNT = "123456789012"


def open_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _lake(tmp_path, records: list[dict], when: datetime = datetime(2019, 11, 14, 0, 50)):
    """A lake holding ``records`` as one Insights file, under the key CloudTrail gives it."""
    path = tmp_path / insight_key(ACCOUNT, "us-east-1", when, ORG, suffix="A" * 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    return path


def test_insight_keys_carry_partitions_and_are_never_trail_log_files():
    key = insight_key(ACCOUNT, "us-east-1", datetime(2019, 11, 14, 0, 55), ORG, suffix="S" * 16)
    assert key == (
        f"AWSLogs/{ORG}/{ACCOUNT}/CloudTrail-Insight/us-east-1/2019/11/14/"
        f"{ACCOUNT}_CloudTrail-Insight_us-east-1_20191114T0055Z_SSSSSSSSSSSSSSSS.json.gz"
    )
    got = parse_insight_key(key)
    assert (got["org"], got["account"], got["region"], got["dd"]) == (ORG, ACCOUNT, "us-east-1", "14")
    assert parse_cloudtrail_key(key) is None
    assert parse_insight_key(key.replace("CloudTrail-Insight", "CloudTrail")) is None


def test_walks_find_insights_only_under_their_folder(tmp_path):
    _lake(tmp_path, read_records(RECORDS_FILE))
    assert list(iter_cloudtrail_files(tmp_path)) == []
    folders = list(iter_insight_folders(tmp_path))
    assert [(d.account, d.region, str(d.day), len(d.names)) for d in folders] == [
        (ACCOUNT, "us-east-1", "2019-11-14", 1)
    ]


def test_import_places_insights_under_their_folder_and_trail_events_in_the_trail(tmp_path):
    trail = real_data("cloudtrail", "trailscraper")
    report = import_files([RECORDS_FILE, trail], tmp_path / "lake", org_id=ORG)
    assert report.records_placed == 2 + len(read_records(trail))
    placed = sorted(
        p.relative_to(tmp_path / "lake").as_posix() for p in (tmp_path / "lake").rglob("*.json.gz")
    )
    insight_files = [p for p in placed if parse_insight_key(p)]
    assert len(insight_files) == 1 and insight_files[0].startswith(
        f"AWSLogs/{ORG}/{ACCOUNT}/CloudTrail-Insight/"
    )
    with gzip.open(tmp_path / "lake" / insight_files[0]) as fh:
        assert [r["eventID"] for r in json.load(fh)["Records"]] == [
            r["eventID"] for r in read_records(RECORDS_FILE)
        ]
    trail_records = [
        r
        for f in iter_cloudtrail_files(tmp_path / "lake")
        for r in json.loads(gzip.decompress(open_bytes(f.path)))["Records"]
    ]
    assert trail_records and not any(insights.is_insight_record(r) for r in trail_records)


def test_the_table_reads_every_documented_field_of_the_real_events(tmp_path):
    events = json.loads(LOOKUP.read_text())["Events"]
    _lake(tmp_path, read_records(RECORDS_FILE) + events)
    df = Lake.local(tmp_path).sql(
        """SELECT eventid, eventtime, eventtype, eventcategory, sharedeventid, recipientaccountid,
                  insightdetails.state AS state, insightdetails.eventsource AS source,
                  insightdetails.insighttype AS kind,
                  insightdetails.insightcontext.statistics.baseline.average AS baseline,
                  insightdetails.insightcontext.statistics.insight.average AS insight,
                  insightdetails.insightcontext.statistics.baselineduration AS baseline_minutes,
                  cardinality(insightdetails.insightcontext.attributions) AS attributions,
                  account, region, "timestamp"
           FROM cloudtrail_insights ORDER BY eventtime"""
    )
    assert len(df) == 4
    assert set(df["eventtype"]) == {"AwsCloudTrailInsight"} and set(df["eventcategory"]) == {"Insight"}
    assert list(df["state"]) == ["Start", "End", "Start", "End"]
    assert set(df["kind"]) == {"ApiCallRateInsight"}
    first = df.iloc[0]  # the LookupEvents one, 2019-10-15
    assert (first["source"], first["insight"], first["baseline_minutes"], first["attributions"]) == (
        "autoscaling.amazonaws.com",
        0.6,
        11336,
        3,
    )
    assert df.iloc[2]["baseline"] == pytest.approx(85.4202380952)
    assert set(df["account"]) == {ACCOUNT} and set(df["timestamp"]) == {"2019/11/14"}


def test_attributions_read_as_athena_names_them(tmp_path):
    _lake(tmp_path, json.loads(LOOKUP.read_text())["Events"][:1])
    df = Lake.local(tmp_path).sql(
        "SELECT a.attribute, a.insight[1].value AS top FROM cloudtrail_insights "
        "CROSS JOIN UNNEST(insightdetails.insightcontext.attributions) AS t(a)"
    )
    assert dict(zip(df["attribute"], df["top"], strict=True)) == {
        "userIdentityArn": "arn:aws:sts::012345678901:assumed-role/CodeDeployRole1",
        "userAgent": "codedeploy.amazonaws.com",
        "errorCode": "null",
    }


def test_one_bad_file_is_reported_and_the_rest_read(tmp_path):
    good = _lake(tmp_path, read_records(RECORDS_FILE))
    bad = good.with_name(good.name.replace("AAAA", "BBBB"))
    bad.write_bytes(gzip.compress(b'{"Records": [{"eventTime": '))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = Lake.local(tmp_path).sql("SELECT count(*) AS n FROM cloudtrail_insights")
    assert df["n"][0] == 2
    assert [b["file"] for b in df.attrs["stats"]["bad_files"]] == [str(bad)]
    assert any("unreadable" in str(w.message) for w in caught)


def test_partition_predicates_prune_files(tmp_path):
    _lake(tmp_path, read_records(RECORDS_FILE))
    lake = Lake.local(tmp_path)
    kept = lake.sql("SELECT count(*) AS n FROM cloudtrail_insights WHERE account = :a", a=ACCOUNT)
    other = lake.sql("SELECT count(*) AS n FROM cloudtrail_insights WHERE \"timestamp\" >= '2020/01/01'")
    assert (kept["n"][0], kept.attrs["stats"]["files_read"]) == (2, 1)
    assert (other["n"][0], other.attrs["stats"]["files_read"]) == (0, 0)


def test_a_lake_without_insights_has_an_empty_table(tmp_path):
    shutil.copytree(real_data("cloudtrail", "trailscraper"), tmp_path / "in")
    import_files([tmp_path / "in"], tmp_path / "lake")
    assert Lake.local(tmp_path / "lake").sql("SELECT count(*) AS n FROM cloudtrail_insights")["n"][0] == 0


def test_athena_ddl_projects_the_insight_folder_with_the_documented_columns():
    ddl = insights.athena_ddl("trail", ORG, ["222233334444", "111122223333"], ["us-east-1"], database="sec")
    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
    assert "sec.cloudtrail_insights" in ddl
    props = {
        p.name: p.args["value"].name for p in tree.find_all(exp.Property) if p.args.get("value") is not None
    }
    assert props["projection.enabled"] == "true"
    assert props["projection.account.values"] == "111122223333,222233334444"
    assert props["storage.location.template"] == (
        f"s3://trail/AWSLogs/{ORG}/${{account}}/CloudTrail-Insight/${{region}}/${{timestamp}}"
    )
    cols = [c.name for c in tree.find_all(exp.ColumnDef)]
    assert cols[: len(insights.INSIGHT_FIELDS)] == [
        "eventversion",
        "eventtime",
        "awsregion",
        "eventid",
        "eventtype",
        "recipientaccountid",
        "sharedeventid",
        "insightdetails",
        "eventcategory",
    ]
    details = insights.ATHENA_TYPES["insightdetails"]
    for field in ("state: STRING", "insighttype: STRING", "insightduration: BIGINT", "attribute: STRING"):
        assert field in details
    with pytest.raises(ValueError):
        insights.athena_ddl("trail", ORG, [], ["us-east-1"])


def test_ddl_command_prints_the_insights_table_after_the_trail(capsys):
    argv = ddl_argv(ACCOUNT, "us-east-1")
    assert cli.main([*argv, "--athena-database", "sec"]) == 0
    out = capsys.readouterr().out
    assert out.index("sec.cloudtrail (") < out.index("sec.cloudtrail_insights (")
    assert "/CloudTrail-Insight/${region}/${timestamp}'" in out
