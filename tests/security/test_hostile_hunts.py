"""Hostile hunt files: a hunt shared between teams that tries to write a file (``COPY ... TO``), attach a
database, install or load an extension, change a setting, or read a file outside the lake is refused,
at load or at run, with an error naming the hunt file; nothing is written.

The hunts live in a temporary queries folder found through ``$ORGINSIGHT_QUERIES``, as a team's own
library would be. Each body is a valid hunt but for the hostile statement (header, ``:start``/``:end``),
so a refusal for any other reason fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_trail_file

from orginsight.analytics import hunts
from orginsight.errors import QueryError
from orginsight.lake import Lake

HEADER = """-- ---
-- name: {name}
-- title: A shared hunt
-- description: A hunt file received from another team.
-- mitre: [T1078.004]
-- severity: low
-- tables: [cloudtrail]
-- ---
"""

WINDOW = "from_iso8601_timestamp(eventtime) BETWEEN :start AND :end"

GOOD = f"SELECT eventtime, account, eventid FROM cloudtrail WHERE {WINDOW}"


def write_hunt(queries: Path, name: str, body: str) -> Path:
    path = queries / "discovery" / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(name=name) + body + "\n")
    return path


@pytest.fixture()
def queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "queries"
    folder.mkdir()
    monkeypatch.setenv("ORGINSIGHT_QUERIES", str(folder))
    return folder


@pytest.fixture()
def lake(tmp_path: Path) -> Lake:
    root = tmp_path / "lake"
    record = {
        "eventTime": "2024-05-01T12:00:00Z",
        "eventID": "e-1",
        "eventName": "GetCallerIdentity",
        "recipientAccountId": "111122223333",
        "awsRegion": "us-east-1",
    }
    write_trail_file(root, [record])
    return Lake.local(root)


WINDOW_PARAMS = {"start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"}


def test_a_good_hunt_in_the_folder_loads_and_runs(queries: Path, lake: Lake) -> None:
    write_hunt(queries, "good_hunt", GOOD)
    df = lake.hunt("good_hunt", **WINDOW_PARAMS)
    assert list(df["eventid"]) == ["e-1"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (f"COPY (SELECT * FROM cloudtrail WHERE {WINDOW}) TO '{{target}}'", "COPY"),
        (f"COPY (SELECT * FROM cloudtrail WHERE {WINDOW}) TO '{{target}}' (FORMAT csv)", "COPY"),
        (f"ATTACH '{{target}}' AS x; {GOOD}", "ATTACH"),
        (f"INSTALL httpfs; {GOOD}", "INSTALL"),
        (f"SET enable_external_access = true; {GOOD}", "SET"),
        (f"PRAGMA database_list; {GOOD}", "PRAGMA"),
        (f"CREATE TABLE x AS SELECT * FROM cloudtrail WHERE {WINDOW}", "CREATE"),
        (f"{GOOD}; COPY (SELECT 1) TO '{{target}}'", "one SQL statement"),
    ],
)
def test_a_hostile_hunt_is_refused_at_load_naming_its_file(
    queries: Path, tmp_path: Path, body: str, kind: str
) -> None:
    target = tmp_path / "written.csv"
    path = write_hunt(queries, "shared_hunt", body.format(target=target))
    with pytest.raises(hunts.HuntError, match=kind) as refused:
        hunts.list_hunts()
    assert str(path) in str(refused.value)
    with pytest.raises(hunts.HuntError, match=kind):
        hunts.load_file(path)
    assert not target.exists()


def test_a_hunt_built_in_code_is_refused_at_run_naming_its_file(lake: Lake, tmp_path: Path) -> None:
    """A Hunt made without its loader (tests, notebooks) is checked again when it runs."""
    target = tmp_path / "written.csv"
    good = hunts.parse(HEADER.format(name="shared_hunt") + GOOD, tactic="discovery")
    evil = hunts.Hunt(
        **{
            **good.__dict__,
            "sql": f"COPY (SELECT * FROM cloudtrail WHERE {WINDOW}) TO '{target}'",
            "path": tmp_path / "shared_hunt.sql",
        }
    )
    with pytest.raises(hunts.HuntError, match=r"shared_hunt\.sql.*COPY statement refused"):
        hunts.run(lake, evil, WINDOW_PARAMS)
    assert not target.exists()


def test_a_hunt_reading_outside_the_lake_is_refused_at_run_naming_its_file(queries: Path, lake: Lake) -> None:
    path = write_hunt(
        queries,
        "passwd_hunt",
        "SELECT content AS eventid, now() AS eventtime, '' AS account FROM read_text('/etc/passwd') "
        "WHERE :start < :end",
    )
    assert hunts.get("passwd_hunt").path == path  # a SELECT: it loads, and the engine refuses it
    with pytest.raises(QueryError, match=r'Cannot access file "/etc/passwd"') as refused:
        lake.hunt("passwd_hunt", **WINDOW_PARAMS)
    assert str(path) in str(refused.value)
