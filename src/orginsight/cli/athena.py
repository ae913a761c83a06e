"""Commands for the trail on Athena: ``athena estimate`` (what a query will scan) and ``athena compact``
(a partitioned Parquet copy of the trail in the organization's bucket, and the view that reads it)."""

from __future__ import annotations

import argparse
import sys

from orginsight.cli.command import Command, Group
from orginsight.cli.options import (
    ATHENA_DATABASE,
    ATHENA_TABLE,
    ATHENA_WORKGROUP,
    TRAIL_LOCATION,
    Options,
    account_filter,
    athena_lake,
    option,
    progress_wanted,
    region_filter,
    time_window,
)
from orginsight.cli.params import PARAM_HELP, parse_params
from orginsight.timerange import parse_time, utc_now

ATHENA_TRAIL = Options(
    ATHENA_DATABASE.but(required=True),
    ATHENA_TABLE,
    TRAIL_LOCATION.but(required=True),
    ATHENA_WORKGROUP,
)
"""The trail table on Athena and where its objects are."""


def run_estimate(args: argparse.Namespace) -> int:
    """what a query will scan on Athena, before it runs

    List the S3 objects of the partitions the query reads (after the cost guard bounds it) and print
    their count, size and Athena's price for them. Runs no query.

    orginsight athena estimate "SELECT count(*) FROM cloudtrail WHERE eventtime >= :since" --param since=7d
        --athena-database security --trail-location s3://org-trail/AWSLogs/o-a1b2c3d4e5/
    """
    found = athena_lake(args).estimate(args.query, **parse_params(args.param))
    print(found.line())
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def run_compact(args: argparse.Namespace) -> int:
    """keep a partitioned Parquet copy of the trail in the organization's bucket

    Create the cloudtrail_compact table (Parquet, partitioned by account, region and day) at --location,
    INSERT each closed day, account and region not yet compacted (read from the table's partitions), and
    recreate the cloudtrail_all view: compacted days from Parquet, other days from the raw trail. Point
    hunts at it with --athena-table cloudtrail_all. Prints what it cost and what it saves a hunt.

    orginsight athena compact --since 30d --location s3://org-trail/orginsight/cloudtrail_compact/
        --athena-database security --trail-location s3://org-trail/AWSLogs/o-a1b2c3d4e5/
    """
    from orginsight.engines.athena_compact import run_compaction  # reason: loads tqdm, only when it runs

    lake = athena_lake(args)
    report = run_compaction(
        lake.engine,  # type: ignore[arg-type]  # Lake.athena's engine is an AthenaEngine
        args.location,
        since=parse_time(args.since).date(),
        now=utc_now(),
        accounts=args.account,
        regions=args.region,
        progress=progress_wanted(),
    )
    for line in report.lines():
        print(line)
    return 1 if report.failures else 0


ESTIMATE = Command(
    "estimate",
    run_estimate,
    option("query", help="one Athena SQL query over cloudtrail"),
    option("--param", action="append", metavar="NAME=VALUE", help=PARAM_HELP),
    ATHENA_TRAIL,
)

COMPACT = Command(
    "compact",
    run_compact,
    option("--location", required=True, metavar="S3_URI", help="where the Parquet copy lives, s3://..."),
    time_window(since="the first day to compact: 30d, 2024-06-01 (default 30d)", since_default="30d"),
    account_filter("compact only this account"),
    region_filter("compact only this region"),
    ATHENA_TRAIL,
)

ATHENA_COMMANDS = Group(
    "athena",
    """the trail on Athena: scan estimates and compaction

    Estimate what a query will scan before it runs, and keep a partitioned Parquet copy of the trail that
    hunts read through a view.

    orginsight athena compact --since 30d --location s3://org-trail/orginsight/cloudtrail_compact/
        --athena-database security --trail-location s3://org-trail/AWSLogs/o-a1b2c3d4e5/
    """,
    ESTIMATE,
    COMPACT,
)
