"""Fixtures shared by the whole suite: where the real sample data lives, lakes built from it, and the browser.

Two kinds of real data (tests/data/real/README.md):

- ``REAL_DATA`` (tests/data/real): trimmed real records copied into the repository, with their source and
  license. The tests that prove behaviour on real records read these, so they run in any clone.
- ``SHARED_DATA`` (../shared/data, or ``ORGINSIGHT_SHARED_DATA``): the full public sets, too large for the
  repository. Tests that need them are marked ``shared_data`` and skip without them.

Tests that need a Chromium are marked ``browser`` and skip without one. On CI (``CI`` set, or
``ORGINSIGHT_REQUIRE_ALL=1``) a skip for either reason fails the run: see ``pytest_sessionfinish`` below.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto import mock_aws

if TYPE_CHECKING:
    import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ORGINSIGHT_SHARED_DATA") or REPO.parent / "shared" / "data")
"""The full sets: ../shared/data beside the clone, or where ORGINSIGHT_SHARED_DATA says."""
REAL_DATA = REPO / "tests" / "data" / "real"

MISSING_BROWSER = "missing browser"
MISSING_SHARED_DATA = "missing shared data"
"""How a skip for either reason starts; the CI check below recognizes skips by these and REQUIRED_SKIP."""

REQUIRED_SKIP = re.compile(
    rf"^({MISSING_BROWSER}|{MISSING_SHARED_DATA})\b|chromium|browser|shared/data", re.I
)
"""Skip reasons CI refuses: ours, and any other test's that names Chromium, a browser or shared/data."""


# --- the browser ----------------------------------------------------------------------------------------


def browser_path() -> Path | None:
    """The Chromium static export and the rendering tests use (orginsight.outputs.charts.export.find_browser)."""
    from orginsight.outputs.charts.export import find_browser

    found = find_browser()
    return Path(found) if found else None


CHROMIUM = browser_path() or Path("/usr/bin/chromium")
"""The real browser the rendering tests use: Debian's Chromium (apt-get install chromium) or BROWSER_PATH."""


def require_browser() -> Path:
    """The Chromium, or skip the test saying it is missing (the ``browser`` marker does this first)."""
    found = browser_path()
    if found is None:
        from orginsight.outputs.charts.export import why_no_browser

        pytest.skip(f"{MISSING_BROWSER}: {why_no_browser()}; 'make browser' installs Debian's chromium")
    return found


def headless_chromium(page: Path, profile: Path, *args: str) -> str:
    """Run headless Chromium on a local page with no network use (``--dump-dom`` or ``--screenshot=...``).

    The background-networking flags matter here: without them Chromium tries Google's hosts at
    every start, which this machine's closed network refuses.
    """
    cmd = [
        str(require_browser()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed on {page}: {done.stderr[-2000:]}"
    return done.stdout


# --- real data --------------------------------------------------------------------------------------------


def shared_data_dir(*parts: str) -> Path:
    """A folder or file of the full real samples in ../shared/data, or skip the test saying why."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"{MISSING_SHARED_DATA}: {path} is absent (the project's ../shared/data folder is not beside this "
            "clone; the trimmed copies in tests/data/real cover the core tests)"
        )
    return path


def real_data(*parts: str) -> Path:
    """A folder or file of the trimmed real samples in tests/data/real (part of the repository)."""
    path = REAL_DATA.joinpath(*parts)
    assert path.exists(), f"{path} is missing from the repository: rebuild it with tests/data/real/trim.py"
    return path


def read_real_findings() -> pd.DataFrame:
    """The findings frame of every real GuardDuty and Security Hub sample (in key order), which the exports'
    tests turn into each format."""
    from orginsight.sources.findings import read_findings_files  # reason: only the exports' tests need it

    files = [p for d in ("guardduty", "securityhub") for p in sorted(real_data(d).rglob("*.json*"))]
    with pytest.warns(UserWarning):  # the Security Hub captures hold insights too, which are not findings
        return read_findings_files(files)


def network_hunts() -> tuple[str, ...]:
    """The hunts that read flow logs or resolver logs (by their ``tables``), in the library's order: every one
    is run on the demo's network story by tests/integration/test_network_triage_demo.py."""
    from orginsight.analytics import hunts  # reason: the hunt library loads every query file
    from orginsight.sources.network import dnslogs, flowlogs  # reason: with the library, when asked

    network = {flowlogs.TABLE, dnslogs.TABLE}
    return tuple(h.name for h in hunts.list_hunts() if network & set(h.tables))


def ddl_argv(accounts: str, region: str, *more: str) -> list[str]:
    """``orginsight ddl`` for the trail bucket the command-line tests describe (bucket ``trail``, organization
    ``o-a1b2c3d4e5``), for ``accounts`` and ``region``, then ``more`` options."""
    return [
        "ddl",
        "--bucket",
        "trail",
        "--org-id",
        "o-a1b2c3d4e5",
        "--account",
        accounts,
        "--region",
        region,
        *more,
    ]


def fake_session(region: str = "us-east-1") -> boto3.Session:
    """A session with moto's fake credentials: moto (inside ``mock_aws``) or a Stubber answers its calls, and
    nothing can reach AWS with them."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)


def stub_replay(service: str, region: str, ops: dict[str, list[dict]]) -> None:
    """Each recorded call (operation -> [{"params", "response"}]) made through botocore's Stubber, which checks
    the params against the operation's input shape and the response against its output shape: the proof that
    made-up responses are shaped exactly like boto3's."""
    client = boto3.client(
        service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stub:
        for op, entries in ops.items():
            for e in entries:
                stub.add_response(op, e["response"], e["params"])
                getattr(client, op)(**e["params"])
        stub.assert_no_pending_responses()


MOTO_ATHENA_RESULTS = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"
"""moto's documented endpoint that queues the results its Athena returns: moto runs no query."""


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's AWS for the test, reached with fake credentials from the environment (as boto3, pyathena and
    the CLI find them), so that no call can reach AWS and no profile of the machine is read."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def queue_athena_results(results: list[dict]) -> None:
    """Queue what moto's Athena returns for the next queries, in the order they start: each a
    ``{"rows": [...], "column_info": [...]}`` shaped as GetQueryResults' ResultSet."""
    assert requests.post(MOTO_ATHENA_RESULTS, json={"results": results}, timeout=5).status_code == 201


def moto_organization(accounts: dict[str, str]) -> tuple[boto3.Session, dict[str, str]]:
    """Inside ``mock_aws``: an organization with each account alone in its own OU under the root, for the
    collectors' tests that read an organization from moto.

    ``accounts``: account name -> its OU's name. Returns the session (moto's fake credentials) and the ids by
    name: ``Root``, each account's name and each OU's name followed by `` OU``.
    """
    session = fake_session()
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = {"Root": org.list_roots()["Roots"][0]["Id"]}
    for name, ou_name in accounts.items():
        ou = org.create_organizational_unit(ParentId=ids["Root"], Name=ou_name)["OrganizationalUnit"]["Id"]
        account = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        org.move_account(AccountId=account["AccountId"], SourceParentId=ids["Root"], DestinationParentId=ou)
        ids[name], ids[f"{ou_name} OU"] = account["AccountId"], ou
    return session, ids


def read_text(path: Path) -> str:
    """A text file's content, gunzipped when it ends in .gz."""
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def read_records(path: Path) -> list[dict]:
    """The records of a ``{"Records": [...]}`` file (.json or .json.gz) or a folder of them, in file order."""
    files = sorted([*path.glob("*.json"), *path.glob("*.json.gz")]) if path.is_dir() else [path]
    return [r for f in files for r in json.loads(read_text(f))["Records"]]


def write_trail_file(
    root: Path,
    records: list[dict],
    account: str = "111122223333",
    region: str = "us-east-1",
    when: datetime = datetime(2024, 5, 1, 12),
    org_id: str = "o-abcdefghij",
) -> Path:
    """One gzip ``{"Records": [...]}`` log file at its CloudTrail key in the lake at ``root``."""
    from orginsight.sources.layout import cloudtrail_key

    key = root / cloudtrail_key(account, region, when, org_id)
    key.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(key, "wt") as fh:
        json.dump({"Records": records}, fh)
    return key


def assumed_role_identity(arn: str, key: str, created: str, role_id: str = "AROAEXAMPLE", **context) -> dict:
    """The ``userIdentity`` of a role session's call (type ``AssumedRole``), derived from the session's ARN
    (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``) as the CloudTrail User Guide's "userIdentity element"
    shows it; ``role_id`` is the role's unique id, ``context`` adds to ``sessionContext`` (``sourceIdentity``...).
    """
    account, role, session = arn.split(":")[4], arn.split("/")[1], arn.rsplit("/", 1)[1]
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": arn,
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"creationDate": created, "mfaAuthenticated": "false"},
            **context,
        },
    }


def count_source_records(path: Path) -> int:
    """Records in a ``{"Records": [...]}`` file or a folder of them, counted with the json module."""
    return len(read_records(path))


REAL_CLOUDTRAIL = ("invictus-stratus", "otrf-ec2-proxy-s3-exfil", "trailscraper")
"""The CloudTrail sets both real lakes hold (Invictus IR, MIT; OTRF, MIT; trailscraper, Apache-2.0)."""


def _import_lake(sources: list[Path], root: Path) -> Path:
    from orginsight.sources.lake_import import import_files

    report = import_files(sources, root)
    assert not report.failures, report.summary()
    return root


@pytest.fixture(scope="session")
def network_demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo organization (6 accounts, 4 days to 2026-11-27) with its flow and Resolver logs and the
    planted crypto-mining story (``scenario.json`` ``network_incident``): built once, read by the network
    triage and graph tests."""
    from orginsight.demo import generate_lake  # reason: the generator imports the whole package

    root = tmp_path_factory.mktemp("demo-network")
    generate_lake(
        root, accounts=6, days=4, events_per_day=300, seed=13, end=datetime(2026, 11, 27), progress=False,
        processes=1, delivery_minutes=60,
    )  # fmt: skip
    return root


@pytest.fixture(scope="session")
def real_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of the trimmed real CloudTrail in tests/data/real: Invictus Stratus (268 of its 2,900 records:
    every technique), the OTRF records and trailscraper's file. Always available."""
    return _import_lake(
        [real_data("cloudtrail", name) for name in REAL_CLOUDTRAIL], tmp_path_factory.mktemp("real-lake")
    )


@pytest.fixture(scope="session")
def shared_real_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of the full real CloudTrail sets in ../shared/data (all 2,900 Invictus records), or skip."""
    sources = [shared_data_dir("cloudtrail", name) for name in REAL_CLOUDTRAIL]
    return _import_lake(sources, tmp_path_factory.mktemp("shared-real-lake"))


# --- markers, and CI's refusal of skips for a missing browser or missing data -----------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a ``browser`` test without a Chromium and a ``shared_data`` test without ../shared/data."""
    if item.get_closest_marker("browser"):
        require_browser()
    if item.get_closest_marker("shared_data"):
        shared_data_dir()


def required_everything() -> bool:
    """Whether this run must not skip for a missing browser or missing data: on CI, or when asked."""
    ci = os.environ.get("CI", "").strip().lower()
    return ci not in ("", "0", "false", "no") or os.environ.get("ORGINSIGHT_REQUIRE_ALL") == "1"


_refused_skips: list[str] = []
"""Skips CI does not accept, as "node id: reason", gathered while the tests run."""


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason a skipped test (or module) report gives, without pytest's "Skipped: " prefix."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def _note_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail") and REQUIRED_SKIP.search(skip_reason(report)):
        _refused_skips.append(f"{report.nodeid}: {skip_reason(report)}")


def pytest_configure(config: pytest.Config) -> None:
    _refused_skips.clear()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI, a skip for a missing browser or missing ../shared/data fails an otherwise green run."""
    if required_everything() and _refused_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    refused = _refused_skips
    if not (required_everything() and refused):
        return
    terminalreporter.section("skipped for a missing browser or missing data: not accepted on CI", red=True)
    for line in refused:
        terminalreporter.line(line, red=True)
    terminalreporter.line(
        f"{len(refused)} test(s) skipped for a missing browser or missing ../shared/data, and CI "
        "(CI or ORGINSIGHT_REQUIRE_ALL=1) requires them: install Chromium (scripts/ensure-chromium) and "
        "provide ../shared/data, or unset CI and ORGINSIGHT_REQUIRE_ALL to allow the skips.",
        red=True,
        bold=True,
    )


# --- comparing query results ---------------------------------------------------------------------------


def canon(value: object, sort_lists: bool = False) -> object:
    """A comparable form of one cell: arrays as tuples (sorted when their order means nothing), dicts as items."""
    import numpy as np

    if isinstance(value, np.ndarray | list | tuple):
        items = [canon(v, sort_lists) for v in value]
        return tuple(sorted(items, key=repr) if sort_lists else items)
    if isinstance(value, dict):
        return tuple((k, canon(v, sort_lists)) for k, v in value.items())
    return value


def row_multiset(df, sort_lists: bool = False) -> list[str]:
    """The rows of a frame as a sorted list: equal for two results with the same rows in any order."""
    return sorted(repr(tuple(canon(v, sort_lists) for v in row)) for row in df.itertuples(index=False))


def assert_same_result(plain, cached, sort_lists: bool = False) -> None:
    """Same columns, same types, same rows (in any order)."""
    assert list(plain.columns) == list(cached.columns)
    assert [str(t) for t in plain.dtypes] == [str(t) for t in cached.dtypes]
    assert row_multiset(plain, sort_lists) == row_multiset(cached, sort_lists)
