"""Commands that hand results to other tools: ``export ocsf|navigator|timesketch``.

Each writes files into a folder (``--out DIR``) and prints their paths: OCSF Detection Findings for a SIEM,
ATT&CK Navigator layers and the coverage gaps, Timesketch timelines and plaso's CloudTrail JSON lines.
"""

from __future__ import annotations

import argparse

from orginsight.cli.command import Command, Group
from orginsight.cli.options import (
    OUT_DIR,
    UsageError,
    lake_options,
    names_a_lake,
    open_lake,
    option,
)
from orginsight.cli.query import HUNT_FILTER_OPTIONS, hunt_params
from orginsight.errors import LakeError


def run_export_ocsf(args: argparse.Namespace) -> int:
    """the findings as OCSF Detection Findings, one JSON-lines file per day

    Write every finding of a local lake (or of the files --findings names) as an OCSF 1.1 Detection Finding
    (class 2004), checked against the class's required attributes, into findings-YYYY-MM-DD.ocsf.jsonl.

    orginsight export ocsf --lake demo-lake --out ocsf
    orginsight export ocsf --findings guardduty.json securityhub.json --out ocsf
    """
    from orginsight.analytics.triage import read_findings_files  # loads pandas: only when the command runs
    from orginsight.outputs.exports import write_ocsf  # loads pandas and jsonschema when it runs

    if args.findings:
        findings = read_findings_files(args.findings)
    elif args.lake:
        findings = open_lake(args).findings()
    else:
        raise LakeError(
            "export ocsf reads a local lake's findings (--lake DIR) or findings files (--findings FILE...)"
        )
    for path in write_ocsf(findings, args.out):
        print(path)
    return 0


def run_export_navigator(args: argparse.Namespace) -> int:
    """ATT&CK Navigator layers of what the hunts and Sigma rules cover, and the gaps

    Write coverage-layer.json (ATT&CK Navigator layer format 4.5) of the techniques every hunt and the Sigma
    rules under --sigma detect, checked against MITRE's ATT&CK v18.1 list; coverage.csv; gaps.csv (the Cloud
    matrix's techniques nothing covers); with a lake, hits-layer.json of one run of every hunt.

    orginsight export navigator --sigma rules/cloud/aws --out attack
    orginsight export navigator --sigma rules/cloud/aws --lake demo-lake --since 30d --out attack
    """
    from orginsight.outputs.exports import write_navigator  # loads pandas and yaml: only when it runs

    lake = open_lake(args) if names_a_lake(args) else None
    for path in write_navigator(args.out, args.sigma or (), lake, hunt_params(args)):
        print(path)
    return 0


def run_export_timesketch(args: argparse.Namespace) -> int:
    """a triage's or a hunt's events for Timesketch (JSONL, CSV) and plaso (CloudTrail JSON lines)

    Triage an indicator (or run the hunt --hunt names) and write its timeline with Timesketch's required
    fields (message, datetime, timestamp_desc) and the entity fields, as JSONL and CSV, and the original
    CloudTrail records of its events as JSON lines for plaso.

    orginsight export timesketch --indicator AKIAEXAMPLEKEY123456 --lake demo-lake --out case-1 --since 2024-06-01
    orginsight export timesketch --hunt cloudtrail_tampering --lake demo-lake --out case-1 --since 30d
    """
    from orginsight.outputs.exports import (
        write_hunt_timeline,
        write_triage_timeline,
    )  # loads pandas when it runs

    if bool(args.indicator) == bool(args.hunt):
        raise UsageError("name one of --indicator VALUE or --hunt NAME")
    lake = open_lake(args)
    if args.hunt:
        paths = write_hunt_timeline(lake, args.hunt, args.out, hunt_params(args))
    else:
        t = lake.triage(args.indicator, since=args.since, until=args.until)
        paths = write_triage_timeline(t, lake, args.out)
    for path in paths:
        print(path)
    return 0


EXPORT = Group(
    "export",
    """write results for other tools: OCSF, ATT&CK Navigator, Timesketch and plaso

    Hand orginsight's answers to the tools a team already has: findings as OCSF Detection Findings for a
    SIEM, ATT&CK coverage as Navigator layers, triage and hunt timelines for Timesketch and plaso.

    orginsight export ocsf --lake demo-lake --out ocsf
    orginsight export navigator --sigma rules/cloud/aws --out attack
    orginsight export timesketch --indicator 203.0.113.7 --lake demo-lake --out case-2
    """,
    Command(
        "ocsf",
        run_export_ocsf,
        lake_options(cache=False),
        OUT_DIR.but(required=True, help="folder for the findings-YYYY-MM-DD.ocsf.jsonl files"),
        option(
            "--findings", nargs="*", metavar="FILE", help="findings files to export instead of the lake's"
        ),
    ),
    Command(
        "navigator",
        run_export_navigator,
        lake_options(),
        OUT_DIR.but(required=True, help="folder for the layers, coverage.csv and gaps.csv"),
        option("--sigma", nargs="*", metavar="PATH", help="Sigma rule files or folders in use"),
        HUNT_FILTER_OPTIONS,
    ),
    Command(
        "timesketch",
        run_export_timesketch,
        lake_options(),
        OUT_DIR.but(required=True, help="folder for the Timesketch JSONL/CSV and plaso's JSON lines"),
        option(
            "--indicator", metavar="VALUE", help="triage this access key, principal ARN, IP or finding id"
        ),
        option("--hunt", metavar="NAME", help="export this hunt's rows instead"),
        HUNT_FILTER_OPTIONS,
    ),
)
