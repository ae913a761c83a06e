"""What tells an incident apart, on a small hand-written trail where a CI key works every day.

The CI user's key in A assumes the ``Deployer`` role in B every morning from the CI runner's
address and client; each run is a new role session. On the scope day it runs at 02:00 and 20:00
as usual (the 20:00 run calls one API the role never called before: routine drift), and between
10:01 and 10:20 someone else uses the key from a new IP and client, assumes the same role and
stops CloudTrail from another new IP. Only the attacker's part may be "what is new" about the
sessions, and the incident window is 10:01 .. 10:20.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from test_entity_graph import _assume, _event, _gd, _session, _t, _user

from orginsight.analytics.incident import incident_window, lineage_novelty, short_entity
from orginsight.analytics.session_chain import chain_focus, routine_links
from orginsight.lake import Lake
from orginsight.sources.findings import normalize_findings
from orginsight.sources.lake_import import import_files

A, B = "111111111111", "222222222222"
CI_KEY = "AKIAAAAAAAAAAAAACI02"
ROLE = f"arn:aws:iam::{B}:role/Deployer"
HOME_IP, HOME_UA = "198.51.100.7", "aws-cli/2.18.4 ci-runner"
EVIL_IP, EVIL_UA = "5.188.10.4", "aws-cli/1.29.62 Linux/6.5.0-kali3-amd64"
EVIL_IP2 = "91.240.118.172"
SCOPE = (datetime(2024, 6, 20), datetime(2024, 6, 21))
ATTACK_SESSION = f"role_session:arn:aws:sts::{B}:assumed-role/Deployer/x"


def _run(tag: str, day: int, hour: int, key: str, extra: list[str] = ()) -> list[dict]:
    """One CI run: AssumeRole into B from the runner, then the session's calls from the runner."""
    ci = _user(A, "ci", CI_KEY)
    session = _session(f"arn:aws:sts::{B}:assumed-role/Deployer/run-{tag}", key)
    recs = [_assume(f"ar-{tag}", _t(day, hour), ci, A, ROLE, f"run-{tag}", key, HOME_IP, HOME_UA)]
    for i, name in enumerate(["ListFunctions", *extra]):
        recs.append(
            _event(
                f"run-{tag}-{i}",
                _t(day, hour, 2 + i),
                session,
                B,
                "lambda.amazonaws.com",
                name,
                HOME_IP,
                HOME_UA,
            )
        )
    return recs


def records() -> list[dict]:
    recs: list[dict] = []
    for day in range(1, 20):
        recs += _run(f"{day}", day, 9, f"ASIABASE{day:012d}")
    recs += _run("20a", 20, 2, "ASIAROUTINE000000001")
    ci = _user(A, "ci", CI_KEY)
    x = _session(f"arn:aws:sts::{B}:assumed-role/Deployer/x", "ASIAEVIL000000000001")
    recs += [
        _event("evil-1", _t(20, 10, 1), ci, A, "sts.amazonaws.com", "GetCallerIdentity", EVIL_IP, EVIL_UA),
        _assume("evil-2", _t(20, 10, 3), ci, A, ROLE, "x", "ASIAEVIL000000000001", EVIL_IP, EVIL_UA),
        _event(
            "evil-3",
            _t(20, 10, 5),
            x,
            B,
            "cloudtrail.amazonaws.com",
            "StopLogging",
            EVIL_IP2,
            EVIL_UA,
            request={"name": "org-trail"},
        ),
        _event(
            "evil-4",
            _t(20, 10, 20),
            x,
            B,
            "s3.amazonaws.com",
            "GetObject",
            EVIL_IP2,
            EVIL_UA,
            request={"bucketName": "prod-secrets", "key": "db.env"},
        ),
    ]
    recs += _run("20b", 20, 20, "ASIAROUTINE000000002", extra=["UpdateFunctionCode20150331v2"])
    return recs


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    src = tmp_path_factory.mktemp("ci-src") / "trail.json"
    src.write_text(json.dumps({"Records": records()}))
    root = tmp_path_factory.mktemp("ci-lake")
    assert not import_files([src], root).failures
    return Lake.local(root)


@pytest.fixture(scope="module")
def triage(lake: Lake):
    finding = _gd(
        "f-ci",
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
        CI_KEY,
        EVIL_IP,
        A,
        _t(20, 10, 1),
        _t(20, 10, 3),
    )
    findings = normalize_findings([finding], origin="test")
    return lake.triage(CI_KEY, since=SCOPE[0], until=SCOPE[1], baseline_days=30, findings=findings)


def test_routine_sessions_are_judged_against_their_role_and_the_key_that_opened_them(triage) -> None:
    g = triage.full_graph
    raw = g.newly_observed
    routine = f"role_session:arn:aws:sts::{B}:assumed-role/Deployer/run-20a"
    # The graph alone finds everything of a brand-new session new ...
    assert {("ip", HOME_IP), ("api", "lambda:ListFunctions")} <= set(
        zip(
            raw.loc[raw["subject"] == routine, "dimension"],
            raw.loc[raw["subject"] == routine, "value"],
            strict=True,
        )
    )
    judged = lineage_novelty(g, set(raw["subject"]))
    # ... judged by its lineage, the routine run shows nothing new, the attacker's session its IP and API.
    assert routine not in set(judged["subject"])
    mine = judged[judged["subject"] == ATTACK_SESSION]
    assert {("ip", EVIL_IP2), ("user_agent", EVIL_UA), ("api", "cloudtrail:StopLogging")} <= set(
        zip(mine["dimension"], mine["value"], strict=True)
    )
    assert ("api", "lambda:ListFunctions") not in set(zip(judged["dimension"], judged["value"], strict=True))


def test_what_is_new_lists_items_by_their_first_event(triage) -> None:
    new = triage.what_is_new
    assert list(new["first_seen"]) == sorted(new["first_seen"])
    first = new.iloc[0]
    assert (first["dimension"], first["value"], first["country"]) == ("ip", EVIL_IP, "RU")
    assert first["first_seen"] == pd.Timestamp("2024-06-20 10:01:00", tz="UTC")  # the event, not the hour
    by_value = new.set_index("value")
    assert by_value.loc[EVIL_IP2, "first_seen"] == pd.Timestamp("2024-06-20 10:05:00", tz="UTC")
    assert by_value.loc[EVIL_IP2, "events"] == 2
    assert HOME_IP not in by_value.index and HOME_UA not in by_value.index
    # The 20:00 run's first call of a new API is new too, but outside the window.
    drift = by_value.loc["lambda:UpdateFunctionCode20150331v2"]
    assert drift["first_seen"] == pd.Timestamp("2024-06-20 20:03:00", tz="UTC") and not drift["in_window"]


def test_the_incident_window_spans_the_attack_not_the_drift(triage) -> None:
    assert triage.incident_window == (
        datetime(2024, 6, 20, 10, 1, tzinfo=UTC),
        datetime(2024, 6, 20, 10, 20, tzinfo=UTC),
    )
    assert set(triage.window_timeline["eventid"]) >= {"evil-1", "evil-3", "evil-4"}
    tl = triage.timeline.set_index("eventid")
    assert tl.loc["evil-3", "new"] == "ip, country, user_agent, api"
    assert tl.loc["evil-4", "new"] == "ip, country, user_agent, api, resource"  # s3:GetObject, the bucket
    assert tl.loc["run-20a-0", "new"] == "" and not tl.loc["run-20a-0", "in_window"]


def test_incident_window_picks_the_burst_with_most_items_and_findings() -> None:
    def at(text: str) -> pd.Timestamp:
        return pd.Timestamp(text, tz="UTC")

    items = pd.DataFrame(
        {
            "first_seen": [
                at("2024-06-20 01:00"),
                at("2024-06-20 10:00"),
                at("2024-06-20 10:30"),
                at("2024-06-20 10:40"),
            ],
            "dimension": ["api", "ip", "api", "api"],
            "value": ["s3:GetBucketPolicy", "5.188.10.4", "iam:ListUsers", "iam:CreateUser"],
            "subjects": [
                ["role_session:r"],
                ["access_key:AKIA1"],
                ["access_key:AKIA1"],
                ["access_key:AKIA1"],
            ],
        }
    )
    timeline = pd.DataFrame(
        {
            "time": [at("2024-06-20 10:00"), at("2024-06-20 11:30"), at("2024-06-20 18:00")],
            "ip": ["5.188.10.4", "5.188.10.4", "198.51.100.7"],
            "user_agent": ["x", "x", "ci"],
            "principal": ["iam_user:u", "iam_user:u", "iam_user:u"],
            "access_key": ["AKIA1", "AKIA1", "AKIA1"],
        }
    )
    window = incident_window(items, pd.DataFrame(), timeline)
    assert window == (
        datetime(2024, 6, 20, 10, tzinfo=UTC),
        datetime(2024, 6, 20, 11, 30, tzinfo=UTC),
    )  # to the new IP's last event
    # Two findings at 01:00 outweigh the later burst of three items.
    findings = pd.DataFrame(
        {"first_seen": ["2024-06-20T01:05:00Z", "2024-06-20T01:10:00Z", "2024-06-20T00:50:00Z"]}
    )
    early = incident_window(items.iloc[[0]], pd.DataFrame(), timeline, findings)
    assert early == (datetime(2024, 6, 20, 0, 50, tzinfo=UTC), datetime(2024, 6, 20, 1, 10, tzinfo=UTC))
    assert incident_window(items.iloc[0:0], pd.DataFrame(), timeline) is None


def test_the_chain_expands_the_attackers_links_and_collapses_the_routine_runs(triage) -> None:
    ch = triage.chain
    shown = ch[ch["notable"]]
    assert ATTACK_SESSION in set(shown["dst"])
    assert set(shown["why"]) <= {"used from a new IP or client", "inside the incident window", "on the path"}
    routine = routine_links(ch)
    assert {d for d in routine["dst"] if "run-20a" in d}  # the 02:00 run: routine
    drift = ch[~ch["notable"] & (ch["why"] != "")]
    assert {d for d in drift["dst"] if "run-20b" in d}  # the 20:00 run: a new API, outside the window
    # The key the attacker's session was issued is on the path.
    assert "access_key:ASIAEVIL000000000001" in set(shown["dst"])
    # The session's link is the AssumeRole call (10:03), not the session's first call (10:05); the key
    # it was issued counts from its first use.
    times = dict(zip(shown["dst"], shown["time"], strict=True))
    assert times[ATTACK_SESSION] == pd.Timestamp(datetime(2024, 6, 20, 10, 3, tzinfo=UTC))
    assert times["access_key:ASIAEVIL000000000001"] == pd.Timestamp(datetime(2024, 6, 20, 10, 5, tzinfo=UTC))
    # Recomputed without a window, only the links used from new IPs stay notable.
    again = chain_focus(
        ch.drop(columns=["time", "notable", "why"]),
        triage.timeline,
        triage.summary["newly_observed_judged"],
        None,
    )
    assert set(again[again["notable"]]["dst"]) == {ATTACK_SESSION, "access_key:ASIAEVIL000000000001"}


def test_short_entity_keeps_kind_and_account() -> None:
    assert short_entity(ATTACK_SESSION) == f"role_session:{B}:assumed-role/Deployer/x"
    assert short_entity("access_key:AKIA1") == "access_key:AKIA1"
