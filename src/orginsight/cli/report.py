"""Commands that write pages for people: ``report posture``, ``triage`` and ``demo``.

Each writes into a folder (``--out DIR``) an HTML page that opens with no network, and chart images
beside it in the formats ``--format`` names (Chromium draws them).
"""

from __future__ import annotations

import argparse

from orginsight.cli.options import (
    CHART_FORMATS,
    LAKE,
    OUT_DIR,
    Subparsers,
    add_chart_format_argument,
    add_command,
    add_group,
    add_lake_arguments,
    add_time_arguments,
    chart_formats,
    names_a_lake,
    open_lake,
    progress_wanted,
)
from orginsight.errors import LakeError
from orginsight.timerange import parse_time


def add_report_commands(sub: Subparsers) -> None:
    group = add_group(
        sub,
        "report",
        help="write the posture review report (HTML + PNG/SVG charts)",
        description="Reports for review meetings. 'posture' writes a self-contained HTML report (opens with no "
        "network) with an executive summary, what changed, charts and tables, plus each chart as PNG and SVG.",
        examples=["orginsight report posture --lake demo-lake --out review-2024-q2 --since 90d"],
    )
    p = add_command(
        group,
        "posture",
        help="findings, S3 data protection, CloudTrail delivery and service coverage over time",
        description="Build the posture review of a lake over a period ending at the lake's latest data: findings "
        "opened and active by severity, Storage Lens encryption and versioning per bucket, CloudTrail delivery "
        "gaps, and the accounts x services coverage matrix. It reads a local lake folder (collector snapshots "
        "and exports); on Athena it says so. Static charts need Chromium (apt-get install chromium).",
        examples=[
            "orginsight report posture --lake demo-lake --out review --since 90d",
            "orginsight report posture --lake demo-lake --out review --format png",
        ],
        run=run_report_posture,
    )
    add_lake_arguments(p, cache=False)
    OUT_DIR.add(p, required=True, help="folder for posture-report.html and charts/")
    add_time_arguments(
        p,
        since="period before its end: 90d, 12w, or a date (default 90d)",
        until="end of the period: a date or ISO time (default: the lake's latest data)",
        since_default="90d",
    )
    add_chart_format_argument(p, CHART_FORMATS, default="png,svg")


def run_report_posture(args: argparse.Namespace) -> int:
    from orginsight.outputs.report import write_posture_report  # loads plotly: only when the command runs

    if names_a_lake(args) and not args.lake:
        raise LakeError(
            "report posture reads a local lake folder (collector snapshots, GuardDuty and Storage Lens "
            "exports), not Athena yet: pass --lake DIR"
        )
    files = write_posture_report(
        args.lake,
        args.out,
        since=args.since,
        end=parse_time(args.until) if args.until else None,
        formats=chart_formats(args),
        progress=progress_wanted(),
    )
    print(files.summary())
    return 0


def add_triage_command(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "triage",
        help="everything an access key, principal, IP or finding did, as an HTML page",
        description="Follow an indicator (access key id, principal ARN, IP address or finding id) across the "
        "organization: timeline, chain of sessions it produced (AssumeRole in any account), newly observed "
        "behaviour and the entity graph around it. Writes triage.html (self-contained) and PNG charts.",
        examples=[
            "orginsight triage AKIAEXAMPLEKEY123456 --lake demo-lake --out case-1 --since 2024-06-01",
            "orginsight triage 203.0.113.7 --athena-database security --workgroup orginsight --out case-2 "
            "--since 2024-06-01 --until 2024-06-03 --format none",
        ],
        run=run_triage,
    )
    p.add_argument("indicator", metavar="INDICATOR")
    add_lake_arguments(p)
    OUT_DIR.add(p, required=True, help="folder for triage.html and its charts")
    add_time_arguments(
        p,
        since="start of the window (7d, 2024-06-01, ISO time; default: a month before --until)",
        until="end of the window (default: the end of the lake's newest day)",
    )
    p.add_argument("--baseline-days", type=int, default=45, help="days before the window that define normal")
    p.add_argument(
        "--findings", nargs="*", metavar="FILE", help="findings files (GuardDuty / ASFF JSON) to relate"
    )
    add_chart_format_argument(p, ("png",), default="png")


def run_triage(args: argparse.Namespace) -> int:
    from orginsight.analytics.triage import read_findings_files  # loads pandas and networkx when it runs
    from orginsight.outputs import triage_page  # loads plotly: only when the command runs

    lake = open_lake(args)
    findings = read_findings_files(args.findings) if args.findings else None
    t = lake.triage(
        args.indicator,
        since=args.since,
        until=args.until,
        baseline_days=args.baseline_days,
        findings=findings,
    )
    paths = triage_page.write(t, args.out, png="png" in chart_formats(args))
    print(repr(t))
    for path in paths:
        print(path)
    return 0


def add_demo_command(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "demo",
        help="run the whole job on the demo organization (no AWS account needed)",
        description="Generate the demo organization's lake if absent, then look at the organization, query its "
        "trail, run every hunt, triage the leaked access key and write the posture review report.",
        examples=["orginsight demo --lake demo-lake --out demo-out"],
        run=run_demo_command,
    )
    LAKE.add(p, default="demo-lake", help="the demo lake (generated when absent)")
    OUT_DIR.add(p, default="demo-out", help="where the report and triage page go")


def run_demo_command(args: argparse.Namespace) -> int:
    from orginsight.demo.run import run_demo  # loads the whole library: only when the command runs

    run_demo(args.lake, args.out)
    return 0
