"""``orginsight audit``: the centralization audit of a lake, its failures printed, its results kept."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from orginsight.cli.command import Command
from orginsight.cli.options import LAKE, OUT_DIR, option, table_output, write_frame


def run_audit_command(args: argparse.Namespace) -> int:
    """is every security service centralized as the organization intends? (pass, fail, unknown)

    Check the organization against its expectations (the defaults, or --expect FILE laid over them): the
    organization trail, GuardDuty, Security Hub, Config, Inspector, Access Analyzer, Detective, Macie,
    Storage Lens, Identity Center session durations by OU, guardrail SCPs and baseline StackSets, per
    account and region, from the lake's recorded API state and collector snapshots. Prints the failures,
    the riskiest first, and a count per check on stderr; with --out, keeps the results as a snapshot there
    and prints what changed since the previous one.

    orginsight audit --lake demo-lake
    orginsight audit --lake demo-lake --expect our-expectations.toml --out demo-lake --format csv
    """
    from orginsight.analytics import audit  # loads pandas: only when the command runs

    results = audit.run_audit(audit.audit_input_from_lake(args.lake), audit.load_expectations(args.expect))
    failures = audit.audit_failures(results)
    write_frame(failures[["risk", "check", "account_id", "account_name", "region", "found"]], args.format)
    summary = audit.audit_summary(results)
    print(summary.to_string(index=False), file=sys.stderr)
    if args.out:
        previous = audit.previous_audit(args.out)
        folder = audit.write_audit_snapshot(args.out, results, datetime.now(UTC))
        print(f"results kept in {folder}", file=sys.stderr)
        if previous is not None:
            changes = audit.audit_changes(previous, results)
            print(f"{len(changes)} change(s) since the previous audit", file=sys.stderr)
            if len(changes):
                print(
                    changes[["change", "check", "account_id", "region", "found"]].to_string(index=False),
                    file=sys.stderr,
                )
    return 0


AUDIT = Command(
    "audit",
    run_audit_command,
    LAKE.but(required=True),
    option("--expect", metavar="FILE", help="expectations TOML laid over the defaults (see the README)"),
    OUT_DIR.but(help="keep the results as snapshots/audit/<time>/ below this folder (e.g. the lake)"),
    table_output(("table", "csv", "json"), output_file=False),
)
