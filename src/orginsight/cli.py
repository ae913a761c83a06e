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
from typing import Any

from orginsight.errors import OrgInsightError

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

        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200,
                               "display.max_colwidth", 80):
            text = df.to_string(index=False) if len(df) else "(no rows)"
    if out:
        with open(out, "w") as fh:
            fh.write(text)
    else:
        print(text)


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``k=v`` pairs from ``--param``; ``v`` is a number when it reads as one, a list when it has commas."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise OrgInsightError(f"--param takes NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        params[key.strip()] = _typed(value)
    return params


def _typed(value: str) -> Any:
    if "," in value:
        return [_typed(v) for v in value.split(",") if v]
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _stats_line(df: Any) -> str:
    s = df.attrs.get("stats", {})
    if s.get("engine") == "athena":
        return (f"{len(df)} row(s) in {s.get('elapsed_s')} s; scanned {s.get('bytes_scanned', 0):,} bytes "
                f"(about ${s.get('cost_usd', 0):.4f}); query id {s.get('query_id')}")
    bad = s.get("bad_files") or []
    return (f"{len(df)} row(s) in {s.get('elapsed_s')} s; read {s.get('files_read', 0):,} file(s), "
            f"{s.get('bytes_read', 0):,} bytes" + (f"; skipped {len(bad)} unreadable file(s)" if bad else ""))


def _open_lake(args: argparse.Namespace) -> Any:
    from orginsight.lake import Lake

    if getattr(args, "athena_database", None):
        return Lake.athena(database=args.athena_database, table=args.athena_table, workgroup=args.workgroup,
                           s3_output=args.s3_output, region=args.region, profile=args.profile,
                           allow_full_scan=args.allow_full_scan)
    if not args.lake:
        raise OrgInsightError("name a lake: --lake DIR (local) or --athena-database DB (Athena)")
    return Lake.local(args.lake)


def add_lake_arguments(p: argparse.ArgumentParser) -> None:
    """The options that pick a lake: a local folder, or an Athena table."""
    p.add_argument("--lake", metavar="DIR", help="local lake folder (laid out like the trail bucket)")
    g = p.add_argument_group("Athena")
    g.add_argument("--athena-database", metavar="DB", help="run on Athena, on this Glue database")
    g.add_argument("--athena-table", default="cloudtrail", metavar="T", help="the trail table (default cloudtrail)")
    g.add_argument("--workgroup", help="Athena workgroup")
    g.add_argument("--s3-output", help="Athena query results location, s3://...")
    g.add_argument("--region", help="AWS region of the Athena workgroup")
    g.add_argument("--profile", help="AWS profile")
    g.add_argument("--allow-full-scan", action="store_true", help="let a query without a time range scan everything")


def _example(text: str) -> str:
    return "example:\n  " + text


def _add_sql_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql", help="run Athena SQL over the lake",
        description="Run one Athena-dialect SQL statement over the lake's tables (cloudtrail, ...).",
        epilog=_example("orginsight sql \"SELECT eventname, count(*) n FROM cloudtrail "
                        "WHERE eventtime >= :since GROUP BY 1 ORDER BY n DESC\" --param since=2024-06-01 --lake demo-lake"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", help="the SQL (Athena dialect); parameters written :name")
    add_lake_arguments(p)
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="bind a :name parameter")
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
    lake = sub.add_parser("lake", help="build and inspect local lakes",
                          description="Build and inspect local lakes laid out like the organization's S3 buckets.")
    lsub = lake.add_subparsers(dest="lake_command", metavar="SUBCOMMAND")
    lsub.required = True

    p = lsub.add_parser(
        "import", help="place loose CloudTrail files into the lake layout",
        description="Place CloudTrail records from files, folders, .zip or .tar.gz archives into the lake, "
        "keyed by the account, region and time in the records. Importing twice adds nothing.",
        epilog=_example("orginsight lake import ~/Downloads/customer-trail.zip --lake ./case-1234"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--org-id", help="organization id for the AWSLogs/<org-id>/ prefix (default: the lake's)")

    def run_import(args: argparse.Namespace) -> int:
        from orginsight.lake_import import import_files

        report = import_files(args.sources, args.lake, org_id=args.org_id)
        print(report.summary())
        return 1 if report.failures and not report.records_placed else 0

    p.set_defaults(func=run_import)

    p = lsub.add_parser(
        "info", help="what the lake holds, and which files cannot be read",
        description="Count the lake's CloudTrail files and records by account and region, and list unreadable files.",
        epilog=_example("orginsight lake info --lake demo-lake"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, metavar="DIR")

    def run_info(args: argparse.Namespace) -> int:
        from orginsight.lake_info import lake_info

        info = lake_info(args.lake)
        print(info.render())
        return 0

    p.set_defaults(func=run_info)


def _add_ddl_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ddl", help="print the Athena table for the organization trail",
        description="Print CREATE EXTERNAL TABLE for the organization trail, with partition projection on "
        "account, region and day. Without --accounts, the account list is read from AWS Organizations.",
        epilog=_example("orginsight ddl --bucket org-trail-logs --org-id o-a1b2c3d4e5 --regions us-east-1,eu-west-1"),
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
        from orginsight.ddl import ALL_COMMERCIAL_REGIONS, cloudtrail_ddl, organization_account_ids

        accounts = args.accounts.split(",") if args.accounts else organization_account_ids(args.profile)
        regions = args.regions.split(",") if args.regions else ALL_COMMERCIAL_REGIONS
        print(cloudtrail_ddl(args.bucket, args.org_id, accounts, regions, table=args.table,
                             database=args.database, prefix=args.prefix) + ";")
        return 0

    p.set_defaults(func=run)


COMMAND_GROUPS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_sql_commands,
    _add_lake_commands,
    _add_ddl_commands,
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
