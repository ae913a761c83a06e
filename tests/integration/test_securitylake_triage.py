"""Triage and the entity graph give the same answer on Security Lake's OCSF CloudTrail as on the raw trail.

Both lakes hold the same real records: the raw one in the trail bucket layout (``lake import``), the
Security Lake one as source-version-2 OCSF rows made by the converter the hunt comparison uses
(``sources.securitylake_ocsf``, AWS's event dossier), read through the ``cloudtrail`` view. Every frame
triage returns (timeline, chain of handed-on credentials, summary, people) and every frame of the entity
graph (nodes, edges, activity, resources, credentials, baseline, what is new) must be equal, value for
value. Records: the trimmed Invictus Stratus set (any clone); the full real sets and the CloudTrail inputs
of AWS's Security Lake validation samples in ../shared/data.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import read_records, real_data
from test_securitylake_hunts import SHARED_CLOUDTRAIL, _lakes, _most_common

from orginsight.analytics.graph import entities as E
from orginsight.cli import main
from orginsight.engines.securitylake import SecurityLakeEngine
from orginsight.lake import Lake

PEOPLE_TESTS = Path(__file__).resolve().parents[1] / "unit" / "analytics" / "test_people.py"
SHARED_SECURITYLAKE = SHARED_CLOUDTRAIL.parent / "securitylake" / "asl-ocsf-validation"
UNTIL = "2030-01-01T00:00:00Z"
GRAPH_FRAMES = (
    "edges",
    "entities",
    "activity",
    "resources",
    "baseline",
    "baseline_resources",
    "credentials",
    "newly_observed",
    "capped",
    "people",
)
"""Every frame of an ``EntityGraph`` (its ``stats`` say how the queries ran, which differs by engine)."""


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    """The frame in an order independent of how the engine returned its rows."""
    key = df.astype(str)
    return df.loc[key.sort_values(list(key.columns)).index].reset_index(drop=True)


def _frame_differences(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """The columns in which two frames differ (or why they cannot be compared column by column)."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return [f"shape {a.shape} {list(a.columns)} != {b.shape} {list(b.columns)}"]
    a, b = _sorted(a), _sorted(b)
    return [c for c in a.columns if not a[c].astype(str).equals(b[c].astype(str))]


def _differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """What differs between two mappings of frames, series and plain values, by key."""
    out: dict[str, Any] = {}
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
            if diff := _frame_differences(x, y):
                out[k] = diff
        elif isinstance(x, pd.Series) and isinstance(y, pd.Series):
            if not x.astype(str).sort_index().equals(y.astype(str).sort_index()):
                out[k] = "series differ"
        elif isinstance(x, list) and isinstance(y, list):  # ``sessions`` follows the chain's row order
            if sorted(map(repr, x)) != sorted(map(repr, y)):
                out[k] = (x, y)
        elif repr(x) != repr(y):
            out[k] = (x, y)
    return out


def _graph_frames(g: Any) -> dict[str, pd.DataFrame]:
    return {name: getattr(g, name) for name in GRAPH_FRAMES}


def _triage_differences(raw: Lake, lake: Lake, indicator: str, since: str) -> dict[str, Any]:
    """Everything that differs between triaging ``indicator`` on the two lakes."""
    a = raw.triage(indicator, since=since, until=UNTIL)
    b = lake.triage(indicator, since=since, until=UNTIL)
    assert len(a.timeline) > 0, f"{indicator} did nothing in these records: the comparison would be empty"
    # The one thing Security Lake's copy does not hold: network logs. Triage says so, and goes on.
    for t in (a, b):
        if t.summary.get("network") is not None:
            assert t.summary["network"].flows.empty and t.summary["network"].dns.empty
    if b.summary.get("network") is not None:
        assert any("does not hold vpcflow or dnsquery" in n for n in b.summary["network"].notes)
        a.summary["network"].notes.clear()
        b.summary["network"].notes.clear()
    assert any("does not hold vpcflow or dnsquery" in n for n in b.graph.network.notes)
    out = {
        f"summary.{k}": v
        for k, v in _differences({**a.summary, "figures": None}, {**b.summary, "figures": None}).items()
    }
    out |= {
        f"{k}": v
        for k, v in _differences(
            {"timeline": a.timeline, "chain": a.chain}, {"timeline": b.timeline, "chain": b.chain}
        ).items()
    }
    out |= {f"graph.{k}": v for k, v in _differences(_graph_frames(a.graph), _graph_frames(b.graph)).items()}
    out |= {
        f"full_graph.{k}": v
        for k, v in _differences(_graph_frames(a.full_graph), _graph_frames(b.full_graph)).items()
    }
    return out


def _indicators(records: list[dict]) -> list[str]:
    """The access key, principal and IP seen most often: what an analyst would triage first (a value that
    is none of these, such as trailscraper's anonymized key, would be taken for a finding id: left out)."""
    seen = [
        _most_common(records, "userIdentity", "accessKeyId"),
        _most_common(records, "userIdentity", "arn"),
        _most_common(records, "sourceIPAddress"),
    ]
    return [v for v in seen if not E.resolve(v).startswith("finding:")]


def _all_differences(records: list[dict], work: Path, indicators: int = 3) -> dict[str, dict[str, Any]]:
    """What differs, by indicator, for the first ``indicators`` of :func:`_indicators` (each triage
    rebuilds the whole entity graph, so the large sets compare one)."""
    raw, lake = _lakes(records, work)
    assert isinstance(lake.engine, SecurityLakeEngine)
    since = min(r["eventTime"] for r in records)
    chosen = _indicators(records)[:indicators]
    assert chosen
    return {i: d for i in chosen if (d := _triage_differences(raw, lake, i, since))}


def test_triage_and_graph_are_the_same_on_trimmed_real_records(tmp_path: Path) -> None:
    records = read_records(real_data("cloudtrail", "invictus-stratus"))
    assert _all_differences(records, tmp_path) == {}


def test_the_comparison_sees_a_chain_of_sessions_and_a_graph(tmp_path: Path) -> None:
    """The equality above is not of empty frames: the key hands on credentials, the graph has edges."""
    records = read_records(real_data("cloudtrail", "invictus-stratus"))
    _, lake = _lakes(records, tmp_path)
    t = lake.triage(_indicators(records)[0], since=min(r["eventTime"] for r in records), until=UNTIL)
    assert len(t.chain) >= 1 and len(t.timeline) > 100
    assert len(t.full_graph.edges) > 100 and len(t.full_graph.entities) > 100


def test_entity_graph_is_the_same_on_its_own(tmp_path: Path) -> None:
    """``Lake.entity_graph`` called directly (not through triage), over the records' whole span."""
    records = read_records(real_data("cloudtrail", "invictus-stratus"))
    raw, lake = _lakes(records, tmp_path)
    scope = (min(r["eventTime"] for r in records), UNTIL)
    with pytest.warns(UserWarning, match="baseline"):  # the records hold no earlier day
        a, b = raw.entity_graph(scope=scope), lake.entity_graph(scope=scope)
    assert len(a.edges) > 0
    assert _differences(_graph_frames(a), _graph_frames(b)) == {}


def _identity_records() -> list[dict]:
    """One event of each identity type (Identity Center, SSO role, SAML, web identity, chains), built
    from AWS's documented shapes by tests/unit/analytics/test_people.py: the real sets have none."""
    spec = importlib.util.spec_from_file_location("people_records", PEOPLE_TESTS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.records()


def test_people_and_graph_are_the_same_for_every_identity_type(tmp_path: Path) -> None:
    """An IdentityCenterUser's ``credentialId`` shares OCSF's ``credential_uid`` with access keys: the
    view must not read it back as a key (the graph would gain a key entity the trail does not have)."""
    records = _identity_records()
    raw, lake = _lakes(records, tmp_path)
    assert any(r["userIdentity"].get("credentialId") for r in records)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a one-day baseline: the graph warns that it is short
        t = raw.triage("ASIACHAIN0000000001", since="2024-05-01", until="2024-05-02", baseline_days=1)
        assert "alice@example.com (role chain from" in t.summary["people_line"]
        assert _triage_differences(raw, lake, "ASIACHAIN0000000001", "2024-05-01") == {}
        scope = ("2024-05-01", "2024-05-02")
        a, b = raw.entity_graph(scope=scope, baseline_days=1), lake.entity_graph(scope=scope, baseline_days=1)
    assert set(a.people["principal"]) == set(b.people["principal"]) and len(a.people) >= 6
    assert _differences(_graph_frames(a), _graph_frames(b)) == {}


@pytest.mark.shared_data
@pytest.mark.parametrize("dataset", ["invictus-stratus", "otrf-ec2-proxy-s3-exfil", "trailscraper"])
def test_triage_and_graph_are_the_same_on_full_real_records(dataset: str, tmp_path: Path) -> None:
    records = read_records(SHARED_CLOUDTRAIL / dataset)
    assert _all_differences(records, tmp_path, indicators=1) == {}


@pytest.mark.shared_data
def test_triage_is_the_same_on_the_inputs_of_aws_security_lake_samples(tmp_path: Path) -> None:
    """The CloudTrail records AWS's Security Lake validation samples convert (their OCSF side is source
    version 1, which the view does not read: our converter makes the version-2 rows). Two samples are one
    event (``UpdateTrail`` and the same ``eventID`` renamed ``UnknownAPI``): the trail import keeps one
    copy of an event, the Security Lake copy would hold both, so both lakes are given one."""
    files = sorted(SHARED_SECURITYLAKE.glob("*_input_*.test.gz"))
    assert len(files) == 7
    records = [r for f in files for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]]
    records = list({r["eventID"]: r for r in records}.values())
    assert len(records) == 6
    assert _all_differences(records, tmp_path) == {}


def test_triage_command_runs_on_a_security_lake_copy(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    records = read_records(real_data("cloudtrail", "invictus-stratus"))
    raw, _ = _lakes(records, tmp_path)
    key = _indicators(records)[0]
    since = min(r["eventTime"] for r in records)
    argv = ["triage", key, "--lake", str(tmp_path / "securitylake"), "--out", str(tmp_path / "case")]
    assert main([*argv, "--since", since, "--until", UNTIL, "--format", "none"]) == 0
    want = raw.triage(key, since=since, until=UNTIL)
    assert repr(want) in capsys.readouterr().out
    page = (tmp_path / "case" / "triage.html").read_text()
    assert all(e in page for e in want.timeline["eventid"].head(20))
