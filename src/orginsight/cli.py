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

from orginsight.errors import OrgInsightError

EPILOG_EXAMPLES = "Run 'orginsight COMMAND --help' for examples."


COMMAND_GROUPS: list[Callable[[argparse._SubParsersAction], None]] = []
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
