"""The ``orginsight`` command line: a thin layer over the library.

Each command parses its arguments, calls one library function and maps
``OrgInsightError`` to a clean exit with a message that says what to do next.
Commands are grouped by the module they call; each group adds itself in one
``_add_*`` function below, registered in ``COMMAND_GROUPS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from orginsight.errors import OrgInsightError, ParameterError

EPILOG_EXAMPLES = "Run 'orginsight COMMAND --help' for examples."


def write_frame(df: Any, fmt: str = "table", out: str | None = None) -> None:
    """Print or save a DataFrame as a table, CSV, JSON lines or Parquet."""
    if fmt == "parquet":
        if not out:
            raise OrgInsightError("--format parquet needs --out FILE")
        df.to_parquet(out, index=False)
        return
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = df.to_json(orient="records", lines=True, date_format="iso", default_handler=str)
    else:
        import pandas as pd

        with pd.option_context(
            "display.max_rows",
            200,
            "display.max_columns",
            50,
            "display.width",
            200,
            "display.max_colwidth",
            80,
        ):
            text = df.to_string(index=False) if len(df) else "(no rows)"
    if out:
        with open(out, "w") as fh:
            fh.write(text)
    else:
        print(text)


PARAM_TYPES = ("string", "int", "float", "bool", "timestamp", "date", "list", "list[TYPE]")
"""Types ``--param NAME:TYPE=VALUE`` takes (``list`` is a list of strings; ``list[int]`` and the
like convert each comma-separated item)."""

PARAM_HELP = (
    "bind a :name parameter. NAME=VALUE binds text, as typed (012345678901 keeps its leading zero); "
    "NAME:TYPE=VALUE converts it, TYPE one of string, int, float, bool, timestamp (ISO-8601, UTC unless "
    "it names a zone; or 7d, now), date, list (comma-separated strings) or list[int] and the like. "
    "Example: --param account=012345678901 --param n:int=5 --param since:timestamp=2026-01-01T00:00:00Z "
    "--param ids:list=a,b"
)
"""Help of ``orginsight sql --param``: the typed form, with an example of each kind."""

HUNT_PARAM_HELP = (
    "a hunt parameter, converted by the type the hunt's header declares (a string stays text: "
    "012345678901 keeps its leading zero; lists: a,b,c)"
)


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``--param`` values of ``orginsight sql``: ``NAME=VALUE`` is text, ``NAME:TYPE=VALUE`` is converted.

    A value never changes type by looking like a number: ``account=012345678901`` binds the text
    ``'012345678901'``. Only an explicit type converts (see :data:`PARAM_TYPES` and :func:`_typed`).
    """
    params: dict[str, Any] = {}
    for pair in pairs or []:
        name, kind, text = _split_param(pair)
        params[name] = text if kind is None else _typed(name, kind, text)
    return params


def _split_param(pair: str) -> tuple[str, str | None, str]:
    """``(name, type or None, value)`` of one ``NAME[:TYPE]=VALUE``; the value may hold ``=`` and ``:``."""
    if "=" not in pair:
        raise ParameterError(f"--param takes NAME=VALUE or NAME:TYPE=VALUE, got {pair!r}")
    key, text = pair.split("=", 1)
    name, colon, kind = (part.strip() for part in key.partition(":"))
    if not name:
        raise ParameterError(f"--param {pair!r} names no parameter: write NAME=VALUE")
    if colon and not kind:
        raise ParameterError(f"--param {pair!r}: no type after ':'; use one of {', '.join(PARAM_TYPES)}")
    return name, kind if colon else None, text


_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

SCALAR_PARAM_TYPES = ("string", "int", "float", "bool", "timestamp", "date")


def _list_item_type(kind: str) -> str | None:
    """The item type of ``list`` (strings) or ``list[TYPE]``; None when ``kind`` is not a list."""
    if kind == "list":
        return "string"
    if kind.startswith("list[") and kind.endswith("]"):
        return kind[5:-1].strip()
    return None


def _typed(name: str, kind: str, text: str) -> Any:
    """``text`` converted to ``kind`` for parameter ``name``; raises ParameterError naming both."""
    from orginsight.analytics.hunts import finite_number

    item = _list_item_type(kind)
    if item is not None or kind not in SCALAR_PARAM_TYPES:
        if item not in SCALAR_PARAM_TYPES:
            raise ParameterError(f"--param {name}:{kind}: unknown type; use one of {', '.join(PARAM_TYPES)}")
        return [_typed(name, item, v.strip()) for v in text.split(",") if v.strip()]
    if kind == "string":
        return text
    if kind in ("int", "float"):
        return finite_number(name, kind, text)
    if kind == "bool":
        if text.strip().lower() not in _BOOLS:
            raise ParameterError(f"--param {name}:bool: {text!r} is not one of {', '.join(_BOOLS)}")
        return _BOOLS[text.strip().lower()]
    if kind == "timestamp":
        return _utc_timestamp(name, text)
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise ParameterError(f"--param {name}:date: {text!r} is not a date (write 2026-01-31)") from e


def _utc_timestamp(name: str, text: str) -> datetime:
    """An aware UTC datetime from ISO-8601 text (a time without a zone is UTC), ``now`` or ``7d``."""
    from orginsight.timerange import parse_time

    try:
        return parse_time(text).replace(tzinfo=UTC)
    except ValueError as e:
        raise ParameterError(f"--param {name}:timestamp: {e}") from e


def _stats_line(df: Any) -> str:
    s = df.attrs.get("stats", {})
    if s.get("engine") == "athena":
        return (
            f"{len(df)} row(s) in {s.get('elapsed_s')} s; scanned {s.get('bytes_scanned', 0):,} bytes "
            f"(about ${s.get('cost_usd', 0):.4f}); query id {s.get('query_id')}"
        )
    bad = s.get("bad_files") or []
    return (
        f"{len(df)} row(s) in {s.get('elapsed_s')} s; read {s.get('files_read', 0):,} file(s), "
        f"{s.get('bytes_read', 0):,} bytes"
        + (
            f" ({s['cached_partitions']:,} partition(s) from the Parquet cache)"
            if s.get("cached_partitions")
            else ""
        )
        + (f"; skipped {len(bad)} unreadable file(s)" if bad else "")
    )


def _open_lake(args: argparse.Namespace) -> Any:
    from orginsight.lake import Lake

    if getattr(args, "athena_database", None):
        return Lake.athena(
            database=args.athena_database,
            table=args.athena_table,
            workgroup=args.workgroup,
            s3_output=args.s3_output,
            region=args.region,
            profile=args.profile,
            allow_full_scan=args.allow_full_scan,
        )
    if not args.lake:
        raise OrgInsightError("name a lake: --lake DIR (local) or --athena-database DB (Athena)")
    return Lake.local(args.lake, cache_dir=args.cache_dir, verify_cache=args.verify_cache)


def add_cache_arguments(p: argparse.ArgumentParser) -> None:
    """The options that say how a local lake's Parquet cache is read (see ``lake compact``)."""
    p.add_argument(
        "--cache-dir", metavar="DIR", help="the lake's Parquet cache, if not DIR/.orginsight/parquet"
    )
    p.add_argument(
        "--verify-cache",
        action="store_true",
        help="check every cached partition file by file, not on its folders alone",
    )


def add_lake_arguments(p: argparse.ArgumentParser) -> None:
    """The options that pick a lake: a local folder, or an Athena table."""
    p.add_argument("--lake", metavar="DIR", help="local lake folder (laid out like the trail bucket)")
    add_cache_arguments(p)
    g = p.add_argument_group("Athena")
    g.add_argument("--athena-database", metavar="DB", help="run on Athena, on this Glue database")
    g.add_argument(
        "--athena-table", default="cloudtrail", metavar="T", help="the trail table (default cloudtrail)"
    )
    g.add_argument("--workgroup", help="Athena workgroup")
    g.add_argument("--s3-output", help="Athena query results location, s3://...")
    g.add_argument("--region", help="AWS region of the Athena workgroup")
    g.add_argument("--profile", help="AWS profile")
    g.add_argument(
        "--allow-full-scan", action="store_true", help="let a query without a time range scan everything"
    )


def _example(text: str) -> str:
    return "example:\n  " + text


def _add_sql_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql",
        help="run Athena SQL over the lake",
        description="Run one Athena-dialect SQL statement over the lake's tables (cloudtrail, ...).",
        epilog=_example(
            'orginsight sql "SELECT eventname, count(*) n FROM cloudtrail '
            'WHERE eventtime >= :since GROUP BY 1 ORDER BY n DESC" --param since=2024-06-01 --lake demo-lake\n'
            '  orginsight sql "SELECT eventname, count(*) n FROM cloudtrail WHERE account = :account AND '
            'from_iso8601_timestamp(eventtime) >= :t GROUP BY 1 HAVING count(*) >= :n" --lake demo-lake '
            "--param account=012345678901 --param t:timestamp=2026-01-01T00:00:00Z --param n:int=5"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", help="the SQL (Athena dialect); parameters written :name")
    add_lake_arguments(p)
    p.add_argument("--param", action="append", metavar="NAME[:TYPE]=VALUE", help=PARAM_HELP)
    p.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    p.add_argument("--out", metavar="FILE")

    def run(args: argparse.Namespace) -> int:
        lake = _open_lake(args)
        df = lake.sql_params(args.query, parse_params(args.param))
        write_frame(df, args.format, args.out)
        print(_stats_line(df), file=sys.stderr)
        return 0

    p.set_defaults(func=run)


def _add_lake_commands(sub: argparse._SubParsersAction) -> None:
    lake = sub.add_parser(
        "lake",
        help="build and inspect local lakes",
        description="Build and inspect local lakes laid out like the organization's S3 buckets.",
    )
    lsub = lake.add_subparsers(dest="lake_command", metavar="SUBCOMMAND")
    lsub.required = True

    p = lsub.add_parser(
        "import",
        help="place loose CloudTrail files into the lake layout",
        description="Place CloudTrail records from files, folders, .zip or .tar.gz archives into the lake, "
        "keyed by the account, region and time in the records. Importing twice adds nothing.",
        epilog=_example("orginsight lake import ~/Downloads/customer-trail.zip --lake ./case-1234"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--org-id", help="organization id for the AWSLogs/<org-id>/ prefix (default: the lake's)")
    p.add_argument(
        "--max-member-bytes",
        default="1G",
        metavar="SIZE",
        help="refuse an input file or archive member that decompresses to more than SIZE "
        "(like 512M or 2G; default 1G): a compression bomb stops there",
    )

    def run_import(args: argparse.Namespace) -> int:
        from orginsight.sources.lake_import import import_files, parse_byte_size

        report = import_files(
            args.sources,
            args.lake,
            org_id=args.org_id,
            max_member_bytes=parse_byte_size(args.max_member_bytes),
        )
        print(report.summary())
        in_lake = report.records_placed + report.records_already_in_lake + report.duplicates
        return 1 if report.failures and not in_lake else 0

    p.set_defaults(func=run_import)

    p = lsub.add_parser(
        "info",
        help="what the lake holds, and which files cannot be read",
        description="Count the lake's CloudTrail files and records by account and region, and list unreadable files.",
        epilog=_example("orginsight lake info --lake demo-lake"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--cache-dir", metavar="DIR", help="the Parquet cache, if not DIR/.orginsight/parquet")

    def run_info(args: argparse.Namespace) -> int:
        from orginsight.sources.inventory import lake_info

        info = lake_info(args.lake, cache_dir=args.cache_dir)
        print(info.render())
        return 0

    p.set_defaults(func=run_info)
    _add_lake_generate_command(lsub)
    _add_lake_compact_command(lsub)


def _add_lake_compact_command(lsub: argparse._SubParsersAction) -> None:
    p = lsub.add_parser(
        "compact",
        help="cache closed days as Parquet, for faster repeated queries",
        description="Write each closed (account, region, day) partition of the lake's CloudTrail once as a zstd "
        "Parquet file under DIR/.orginsight/parquet, with a manifest of the files it was made from. Later queries "
        "read those partitions from Parquet while their files are unchanged, and the rest from JSON; a partition "
        "whose files changed is read from JSON (with a warning) until the next compact. Days CloudTrail may still "
        "deliver to (less than a day past their end) are left as JSON; up-to-date partitions are skipped.",
        epilog=_example(
            "orginsight lake compact --lake demo-lake --since 30d\n"
            "  orginsight lake compact --lake /mnt/ro-lake --cache-dir ~/ro-lake-cache --account 111122223333"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--since", help="first day to compact: 30d, or a date (default: the oldest)")
    p.add_argument("--until", help="last day to compact, included (default: the newest closed day)")
    p.add_argument("--account", action="append", metavar="ID", help="only this account (repeatable)")
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where to write the cache, for a read-only lake "
        "(default DIR/.orginsight/parquet; queries need the same cache_dir)",
    )

    def run_compact(args: argparse.Namespace) -> int:
        from orginsight.engines.parquet_cache import summary
        from orginsight.lake import Lake

        result = Lake.local(args.lake, cache_dir=args.cache_dir).compact(
            since=args.since, until=args.until, accounts=args.account, progress=sys.stderr.isatty()
        )
        print(summary(result))
        return 1 if result["failed"] else 0

    p.set_defaults(func=run_compact)


def _add_lake_generate_command(lsub: argparse._SubParsersAction) -> None:
    p = lsub.add_parser(
        "generate",
        help="write the synthetic demo organization's lake (with known incidents)",
        description="Write a synthetic AWS Organization's security data lake: Organizations and security-service "
        "state as recorded API responses, organization CloudTrail, GuardDuty findings export and S3 Storage Lens "
        "exports, in the real S3 key layouts, with two planted incidents. The ground truth is DIR/scenario.json. "
        "Deterministic for a seed.",
        epilog=_example(
            "orginsight lake generate --lake demo-lake --accounts 12 --days 30 --events-per-day 10000 --seed 7"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--accounts", type=int, default=12, help="number of accounts, at least 6 (default 12)")
    p.add_argument("--days", type=int, default=30, help="days of CloudTrail, at least 3 (default 30)")
    p.add_argument(
        "--events-per-day", type=int, default=10000, help="background events per weekday (default 10000)"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--end", help="exclusive end date YYYY-MM-DD (default 2026-11-27)")
    p.add_argument("--delivery-minutes", type=int, default=5, help="minutes per CloudTrail file (default 5)")
    p.add_argument("--processes", type=int, help="worker processes (default: one per core)")
    p.add_argument("--force", action="store_true", help="replace a lake already generated in DIR")

    def run_generate(args: argparse.Namespace) -> int:
        from datetime import datetime

        from orginsight.demo import generate_lake

        summary = generate_lake(
            args.lake,
            accounts=args.accounts,
            days=args.days,
            events_per_day=args.events_per_day,
            seed=args.seed,
            end=datetime.strptime(args.end, "%Y-%m-%d") if args.end else None,
            processes=args.processes,
            progress=sys.stderr.isatty(),
            overwrite=args.force,
            delivery_minutes=args.delivery_minutes,
        )
        print("\n".join(summary.lines()))
        return 0

    p.set_defaults(func=run_generate)


def _add_ddl_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ddl",
        help="print the Athena table for the organization trail",
        description="Print CREATE EXTERNAL TABLE for the organization trail, with partition projection on "
        "account, region and day. Without --accounts, the account list is read from AWS Organizations.",
        epilog=_example(
            "orginsight ddl --bucket org-trail-logs --org-id o-a1b2c3d4e5 --regions us-east-1,eu-west-1"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--bucket", required=True)
    p.add_argument("--org-id", required=True)
    p.add_argument("--accounts", help="comma-separated account ids (default: from Organizations)")
    p.add_argument("--regions", help="comma-separated regions (default: all commercial regions)")
    p.add_argument("--prefix", default="", help="the trail's S3 key prefix, if any")
    p.add_argument("--table", default="cloudtrail")
    p.add_argument("--database")
    p.add_argument("--profile", help="AWS profile for reading the account list")

    def run(args: argparse.Namespace) -> int:
        from orginsight.sources.ddl import ALL_COMMERCIAL_REGIONS, cloudtrail_ddl, organization_account_ids

        accounts = args.accounts.split(",") if args.accounts else organization_account_ids(args.profile)
        regions = args.regions.split(",") if args.regions else ALL_COMMERCIAL_REGIONS
        print(
            cloudtrail_ddl(
                args.bucket,
                args.org_id,
                accounts,
                regions,
                table=args.table,
                database=args.database,
                prefix=args.prefix,
            )
            + ";"
        )
        return 0

    p.set_defaults(func=run)


def _add_collect_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "collect",
        help="snapshot live AWS state: org, guardduty or securityhub",
        description="Collect the organization (from the management account), GuardDuty or Security Hub (from the "
        "delegated administrator) over every enabled region, and write Parquet snapshots plus a manifest of what "
        "failed where (account, region, error code) to DIR/snapshots/<collector>/<time>/. Read-only; the IAM "
        "policy it needs is src/orginsight/policies/orginsight-readonly.json.",
        epilog=_example(
            "orginsight collect guardduty --profile security-admin --regions all --since-days 7 "
            "--out ./lake\n  orginsight collect org --from-lake demo-lake --out demo-lake"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("collector", choices=["org", "guardduty", "securityhub"])
    p.add_argument(
        "--out", metavar="DIR", help="lake folder to write the snapshot into (default: print only)"
    )
    p.add_argument("--profile", help="AWS profile (default: environment credentials)")
    p.add_argument("--regions", default="all", help="'all' enabled regions, or a comma-separated list")
    p.add_argument("--region", help="home region (Security Hub: the aggregation region, found when omitted)")
    p.add_argument("--role-arn", help="role to assume first (e.g. in the delegated administrator account)")
    p.add_argument(
        "--member-role", help="role name to assume in each member account where no org-wide API exists"
    )
    p.add_argument(
        "--since-days", type=float, default=30, help="findings updated in the last N days (default 30)"
    )
    p.add_argument("--min-severity", type=float, help="GuardDuty: minimum severity score (0-10)")
    p.add_argument("--include-archived", action="store_true", help="also archived findings")
    p.add_argument("--workers", type=int, default=8, help="threads for the region/account fan-out")
    p.add_argument(
        "--from-lake", metavar="LAKE", help="replay a demo lake's recorded API responses instead of AWS"
    )

    def run(args: argparse.Namespace) -> int:
        from orginsight.collectors.run import collect

        result = collect(
            args.collector,
            args.out,
            profile=args.profile,
            regions=args.regions,
            role_arn=args.role_arn,
            member_role=args.member_role,
            region=args.region,
            since_days=args.since_days,
            min_severity=args.min_severity,
            include_archived=args.include_archived,
            workers=args.workers,
            progress=sys.stderr.isatty(),
            from_lake=args.from_lake,
        )
        print(result.summary())
        return 0

    p.set_defaults(func=run)


def _add_report_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write the posture review report (HTML + PNG/SVG charts)",
        description="Reports for review meetings. 'posture' writes a self-contained HTML report (opens with no "
        "network) with an executive summary, what changed, charts and tables, plus each chart as PNG and SVG.",
        epilog=_example("orginsight report posture --lake demo-lake --out review-2024-q2 --since 90d"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rsub = p.add_subparsers(dest="report", metavar="REPORT")
    rsub.required = True
    p = rsub.add_parser(
        "posture",
        help="findings, S3 data protection, CloudTrail delivery and service coverage over time",
        description="Build the posture review of a lake over a period ending at the lake's latest data: findings "
        "opened and active by severity, Storage Lens encryption and versioning per bucket, CloudTrail delivery "
        "gaps, and the accounts x services coverage matrix. Static charts need Chromium (apt-get install chromium).",
        epilog=_example(
            "orginsight report posture --lake demo-lake --out review --since 90d\n"
            "  orginsight report posture --lake demo-lake --out review --formats png"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for posture-report.html and charts/")
    p.add_argument("--since", default="90d", help="period before the lake's latest data: 90d, 12w, or a date")
    p.add_argument("--formats", default="png,svg", help="static chart formats, comma-separated ('' for none)")

    def run(args: argparse.Namespace) -> int:
        from orginsight.outputs.report import write_posture_report

        formats = tuple(f for f in args.formats.split(",") if f)
        files = write_posture_report(
            args.lake, args.out, since=args.since, formats=formats, progress=sys.stderr.isatty()
        )
        print(files.summary())
        return 0

    p.set_defaults(func=run)


def _add_triage_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "triage",
        help="everything an access key, principal, IP or finding did, as an HTML page",
        description="Follow an indicator (access key id, principal ARN, IP address or finding id) across the "
        "organization: timeline, chain of sessions it produced (AssumeRole in any account), newly observed "
        "behaviour and the entity graph around it. Writes triage.html (self-contained) and PNG charts.",
        epilog=_example(
            "orginsight triage AKIAEXAMPLEKEY123456 --lake demo-lake --out case-1 --since 2024-06-01"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("indicator", metavar="INDICATOR")
    p.add_argument("--lake", required=True, metavar="DIR")
    add_cache_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument(
        "--since", help="start of the window (7d, 2024-06-01, ISO time; default: a month before --until)"
    )
    p.add_argument("--until", help="end of the window (default: the end of the lake's newest day)")
    p.add_argument("--baseline-days", type=int, default=45, help="days before the window that define normal")
    p.add_argument(
        "--findings", nargs="*", metavar="FILE", help="findings files (GuardDuty / ASFF JSON) to relate"
    )
    p.add_argument("--no-png", action="store_true", help="write the HTML page only")

    def run(args: argparse.Namespace) -> int:
        from orginsight.analytics.triage import triage_to_dir

        t, paths = triage_to_dir(
            args.lake,
            args.indicator,
            args.out,
            since=args.since,
            until=args.until,
            baseline_days=args.baseline_days,
            findings_files=args.findings,
            png=not args.no_png,
            cache_dir=args.cache_dir,
            verify_cache=args.verify_cache,
        )
        print(repr(t))
        for path in paths:
            print(path)
        return 0

    p.set_defaults(func=run)


def _raw_params(pairs: Sequence[str] | None) -> dict[str, str]:
    """``--param k=v`` pairs kept as text: each hunt converts them by its declared parameter types.

    The typed form of ``orginsight sql`` (``k:int=5``) is refused here: a hunt's header already
    types its parameters, and a second type on the command line could only disagree with it.
    """
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, kind, text = _split_param(pair)
        if kind is not None:
            raise ParameterError(
                f"--param {pair!r}: a hunt's parameters are typed by its header (see 'orginsight hunt list'); "
                f"write {name}={text}"
            )
        out[name] = text
    return out


def _add_hunt_commands(sub: argparse._SubParsersAction) -> None:
    hunt = sub.add_parser(
        "hunt",
        help="the hunt library: list, show, run and evaluate hunts",
        description="Parameterized Athena hunts from queries/ (see 'orginsight hunt list').",
    )
    hsub = hunt.add_subparsers(dest="hunt_command", metavar="SUBCOMMAND")
    hsub.required = True

    p = hsub.add_parser(
        "list",
        help="list the hunts",
        description="List every hunt with its tactic, severity, ATT&CK techniques and own parameters.",
        epilog=_example("orginsight hunt list"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def run_list(args: argparse.Namespace) -> int:
        from orginsight.analytics import hunts

        write_frame(hunts.catalog(), args.format)
        return 0

    p.set_defaults(func=run_list)

    p = hsub.add_parser(
        "show",
        help="the SQL of a hunt as it would run on Athena",
        description="Print a hunt's SQL with its parameters bound (defaults unless given) and the "
        "partition predicate Athena needs: paste it into the Athena console.",
        epilog=_example(
            "orginsight hunt show console_login_without_mfa --param start=2024-06-01 "
            "--param accounts=111122223333"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help=HUNT_PARAM_HELP)

    def run_show(args: argparse.Namespace) -> int:
        from orginsight.analytics import hunts

        print(hunts.athena_sql(hunts.get(args.name), _raw_params(args.param)) + ";")
        return 0

    p.set_defaults(func=run_show)

    p = hsub.add_parser(
        "run",
        help="run one hunt, or all of them",
        description="Run a hunt on a lake and print "
        "its hits; with --all, run every hunt and print one line each (hits, accounts, first and "
        "last hit).",
        epilog=_example(
            "orginsight hunt run cloudtrail_tampering --lake demo-lake --since 7d\n  "
            "orginsight hunt run --all --lake demo-lake --since 30d"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--all", action="store_true", help="run every hunt and summarize")
    add_lake_arguments(p)
    p.add_argument("--since", help="start of the window: 7d, 24h, 2024-06-01, ISO time (default: the hunt's)")
    p.add_argument("--until", help="end of the window (default: now)")
    p.add_argument("--account", action="append", metavar="ID", help="limit to an account (repeatable)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help=HUNT_PARAM_HELP)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def run_hunt(args: argparse.Namespace) -> int:
        from orginsight.analytics import hunts

        if bool(args.all) == bool(args.name):
            raise OrgInsightError("name one hunt, or pass --all")
        params: dict[str, object] = _raw_params(args.param)
        if args.since:
            params["start"] = args.since
        if args.until:
            params["end"] = args.until
        if args.account:
            params["accounts"] = args.account
        lake = _open_lake(args)
        if args.all:
            write_frame(hunts.run_all(lake, params), args.format)
            return 0
        df = hunts.run(lake, args.name, params)
        write_frame(df, args.format)
        print(_stats_line(df), file=sys.stderr)
        return 0

    p.set_defaults(func=run_hunt)

    p = hsub.add_parser(
        "eval",
        help="score every hunt against a demo lake's ground truth",
        description="Run every hunt over a demo lake and compare its hits with scenario.json: per "
        "hunt hits, true positives, false positives on background activity, precision and recall; "
        "per ATT&CK technique the planted events found by any hunt.",
        epilog=_example("orginsight hunt eval --lake demo-lake"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--truth", metavar="FILE", help="ground truth (default: DIR/scenario.json)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def run_eval(args: argparse.Namespace) -> int:
        from pathlib import Path

        from orginsight.analytics import hunts
        from orginsight.lake import Lake

        truth = hunts.load_ground_truth(args.truth or Path(args.lake) / "scenario.json")
        per_hunt, per_technique = hunts.evaluate(Lake.local(args.lake), truth)
        write_frame(per_hunt, args.format)
        print()
        write_frame(per_technique, args.format)
        missed = per_technique[per_technique["found"] == 0]
        return 1 if len(missed) else 0

    p.set_defaults(func=run_eval)


def _add_sigma_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sigma",
        help="convert Sigma CloudTrail rules to Athena SQL and run them",
        description="Convert Sigma rules (product: aws, service: cloudtrail) to Athena SQL over the cloudtrail "
        "table and run them on a lake; rules that cannot be converted are listed with the reason.",
        epilog=_example(
            "orginsight sigma ~/sigma/rules/cloud/aws --lake demo-lake --since 30d\n  "
            "orginsight sigma aws_cloudtrail_disable_logging.yml --print"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("rules", nargs="+", metavar="RULE_OR_DIR")
    p.add_argument("--lake", metavar="DIR", help="lake to run the rules on (without it, --print only)")
    p.add_argument(
        "--print", action="store_true", help="print each rule's SQL, bound, as it would run on Athena"
    )
    p.add_argument("--since", default="30d", help="start of the window (default 30d)")
    p.add_argument("--until", default="now", help="end of the window (default now)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def run(args: argparse.Namespace) -> int:
        from orginsight.analytics import sigma
        from orginsight.analytics.hunts import parse_time

        if args.print or not args.lake:
            window = {"start": parse_time(args.since), "end": parse_time(args.until)}
            for q in sigma.convert(args.rules):
                print(f"-- {q.path.name}: {q.title}")
                print(sigma.bound_sql(q, window) + ";\n" if q.converted else f"-- not converted: {q.error}\n")
            if not args.lake:
                return 0
        from orginsight.lake import Lake

        summary, _hits = sigma.run(Lake.local(args.lake), args.rules, args.since, args.until)
        write_frame(summary, args.format)
        return 0

    p.set_defaults(func=run)


def _add_demo_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole job on the demo organization (no AWS account needed)",
        description="Generate the demo organization's lake if absent, then look at the organization, query its "
        "trail, run every hunt, triage the leaked access key and write the posture review report.",
        epilog=_example("orginsight demo --lake demo-lake --out demo-out"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", default="demo-lake", metavar="DIR", help="the demo lake (generated when absent)")
    p.add_argument("--out", default="demo-out", metavar="DIR", help="where the report and triage page go")

    def run(args: argparse.Namespace) -> int:
        from orginsight.demo.run import run_demo

        run_demo(args.lake, args.out)
        return 0

    p.set_defaults(func=run)


COMMAND_GROUPS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_demo_commands,
    _add_sql_commands,
    _add_lake_commands,
    _add_ddl_commands,
    _add_collect_commands,
    _add_report_commands,
    _add_triage_commands,
    _add_hunt_commands,
    _add_sigma_commands,
]
"""Functions that each add one group of subcommands to the parser."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orginsight",
        description="Security analytics for an AWS Organization: hunts, triage and posture, "
        "locally (DuckDB) or on Athena.",
        epilog=EPILOG_EXAMPLES,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in COMMAND_GROUPS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OrgInsightError as e:
        print(f"orginsight: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("orginsight: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
