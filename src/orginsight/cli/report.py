"""Commands that write pages for people: ``report posture``, ``triage`` and ``demo``.

Each writes into a folder (``--out DIR``) an HTML page that opens with no network, and chart images
beside it in the formats ``--format`` names (Chromium draws them).
"""

from __future__ import annotations

import argparse

from orginsight.cli.command import Command, Group
from orginsight.cli.options import (
    CHART_FORMATS,
    LAKE,
    OUT_DIR,
    ChartFormats,
    chart_formats,
    lake_options,
    names_a_lake,
    open_lake,
    option,
    progress_wanted,
    time_window,
)
from orginsight.errors import LakeError
from orginsight.timerange import parse_time


def run_report_posture(args: argparse.Namespace) -> int:
    """findings, S3 data protection, CloudTrail delivery and service coverage over time

    Build the posture review of a lake over a period ending at the lake's latest data: findings opened
    and active by severity, Storage Lens encryption and versioning per bucket, CloudTrail delivery gaps,
    and the accounts x services coverage matrix. It reads a local lake folder (collector snapshots and
    exports); on Athena it says so. Static charts need Chromium (apt-get install chromium).

    orginsight report posture --lake demo-lake --out review --since 90d
    orginsight report posture --lake demo-lake --out review --format png
    """
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


def run_triage(args: argparse.Namespace) -> int:
    """everything an access key, principal, IP or finding did, as an HTML page

    Follow an indicator (access key id, principal ARN, IP address or finding id) across the
    organization: timeline, chain of sessions it produced (AssumeRole in any account), newly observed
    behaviour and the entity graph around it. Writes triage.html (self-contained) and PNG charts.

    orginsight triage AKIAEXAMPLEKEY123456 --lake demo-lake --out case-1 --since 2024-06-01
    orginsight triage 203.0.113.7 --athena-database security --workgroup orginsight --out case-2
        --since 2024-06-01 --until 2024-06-03 --format none
    """
    from orginsight.analytics.triage import read_findings_files  # loads pandas and networkx when it runs
    from orginsight.outputs import triage_page  # loads plotly: only when the command runs

    lake = open_lake(args)
    if args.findings:
        findings = read_findings_files(args.findings)
    else:  # the lake's own findings (every service's), when it is a local folder
        findings = lake.findings() if lake.root is not None else None
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


def run_demo_command(args: argparse.Namespace) -> int:
    """run the whole job on the demo organization (no AWS account needed)

    Generate the demo organization's lake if absent, then look at the organization, query its trail,
    run every hunt, triage the leaked access key and write the posture review report.

    orginsight demo --lake demo-lake --out demo-out
    """
    from orginsight.demo.run import run_demo  # loads the whole library: only when the command runs

    run_demo(args.lake, args.out)
    return 0


REPORT = Group(
    "report",
    """write the posture review report (HTML + PNG/SVG charts)

    Reports for review meetings. 'posture' writes a self-contained HTML report (opens with no network)
    with an executive summary, what changed, charts and tables, plus each chart as PNG and SVG.

    orginsight report posture --lake demo-lake --out review-2024-q2 --since 90d
    """,
    Command(
        "posture",
        run_report_posture,
        lake_options(cache=False),
        OUT_DIR.but(required=True, help="folder for posture-report.html and charts/"),
        time_window(
            since="period before its end: 90d, 12w, or a date (default 90d)",
            until="end of the period: a date or ISO time (default: the lake's latest data)",
            since_default="90d",
        ),
        ChartFormats(CHART_FORMATS, default="png,svg"),
    ),
)

TRIAGE = Command(
    "triage",
    run_triage,
    option("indicator", metavar="INDICATOR"),
    lake_options(),
    OUT_DIR.but(required=True, help="folder for triage.html and its charts"),
    time_window(
        since="start of the window (7d, 2024-06-01, ISO time; default: a month before --until)",
        until="end of the window (default: the end of the lake's newest day)",
    ),
    option("--baseline-days", type=int, default=45, help="days before the window that define normal"),
    option(
        "--findings",
        nargs="*",
        metavar="FILE",
        help="findings files (GuardDuty, ASFF, OCSF, Inspector, Macie, Access Analyzer JSON) to relate (default: the local lake's own findings)",
    ),
    ChartFormats(("png",), default="png"),
)

DEMO = Command(
    "demo",
    run_demo_command,
    LAKE.but(default="demo-lake", help="the demo lake (generated when absent)"),
    OUT_DIR.but(default="demo-out", help="where the report and triage page go"),
)
