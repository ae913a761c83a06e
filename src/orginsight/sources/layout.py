"""The S3 key layouts of an organization's security data.

A local lake is a folder laid out exactly like the S3 buckets AWS writes to, so
the same partition logic serves DuckDB locally and Athena's partition projection.

CloudTrail (AWS CloudTrail User Guide, "Finding your CloudTrail log files", 2024):
    AWSLogs/<org-id>/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
        <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<random>.json.gz
A single-account trail omits ``<org-id>/``. Digest files live under ``CloudTrail-Digest/`` and
are not events. Insights events (CloudTrail User Guide, "CloudTrail Insights events", 2024) live
under ``CloudTrail-Insight/`` in the same shape, each file one ``{"Records": [...]}`` of
``AwsCloudTrailInsight`` records, and are their own table (``cloudtrail_insights``), never ``cloudtrail``:
    AWSLogs/<org-id>/<account>/CloudTrail-Insight/<region>/<yyyy>/<mm>/<dd>/
        <account>_CloudTrail-Insight_<region>_<yyyymmddThhmmZ>_<random>.json.gz

GuardDuty export (GuardDuty User Guide, "Exporting findings", 2024):
    AWSLogs/<account>/GuardDuty/<region>/<yyyy>/<mm>/<dd>/<uuid>.jsonl.gz

S3 Storage Lens export (S3 User Guide, "Storage Lens export schema", 2024):
    StorageLens/<account>/<config-id>/V_1/reports/dt=<yyyy-mm-dd>/<uuid>.csv|.par
    StorageLens/<account>/<config-id>/V_1/manifests/dt=<yyyy-mm-dd>/manifest.json

Collector snapshots and recorded API responses (orginsight's own):
    snapshots/<collector>/<yyyymmddThhmmssZ>/<table>.parquet + manifest.json
    api/<service>/<region|global>/<Operation>.json   (list of {"params", "response"})
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

ORG_ID_PATTERN = r"o-[a-z0-9]{10,32}"
"""An AWS Organizations id (Organizations API reference, ``Organization.Id``)."""

ACCOUNT_PATTERN = r"[0-9]{12}"
"""An AWS account id: twelve ASCII digits (``\\d`` would also take other scripts' digits)."""

REGION_PATTERN = r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]"
"""An AWS region name of the form the key layouts use (``eu-west-1``, ``us-gov-west-1``)."""

CLOUDTRAIL_KEY = re.compile(
    rf"(?:^|/)AWSLogs/(?:(?P<org>{ORG_ID_PATTERN})/)?(?P<account>{ACCOUNT_PATTERN})/CloudTrail/"
    rf"(?P<region>{REGION_PATTERN})/(?P<yyyy>\d{{4}})/(?P<mm>\d{{2}})/(?P<dd>\d{{2}})/"
    r"(?P<name>[^/]+\.json(?:\.gz)?)$"
)
"""Matches an organization or single-account trail log file key; digest and insight keys do not match."""

INSIGHT_KEY = re.compile(
    rf"(?:^|/)AWSLogs/(?:(?P<org>{ORG_ID_PATTERN})/)?(?P<account>{ACCOUNT_PATTERN})/CloudTrail-Insight/"
    rf"(?P<region>{REGION_PATTERN})/(?P<yyyy>\d{{4}})/(?P<mm>\d{{2}})/(?P<dd>\d{{2}})/"
    r"(?P<name>[^/]+\.json(?:\.gz)?)$"
)
"""Matches a CloudTrail Insights events file key (``CLOUDTRAIL_KEY`` with the ``CloudTrail-Insight`` folder)."""

TRAIL_FOLDER = "CloudTrail"
INSIGHT_FOLDER = "CloudTrail-Insight"
"""The folders of an account's trail log files and Insights events files, each its own table."""

GUARDDUTY_KEY = re.compile(
    rf"(?:^|/)AWSLogs/(?P<account>{ACCOUNT_PATTERN})/GuardDuty/(?P<region>{REGION_PATTERN})/"
    r"(?P<yyyy>\d{4})/(?P<mm>\d{2})/(?P<dd>\d{2})/(?P<name>[^/]+\.jsonl(?:\.gz)?)$"
)

STORAGE_LENS_KEY = re.compile(
    r"(?:^|/)StorageLens/(?P<account>\d{12})/(?P<config>[^/]+)/V_1/reports/dt=(?P<dt>\d{4}-\d{2}-\d{2})/"
    r"(?P<name>[^/]+\.(?:csv|par|parquet)(?:\.gz)?)$"
)


@dataclass(frozen=True, slots=True)
class CloudTrailFile:
    """One CloudTrail log file of a lake, with the partition values its key carries.

    ``mtime_ns`` comes from the same ``stat`` as ``size`` when the walk found the file
    (so checking it needs no second ``stat``); None when a caller built it without one.
    """

    path: str
    account: str
    region: str
    day: date
    org_id: str | None
    size: int
    mtime_ns: int | None = None

    @property
    def timestamp(self) -> str:
        """The partition value Athena's projection uses (``yyyy/MM/dd``)."""
        return self.day.strftime("%Y/%m/%d")


@dataclass(frozen=True, slots=True)
class CloudTrailFolder:
    """One day folder of a trail (``.../CloudTrail/<region>/yyyy/mm/dd``): the lake's unit of change.

    Listing a folder costs one ``stat`` of the folder and no ``stat`` per file: ``names``
    are the log file names in it, sorted, and ``mtime_ns`` and ``inode`` identify this
    very folder as it was. CloudTrail never rewrites a log object, and adding, removing
    or renaming a file changes its folder's mtime, so an unchanged (mtime, inode, names)
    says the files are the ones seen before (``parquet_cache`` trusts a partition on it).
    """

    path: str
    account: str
    region: str
    day: date
    org_id: str | None
    mtime_ns: int
    inode: int
    names: tuple[str, ...]

    def files(self) -> list[CloudTrailFile]:
        """The folder's log files, one ``stat`` each (size and mtime); a file gone since the listing is left out."""
        out: list[CloudTrailFile] = []
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if _STAT_DIR_FD else None
        except OSError:
            fd = None
        try:
            for name in self.names:
                path = f"{self.path}{os.sep}{name}"
                try:
                    # Relative to the open folder: the kernel resolves one name, not the whole path (20% less CPU).
                    st = os.stat(name, dir_fd=fd) if fd is not None else os.stat(path)
                except FileNotFoundError:
                    continue
                out.append(
                    CloudTrailFile(
                        path, self.account, self.region, self.day, self.org_id, st.st_size, st.st_mtime_ns
                    )
                )
        finally:
            if fd is not None:
                os.close(fd)
        return out


def parse_cloudtrail_key(key: str) -> dict[str, str] | None:
    """Partition values of a CloudTrail log file key, or None when the key is not a log file."""
    m = CLOUDTRAIL_KEY.search(key.replace(os.sep, "/"))
    return m.groupdict() if m else None


def parse_insight_key(key: str) -> dict[str, str] | None:
    """Partition values of a CloudTrail Insights events file key, or None when the key is not one."""
    m = INSIGHT_KEY.search(key.replace(os.sep, "/"))
    return m.groupdict() if m else None


EARLIEST_EVENT_TIME = datetime(2005, 1, 1, tzinfo=UTC)
"""No AWS log predates this (CloudTrail itself started in 2013); an earlier time is a forged or broken record."""


def is_account_id(value: object) -> bool:
    """Whether ``value`` is an account id a key may carry: a string of twelve ASCII digits."""
    return isinstance(value, str) and _ACCOUNT.fullmatch(value) is not None


def is_region(value: object) -> bool:
    """Whether ``value`` is a region name a key may carry (``REGION_PATTERN``): nothing else names a folder."""
    return isinstance(value, str) and _REGION.fullmatch(value) is not None


def is_org_id(value: object) -> bool:
    """Whether ``value`` is an organization id a key may carry (``o-`` and 10 to 32 lowercase letters or digits)."""
    return isinstance(value, str) and _ORG.fullmatch(value) is not None


def is_plausible_event_time(when: datetime, now: datetime | None = None) -> bool:
    """Whether an aware ``when`` lies between ``EARLIEST_EVENT_TIME`` and a day after ``now`` (default: now).

    The day of slack covers clocks that run a little ahead; a naive ``when`` is refused
    (its zone is unknown, so the day folder it names is too).
    """
    if when.tzinfo is None:
        return False
    latest = (now or datetime.now(UTC)) + timedelta(days=1)
    return EARLIEST_EVENT_TIME <= when <= latest


def path_inside(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` lies inside the folder ``root`` once ``..`` and the symbolic links of its existing parts
    are resolved: the last check before anything is written under a lake."""
    base = Path(root).resolve()
    return Path(path).resolve().is_relative_to(base)


def cloudtrail_key(
    account: str, region: str, when: datetime, org_id: str | None = None, suffix: str | None = None
) -> str:
    """The key CloudTrail gives a log file delivered for ``account`` and ``region`` at ``when``."""
    suffix = suffix or _random_suffix()
    prefix = f"AWSLogs/{org_id}/{account}" if org_id else f"AWSLogs/{account}"
    return (
        f"{prefix}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{suffix}.json.gz"
    )


def insight_key(
    account: str, region: str, when: datetime, org_id: str | None = None, suffix: str | None = None
) -> str:
    """The key CloudTrail gives an Insights events file delivered for ``account`` and ``region`` at ``when``."""
    prefix = f"AWSLogs/{org_id}/{account}" if org_id else f"AWSLogs/{account}"
    return (
        f"{prefix}/{INSIGHT_FOLDER}/{region}/{when:%Y/%m/%d}/"
        f"{account}_{INSIGHT_FOLDER}_{region}_{when:%Y%m%dT%H%MZ}_{suffix or _random_suffix()}.json.gz"
    )


def guardduty_key(account: str, region: str, when: datetime, name: str) -> str:
    """The key of a GuardDuty findings export object."""
    return f"AWSLogs/{account}/GuardDuty/{region}/{when:%Y/%m/%d}/{name}.jsonl.gz"


def iter_cloudtrail_files(
    root: str | Path, partitions: PartitionSelector | None = None
) -> Iterator[CloudTrailFile]:
    """Every CloudTrail log file below ``root``, skipping digests, insights and anything else.

    One ``stat`` per file (size and mtime together); see ``iter_cloudtrail_folders``
    for what is walked and skipped.
    """
    for folder in iter_cloudtrail_folders(root, partitions):
        yield from folder.files()


def iter_insight_folders(
    root: str | Path, partitions: PartitionSelector | None = None
) -> Iterator[CloudTrailFolder]:
    """Every Insights events day folder below ``root`` (``CloudTrail-Insight/``), walked and pruned exactly as
    ``iter_cloudtrail_folders`` walks the trail's."""
    return iter_cloudtrail_folders(root, partitions, INSIGHT_FOLDER)


def iter_cloudtrail_folders(
    root: str | Path, partitions: PartitionSelector | None = None, folder: str = TRAIL_FOLDER
) -> Iterator[CloudTrailFolder]:
    """Every CloudTrail day folder below ``root``, in key order, with the names of the log files in it.

    Walks only ``AWSLogs`` trees and, inside them, only ``CloudTrail`` folders, so a
    bucket that also holds GuardDuty exports or Config snapshots is cheap to index;
    with ``partitions``, folders of other accounts, regions and days are not even listed.
    Partition values come from the folder names, once per day folder; a file counts
    when its name is a log file's (``CLOUDTRAIL_KEY``: ``*.json`` or ``*.json.gz``). ``folder`` names
    the account's subfolder walked (``INSIGHT_FOLDER`` for the Insights events).
    """
    base = os.fspath(Path(root) / "AWSLogs")
    if not os.path.isdir(base):
        return
    for name, path in _subfolders(base):
        if _ACCOUNT.fullmatch(name):
            yield from _account_folders(path, name, None, partitions, folder)
        elif _ORG.fullmatch(name):
            for account, account_path in _subfolders(path):
                if _ACCOUNT.fullmatch(account):
                    yield from _account_folders(account_path, account, name, partitions, folder)


_STAT_DIR_FD = os.stat in os.supports_dir_fd

_ORG = re.compile(ORG_ID_PATTERN)
_ACCOUNT = re.compile(ACCOUNT_PATTERN)
_REGION = re.compile(REGION_PATTERN)
_YEAR = re.compile(r"[0-9]{4}")
_MONTH_OR_DAY = re.compile(r"[0-9]{2}")


def _account_folders(
    path: str, account: str, org_id: str | None, p: PartitionSelector | None, folder: str = TRAIL_FOLDER
) -> Iterator[CloudTrailFolder]:
    """The day folders of one account's ``CloudTrail/`` (or ``folder``) tree that the selector may want."""
    if p is not None and p.accounts is not None and account not in p.accounts:
        return
    trail = os.path.join(path, folder)
    if not os.path.isdir(trail):
        return
    for region, region_path in _subfolders(trail):
        if not _REGION.fullmatch(region) or (
            p is not None and p.regions is not None and region not in p.regions
        ):
            continue
        for yyyy, year_path in _subfolders(region_path):
            y = int(yyyy) if _YEAR.fullmatch(yyyy) else 0
            if not y or not _overlaps((y, 1, 1), (y, 12, 31), p):
                continue
            for mm, month_path in _subfolders(year_path):
                m = int(mm) if _MONTH_OR_DAY.fullmatch(mm) else 0
                if not 1 <= m <= 12 or not _overlaps((y, m, 1), (y, m, 31), p):
                    continue
                for entry in _subfolder_entries(month_path):
                    day = _day(y, m, entry.name)
                    if day is None or not _overlaps((y, m, day.day), (y, m, day.day), p):
                        continue
                    yield _folder(entry, account, region, day, org_id)


def _folder(entry: os.DirEntry, account: str, region: str, day: date, org_id: str | None) -> CloudTrailFolder:
    """A day folder: one ``stat`` of the folder itself, then its log file names (no ``stat`` per file)."""
    st = entry.stat()
    with os.scandir(entry.path) as it:  # ~200k names a second; a function call per name would cost 40% more
        names = sorted(
            e.name
            for e in it
            if e.name.endswith(_LOG_SUFFIXES) and e.name not in _BARE and e.is_file(follow_symlinks=False)
        )
    return CloudTrailFolder(entry.path, account, region, day, org_id, st.st_mtime_ns, st.st_ino, tuple(names))


_LOG_SUFFIXES = (".json.gz", ".json")
_BARE = frozenset(_LOG_SUFFIXES)
"""With ``_LOG_SUFFIXES``, ``CLOUDTRAIL_KEY``'s file name rule (``[^/]+\\.json(?:\\.gz)?``) without a regex per file."""


def _day(y: int, m: int, dd: str) -> date | None:
    if not _MONTH_OR_DAY.fullmatch(dd):
        return None
    try:
        return date(y, m, int(dd))
    except ValueError:  # 2024/02/30 is no day CloudTrail writes to
        return None


def _subfolder_entries(path: str) -> list[os.DirEntry]:
    """The folders in ``path``, sorted by name (nothing when it cannot be listed)."""
    try:
        with os.scandir(path) as it:
            # Links are not followed: a link in a lake handed over by someone else could point the
            # engine at any file of this machine (DuckDB's directory allow-list checks the path, not its target).
            entries = [e for e in it if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    entries.sort(key=lambda e: e.name)
    return entries


def _subfolders(path: str) -> list[tuple[str, str]]:
    return [(e.name, e.path) for e in _subfolder_entries(path)]


class PartitionSelector(Protocol):
    """What a walk may skip: accounts and regions not listed, days outside the range."""

    accounts: set[str] | None
    regions: set[str] | None
    first_day: date | None
    last_day: date | None


def _overlaps(lo: tuple[int, int, int], hi: tuple[int, int, int], p: PartitionSelector | None) -> bool:
    """Whether the days from ``lo`` to ``hi`` (as (y, m, d)) meet the selector's day range."""
    if p is None:
        return True
    if p.first_day is not None and hi < (p.first_day.year, p.first_day.month, p.first_day.day):
        return False
    return not (p.last_day is not None and lo > (p.last_day.year, p.last_day.month, p.last_day.day))


def _random_suffix() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))
