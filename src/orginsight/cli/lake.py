"""Commands that build and describe where the data lives: ``lake import|info|compact|generate`` and ``ddl``.

The ``lake`` commands work on a local folder only (``--lake DIR``); ``ddl`` prints the Athena table
that names the same layout in the organization's bucket.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime

from orginsight.cli.options import (
    ATHENA_DATABASE,
    ATHENA_TABLE,
    CACHE_DIR,
    LAKE,
    ORG_ID,
    PROFILE,
    Subparsers,
    add_account_argument,
    add_command,
    add_group,
    add_region_argument,
    add_time_arguments,
    progress_wanted,
)
from orginsight.engines.parquet_cache import summary as compact_summary
from orginsight.lake import Lake
from orginsight.sources.ddl import ALL_COMMERCIAL_REGIONS, cloudtrail_ddl, organization_account_ids
from orginsight.sources.lake_import import import_files, parse_byte_size
from orginsight.timerange import parse_time


def add_lake_commands(sub: Subparsers) -> None:
    group = add_group(
        sub,
        "lake",
        help="build and inspect local lakes",
        description="Build and inspect local lakes laid out like the organization's S3 buckets.",
        examples=["orginsight lake info --lake demo-lake"],
    )
    p = add_command(
        group,
        "import",
        help="place loose CloudTrail files into the lake layout",
        description="Place CloudTrail records from files, folders, .zip or .tar.gz archives into the lake, "
        "keyed by the account, region and time in the records. Importing twice adds nothing.",
        examples=["orginsight lake import ~/Downloads/customer-trail.zip --lake ./case-1234"],
        run=run_import,
    )
    p.add_argument("sources", nargs="+", metavar="SRC")
    LAKE.add(p, required=True)
    ORG_ID.add(p, help="organization id for the AWSLogs/<org-id>/ prefix (default: the lake's)")
    p.add_argument(
        "--max-member-bytes",
        default="1G",
        metavar="SIZE",
        help="refuse an input file or archive member that decompresses to more than SIZE "
        "(like 512M or 2G; default 1G): a compression bomb stops there",
    )

    p = add_command(
        group,
        "info",
        help="what the lake holds, and which files cannot be read",
        description="Count the lake's CloudTrail files and records by account and region, and list unreadable files.",
        examples=["orginsight lake info --lake demo-lake"],
        run=run_info,
    )
    LAKE.add(p, required=True)
    CACHE_DIR.add(p)
    add_lake_generate_command(group)
    add_lake_compact_command(group)


def run_import(args: argparse.Namespace) -> int:
    report = import_files(
        args.sources, args.lake, org_id=args.org_id, max_member_bytes=parse_byte_size(args.max_member_bytes)
    )
    print(report.summary())
    in_lake = report.records_placed + report.records_already_in_lake + report.duplicates
    return 1 if report.failures and not in_lake else 0


def run_info(args: argparse.Namespace) -> int:
    from orginsight.engines.inventory import lake_info  # loads pandas: only when the command runs

    print(lake_info(args.lake, cache_dir=args.cache_dir).render())
    return 0


def add_lake_compact_command(group: Subparsers) -> None:
    p = add_command(
        group,
        "compact",
        help="cache closed days as Parquet, for faster repeated queries",
        description="Write each closed (account, region, day) partition of the lake's CloudTrail once as a zstd "
        "Parquet file under DIR/.orginsight/parquet, with a manifest of the files it was made from. Later queries "
        "read those partitions from Parquet while their files are unchanged, and the rest from JSON; a partition "
        "whose files changed is read from JSON (with a warning) until the next compact. Days CloudTrail may still "
        "deliver to (less than a day past their end) are left as JSON; up-to-date partitions are skipped.",
        examples=[
            "orginsight lake compact --lake demo-lake --since 30d",
            "orginsight lake compact --lake /mnt/ro-lake --cache-dir ~/ro-lake-cache --account 111122223333",
        ],
        run=run_compact,
    )
    LAKE.add(p, required=True)
    add_time_arguments(
        p,
        since="first day to compact: 30d, or a date (default: the oldest)",
        until="last day to compact, included (default: the newest closed day)",
    )
    add_account_argument(p)
    CACHE_DIR.add(
        p,
        help="where to write the cache, for a read-only lake "
        "(default DIR/.orginsight/parquet; queries need the same --cache-dir)",
    )


def run_compact(args: argparse.Namespace) -> int:
    result = Lake.local(args.lake, cache_dir=args.cache_dir).compact(
        since=args.since, until=args.until, accounts=args.account, progress=progress_wanted()
    )
    print(compact_summary(result))
    return 1 if result["failed"] else 0


def add_lake_generate_command(group: Subparsers) -> None:
    p = add_command(
        group,
        "generate",
        help="write the synthetic demo organization's lake (with known incidents)",
        description="Write a synthetic AWS Organization's security data lake: Organizations and security-service "
        "state as recorded API responses, organization CloudTrail, GuardDuty findings export and S3 Storage Lens "
        "exports, in the real S3 key layouts, with two planted incidents. The ground truth is DIR/scenario.json. "
        "Deterministic for a seed.",
        examples=[
            "orginsight lake generate --lake demo-lake --account-count 12 --days 30 --events-per-day 10000 --seed 7"
        ],
        run=run_generate,
    )
    LAKE.add(p, required=True)
    p.add_argument(
        "--account-count",
        type=int,
        default=12,
        metavar="N",
        help="number of accounts, at least 6 (default 12)",
    )
    p.add_argument("--days", type=int, default=30, help="days of CloudTrail, at least 3 (default 30)")
    p.add_argument(
        "--events-per-day", type=int, default=10000, help="background events per weekday (default 10000)"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--end", type=day, metavar="YYYY-MM-DD", help="exclusive end date (default 2026-11-27)")
    p.add_argument("--delivery-minutes", type=int, default=5, help="minutes per CloudTrail file (default 5)")
    p.add_argument("--processes", type=int, help="worker processes (default: one per core)")
    p.add_argument("--force", action="store_true", help="replace a lake already generated in DIR")


def day(text: str) -> datetime:
    """A ``YYYY-MM-DD`` option value as midnight (aware UTC) of that day; a usage error otherwise."""
    try:
        return parse_time(date.fromisoformat(text.strip()))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write 2026-11-27") from e


def run_generate(args: argparse.Namespace) -> int:
    from orginsight.demo import generate_lake  # loads the generator's tables: only when the command runs

    summary = generate_lake(
        args.lake,
        accounts=args.account_count,
        days=args.days,
        events_per_day=args.events_per_day,
        seed=args.seed,
        end=args.end,
        processes=args.processes,
        progress=progress_wanted(),
        overwrite=args.force,
        delivery_minutes=args.delivery_minutes,
    )
    print("\n".join(summary.lines()))
    return 0


def add_ddl_command(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "ddl",
        help="print the Athena table for the organization trail",
        description="Print CREATE EXTERNAL TABLE for the organization trail, with partition projection on "
        "account, region and day. Without --account, the account list is read from AWS Organizations.",
        examples=[
            "orginsight ddl --bucket org-trail-logs --org-id o-a1b2c3d4e5 --region us-east-1,eu-west-1"
        ],
        run=run_ddl,
    )
    p.add_argument("--bucket", required=True)
    ORG_ID.add(p, required=True)
    add_account_argument(p, "an account of the projection (default: every account, from Organizations)")
    add_region_argument(p, "a region of the projection (default: every commercial region)")
    p.add_argument("--prefix", default="", help="the trail's S3 key prefix, if any")
    ATHENA_TABLE.add(p, help="the table (default cloudtrail)")
    ATHENA_DATABASE.add(p, help="the Glue database to create it in")
    PROFILE.add(p, help="AWS profile for reading the account list")


def run_ddl(args: argparse.Namespace) -> int:
    accounts = args.account or organization_account_ids(args.profile)
    regions = args.region or ALL_COMMERCIAL_REGIONS
    ddl = cloudtrail_ddl(
        args.bucket,
        args.org_id,
        accounts,
        regions,
        table=args.athena_table,
        database=args.athena_database,
        prefix=args.prefix,
    )
    print(ddl + ";")
    return 0
