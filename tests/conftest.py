"""Fixtures shared by the whole suite: where the real sample data lives, and lakes built from it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium (apt-get install chromium), the real browser the rendering tests use."""


def headless_chromium(page: Path, profile: Path, *args: str) -> str:
    """Run headless Chromium on a local page with no network use (``--dump-dom`` or ``--screenshot=...``).

    The background-networking flags matter here: without them Chromium tries Google's hosts at
    every start, which this machine's closed network refuses.
    """
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
        "--virtual-time-budget=10000", *args, page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed on {page}: {done.stderr[-2000:]}"
    return done.stdout


def shared_data_dir(*parts: str) -> Path:
    """A folder of the real public samples in ../shared/data, or skip the test saying why."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real sample data absent: {path} (the project's ../shared/data folder is not beside this clone)")
    return path


def count_source_records(path: Path) -> int:
    """Records in a ``{"Records": [...]}`` file or a folder of them, counted with the json module."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return sum(len(json.loads(f.read_text())["Records"]) for f in files)


@pytest.fixture(scope="session")
def real_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake holding the Invictus Stratus, OTRF and trailscraper CloudTrail records."""
    from orginsight.lake_import import import_files

    sources = [
        shared_data_dir("cloudtrail", "invictus-stratus"),
        shared_data_dir("cloudtrail", "otrf-ec2-proxy-s3-exfil", "records.json"),
        shared_data_dir("cloudtrail", "trailscraper"),
    ]
    root = tmp_path_factory.mktemp("real-lake")
    report = import_files(sources, root)
    assert not report.failures, report.summary()
    return root


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
