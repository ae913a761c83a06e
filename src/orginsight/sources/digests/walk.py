"""Finding a lake's digest files: one walk of each account's ``CloudTrail-Digest/`` tree, days outside the
window skipped without being listed, one ``stat`` per digest (and one for its sidecar)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orginsight.sources.digests.format import DIGEST_FOLDER, DIGEST_KEY, SIDECAR_SUFFIX

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FoundDigest:
    """A digest file found in the lake, with what its key and one ``stat`` say."""

    path: str
    rel: str
    account: str
    region: str
    trail: str
    home: str
    org: str | None
    end: datetime
    stat: tuple[int, int]
    sidecar: tuple[int, int] | None


def find_digests(
    root: Path, accounts: set[str] | None, since: datetime | None, until: datetime | None
) -> Iterator[FoundDigest]:
    """Every digest whose end time lies in [since, until + 1 h], day folders outside skipped unlisted."""
    first = (since - timedelta(days=1)).date() if since else date.min
    last = (until + timedelta(days=1)).date() if until else date.max
    base = root / "AWSLogs"
    if not base.is_dir():
        return
    for top in sorted(os.scandir(base), key=lambda e: e.name):
        owners = sorted(os.scandir(top.path), key=lambda e: e.name) if top.name.startswith("o-") else [top]
        for owner in owners:
            if accounts and owner.name not in accounts:
                continue
            tree = os.path.join(owner.path, DIGEST_FOLDER)
            for dirpath, dirs, files in os.walk(tree):
                dirs.sort()
                parts = os.path.relpath(dirpath, tree).split(os.sep)
                if len(parts) == 4 and not _day_in(parts[1:], first, last):
                    dirs.clear()
                    continue
                for name in sorted(files):
                    yield from _found(root, dirpath, name, since, until)


def _day_in(ymd: list[str], first: date, last: date) -> bool:
    try:
        return first <= date(int(ymd[0]), int(ymd[1]), int(ymd[2])) <= last
    except ValueError:
        return False


def _found(
    root: Path, dirpath: str, name: str, since: datetime | None, until: datetime | None
) -> Iterator[FoundDigest]:
    path = os.path.join(dirpath, name)
    rel = Path(path).relative_to(root).as_posix()
    m = DIGEST_KEY.search(rel)
    if m is None:
        return
    end = datetime.strptime(m["end"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if (since and end < since) or (until and end > until + HOUR):
        return
    st = os.stat(path)
    try:
        sc = os.stat(path + SIDECAR_SUFFIX)
        sidecar = (sc.st_mtime_ns, sc.st_size)
    except FileNotFoundError:
        sidecar = None
    yield FoundDigest(
        path,
        rel,
        m["account"],
        m["region"],
        m["trail"],
        m["home"],
        m["org"],
        end,
        (st.st_mtime_ns, st.st_size),
        sidecar,
    )
