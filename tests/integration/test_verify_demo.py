"""On a small demo lake, ``lake verify`` reports exactly the planted tampering (scenario.json["tampering"]):
every edited and every deleted log file and both consecutive removed digests, and nothing on the
untouched accounts. The digests do not disturb the lake's other readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orginsight import Lake, notebook
from orginsight.cli import main
from orginsight.demo import generate_lake
from orginsight.demo.generate import load_scenario
from orginsight.engines.inventory import lake_info
from orginsight.sources.lake_import import import_files


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verify-demo")
    generate_lake(
        root, accounts=6, days=3, events_per_day=300, end=datetime(2026, 11, 27), progress=False, processes=2
    )
    return root


def test_verify_reports_exactly_the_planted_tampering(lake):
    truth = load_scenario(lake)["tampering"]
    result = Lake.local(lake).verify()
    found = {
        kind: sorted(rows["log_file" if kind.startswith("log") else "digest"])
        for kind, rows in result.problems.groupby("kind")
    }
    assert found == {
        "log_modified": truth["edited_log_files"],
        "log_deleted": truth["deleted_log_files"],
        "digest_missing": truth["removed_digests"],
    }
    assert (
        len(truth["edited_log_files"]),
        len(truth["deleted_log_files"]),
        len(truth["removed_digests"]),
    ) == (3, 2, 2)
    assert set(result.problems["account"]) == {truth["account"]}
    assert result.summary["accounts_with_problems"] == [truth["account"]]
    assert result.summary["signatures"].endswith("verified")


def test_the_cli_exits_1_and_prints_the_rows(lake, capsys):
    assert main(["lake", "verify", "--lake", str(lake), "--format", "csv"]) == 1
    out, err = capsys.readouterr()
    assert out.count("log_modified") == 3 and out.count("digest_missing") == 2
    assert "problems in 1" in err


def test_an_untouched_account_alone_verifies_clean(lake):
    truth = load_scenario(lake)["tampering"]
    others = [a for a in load_scenario(lake)["organization"]["accounts"] if a != truth["account"]]
    result = Lake.local(lake).verify(accounts=others)
    assert result.problems.empty
    assert result.summary["digests"] > 0


def test_digests_leave_the_trail_readers_alone(lake):
    scenario = load_scenario(lake)
    n = Lake.local(lake).sql("SELECT count(*) n FROM cloudtrail WHERE eventtime >= '2000'")["n"].iloc[0]
    assert n == scenario["cloudtrail"]["events"]
    info = lake_info(lake)
    assert not info.bad_files and "CloudTrail-Digest" not in info.render()


def test_lake_import_passes_over_digests_and_their_metadata(lake, tmp_path):
    digest_folder = next(lake.glob("AWSLogs/o-*/*/CloudTrail-Digest/*/*/*/*"))
    assert list(digest_folder.glob("*.sig"))
    report = import_files([digest_folder], tmp_path / "imported")
    assert not report.failures
    assert report.records_placed == 0


def test_notebook_01_says_when_an_incident_window_overlaps_hours_that_failed(lake):
    truth = load_scenario(lake)["tampering"]
    edited = truth["edited_log_files"][0]  # .../<account>_CloudTrail_<region>_<YYYYMMDDTHHMM>Z_...
    at = datetime.strptime(edited.rsplit("_", 2)[-2], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    window = (at - timedelta(minutes=30), at + timedelta(minutes=30))
    text, problems = notebook.window_integrity(Lake.local(lake), window, [truth["account"]])
    assert "FAILED verification" in text and truth["account"] in text
    assert edited in set(problems["log_file"])
    others = [a for a in load_scenario(lake)["organization"]["accounts"] if a != truth["account"]]
    text, problems = notebook.window_integrity(Lake.local(lake), window, others)
    assert text.startswith("every hour of the incident window verified") and problems.empty
