"""On real CloudTrail records, every SSO or federated session resolves to a person or states why it cannot.

Panther labelled records (panther-labs/panther-analysis @ daa10c8, Apache-2.0) hold the real
``AWSReservedSSO_`` role sessions and a federated user; Invictus Stratus and OTRF (MIT) IAM users,
role sessions and AWS services. The oracle (which sessions are SSO, and whose) is read from the raw
records with Python, independently of the SQL. The trimmed copies in tests/data/real run in any
clone; the full sets in ../shared/data run where they exist.
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import datetime
from pathlib import Path

import pytest
import test_hunts_real as real
from conftest import REAL_CLOUDTRAIL, read_records, read_text, real_data, shared_data_dir

from orginsight.analytics import hunts
from orginsight.lake import Lake
from orginsight.sources.lake_import import import_files

SCOPE = (datetime(2015, 1, 1), datetime(2026, 1, 1))
SSO = re.compile(r":assumed-role/AWSReservedSSO_[^/]+/([^/]+)$")


def _lake(panther_lines: list[str], others: list[Path], work: Path) -> tuple[Lake, list[dict]]:
    records, _ = real.normalize_panther(panther_lines)
    staged = work / "panther.json"
    staged.write_text(json.dumps({"Records": records}))
    report = import_files([staged, *others], work / "lake")
    # custodian's records of sanitized accounts ('00000') are refused by design: nothing else may fail
    refused = [f for f in report.failures if "is not a 12-digit account id" not in f.reason]
    assert not refused, report.summary()
    every = records + [r for p in others for r in read_records(p)]
    return Lake.local(work / "lake"), every


def _check_every_session(lake: Lake, records: list[dict]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = lake.entity_graph(scope=SCOPE, baseline_days=1)
    people = g.people
    federated = people[people["principal"].str.startswith("federated_user:")]
    sso_names = {
        SSO.search(r["userIdentity"]["arn"])[1]
        for r in records
        if SSO.search((r.get("userIdentity") or {}).get("arn") or "")
    }
    assert len(federated) >= len(sso_names) >= 4
    # every principal, and so every SSO or federated session, has a person or a reason
    unexplained = people[people["person"].isna() & people["why"].isna()]
    assert unexplained.empty, unexplained.to_string()
    by_sso = people[people["how"] == "sso session name"]
    assert set(by_sso["person"]) == sso_names
    reasons = federated[federated["person"].isna()]["why"]
    assert reasons.str.len().gt(0).all()

    found = hunts.run(lake, "person_activity", {"start": SCOPE[0], "end": SCOPE[1]})
    assert set(found[found["attributed_by"] == "sso session name"]["person"]) == sso_names
    one = sorted(sso_names)[0]
    alone = hunts.run(lake, "person_activity", {"start": SCOPE[0], "end": SCOPE[1], "person": one.upper()})
    assert set(alone["person"]) == {one}
    wanted = {
        r["eventID"]
        for r in records
        if (SSO.search((r.get("userIdentity") or {}).get("arn") or "") or [None, None])[1] == one
    }
    assert hunts.event_ids(alone) == wanted


def test_every_sso_or_federated_session_resolves_on_trimmed_records(tmp_path: Path) -> None:
    lines = read_text(real_data("cloudtrail", "panther-labelled", "events.jsonl.gz")).splitlines()
    others = [real_data("cloudtrail", name) for name in REAL_CLOUDTRAIL]
    lake, records = _lake(lines, [p for d in others for p in sorted(d.glob("*.json*"))], tmp_path)
    _check_every_session(lake, records)


@pytest.mark.shared_data
def test_every_sso_or_federated_session_resolves_on_all_shared_records(tmp_path: Path) -> None:
    lines = read_text(shared_data_dir("cloudtrail", "panther-labelled", "events.jsonl")).splitlines()
    others = [
        p
        for name in ("invictus-stratus", "custodian-eventbridge")
        for p in sorted(shared_data_dir("cloudtrail", name).glob("*.json*"))
    ]
    lake, records = _lake(lines, others, tmp_path)
    _check_every_session(lake, records)
