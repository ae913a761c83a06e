"""Commands that run SQL over the trail: ``sql``, ``hunt list|show|run|eval`` and ``sigma``.

Each takes a lake by the shared options (a local folder or Athena), prints a table with
``--format`` / ``--output-file``, and the query statistics on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from orginsight.analytics import hunts, query_compat
from orginsight.cli.command import Command, Group
from orginsight.cli.options import (
    Options,
    UsageError,
    account_filter,
    lake_options,
    names_a_lake,
    open_lake,
    option,
    region_filter,
    stats_line,
    table_output,
    time_window,
    write_frame,
)
from orginsight.cli.params import HUNT_PARAM_HELP, PARAM_HELP, parse_hunt_params, parse_params

HUNT_FILTERS = {"since": "start", "until": "end", "account": "accounts", "region": "regions"}
"""Options that set a parameter every hunt takes (``hunts.COMMON_PARAMETERS``), and which one."""


def run_sql(args: argparse.Namespace) -> int:
    """run Athena SQL over the lake

    Run one Athena-dialect SQL statement over the lake's tables (cloudtrail, ...), or with --file every
    query of a .sql file (DDL skipped). Queries written for another CloudTrail table run on the lake's:
    --map-table maps a table name, other partition columns (year/month/day, dt, account_partition...) map
    onto account/region/timestamp, and a placeholder left unfilled ('####', x.x.x.x, <ACCOUNT_ID>)
    stops the query with its line and column; --placeholder fills it. Notes on stderr say what mapped.

    orginsight sql "SELECT eventname, count(*) n FROM cloudtrail WHERE eventtime >= :since GROUP BY 1 ORDER BY
        n DESC" --param since=2024-06-01 --lake demo-lake
    orginsight sql "SELECT eventname, count(*) n FROM cloudtrail WHERE account = :account AND
        from_iso8601_timestamp(eventtime) >= :t GROUP BY 1 HAVING count(*) >= :n" --lake demo-lake
        --param account=012345678901 --param t:timestamp=2026-01-01T00:00:00Z --param n:int=5
    orginsight sql "SELECT count(*) n FROM cloudtrail WHERE timestamp = '2026/11/20'"
        --athena-database security --workgroup orginsight --format csv --output-file counts.csv
    orginsight sql --file playbook.sql --map-table trail_logs=cloudtrail --placeholder START_TIME=2026-11-20
        --lake demo-lake
    """
    if bool(args.query) == bool(args.file):
        raise UsageError("give one query, or --file PATH")
    tables = dict(pair_option("--map-table", pair) for pair in args.map_table or [])
    placeholders = dict(pair_option("--placeholder", pair) for pair in args.placeholder or [])
    if args.file:
        if args.output_file:
            raise UsageError("--file prints one table per query: --output-file takes one query")
        for df in open_lake(args).sql_file(args.file, tables=tables, placeholders=placeholders):
            print(f"-- query at line {df.attrs['line']}", file=sys.stderr)
            print_notes(df.attrs["notes"])
            write_frame(df, args.format)
            print(stats_line(df), file=sys.stderr)
        return 0
    prepared = query_compat.prepare(args.query, tables=tables, placeholders=placeholders)
    print_notes(prepared.notes)
    lake, params = open_lake(args), parse_params(args.param)
    if getattr(args, "trail_location", None):
        print(f"before running: {lake.estimate(prepared.sql, **params).line()}", file=sys.stderr)
    df = lake.sql_params(prepared.sql, params)
    write_frame(df, args.format, args.output_file)
    print(stats_line(df), file=sys.stderr)
    return 0


def pair_option(flag: str, pair: str) -> tuple[str, str]:
    """``NAME=VALUE`` of ``--map-table`` or ``--placeholder`` (the value may hold ``=``)."""
    name, equals, value = pair.partition("=")
    if not (name and equals):
        raise UsageError(f"{flag} takes NAME=VALUE, got {pair!r}")
    return name, value


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


HUNT_FILTER_OPTIONS = Options(
    time_window(
        since="start of the window: 7d, 24h, 2024-06-01, ISO time (default: the hunt's)",
        until="end of the window (default: now)",
    ),
    account_filter("limit to this account"),
    region_filter("limit to this region"),
    option("--param", action="append", metavar="NAME=VALUE", help=HUNT_PARAM_HELP),
)
"""The parameters every hunt takes, as options, and ``--param`` for the hunt's own."""


def hunt_params(args: argparse.Namespace) -> dict[str, object]:
    """The hunt's parameters: ``--param`` pairs, then the shared filters (which win)."""
    params: dict[str, object] = {**parse_hunt_params(args.param)}
    for flag, name in HUNT_FILTERS.items():
        if getattr(args, flag):
            params[name] = getattr(args, flag)
    return params


def run_hunt_list(args: argparse.Namespace) -> int:
    """list the hunts

    List every hunt with its tactic, severity, ATT&CK techniques and own parameters.

    orginsight hunt list
    orginsight hunt list --format csv --output-file hunts.csv
    """
    write_frame(hunts.catalog(), args.format, args.output_file)
    return 0


def run_hunt_show(args: argparse.Namespace) -> int:
    """the SQL of a hunt as it would run on Athena

    Print a hunt's SQL with its parameters bound (defaults unless given) and the partition predicate
    Athena needs: paste it into the Athena console.

    orginsight hunt show console_login_without_mfa --since 2024-06-01 --account 111122223333
    """
    print(hunts.athena_sql(hunts.get(args.name), hunt_params(args)) + ";")
    return 0


def run_hunt(args: argparse.Namespace) -> int:
    """run one hunt, or all of them

    Run a hunt on a lake and print its hits; with --all, run every hunt and print one line each (hits,
    accounts, first and last hit).

    orginsight hunt run cloudtrail_tampering --lake demo-lake --since 7d
    orginsight hunt run --all --lake demo-lake --since 30d
    orginsight hunt run cloudtrail_tampering --athena-database security --workgroup orginsight
        --since 7d --account 111122223333,222233334444
    """
    if bool(args.all) == bool(args.name):
        raise UsageError("name one hunt, or pass --all")
    params = hunt_params(args)
    lake = open_lake(args)
    if args.all:
        write_frame(hunts.run_all(lake, params), args.format, args.output_file)
        return 0
    df = hunts.run(lake, args.name, params)
    write_frame(df, args.format, args.output_file)
    print(stats_line(df), file=sys.stderr)
    return 0


def run_hunt_eval(args: argparse.Namespace) -> int:
    """score every hunt against a demo lake's ground truth

    Run every hunt over a demo lake and compare its hits with scenario.json: per hunt hits, true
    positives, false positives on background activity, precision and recall; per ATT&CK technique the
    planted events found by any hunt. Exits 1 when a technique is missed.

    orginsight hunt eval --lake demo-lake
    """
    lake = open_lake(args)
    if not (args.truth or args.lake):
        raise UsageError("on Athena, name the ground truth: --truth FILE")
    truth = hunts.load_ground_truth(args.truth or Path(args.lake) / "scenario.json")
    per_hunt, per_technique = hunts.evaluate(lake, truth)
    write_frame(per_hunt, args.format)
    print()
    write_frame(per_technique, args.format)
    missed = per_technique[per_technique["found"] == 0]
    return 1 if len(missed) else 0


def run_sigma(args: argparse.Namespace) -> int:
    """convert Sigma CloudTrail rules to Athena SQL and run them

    Convert Sigma rules (product: aws, service: cloudtrail) to Athena SQL over the cloudtrail table and
    run them on a lake; rules that cannot be converted are listed with the reason. Without a lake, print
    the SQL only.

    orginsight sigma ~/sigma/rules/cloud/aws --lake demo-lake --since 30d
    orginsight sigma aws_cloudtrail_disable_logging.yml --print
    """
    from orginsight.analytics import sigma  # loads pySigma: only when the command runs

    run_on_lake = names_a_lake(args)
    if args.print or not run_on_lake:
        window = {"start": hunts.parse_time(args.since), "end": hunts.parse_time(args.until)}
        for q in sigma.convert(args.rules):
            print(f"-- {q.path.name}: {q.title}")
            print(sigma.bound_sql(q, window) + ";\n" if q.converted else f"-- not converted: {q.error}\n")
    if run_on_lake:
        summary, _hits = sigma.run(open_lake(args), args.rules, args.since, args.until)
        write_frame(summary, args.format, args.output_file)
    return 0


SQL = Command(
    "sql",
    run_sql,
    option("query", nargs="?", help="the SQL (Athena dialect); parameters written :name"),
    lake_options(),
    option("--param", action="append", metavar="NAME[:TYPE]=VALUE", help=PARAM_HELP),
    option("--file", metavar="PATH", help="run every query of a .sql file (DDL skipped), one table each"),
    option("--map-table", action="append", metavar="NAME=TABLE", help="run the query's table NAME as TABLE"),
    option(
        "--placeholder",
        action="append",
        metavar="TEXT=VALUE",
        help="fill a placeholder literal (whole, or inside a LIKE pattern) with VALUE",
    ),
    table_output(),
)

HUNT = Group(
    "hunt",
    """the hunt library: list, show, run and evaluate hunts

    Parameterized Athena hunts from queries/ (see 'orginsight hunt list').

    orginsight hunt run --all --lake demo-lake --since 30d
    """,
    Command("list", run_hunt_list, table_output()),
    Command("show", run_hunt_show, option("name", metavar="NAME"), HUNT_FILTER_OPTIONS),
    Command(
        "run",
        run_hunt,
        option("name", nargs="?", metavar="NAME"),
        option("--all", action="store_true", help="run every hunt and summarize"),
        lake_options(),
        HUNT_FILTER_OPTIONS,
        table_output(),
    ),
    Command(
        "eval",
        run_hunt_eval,
        lake_options(),
        option("--truth", metavar="FILE", help="ground truth (default: DIR/scenario.json of --lake)"),
        table_output(formats=("table", "csv", "json"), output_file=False),
    ),
)

SIGMA = Command(
    "sigma",
    run_sigma,
    option("rules", nargs="+", metavar="RULE_OR_DIR"),
    lake_options(),
    option("--print", action="store_true", help="print each rule's SQL, bound, as it would run on Athena"),
    time_window(
        since="start of the window (default 30d)",
        until="end of the window (default now)",
        since_default="30d",
        until_default="now",
    ),
    table_output(),
)
