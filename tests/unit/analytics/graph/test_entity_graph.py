"""The entity graph and triage on a small hand-written organization trail.

Three accounts: a CI user's long-term key in A is used from a new IP and client,
assumes a role in B, whose session assumes a role in C, which reads a bucket.
An unrelated developer works in A the whole time. Records follow CloudTrail's
documented shapes (userIdentity, responseElements.assumedRoleUser/credentials).
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta

import pandas as pd
import pytest
from conftest import assumed_role_identity

from orginsight.analytics.graph.model import EDGE_COLUMNS
from orginsight.lake import Lake
from orginsight.sources.findings import normalize_findings
from orginsight.sources.lake_import import import_files

A, B, C = "111111111111", "222222222222", "333333333333"
CI_KEY = "AKIAAAAAAAAAAAAACI01"
DEV_KEY = "AKIAAAAAAAAAAAAADEV1"
B_KEY, C_KEY = "ASIABBBBBBBBBBBBBB01", "ASIACCCCCCCCCCCCCC01"
HOME_IP, HOME_UA = "198.51.100.7", "terraform/1.5.7"
EVIL_IP, EVIL_UA = "5.188.10.4", "aws-cli/1.29.62 Linux/6.5.0-kali3-amd64"
SCOPE = (datetime(2024, 6, 20), datetime(2024, 6, 21))
B_SESSION = f"arn:aws:sts::{B}:assumed-role/Deployer/ci-run"
C_SESSION = f"arn:aws:sts::{C}:assumed-role/Admin/hop"


def _t(day: int, hour: int, minute: int = 0) -> str:
    return f"2024-06-{day:02d}T{hour:02d}:{minute:02d}:00Z"


def _user(account: str, name: str, key: str) -> dict:
    return {
        "type": "IAMUser",
        "principalId": "AIDA" + name.upper(),
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "accessKeyId": key,
        "userName": name,
    }


def _session(arn: str, key: str) -> dict:
    return assumed_role_identity(arn, key, "2024-06-20T10:00:00Z", role_id="AROAX")


def _event(
    eid: str,
    when: str,
    who: dict,
    account: str,
    source: str,
    name: str,
    ip: str,
    ua: str,
    request: dict | None = None,
    response: dict | None = None,
    error: str | None = None,
    resources: list | None = None,
) -> dict:
    rec = {
        "eventVersion": "1.08",
        "userIdentity": who,
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": ua,
        "requestParameters": request,
        "responseElements": response,
        "requestID": eid,
        "eventID": eid,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if error:
        rec["errorCode"] = error
    if resources:
        rec["resources"] = resources
    return rec


def _assume(
    eid: str, when: str, who: dict, account: str, role_arn: str, session: str, new_key: str, ip: str, ua: str
) -> dict:
    role_account = role_arn.split(":")[4]
    role = role_arn.rsplit("/", 1)[1]
    return _event(
        eid,
        when,
        who,
        account,
        "sts.amazonaws.com",
        "AssumeRole",
        ip,
        ua,
        request={"roleArn": role_arn, "roleSessionName": session},
        response={
            "credentials": {"accessKeyId": new_key, "expiration": "Jun 20, 2024, 12:00:00 PM"},
            "assumedRoleUser": {
                "assumedRoleId": "AROAX:" + session,
                "arn": f"arn:aws:sts::{role_account}:assumed-role/{role}/{session}",
            },
        },
        resources=[{"ARN": role_arn, "accountId": role_account, "type": "AWS::IAM::Role"}],
    )


def records() -> tuple[list[dict], list[str], list[str]]:
    """(all records, the incident's event ids, the developer's scope event ids)."""
    ci, dev = _user(A, "ci", CI_KEY), _user(A, "dev", DEV_KEY)
    recs: list[dict] = []
    for day in range(1, 20):  # a baseline of 19 days
        recs.append(
            _event(f"base-ci-{day}", _t(day, 9), ci, A, "s3.amazonaws.com", "ListBuckets", HOME_IP, HOME_UA)
        )
        recs.append(
            _event(
                f"base-dev-{day}",
                _t(day, 10),
                dev,
                A,
                "ec2.amazonaws.com",
                "DescribeInstances",
                "203.0.113.9",
                "Boto3/1.34",
            )
        )
    incident = [
        _event("inc-1", _t(20, 10, 1), ci, A, "sts.amazonaws.com", "GetCallerIdentity", EVIL_IP, EVIL_UA),
        _event(
            "inc-2",
            _t(20, 10, 2),
            ci,
            A,
            "iam.amazonaws.com",
            "ListRoles",
            EVIL_IP,
            EVIL_UA,
            error="AccessDenied",
        ),
        _assume(
            "inc-3",
            _t(20, 10, 5),
            ci,
            B,
            f"arn:aws:iam::{B}:role/Deployer",
            "ci-run",
            B_KEY,
            EVIL_IP,
            EVIL_UA,
        ),
        _assume(
            "inc-4",
            _t(20, 10, 9),
            _session(B_SESSION, B_KEY),
            C,
            f"arn:aws:iam::{C}:role/Admin",
            "hop",
            C_KEY,
            EVIL_IP,
            EVIL_UA,
        ),
        _event(
            "inc-5",
            _t(20, 11, 15),
            _session(C_SESSION, C_KEY),
            C,
            "s3.amazonaws.com",
            "GetObject",
            EVIL_IP,
            EVIL_UA,
            request={"bucketName": "prod-secrets", "key": "db.env"},
            resources=[
                {"ARN": "arn:aws:s3:::prod-secrets/db.env", "type": "AWS::S3::Object"},
                {"ARN": "arn:aws:s3:::prod-secrets", "accountId": C, "type": "AWS::S3::Bucket"},
            ],
        ),
    ]
    dev_scope = [
        _event(
            f"dev-{h}",
            _t(20, h),
            dev,
            A,
            "ec2.amazonaws.com",
            "DescribeInstances",
            "203.0.113.9",
            "Boto3/1.34",
        )
        for h in (9, 10, 11)
    ]
    recs += incident + dev_scope
    return recs, [r["eventID"] for r in incident], [r["eventID"] for r in dev_scope]


def _gd(fid: str, ftype: str, key: str, ip: str, account: str, first: str, last: str) -> dict:
    return {
        "id": fid,
        "type": ftype,
        "severity": 8.0,
        "accountId": account,
        "region": "us-east-1",
        "createdAt": first,
        "updatedAt": last,
        "title": ftype,
        "resource": {
            "resourceType": "AccessKey",
            "accessKeyDetails": {"accessKeyId": key, "userName": "x", "userType": "IAMUser"},
        },
        "service": {
            "eventFirstSeen": first,
            "eventLastSeen": last,
            "count": 1,
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": ip}},
            },
        },
    }


@pytest.fixture(scope="module")
def chain_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    recs, _, _ = records()
    src = tmp_path_factory.mktemp("chain-src") / "trail.json"
    src.write_text(json.dumps({"Records": recs}))
    root = tmp_path_factory.mktemp("chain-lake")
    report = import_files([src], root)
    assert not report.failures
    return Lake.local(root)


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return normalize_findings(
        [
            _gd(
                "f-key",
                "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
                CI_KEY,
                EVIL_IP,
                A,
                "2024-06-20T10:01:00Z",
                "2024-06-20T10:05:00Z",
            ),
            _gd(
                "f-prod",
                "Exfiltration:S3/AnomalousBehavior",
                C_KEY,
                EVIL_IP,
                C,
                "2024-06-20T11:15:00Z",
                "2024-06-20T11:15:00Z",
            ),
            _gd(
                "f-other",
                "Discovery:IAMUser/AnomalousBehavior",
                DEV_KEY,
                "203.0.113.9",
                A,
                "2024-06-20T09:00:00Z",
                "2024-06-20T09:00:00Z",
            ),
        ]
    )


@pytest.fixture(scope="module")
def graph(chain_lake: Lake, findings: pd.DataFrame):
    return chain_lake.entity_graph(scope=SCOPE, baseline_days=30, findings=findings)


def test_cross_account_chain_is_one_directed_path(graph) -> None:
    paths = graph.paths(f"arn:aws:iam::{A}:user/ci", C_SESSION)
    assert [
        f"iam_user:arn:aws:iam::{A}:user/ci",
        f"access_key:{CI_KEY}",
        f"role_session:{B_SESSION}",
        f"access_key:{B_KEY}",
        f"role_session:{C_SESSION}",
    ] in paths


def test_session_chain_follows_keys_across_accounts(graph) -> None:
    chain = graph.session_chain(CI_KEY)
    assert set(chain["dst"]) == {
        f"role_session:{B_SESSION}",
        f"access_key:{B_KEY}",
        f"role_session:{C_SESSION}",
        f"access_key:{C_KEY}",
    }
    assert chain["depth"].max() == 4


def test_newly_observed_flags_the_incident_not_the_routine(graph) -> None:
    novel = graph.newly_observed_for(CI_KEY)
    got = set(zip(novel["dimension"], novel["value"], strict=True))
    assert {("ip", EVIL_IP), ("user_agent", EVIL_UA), ("api", "sts:AssumeRole"), ("country", "RU")} <= got
    assert ("api", "s3:ListBuckets") not in got
    assert graph.newly_observed_for(f"arn:aws:iam::{A}:user/dev").empty


def test_baseline_shorter_than_two_weeks_warns(chain_lake: Lake) -> None:
    with pytest.warns(UserWarning, match="baseline"):
        chain_lake.entity_graph(scope=SCOPE, baseline_days=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chain_lake.entity_graph(scope=SCOPE, baseline_days=30)


def test_edges_are_hourly_with_counts_and_apis(graph) -> None:
    e = graph.edges
    row = e[
        (e["src"] == f"role_session:{C_SESSION}")
        & (e["kind"] == "accessed")
        & (e["dst"] == "resource:arn:aws:s3:::prod-secrets")
    ].iloc[0]
    assert (
        row["hour"] == pd.Timestamp("2024-06-20 11:00", tz="UTC")
        and row["count"] == 1
        and row["apis"] == "s3:GetObject"
    )
    # S3 objects count as their bucket.
    resources = set(graph.entities[graph.entities["kind"] == "resource"]["entity"])
    assert resources == {
        "resource:arn:aws:s3:::prod-secrets",
        f"resource:arn:aws:iam::{B}:role/Deployer",
        f"resource:arn:aws:iam::{C}:role/Admin",
    }
    failed = e[
        (e["src"] == f"iam_user:arn:aws:iam::{A}:user/ci")
        & (e["kind"] == "from_ip")
        & (e["dst"] == f"ip:{EVIL_IP}")
    ]
    assert failed["failures"].sum() == 1 and failed["count"].sum() == 3


def test_degree_cap_lists_busy_entities(chain_lake: Lake) -> None:
    g = chain_lake.entity_graph(scope=SCOPE, baseline_days=30, degree_cap=1)
    assert f"iam_user:arn:aws:iam::{A}:user/ci" in set(g.capped["entity"])
    assert not g.session_chain(CI_KEY).empty  # credential hand-offs are never capped


def test_triage_of_the_key_reads_the_whole_incident(chain_lake: Lake, findings: pd.DataFrame) -> None:
    _, incident, dev = records()
    t = chain_lake.triage(CI_KEY, since=SCOPE[0], until=SCOPE[1], baseline_days=30, findings=findings)
    assert set(incident) <= set(t.timeline["eventid"])
    assert not set(dev) & set(t.timeline["eventid"])
    assert t.summary["accounts"] == [A, B, C]
    assert f"role_session:{C_SESSION}" in t.summary["sessions"]
    assert set(t.summary["findings"]["finding_id"]) == {"f-key", "f-prod"}
    assert t.summary["apis"]["sts:AssumeRole"] == 2
    assert f"role_session:{C_SESSION}" in t.graph


def test_triage_of_a_finding_starts_from_its_entities(chain_lake: Lake, findings: pd.DataFrame) -> None:
    t = chain_lake.triage("f-prod", baseline_days=30, findings=findings)
    assert "inc-5" in set(t.timeline["eventid"])


def test_finding_groups_join_the_chain_and_leave_the_rest(graph) -> None:
    groups = graph.finding_groups(window=timedelta(hours=6))
    members = groups.attrs["membership"]
    assert members["f-key"] == members["f-prod"] != members["f-other"]
    incident = groups[groups["group"] == members["f-key"]].iloc[0]
    assert incident["accounts"] == [A, C]
    assert incident["tactics"] == ["Initial Access", "Exfiltration"]


def test_profile_panels(graph) -> None:
    p = graph.profile(CI_KEY)
    assert p.frames["volume"]["count"].sum() == 3
    assert p.frames["by_ip"].set_index("ip").loc[EVIL_IP, "country"] == "RU"
    assert {"volume", "by_api", "by_ip", "by_user_agent", "newly_observed"} <= set(p.figures)
    session = graph.profile(C_SESSION)
    assert "arn:aws:s3:::prod-secrets" in set(session.frames["resources"]["resource"])
    assert set(session.frames["findings"]["finding_id"]) == {"f-prod"}


def test_exports(graph, tmp_path) -> None:
    import networkx as nx

    hood = graph.neighborhood(C_KEY, hops=1)
    assert f"role_session:{C_SESSION}" in hood and f"iam_user:arn:aws:iam::{A}:user/dev" not in hood
    path = tmp_path / "g.graphml"
    graph.to_graphml(path)
    back = nx.read_graphml(path)
    assert back.number_of_nodes() == len(graph.entities)
    cy = graph.to_cytoscape()
    assert len(cy["elements"]["nodes"]) == len(graph.entities)
    fig = graph.figure()
    assert {t.name for t in fig.data if t.name} >= {"iam_user", "access_key", "role_session", "ip"}


def test_accounts_limit_the_graph_to_their_partitions(chain_lake: Lake) -> None:
    with pytest.warns(UserWarning, match="baseline"):  # account C was never seen before the scope
        g = chain_lake.entity_graph(scope=SCOPE, baseline_days=30, accounts=[C])
    assert set(g.activity["account"]) == {C}
    assert (
        g.stats["engine_stats"]["partitions_read"]
        < chain_lake.entity_graph(scope=SCOPE, baseline_days=30).stats["engine_stats"]["partitions_read"]
    )


def test_triage_of_an_ip_and_of_a_session(chain_lake: Lake) -> None:
    _, incident, dev = records()
    by_ip = chain_lake.triage(EVIL_IP, since=SCOPE[0], until=SCOPE[1], baseline_days=30)
    assert set(by_ip.timeline["eventid"]) == set(incident)
    by_session = chain_lake.triage(C_SESSION, since=SCOPE[0], until=SCOPE[1], baseline_days=30)
    assert "inc-5" in set(by_session.timeline["eventid"]) and "inc-1" not in set(
        by_session.timeline["eventid"]
    )


def test_resources_come_from_the_events_list_else_from_request_parameters(tmp_path) -> None:
    who = _user(A, "ops", DEV_KEY)
    key_arn = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    recs = [
        # CloudTrail lists the key: the alias the request named is the same key, not another resource.
        _event(
            "kms-1",
            _t(20, 9),
            who,
            A,
            "kms.amazonaws.com",
            "GenerateDataKey",
            "203.0.113.9",
            "aws-cli/2",
            request={"keyId": "alias/aws/ssm"},
            resources=[{"ARN": key_arn, "accountId": A, "type": "AWS::KMS::Key"}],
        ),
        # No resources listed: the request's secretId and instanceId name them.
        _event(
            "sm-1",
            _t(20, 9, 5),
            who,
            A,
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            "203.0.113.9",
            "aws-cli/2",
            request={"secretId": "prod/db"},
        ),
        _event(
            "ec2-1",
            _t(20, 9, 10),
            who,
            A,
            "ec2.amazonaws.com",
            "GetConsoleOutput",
            "203.0.113.9",
            "aws-cli/2",
            request={"instanceId": "i-0abc"},
        ),
    ]
    src = tmp_path / "trail.json"
    src.write_text(json.dumps({"Records": recs}))
    assert not import_files([src], tmp_path / "lake").failures
    with pytest.warns(UserWarning, match="baseline"):
        g = Lake.local(tmp_path / "lake").entity_graph(scope=SCOPE, baseline_days=1)
    assert sorted(g.resources["resource"]) == [
        f"arn:aws:ec2:us-east-1:{A}:instance/i-0abc",
        key_arn,
        f"arn:aws:secretsmanager:us-east-1:{A}:secret:prod/db",
    ]


def test_a_scope_with_no_events_gives_an_empty_graph(chain_lake: Lake) -> None:
    with pytest.warns(UserWarning, match="baseline"):
        g = chain_lake.entity_graph(scope=(datetime(2030, 1, 1), datetime(2030, 1, 2)), baseline_days=2)
    assert g.edges.empty and g.entities.empty and g.newly_observed.empty
    assert list(g.edges.columns) == EDGE_COLUMNS
