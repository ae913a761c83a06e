"""The person behind each session (analytics/graph/people.py), on crafted records of each identity type.

Record shapes follow the CloudTrail User Guide, "CloudTrail userIdentity element" (2024): an
``AWSReservedSSO_`` role session, an ``IdentityCenterUser`` with ``onBehalfOf``, a session with
``sourceIdentity``, ``AssumeRoleWithSAML`` (``SAMLUser``) and ``AssumeRoleWithWebIdentity``
(``WebIdentityUser``) calls, an IAM user, root, and a cross-account AssumeRole chain.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import assumed_role_identity, write_trail_file

from orginsight.analytics.graph import people as P
from orginsight.lake import Lake

A, B = "111122223333", "444455556666"
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
ALICE_SSO = f"arn:aws:sts::{A}:assumed-role/{SSO_ROLE}/alice@example.com"
CHAINED = f"arn:aws:sts::{B}:assumed-role/Deploy/alice-deploy"
SAML_SESSION = f"arn:aws:sts::{A}:assumed-role/SamlAdmin/bob"
WEB_SESSION = f"arn:aws:sts::{A}:assumed-role/CiRole/gha"
IDSTORE = f"arn:aws:identitystore::{A}:identitystore/d-1234567890"
USER_ID = "544894e8-80c1-707f-60e3-3ba6510dfac1"


def _event(n: int, identity: dict, name: str = "ListBuckets", source: str = "s3", **extra) -> dict:
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": f"2024-05-01T12:{n:02d}:00Z",
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": None,
        "responseElements": None,
        "eventID": f"00000000-0000-0000-0000-{n:012d}",
        "recipientAccountId": identity.get("accountId") or A,
        **extra,
    }


def _session(arn: str, key: str, **context) -> dict:
    return assumed_role_identity(arn, key, "2024-05-01T12:00:00Z", **context)


def _assumed(arn: str, key: str) -> dict:
    return {"assumedRoleUser": {"arn": arn}, "credentials": {"accessKeyId": key}}


def records() -> list[dict]:
    return [
        # Identity Center: alice's SSO session assumes a role in another account (role chain).
        _event(1, _session(ALICE_SSO, "ASIAALICE0000000001")),
        _event(
            2,
            _session(ALICE_SSO, "ASIAALICE0000000001"),
            "AssumeRole",
            "sts",
            requestParameters={"roleArn": f"arn:aws:iam::{B}:role/Deploy", "roleSessionName": "alice-deploy"},
            responseElements=_assumed(CHAINED, "ASIACHAIN0000000001"),
        ),
        _event(3, _session(CHAINED, "ASIACHAIN0000000001"), "PutObject"),
        # sourceIdentity on a plain role session.
        _event(
            4, _session(f"arn:aws:sts::{A}:assumed-role/Ops/x1", "ASIAOPS00000000001", sourceIdentity="carol")
        ),
        # A call made for an Identity Center user.
        _event(
            5,
            {
                "type": "IdentityCenterUser",
                "accountId": A,
                "onBehalfOf": {"userId": USER_ID, "identityStoreArn": IDSTORE},
                "credentialId": "EXAMPLEcredential",
            },
            "ListApplications",
            "sso",
        ),
        # SAML federation, then the session's own call.
        _event(
            6,
            {
                "type": "SAMLUser",
                "principalId": "SAMPLEnq+EXAMPLE=:bob@example.com",
                "userName": "bob@example.com",
                "identityProvider": "SAMPLEnq+EXAMPLE=",
            },
            "AssumeRoleWithSAML",
            "sts",
            responseElements={**_assumed(SAML_SESSION, "ASIASAML0000000001"), "subject": "bob@example.com"},
        ),
        _event(7, _session(SAML_SESSION, "ASIASAML0000000001"), "GetObject"),
        # Web identity from a CI workload: a subject that is not a person.
        _event(
            8,
            {
                "type": "WebIdentityUser",
                "principalId": "token.actions.githubusercontent.com:sts.amazonaws.com:repo:org/app:ref:main",
                "userName": "repo:org/app:ref:refs/heads/main",
                "identityProvider": "token.actions.githubusercontent.com",
            },
            "AssumeRoleWithWebIdentity",
            "sts",
            responseElements=_assumed(WEB_SESSION, "ASIAWEB00000000001"),
        ),
        _event(9, _session(WEB_SESSION, "ASIAWEB00000000001"), "GetObject"),
        # An IAM user, root, an instance-role session and a session created outside the lake.
        _event(
            10,
            {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLE",
                "arn": f"arn:aws:iam::{A}:user/dave",
                "accountId": A,
                "accessKeyId": "AKIADAVE00000000001",
                "userName": "dave",
            },
        ),
        _event(11, {"type": "Root", "principalId": A, "arn": f"arn:aws:iam::{A}:root", "accountId": A}),
        _event(12, _session(f"arn:aws:sts::{A}:assumed-role/Web/i-0123456789abcdef0", "ASIAEC2000000000001")),
        _event(13, _session(f"arn:aws:sts::{A}:assumed-role/Batch/nightly", "ASIABATCH000000001")),
    ]


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("people") / "lake"
    recs = records()
    write_trail_file(root, [r for r in recs if r["recipientAccountId"] == A], account=A)
    write_trail_file(root, [r for r in recs if r["recipientAccountId"] == B], account=B)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Lake.local(root).entity_graph(
            scope=(datetime(2024, 5, 1), datetime(2024, 5, 2)), baseline_days=1
        )


def _of(g, principal: str) -> dict:
    rows = g.people[g.people["principal"] == principal]
    assert len(rows) == 1, (principal, g.people["principal"].tolist())
    return rows.iloc[0].to_dict()


def test_sso_session_is_its_session_name_through_its_permission_set(graph) -> None:
    row = _of(graph, f"federated_user:{ALICE_SSO}")
    assert (row["person"], row["how"], row["permission_set"]) == (
        "alice@example.com",
        "sso session name",
        "AdministratorAccess",
    )


def test_role_chain_carries_the_person_across_accounts(graph) -> None:
    row = _of(graph, f"role_session:{CHAINED}")
    assert row["person"] == "alice@example.com" and row["account"] == B
    assert row["how"] == f"role chain from federated_user:{ALICE_SSO} (sso session name)"


def test_source_identity_on_behalf_of_and_saml_subject(graph) -> None:
    assert _of(graph, f"role_session:arn:aws:sts::{A}:assumed-role/Ops/x1")["how"] == "sourceIdentity"
    center = _of(graph, f"federated_user:{USER_ID}")
    assert (center["person"], center["how"]) == (USER_ID, "onBehalfOf")
    saml = _of(graph, f"federated_user:{SAML_SESSION}")  # the session AssumeRoleWithSAML created
    assert (saml["person"], saml["how"]) == ("bob@example.com", "SAML subject")


def test_workloads_and_unknown_chains_say_why(graph) -> None:
    web = _of(graph, f"federated_user:{WEB_SESSION}")
    assert web["person"] is None or pd.isna(web["person"])
    assert "web identity subject is a workload" in web["why"]
    ec2 = _of(graph, f"role_session:arn:aws:sts::{A}:assumed-role/Web/i-0123456789abcdef0")
    assert ec2["why"].startswith("EC2 instance role session")
    batch = _of(graph, f"role_session:arn:aws:sts::{A}:assumed-role/Batch/nightly")
    assert batch["why"].startswith("chain starts outside the lake's window")


def test_iam_user_and_root(graph) -> None:
    assert _of(graph, f"iam_user:arn:aws:iam::{A}:user/dave")["how"] == "IAM user (its own principal)"
    assert _of(graph, f"account:{A}")["person"] == f"root@{A}"


def test_person_is_an_entity_with_edges_to_its_sessions(graph) -> None:
    acted = graph.edges[
        (graph.edges["kind"] == "acted_as") & (graph.edges["src"] == "person:alice@example.com")
    ]
    assert set(acted["dst"]) == {f"federated_user:{ALICE_SSO}", f"role_session:{CHAINED}"}
    assert "person:alice@example.com" in graph
    assert graph.entities.set_index("entity").loc["person:alice@example.com", "kind"] == "person"


def test_identity_store_users_name_the_people() -> None:
    attributions = pd.DataFrame(
        {
            "principal": ["federated_user:x", "federated_user:y", "role_session:z"],
            "person": [USER_ID, "Alice@Example.com", "nobody"],
            "how": ["onBehalfOf", "sso session name", "sourceIdentity"],
        }
    ).reindex(columns=P.ATTRIBUTION_COLUMNS)
    users = pd.DataFrame(
        {
            "user_id": [USER_ID, "u-2"],
            "user_name": ["erin", "alice"],
            "display_name": ["Erin E", "Alice A"],
            "email": ["erin@example.com", "alice@example.com"],
        }
    )
    out = P.resolve_people(attributions, users)
    assert out["person"].tolist() == ["erin", "alice", "nobody"]
    assert out["display_name"].tolist()[:2] == ["Erin E", "Alice A"]


def test_permission_set_of_documented_and_unhashed_roles() -> None:
    assert P.permission_set_of(ALICE_SSO) == "AdministratorAccess"
    assert P.permission_set_of("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin/u@x.io") == "Admin"
    assert P.permission_set_of(CHAINED) is None


def test_triage_names_the_person_behind_the_chain(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    recs = records()
    write_trail_file(root, [r for r in recs if r["recipientAccountId"] == A], account=A)
    write_trail_file(root, [r for r in recs if r["recipientAccountId"] == B], account=B)
    t = Lake.local(root).triage(
        "ASIACHAIN0000000001", since="2024-05-01", until="2024-05-02", baseline_days=1
    )
    assert "alice@example.com" in set(t.people["person"].dropna())
    assert "alice@example.com (role chain from" in t.summary["people_line"]
    assert set(t.timeline["person"].dropna()) == {"alice@example.com"}
