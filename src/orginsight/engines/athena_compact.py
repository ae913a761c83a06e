"""Compaction in the bucket: a partitioned Parquet copy of the trail, kept by Athena itself.

The trail is gzip JSON, read whole by every query. ``cloudtrail_compact`` holds the same columns as
Parquet (read by column, compressed by column), partitioned like the trail by ``account``, ``region``
and ``timestamp`` (the day, ``yyyy/MM/dd`` as in the trail table), so every partition predicate a hunt
writes means the same on both. A view (``cloudtrail_all``) reads the compacted days from it and every
other day from the raw trail: pointing hunts at it (``--athena-table cloudtrail_all``) changes no hunt.

What is done is Athena's state only: the compacted table's partitions (its ``$partitions`` metadata
table, which scans nothing), set against the trail's partitions from an S3 listing. A day is compacted
once closed (``timerange.DELIVERY_LAG`` after it ends, as for the local Parquet cache), one
``INSERT INTO ... SELECT`` per day and account for the regions not yet done: Athena writes at most 100
partitions per INSERT (Athena User Guide, "INSERT INTO", 2024), and an account has fewer regions.

Every statement here is built from checked names, accounts, regions and days; the functions that
write SQL are pure, and ``run_compaction`` sends them through ``AthenaEngine.execute``. Athena's
query execution is the only write: it writes the Parquet files and registers the partitions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from orginsight.engines.athena_scan import PartitionSize, S3Location, compact_partitions, raw_partitions
from orginsight.engines.parquet_cache import is_closed
from orginsight.engines.pruning import PartitionFilter
from orginsight.errors import LakeError, QueryError
from orginsight.sources.schema import ATHENA_TYPES, PARTITION_COLUMNS

if TYPE_CHECKING:
    from orginsight.engines.athena import AthenaEngine

COMPACT_TABLE = "cloudtrail_compact"
"""The Parquet copy's table name (in the trail table's database)."""

UNION_VIEW = "cloudtrail_all"
"""The view hunts read: compacted days from the Parquet copy, the others from the raw trail."""

_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

Partition = tuple[str, str, date]
"""(account, region, day): one partition of the trail or of its compacted copy."""


def _name(value: str) -> str:
    """A Glue database or table name, checked (lower case letters, digits, underscores) and quoted."""
    if not _NAME.match(value):
        raise LakeError(f"not a Glue name: {value!r} (lower case letters, digits and underscores)")
    return f'"{value}"'


def _string(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise LakeError(f"not {what}: {value!r}")
    return f"'{value}'"


def _day(day: date) -> str:
    return f"'{day.strftime('%Y/%m/%d')}'"


def _columns() -> str:
    return ", ".join(f'"{c}"' for c in (*ATHENA_TYPES, *PARTITION_COLUMNS))


def compact_table_ddl(database: str, location: str, table: str = COMPACT_TABLE) -> str:
    """CREATE EXTERNAL TABLE IF NOT EXISTS for the Parquet copy at ``location`` (in the organization's
    bucket): the trail's columns, partitioned by account, region and day as the trail table is."""
    folder = S3Location.folder(location)
    columns = ",\n".join(f"  `{c}` {t}" for c, t in ATHENA_TYPES.items())
    name = f"`{_name(database).strip(chr(34))}`.`{_name(table).strip(chr(34))}`"
    return f"""CREATE EXTERNAL TABLE IF NOT EXISTS {name} (
{columns}
)
PARTITIONED BY (`account` STRING, `region` STRING, `timestamp` STRING)
STORED AS PARQUET
LOCATION '{folder.uri}'
TBLPROPERTIES ('parquet.compression'='SNAPPY')"""


def done_partitions_sql(database: str, first_day: date, last_day: date, table: str = COMPACT_TABLE) -> str:
    """The compacted table's partitions between two days, from its ``$partitions`` metadata table (no scan)."""
    partitions = f'"{_name(table).strip(chr(34))}$partitions"'
    return (
        f'SELECT account, region, "timestamp" FROM {_name(database)}.{partitions} '
        f'WHERE "timestamp" BETWEEN {_day(first_day)} AND {_day(last_day)}'
    )


def insert_sql(
    database: str,
    raw_table: str,
    account: str,
    day: date,
    regions: Collection[str],
    table: str = COMPACT_TABLE,
) -> str:
    """INSERT INTO the compacted table the trail's rows of one account and day in ``regions``."""
    region_list = ", ".join(_string(r, _REGION, "a region") for r in sorted(regions))
    return (
        f"INSERT INTO {_name(database)}.{_name(table)}\n"
        f"SELECT {_columns()}\n"
        f"FROM {_name(database)}.{_name(raw_table)}\n"
        f'WHERE "timestamp" = {_day(day)} AND account = {_string(account, _ACCOUNT, "an account id")} '
        f"AND region IN ({region_list})"
    )


def union_view_sql(
    database: str,
    raw_table: str,
    compacted: tuple[date, date] | None,
    view: str = UNION_VIEW,
    table: str = COMPACT_TABLE,
) -> str:
    """CREATE OR REPLACE VIEW that reads the ``compacted`` days (first, last) from the Parquet copy and every
    other day from the raw trail; the raw trail alone while no day is compacted. Both halves keep the
    partition columns, so a hunt's day, account and region predicates prune both."""
    head = f"CREATE OR REPLACE VIEW {_name(database)}.{_name(view)} AS\n"
    raw = f"SELECT {_columns()}\nFROM {_name(database)}.{_name(raw_table)}"
    if compacted is None:
        return head + raw
    days = f'"timestamp" BETWEEN {_day(compacted[0])} AND {_day(compacted[1])}'
    return (
        f"{head}SELECT {_columns()}\nFROM {_name(database)}.{_name(table)}\nWHERE {days}\n"
        f"UNION ALL\n{raw}\nWHERE NOT ({days})"
    )


@dataclass(frozen=True)
class Insert:
    """One INSERT of the plan: an account's day, for the regions not yet compacted."""

    account: str
    day: date
    regions: tuple[str, ...]
    raw_bytes: int
    """What it will scan: the size of the raw objects of its partitions."""


@dataclass(frozen=True)
class CompactPlan:
    """What a compaction run does, decided from the trail's partitions and the compacted ones."""

    inserts: tuple[Insert, ...]
    done: int
    """Partitions already compacted, skipped."""
    open: int
    """Partitions of days CloudTrail may still deliver to, left to the raw trail for now."""


def plan_compaction(
    raw: Iterable[PartitionSize],
    done: Collection[Partition],
    now: datetime,
    accounts: Collection[str] | None = None,
    regions: Collection[str] | None = None,
) -> CompactPlan:
    """The INSERTs that compact each closed raw partition (of ``accounts`` and ``regions`` when given) not
    in ``done``: one per account and day, for its regions not done."""
    todo: dict[tuple[str, date], list[PartitionSize]] = {}
    n_done = n_open = 0
    for p in raw:
        if (accounts is not None and p.account not in accounts) or (
            regions is not None and p.region not in regions
        ):
            continue
        if (p.account, p.region, p.day) in done:
            n_done += 1
        elif not is_closed(p.day, now):
            n_open += 1
        else:
            todo.setdefault((p.account, p.day), []).append(p)
    inserts = tuple(
        Insert(account, day, tuple(sorted(p.region for p in parts)), sum(p.bytes for p in parts))
        for (account, day), parts in sorted(todo.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    )
    return CompactPlan(inserts, n_done, n_open)


def compacted_days(
    raw: Iterable[PartitionSize], done: Collection[Partition], first: date, last: date
) -> tuple[date, date] | None:
    """The days from ``first`` whose every raw partition is compacted, without a gap: what the view may read
    from the Parquet copy (None when ``first`` itself is not complete)."""
    missing = {p.day for p in raw if (p.account, p.region, p.day) not in done}
    day, through = first, None
    while day <= last and day not in missing:
        through, day = day, day + timedelta(days=1)
    return (first, through) if through is not None else None


@dataclass
class CompactReport:
    """What a run did and what it cost, and what the copy saves a hunt."""

    inserts: int = 0
    bytes_scanned: int = 0
    cost_usd: float = 0.0
    skipped_done: int = 0
    skipped_open: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    view_days: tuple[date, date] | None = None
    sample_days: tuple[date, date] | None = None
    sample_raw_bytes: int = 0
    """What a hunt over the sample days scans on the raw trail (its objects, read whole)."""
    sample_compact_bytes: int = 0
    """The Parquet copy's objects for the same days: at most what the hunt scans there (it reads columns)."""

    def lines(self) -> list[str]:
        """The report for people."""
        view = f"{self.view_days[0]} to {self.view_days[1]}" if self.view_days else "no day yet"
        found = [
            f"{self.inserts} INSERT(s) run, scanning {self.bytes_scanned:,} bytes (about ${self.cost_usd:.4f}); "
            f"{self.skipped_done} partition(s) already compacted, {self.skipped_open} still open",
            f"the view reads compacted days {view} from Parquet, every other day from the raw trail",
        ]
        if self.sample_days:
            saved = self.sample_raw_bytes - self.sample_compact_bytes
            found.append(
                f"a hunt over {self.sample_days[0]} to {self.sample_days[1]} scans {self.sample_raw_bytes:,} bytes "
                f"raw and at most {self.sample_compact_bytes:,} compacted: {saved:,} bytes saved per hunt"
            )
        found += [f"failed: {f['account']} {f['day']}: {f['error']}" for f in self.failures]
        return found


def run_compaction(
    engine: AthenaEngine,
    location: str,
    since: date,
    now: datetime,
    accounts: Collection[str] | None = None,
    regions: Collection[str] | None = None,
    sample_days: int = 7,
    progress: bool = False,
) -> CompactReport:
    """Create the copy's table if missing, INSERT what the plan says, and (re)create the view.

    A failed INSERT loses only its account's day (reported, left to the next run); the view then stops
    before that day.
    """
    from tqdm import tqdm  # reason: the progress bar, only when compacting

    if not engine.trail_location:
        raise LakeError("compaction lists the trail: pass --trail-location s3://BUCKET/AWSLogs/o-xxxx/")
    trail = S3Location.trail(engine.trail_location)
    last = now.date() - timedelta(days=1)
    engine.execute(compact_table_ddl(engine.database, location))
    done_rows = engine.execute(done_partitions_sql(engine.database, since, last))
    done = {
        (str(a), str(r), datetime.strptime(str(t), "%Y/%m/%d").date())
        for a, r, t in done_rows.itertuples(index=False)
    }
    window = PartitionFilter(first_day=since, last_day=last)
    s3 = engine.s3_client()
    raw = raw_partitions(s3, trail, window)
    plan = plan_compaction(raw, done, now, accounts, regions)
    report = CompactReport(skipped_done=plan.done, skipped_open=plan.open)
    for step in tqdm(plan.inserts, desc="compacting", unit="INSERT", disable=not progress):
        sql = insert_sql(engine.database, engine.table, step.account, step.day, step.regions)
        try:
            stats: dict[str, Any] = engine.execute(sql).attrs["stats"]
        except QueryError as e:
            report.failures.append({"account": step.account, "day": str(step.day), "error": str(e)})
            continue
        report.inserts += 1
        report.bytes_scanned += int(stats.get("bytes_scanned") or 0)
        report.cost_usd += float(stats.get("cost_usd") or 0.0)
        done |= {(step.account, r, step.day) for r in step.regions}
    report.view_days = compacted_days(raw, done, since, last)
    engine.execute(union_view_sql(engine.database, engine.table, report.view_days))
    if report.view_days:
        first = max(report.view_days[0], report.view_days[1] - timedelta(days=sample_days - 1))
        report.sample_days = (first, report.view_days[1])
        sample = PartitionFilter(first_day=first, last_day=report.view_days[1])
        report.sample_raw_bytes = sum(p.bytes for p in raw if sample.allows(p.account, p.region, p.day))
        report.sample_compact_bytes = sum(
            p.bytes for p in compact_partitions(s3, S3Location.folder(location), sample)
        )
    return report
