"""The entity graph and triage on real CloudTrail records (Invictus Stratus, MIT; OTRF Security-Datasets, MIT),
the trimmed copies in tests/data/real/cloudtrail.

OTRF's SDAWS-200914011940 (CloudGoat cloud_breach_s3): an EC2 reverse proxy leaks
its instance-role credentials, which are then used from outside AWS to list and
download an S3 bucket. The dataset strips eventTime, so its records sit on the
session's creation time or the file's day.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from orginsight.lake import Lake


@pytest.fixture(scope="module")
def lake(real_lake) -> Lake:
    return Lake.local(real_lake)


def test_graph_builds_on_real_records(lake: Lake) -> None:
    with pytest.warns(UserWarning, match="baseline"):
        g = lake.entity_graph(scope=(datetime(2020, 9, 1), datetime(2023, 8, 1)), baseline_days=30)
    kinds = set(g.entities["kind"])
    assert {
        "iam_user",
        "role_session",
        "iam_role",
        "access_key",
        "ip",
        "user_agent",
        "service",
        "resource",
        "account",
    } <= kinds
    assert g.edges["count"].sum() > 0 and (g.edges["count"] >= g.edges["successes"]).all()
    # Stratus' "steal EC2 instance credentials": ec2 delivered a session whose keys were used.
    chain = g.session_chain("service:ec2.amazonaws.com")
    assert chain["dst"].str.contains("stratus-red-team-ec2-steal-credentials-role").any()
    assert g.to_networkx().number_of_nodes() == len(g.entities)


def _stolen_instance_key(lake: Lake) -> str:
    """The instance-role key (ec2RoleDelivery set) used from a public address: the OTRF leak."""
    found = lake.sql("""
        SELECT DISTINCT useridentity.accesskeyid AS key FROM cloudtrail
        WHERE account = '123456789123' AND useridentity.sessioncontext.ec2roledelivery IS NOT NULL
          AND regexp_like(sourceipaddress, '^[0-9.]+$') AND eventsource = 's3.amazonaws.com'
    """)
    assert len(found) == 1, found
    return found["key"].iloc[0]


def test_triage_of_stolen_instance_credentials_shows_the_s3_exfiltration(lake: Lake) -> None:
    key = _stolen_instance_key(lake)
    t = lake.triage(key, since="2020-09-01", until="2020-10-01", baseline_days=14)
    apis = t.summary["apis"]
    assert apis["s3:GetObject"] >= 1 and apis["s3:ListBuckets"] >= 1
    gets = t.timeline[t.timeline["eventname"] == "GetObject"]
    assert gets["requestparameters"].str.contains("mordors3stack-s3bucket").all()
    # The session's own calls, and EC2's AssumeRole that issued the key to the instance.
    assert set(t.timeline["principal"]) == {
        "role_session:arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/"
        "i-0317f6c6b66ae9c40",
        "service:ec2.amazonaws.com",
    }
    issuing = t.timeline[t.timeline["principal"] == "service:ec2.amazonaws.com"]
    assert list(issuing["eventname"]) == ["AssumeRole"]
    bucket = "resource:arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a"
    assert bucket in t.graph
    # The key is new behaviour: first seen in the window, from an address never seen before.
    novel = t.summary["newly_observed"]
    assert ((novel["subject"] == f"access_key:{key}") & (novel["dimension"] == "ip")).any()
    # Where the key came from: EC2 delivered it to the instance-role session.
    g = t.full_graph
    issued = g.edges[(g.edges["kind"] == "issued") & (g.edges["dst"] == f"access_key:{key}")]
    assert issued["src"].str.contains("MordorNginxStack-BankingWAFRole").all() and len(issued) == 1


@pytest.mark.browser
def test_triage_command_writes_a_self_contained_page_and_pngs(real_lake, tmp_path) -> None:
    from orginsight.cli import main

    key = _stolen_instance_key(Lake.local(real_lake))
    out = tmp_path / "case"
    rc = main(
        [
            "triage",
            key,
            "--lake",
            str(real_lake),
            "--out",
            str(out),
            "--since",
            "2020-09-01",
            "--until",
            "2020-10-01",
            "--baseline-days",
            "14",
        ]
    )
    assert rc == 0
    page = (out / "triage.html").read_text()
    assert page.count("plotly.js v") == 1  # plotly.js inlined once, no CDN
    assert (
        '<script src="https://cdn.plot.ly' not in page
        and "GetObject" in page
        and "Where the credentials came from" in page
    )
    for name in ("timeline", "volume", "graph"):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
