"""Benchmark: GuardDuty collection of 10,000 findings over 20 regions, with stubbed AWS responses.

What it measures (ratios against baselines measured in the same run):
- API calls made against the minimum: ListFindings returns at most 50 ids a page and
  GetFindings takes at most 50 ids, so n findings need ceil(n/50) of each per region, plus
  one call each for ListDetectors, GetDetector, ListMembers, GetMemberDetectors (50 members a call),
  DescribeOrganizationConfiguration and GetFindingsStatistics per region.
- The thread pool's speed-up against one thread.

The responses come from botocore's Stubber (checked against the real service model), built
from the real public GuardDuty findings in ../shared/data/guardduty. A Stubber answers
instantly, so a simulated network latency (--latency-ms, default 25 ms per call) is added
by an event handler before each call (before-parameter-build); without it there would be nothing for threads to overlap.

Run: .venv/bin/python benchmarks/bench_collect.py [--findings 10000] [--regions 20] [--latency-ms 25]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import boto3
from botocore.stub import Stubber

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from data.aws import guardduty as data  # noqa: E402

from orginsight.collectors.fanout import OutcomeLog  # noqa: E402
from orginsight.collectors.guardduty import finding_criteria, get_guardduty, guardduty_frames  # noqa: E402
from orginsight.collectors.recording import ApiRecording  # noqa: E402
from orginsight.collectors.session import Connection, retry_config  # noqa: E402

REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "me-south-1",
    "af-south-1",
]
PER_REGION_SETUP_CALLS = (
    6  # list_detectors, get_detector, list_members, get_member_detectors (<=50 members), org config, stats
)


def build_connection(per_region: dict[str, list[dict]], latency: float) -> tuple[Connection, list[Stubber]]:
    session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
    connection = Connection(session, retry_config())
    stubs = []
    for region, findings in per_region.items():
        client = session.client("guardduty", region_name=region, config=connection.config)
        stub = Stubber(client)
        stub.add_response("list_detectors", data.LIST_DETECTORS)
        stub.add_response("get_detector", data.GET_DETECTOR)
        stub.add_response("list_members", data.LIST_MEMBERS)
        stub.add_response("get_member_detectors", data.GET_MEMBER_DETECTORS)
        stub.add_response("describe_organization_configuration", data.DESCRIBE_ORGANIZATION_CONFIGURATION)
        stub.add_response("get_findings_statistics", data.GET_FINDINGS_STATISTICS)
        for start, page in zip(range(0, len(findings), 50), data.list_findings_pages(findings), strict=True):
            stub.add_response("list_findings", page)
            stub.add_response("get_findings", {"Findings": findings[start : start + 50]})
        stub.activate()
        client.meta.events.register("before-parameter-build.guardduty", lambda **_kw: time.sleep(latency))
        connection.use_client("guardduty", region, client)
        stubs.append(stub)
    return connection, stubs


def run(
    per_region: dict[str, list[dict]], workers: int, latency: float
) -> tuple[float, ApiRecording, OutcomeLog]:
    connection, stubs = build_connection(per_region, latency)
    recording, log = ApiRecording(), OutcomeLog()
    t0 = time.perf_counter()
    get_guardduty(
        connection, list(per_region), recording, log, finding_criteria(), workers=workers, progress=False
    )
    elapsed = time.perf_counter() - t0
    for stub in stubs:
        stub.assert_no_pending_responses()
    return elapsed, recording, log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 8, 20])
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    per = args.findings // len(regions)
    accounts = [f"{i:012d}" for i in range(200000000001, 200000000011)]
    per_region = {
        r: [
            f
            for i, a in enumerate(accounts)
            for f in data.boto3_findings(per // len(accounts) + (i < per % len(accounts)), a, r)
        ]
        for r in regions
    }
    total = sum(len(v) for v in per_region.values())
    latency = args.latency_ms / 1000
    print(
        f"{total} findings over {len(regions)} regions, {len(accounts)} member accounts; "
        f"stubbed responses with a SIMULATED latency of {args.latency_ms:.0f} ms per call"
    )

    run({r: per_region[r][:100] for r in regions[:2]}, 1, latency)  # warm-up: models, paginators, imports
    base, recording, log = run(per_region, 1, latency)
    assert not log.failures, log.failures
    made = {
        op: sum(len(recording.calls("guardduty", r, op)) for r in regions)
        for op in ("list_findings", "get_findings")
    }
    minimum = sum(math.ceil(len(v) / 50) for v in per_region.values())
    all_calls = recording.count()
    min_all = 2 * minimum + PER_REGION_SETUP_CALLS * len(regions)
    print(
        f"ListFindings pages: {made['list_findings']} (minimum {minimum}); "
        f"GetFindings calls: {made['get_findings']} (minimum {minimum}); "
        f"all API calls: {all_calls} (minimum {min_all}) -> ratio {all_calls / min_all:.2f}"
    )
    print(f"1 thread (baseline): {base:.2f} s")
    for workers in args.workers:
        elapsed, rec, _log = run(per_region, workers, latency)
        assert rec.count() == all_calls
        print(f"{workers:>2} threads: {elapsed:.2f} s -> speed-up x{base / elapsed:.1f} vs 1 thread")
    t0 = time.perf_counter()
    frames = guardduty_frames(recording)
    print(
        f"transform to frames: {time.perf_counter() - t0:.2f} s, {len(frames['findings'])} normalized findings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
