"""The ``orginsight`` command line: a thin layer over the library.

Each command parses its arguments, calls one library function and maps errors to an exit code:
1 when the library refused or could not finish (``OrgInsightError``, with a message that says what
to do next), 2 when the command line itself is wrong (argparse's code, also for options that do
not go together). Commands live by what they touch: ``lake`` (local lakes, DDL), ``query`` (sql,
hunts, Sigma), ``collect`` (live AWS state), ``report`` (pages: posture report, triage, demo); the
options they share, and what each means, are in ``options``, how a command is declared in ``command``,
and ``--param`` is read by ``params``.

Library modules that load pandas, plotly, boto3 or pySigma are imported when their command runs,
so ``orginsight --help`` and a usage error answer without loading them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from orginsight.cli.athena import ATHENA_COMMANDS
from orginsight.cli.audit import AUDIT
from orginsight.cli.collect import COLLECT
from orginsight.cli.command import Command, Group
from orginsight.cli.export import EXPORT
from orginsight.cli.lake import DDL, LAKE_COMMANDS
from orginsight.cli.options import LIBRARY_ERROR, USAGE_ERROR, UsageError, write_frame
from orginsight.cli.params import PARAM_TYPES, parse_hunt_params, parse_params
from orginsight.cli.query import HUNT, SIGMA, SQL
from orginsight.cli.report import DEMO, REPORT, TRIAGE
from orginsight.errors import OrgInsightError

EPILOG_EXAMPLES = "Run 'orginsight COMMAND --help' for examples."

COMMANDS: tuple[Command | Group, ...] = (
    DEMO,
    SQL,
    LAKE_COMMANDS,
    DDL,
    ATHENA_COMMANDS,
    COLLECT,
    AUDIT,
    REPORT,
    TRIAGE,
    HUNT,
    SIGMA,
    EXPORT,
)
"""Every command, and group of subcommands, in the order ``orginsight --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orginsight",
        description="Security analytics for an AWS Organization: hunts, triage and posture, "
        "locally (DuckDB) or on Athena.",
        epilog=EPILOG_EXAMPLES,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_to(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (0, 1 for a library error, 2 for bad usage)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse printed the usage error (2) or the help (0)
        return e.code if isinstance(e.code, int) else USAGE_ERROR
    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        args.parser.print_usage(sys.stderr)
        print(f"{args.parser.prog}: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except OrgInsightError as e:
        print(f"orginsight: error: {e}", file=sys.stderr)
        return LIBRARY_ERROR
    except KeyboardInterrupt:
        print("orginsight: interrupted", file=sys.stderr)
        return 130


__all__ = [
    "COMMANDS",
    "PARAM_TYPES",
    "build_parser",
    "main",
    "parse_hunt_params",
    "parse_params",
    "write_frame",
]
