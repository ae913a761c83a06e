"""The demo organization's findings exported as OCSF: every record of every day's file valid against the
official OCSF 1.1.0 schema (tests/ocsf_official.py), and every source's findings present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ocsf_official import official_errors

from orginsight.demo import generate_lake
from orginsight.lake import Lake
from orginsight.outputs.exports.ocsf import OCSF_VERSION, write_ocsf


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-ocsf")
    generate_lake(root, days=3, events_per_day=300, progress=False, processes=1)
    return root


def test_every_record_of_the_demo_export_is_valid_against_the_official_schema(demo: Path, tmp_path: Path):
    findings = Lake.local(demo).findings()
    paths = write_ocsf(findings, tmp_path)
    records = [json.loads(line) for p in paths for line in p.read_text().splitlines()]
    assert len(records) == len(findings) > 100
    assert {r["metadata"]["product"]["name"] for r in records} == set(findings["source"])
    invalid = {r["finding_info"]["uid"]: errs for r in records if (errs := official_errors(r, OCSF_VERSION))}
    assert invalid == {}
