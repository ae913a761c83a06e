"""``orginsight collect``: a snapshot of live AWS state, written into a lake folder (``--out DIR``)."""

from __future__ import annotations

import argparse
from datetime import datetime

from orginsight.cli.command import Command
from orginsight.cli.options import OUT_DIR, PROFILE, option, progress_wanted, region_filter, time_text
from orginsight.timerange import parse_time, utc_now

EVERYTHING = "all"
"""``--since all``: findings of any age; ``--region all``: every enabled region."""


COLLECTOR_NAMES = (
    "org", "guardduty", "securityhub", "config", "inspector", "accessanalyzer", "macie", "ssm", "trustedadvisor",
    "identitycenter", "guardrails", "stacksets", "cloudtrail",
)  # fmt: skip
"""The collectors of ``orginsight.collectors.registry.SERVICES``, named here so ``--help`` loads no boto3
(a test checks the two lists are the same)."""


def since_text(text: str) -> str:
    """A ``--since`` value of ``collect``: a time (7d, 2024-06-01, ISO) or ``all``."""
    if text.strip().lower() == EVERYTHING:
        return EVERYTHING
    return time_text(text)


def days_since(text: str, now: datetime | None = None) -> float | None:
    """Days from ``text`` to ``now``, as the collectors take them; None for ``all`` (no limit)."""
    if text == EVERYTHING:
        return None
    now = utc_now(now)
    return (now - parse_time(text, now)).total_seconds() / 86400


def run_collect(args: argparse.Namespace) -> int:
    """snapshot live AWS state: org, guardduty or securityhub

    Collect the organization (from the management account), GuardDuty or Security Hub (from the
    delegated administrator) over every enabled region, and write Parquet snapshots plus a manifest of
    what failed where (account, region, error code) to DIR/snapshots/<collector>/<time>/. Read-only; the
    IAM policy it needs is src/orginsight/policies/orginsight-readonly.json.

    orginsight collect guardduty --profile security-admin --since 7d --out ./lake
    orginsight collect securityhub --profile security-admin --region eu-west-1,us-east-1 --out ./lake
    orginsight collect org --from-lake demo-lake --out demo-lake
    """
    from orginsight.collectors.run import collect  # loads boto3: only when the command runs

    result = collect(
        args.collector,
        args.out,
        profile=args.profile,
        regions=EVERYTHING if args.region in (None, [EVERYTHING]) else args.region,
        role_arn=args.role_arn,
        member_role=args.member_role,
        region=args.home_region,
        since_days=days_since(args.since),
        min_severity=args.min_severity,
        include_archived=args.include_archived,
        workers=args.workers,
        progress=progress_wanted(),
        from_lake=args.from_lake,
    )
    print(result.summary())
    return 0


COLLECT = Command(
    "collect",
    run_collect,
    option("collector", choices=COLLECTOR_NAMES),
    OUT_DIR.but(help="lake folder to write the snapshot into (default: print only)"),
    PROFILE.but(help="AWS profile (default: environment credentials)"),
    region_filter(f"collect this region (default '{EVERYTHING}': every enabled region)"),
    option(
        "--home-region",
        metavar="NAME",
        help="region of the API calls made once (Security Hub: the aggregation region, found when omitted)",
    ),
    option("--role-arn", help="role to assume first (e.g. in the delegated administrator account)"),
    option("--member-role", help="role name to assume in each member account where no org-wide API exists"),
    option(
        "--since",
        type=since_text,
        default="30d",
        metavar="TIME",
        help=f"findings updated since: 7d, 2024-06-01, ISO time, or '{EVERYTHING}' (default 30d)",
    ),
    option("--min-severity", type=float, help="GuardDuty: minimum severity score (0-10)"),
    option("--include-archived", action="store_true", help="also archived findings"),
    option("--workers", type=int, default=8, help="threads for the region/account fan-out"),
    option("--from-lake", metavar="LAKE", help="replay a demo lake's recorded API responses instead of AWS"),
)
