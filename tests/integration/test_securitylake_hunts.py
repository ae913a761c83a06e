"""Every hunt returns the same events on Security Lake's OCSF CloudTrail as on the raw trail.

The Security Lake copy is made from the same real records (``sources.securitylake_ocsf``, AWS's
source-version-2 mapping) and read through the ``cloudtrail`` view (``sources.securitylake``); the
raw copy is the trail bucket layout (``lake import``). Records: the trimmed Invictus Stratus and OTRF
sets in tests/data/real/cloudtrail (any clone), and the full sets in ../shared/data/cloudtrail.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import read_records, real_data

from orginsight.analytics import hunts
from orginsight.engines.securitylake import SecurityLakeEngine
from orginsight.lake import Lake
from orginsight.sources.lake_import import import_files
from orginsight.sources.securitylake_ocsf import write_partitions

SHARED_CLOUDTRAIL = Path(__file__).resolve().parents[3] / "shared" / "data" / "cloudtrail"
WINDOW = {
    "start": "2000-01-01T00:00:00Z",
    "end": "2030-01-01T00:00:00Z",
    "baseline_start": "1999-12-01T00:00:00Z",
}


def _most_common(records: list[dict], *path: str) -> str:
    values: Counter[str] = Counter()
    for r in records:
        v: object = r
        for p in path:
            v = v.get(p) if isinstance(v, dict) else None
        if isinstance(v, str) and v:
            values[v] += 1
    return values.most_common(1)[0][0] if values else "none-in-these-records"


def _params(hunt: hunts.Hunt, records: list[dict]) -> dict[str, str]:
    """The window, and a value seen in the records for each parameter a hunt needs."""
    picks = {
        "principal": lambda: _most_common(records, "userIdentity", "arn"),
        "ip": lambda: _most_common(records, "sourceIPAddress"),
        "access_key": lambda: _most_common(records, "userIdentity", "accessKeyId"),
        "person": lambda: _most_common(records, "userIdentity", "userName"),
    }
    values = {k: v for k, v in WINDOW.items() if k in hunt.parameters}
    for name, p in hunt.parameters.items():
        if p.default is None and name in picks:
            values[name] = picks[name]()
    return values


def _with_time(records: list[dict]) -> list[dict]:
    """OTRF stripped ``eventTime``: each record gets its session's ``creationDate``, as in test_hunts_real."""
    for rec in records:
        attrs = (rec.get("userIdentity") or {}).get("sessionContext", {}).get("attributes", {})
        rec.setdefault("eventTime", attrs.get("creationDate") or "2020-09-14T00:00:00Z")
    return records


def _lakes(records: list[dict], work: Path) -> tuple[Lake, Lake]:
    records = _with_time(records)
    (work / "records.json").write_text(json.dumps({"Records": records}))
    report = import_files([work / "records.json"], work / "raw")
    assert report.records_failed == 0
    write_partitions(records, work / "securitylake")
    return Lake.local(work / "raw"), Lake(SecurityLakeEngine(work / "securitylake"))


def _differences(records: list[dict], work: Path) -> dict[str, tuple[set[str], set[str]]]:
    raw, lake = _lakes(records, work)
    assert lake.sql("SELECT count(*) AS n FROM cloudtrail")["n"][0] == len(records)
    out = {}
    for hunt in hunts.list():
        if set(hunt.tables) != {"cloudtrail"}:  # vpcflow/dnsquery: not in the Security Lake view
            continue
        params = _params(hunt, records)
        want = hunts.event_ids(hunts.run(raw, hunt, params))
        got = hunts.event_ids(hunts.run(lake, hunt, params))
        if want != got:
            out[hunt.name] = (want - got, got - want)
    return out


def _hits(records: list[dict], work: Path) -> int:
    raw, _ = _lakes(records, work)
    return sum(len(hunts.event_ids(hunts.run(raw, h, _params(h, records)))) for h in hunts.list())


@pytest.mark.parametrize("dataset", ["invictus-stratus", "otrf-ec2-proxy-s3-exfil"])
def test_every_hunt_same_events_on_trimmed_real_records(dataset: str, tmp_path: Path) -> None:
    records = read_records(real_data("cloudtrail", dataset))
    assert _differences(records, tmp_path) == {}


@pytest.mark.shared_data
@pytest.mark.parametrize("dataset", ["invictus-stratus", "otrf-ec2-proxy-s3-exfil", "trailscraper"])
def test_every_hunt_same_events_on_full_real_records(dataset: str, tmp_path: Path) -> None:
    records = read_records(SHARED_CLOUDTRAIL / dataset)
    assert _differences(records, tmp_path) == {}


def test_the_comparison_sees_hits(tmp_path: Path) -> None:
    """The equality above is not of empty sets: the hunts fire on these records."""
    assert _hits(read_records(real_data("cloudtrail", "invictus-stratus")), tmp_path) > 0
