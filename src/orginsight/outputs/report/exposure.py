"""The review's exposure section: instances with exploitable critical CVEs whose role reads a bucket that
holds sensitive data and is shared outside the organization (``analytics.posture.exposure``).

Reads the newest snapshots of the Inspector, Macie and Access Analyzer collectors and, for the roles of the
exploitable instances only, the ``role_bucket_reads`` hunt over the review period; a missing source is a note.
"""

from __future__ import annotations

import pandas as pd

from orginsight.analytics import posture
from orginsight.collectors.snapshots import read_snapshots
from orginsight.errors import LakeError
from orginsight.lake import Lake
from orginsight.outputs.report.model import PostureReview, declared

SOURCES = (
    ("inspector", "findings"),
    ("macie", "buckets"),
    ("macie", "findings"),
    ("accessanalyzer", "findings"),
)
"""(collector, table) snapshots the section reads, newest only."""


def _exposure(review: PostureReview) -> None:
    frames: dict[tuple[str, str], pd.DataFrame] = {}
    for collector, table in SOURCES:
        try:
            frames[(collector, table)] = read_snapshots(review.lake, collector, table, latest=True)
        except LakeError as e:
            review.notes.append(f"exposure: {e}")
    if len(frames) < len(SOURCES):
        return
    findings = frames[("inspector", "findings")]
    roles = posture.candidate_roles(findings)
    reads = posture.role_bucket_reads(Lake.local(review.lake), roles, review.start, review.end)
    paths = posture.exposure_paths(
        findings,
        frames[("macie", "buckets")],
        frames[("macie", "findings")],
        frames[("accessanalyzer", "findings")],
        reads,
    )
    review.frames["exposure_paths"] = paths
    review.numbers["exposure_paths"] = len(paths)
    for _, p in paths.iterrows():
        review.changes.append(
            f"Exposure: instance {p['instance_id']} in {p['account_id']} has exploitable critical {p['cve']}; "
            f"its role {p['role_arn']} read bucket {p['bucket']} ({p['read_evidence']}), which holds "
            f"{p['sensitive_data']} (Macie) and is shared with {p['principal']} outside the organization "
            "(Access Analyzer)."
        )


EXPOSURE = declared("exposure", _exposure)
