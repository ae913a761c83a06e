"""Commands that build, check and describe where the data lives: ``lake import|sync|info|compact|generate|verify``
and ``ddl``.

The ``lake`` commands work on a local folder only (each takes ``--lake DIR``, shared by the group);
``ddl`` prints the Athena table that names the same layout in the organization's bucket.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from orginsight.cli.command import Command, Group
from orginsight.cli.options import (
    ATHENA_DATABASE,
    ATHENA_TABLE,
    CACHE_DIR,
    LAKE,
    ORG_ID,
    PROFILE,
    CommaList,
    UsageError,
    account_filter,
    option,
    progress_wanted,
    region_filter,
    table_output,
    time_window,
    write_frame,
)
from orginsight.engines.cache_report import summary as compact_summary
from orginsight.lake import Lake
from orginsight.sources import securitylake
from orginsight.sources.ddl import ALL_COMMERCIAL_REGIONS, cloudtrail_ddl, organization_account_ids
from orginsight.sources.insights import athena_ddl as insights_ddl
from orginsight.sources.lake_import import import_files, parse_byte_size
from orginsight.sources.lake_sync import DEFAULT_WORKERS, sync
from orginsight.sources.network.ddl import dnsquery_ddl, vpcflow_ddl
from orginsight.sources.ssm_sync import all_athena_ddl
from orginsight.timerange import parse_time


def run_import(args: argparse.Namespace) -> int:
    """place loose CloudTrail files into the lake layout

    Place CloudTrail records from files, folders, .zip or .tar.gz archives into the lake, keyed by the
    account, region and time in the records. Importing twice adds nothing.

    orginsight lake import ~/Downloads/customer-trail.zip --lake ./case-1234
    """
    report = import_files(
        args.sources, args.lake, org_id=args.org_id, max_member_bytes=parse_byte_size(args.max_member_bytes)
    )
    print(report.summary())
    in_lake = report.records_placed + report.records_already_in_lake + report.duplicates
    return 1 if report.failures and not in_lake else 0


def run_info(args: argparse.Namespace) -> int:
    """what the lake holds, and which files cannot be read

    Count the lake's CloudTrail files and records by account and region, and list unreadable files.

    orginsight lake info --lake demo-lake
    """
    from orginsight.engines.inventory import lake_info  # loads pandas: only when the command runs

    print(lake_info(args.lake, cache_dir=args.cache_dir).render())
    return 0


def run_compact(args: argparse.Namespace) -> int:
    """cache closed days as Parquet, for faster repeated queries

    Write each closed (account, region, day) partition of the lake's CloudTrail once as a zstd Parquet
    file under DIR/.orginsight/parquet, with a manifest of the files it was made from. Later queries read
    those partitions from Parquet while their files are unchanged, and the rest from JSON; a partition
    whose files changed is read from JSON (with a warning) until the next compact. Days CloudTrail may
    still deliver to (less than a day past their end) are left as JSON; up-to-date partitions are skipped.

    orginsight lake compact --lake demo-lake --since 30d
    orginsight lake compact --lake /mnt/ro-lake --cache-dir ~/ro-lake-cache --account 111122223333
    """
    result = Lake.local(args.lake, cache_dir=args.cache_dir).compact(
        since=args.since, until=args.until, accounts=args.account, progress=progress_wanted()
    )
    print(compact_summary(result))
    return 1 if result["failed"] else 0


def run_verify(args: argparse.Namespace) -> int:
    """check the CloudTrail files against their signed digests (modified, deleted, added, missing)

    Validate the lake's CloudTrail the way CloudTrail documents its digest files, across every account and
    region: each digest's signature and its chain, each log file's SHA-256. Prints one row per log file
    modified, deleted or added without being listed, digest missing or invalid, and hour without a digest,
    then a summary on stderr. Public keys: --public-keys (PEM files or ListPublicKeys responses), else the
    lake's recorded api/cloudtrail/<region>/ListPublicKeys.json. A second run re-reads only what changed.
    Exits 1 when anything was found.

    orginsight lake verify --lake demo-lake
    orginsight lake verify --lake case-lake --since 2026-11-01 --account 111122223333
        --public-keys list-public-keys.json --format csv
    """
    result = Lake.local(args.lake).verify(
        since=args.since,
        until=args.until,
        accounts=args.account,
        public_keys=args.public_keys,
        progress=progress_wanted(),
    )
    write_frame(result.problems, args.format, args.output_file)
    print("\n".join(result.lines()), file=sys.stderr)
    return 1 if len(result.problems) else 0


def run_sync(args: argparse.Namespace) -> int:
    """copy a window of the organization's bucket into a local lake (trail, digests, exports)

    Copy the days from --since to --until of the organization trail (log files, digests, Insights events),
    the GuardDuty findings export and the Storage Lens export in the same bucket, for the accounts and
    regions given (default: all), into the lake, laid out as the bucket. Lists only those accounts',
    regions' and days' prefixes; copies in parallel; a rerun copies only what is new or changed; checks
    sizes and each log file's SHA-256 against its digest. Read-only S3 calls (ListObjectsV2, GetObject).
    Exits 1 when anything failed.

    orginsight lake sync s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5 --since 2d --account 111122223333
        --region us-east-1 --lake ./case-1234
    """
    report = sync(
        args.uri,
        args.lake,
        since=args.since,
        until=args.until,
        accounts=args.account,
        regions=args.region,
        profile=args.profile,
        workers=args.workers,
        progress=progress_wanted(),
    )
    print("\n".join(report.lines()))
    return 1 if report.failed else 0


def day(text: str) -> datetime:
    """A ``YYYY-MM-DD`` option value as midnight (aware UTC) of that day; a usage error otherwise."""
    try:
        return parse_time(date.fromisoformat(text.strip()))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write 2026-11-27") from e


def run_generate(args: argparse.Namespace) -> int:
    """write the synthetic demo organization's lake (with known incidents)

    Write a synthetic AWS Organization's security data lake: Organizations and security-service state
    as recorded API responses, organization CloudTrail, GuardDuty findings export and S3 Storage Lens
    exports, in the real S3 key layouts, with two planted incidents. The ground truth is
    DIR/scenario.json. Deterministic for a seed.

    orginsight lake generate --lake demo-lake --account-count 12 --days 30 --events-per-day 10000 --seed 7
    """
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


def run_ddl(args: argparse.Namespace) -> int:
    """print the Athena table for the organization trail

    Print CREATE EXTERNAL TABLE for the organization trail and for its Insights events
    (cloudtrail_insights), with partition projection on account, region and day. Without --account,
    the account list is read from AWS Organizations. With --security-lake REGION, print instead the
    view that presents Security Lake's CloudTrail (source version 2, OCSF) as the cloudtrail table, so
    the hunts run on it unchanged. With --flow-logs and --dns-logs, also (or, without --bucket, only) print the vpcflow and dnsquery tables
    over those locations (the bucket and prefix above AWSLogs/); --flow-log-format names the flow log's
    fields in order (default: the version 2 default format) or says parquet.

    orginsight ddl --bucket org-trail-logs --org-id o-a1b2c3d4e5 --region us-east-1,eu-west-1
    orginsight ddl --security-lake us-east-1
    orginsight ddl --flow-logs s3://log-archive --dns-logs s3://log-archive --vpc vpc-0a1b2c3d --account 111122223333
    """
    if args.security_lake:
        print(securitylake.view_ddl(args.security_lake, args.athena_database, args.athena_table) + ";")
        return 0
    network = bool(args.flow_logs or args.dns_logs)
    if not (args.bucket and args.org_id) and not network:
        raise UsageError(
            "ddl needs --bucket and --org-id (or --security-lake REGION for Security Lake's view)"
        )
    accounts = args.account or organization_account_ids(args.profile)
    regions = args.region or ALL_COMMERCIAL_REGIONS
    for statement in network_ddl(args, accounts, regions):  # vpcflow, dnsquery
        print(statement + ";")
    if not (args.bucket and args.org_id):
        return 0
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
    print(
        insights_ddl(
            args.bucket, args.org_id, accounts, regions, database=args.athena_database, prefix=args.prefix
        )
        + ";"
    )
    for statement in (
        all_athena_ddl(args.ssm_sync, accounts, regions, args.athena_database) if args.ssm_sync else []
    ):
        print(statement + ";")
    return 0


def network_ddl(args: argparse.Namespace, accounts: list[str], regions: list[str]) -> list[str]:
    """The vpcflow and dnsquery tables the --flow-logs and --dns-logs options ask for."""
    out = []
    if args.flow_logs:
        fmt = (args.flow_log_format or "").replace(",", " ").split()
        parquet = fmt == ["parquet"]
        out.append(
            vpcflow_ddl(
                args.flow_logs,
                accounts,
                regions,
                None if parquet else fmt or None,
                parquet,
                database=args.athena_database,
            )
        )
    if args.dns_logs:
        if not args.vpc:
            raise UsageError("the dnsquery table's projection needs the VPC ids: pass --vpc")
        out.append(dnsquery_ddl(args.dns_logs, accounts, args.vpc, database=args.athena_database))
    return out


IMPORT = Command(
    "import",
    run_import,
    option("sources", nargs="+", metavar="SRC"),
    ORG_ID.but(help="organization id for the AWSLogs/<org-id>/ prefix (default: the lake's)"),
    option(
        "--max-member-bytes",
        default="1G",
        metavar="SIZE",
        help="refuse an input file or archive member that decompresses to more than SIZE "
        "(like 512M or 2G; default 1G): a compression bomb stops there",
    ),
)

INFO = Command("info", run_info, CACHE_DIR)

GENERATE = Command(
    "generate",
    run_generate,
    option(
        "--account-count",
        type=int,
        default=12,
        metavar="N",
        help="number of accounts, at least 6 (default 12)",
    ),
    option("--days", type=int, default=30, help="days of CloudTrail, at least 3 (default 30)"),
    option("--events-per-day", type=int, default=10000, help="background events per weekday (default 10000)"),
    option("--seed", type=int, default=7),
    option("--end", type=day, metavar="YYYY-MM-DD", help="exclusive end date (default 2026-11-27)"),
    option("--delivery-minutes", type=int, default=5, help="minutes per CloudTrail file (default 5)"),
    option("--processes", type=int, help="worker processes (default: one per core)"),
    option("--force", action="store_true", help="replace a lake already generated in DIR"),
)

VERIFY = Command(
    "verify",
    run_verify,
    time_window(
        since="first digest hour to check: 30d, or a date (default: the oldest)",
        until="last hour to check (default: the newest)",
    ),
    account_filter(),
    option(
        "--public-keys",
        action="append",
        metavar="FILE|DIR",
        help="PEM public keys or ListPublicKeys responses (repeatable; default: the lake's recorded ones)",
    ),
    table_output(),
)

SYNC = Command(
    "sync",
    run_sync,
    option("uri", metavar="S3URI", help="the trail's folder: s3://BUCKET/[prefix/]AWSLogs/o-xxxx"),
    time_window(
        since="first day to copy: 2d, or a date (default 2d)",
        until="last day to copy, included (default: today)",
        since_default="2d",
    ),
    account_filter("only this account (default: every account in the bucket)"),
    region_filter("only this region (default: every region in the bucket)"),
    PROFILE.but(help="AWS profile that reads the bucket"),
    option(
        "--workers", type=int, default=DEFAULT_WORKERS, help=f"copies in flight (default {DEFAULT_WORKERS})"
    ),
)

COMPACT = Command(
    "compact",
    run_compact,
    time_window(
        since="first day to compact: 30d, or a date (default: the oldest)",
        until="last day to compact, included (default: the newest closed day)",
    ),
    account_filter(),
    CACHE_DIR.but(
        help="where to write the cache, for a read-only lake "
        "(default DIR/.orginsight/parquet; queries need the same --cache-dir)"
    ),
)

LAKE_COMMANDS = Group(
    "lake",
    """build and inspect local lakes

    Build and inspect local lakes laid out like the organization's S3 buckets.

    orginsight lake info --lake demo-lake
    """,
    IMPORT,
    INFO,
    GENERATE,
    COMPACT,
    VERIFY,
    SYNC,
    shared=(LAKE.but(required=True),),
)

DDL = Command(
    "ddl",
    run_ddl,
    option("--bucket", help="the organization trail's bucket"),
    ORG_ID,
    option(
        "--security-lake",
        metavar="REGION",
        help="print the cloudtrail view over Security Lake's CloudTrail table in REGION instead",
    ),
    account_filter("an account of the projection (default: every account, from Organizations)"),
    region_filter("a region of the projection (default: every commercial region)"),
    option("--prefix", default="", help="the trail's S3 key prefix, if any"),
    ATHENA_TABLE.but(help="the table (default cloudtrail)"),
    ATHENA_DATABASE.but(help="the Glue database to create it in"),
    PROFILE.but(help="AWS profile for reading the account list"),
    option(
        "--ssm-sync", metavar="S3URI", help="also print the ssm_* tables of the SSM resource data sync there"
    ),
    option("--flow-logs", metavar="S3URI", help="also print the vpcflow table over VPC Flow Logs there"),
    option(
        "--flow-log-format",
        metavar="FIELDS",
        help="the flow log's fields in order ('version account-id ...'), or parquet (default: version 2)",
    ),
    option(
        "--dns-logs", metavar="S3URI", help="also print the dnsquery table over Resolver query logs there"
    ),
    option(
        "--vpc",
        action=CommaList,
        metavar="ID",
        help="a VPC of the dnsquery projection (repeatable, or a,b,c)",
    ),
)
