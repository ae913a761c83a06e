"""The review's "Organization trail" section: the trail posture checks (``analytics.posture.trail``).

Reads the newest ``cloudtrail`` collector snapshot, else the lake's recorded CloudTrail state (the demo's
``api/cloudtrail`` and ``api/s3``), so the section says whether the trail every other section rests on can be
trusted: one table of checks with their reasons, and one "what changed" line per failed check.
"""

from __future__ import annotations

import pandas as pd

from orginsight.analytics.posture.trail import FAIL, PASS, UNKNOWN, trail_checks
from orginsight.collectors.cloudtrail import CLOUDTRAIL, cloudtrail_frames
from orginsight.collectors.snapshots import read_snapshots, snapshot_folders
from orginsight.outputs.report.model import PostureReview, declared

COLLECTOR = CLOUDTRAIL.name


def trail_state(review: PostureReview) -> tuple[dict[str, pd.DataFrame], pd.Timestamp | None] | None:
    """The collector's tables and when they were read: the newest snapshot (its ``collected_at``), else
    the lake's recording (read as of the review's end); None when the lake holds neither."""
    if snapshot_folders(review.lake, COLLECTOR):
        frames = {t: read_snapshots(review.lake, COLLECTOR, t, latest=True) for t in CLOUDTRAIL.table_names}
        return frames, None
    recording = review.recording
    if recording is None or not recording.regions(CLOUDTRAIL.api):
        return None
    return cloudtrail_frames(recording), review.end


def _trail(review: PostureReview) -> None:
    state = trail_state(review)
    if state is None:
        review.notes.append(f"organization trail: no CloudTrail state (run 'orginsight collect {COLLECTOR}')")
        return
    frames, at = state
    checks = trail_checks(frames, at=at)
    review.frames["trail_checks"] = checks
    counts = checks["status"].value_counts()
    review.numbers |= {f"trail_checks_{s}": int(counts.get(s, 0)) for s in (PASS, FAIL, UNKNOWN)}
    for _, c in checks[checks["status"] == FAIL].iterrows():
        trail = f"Organization trail {c['trail']}" if c["trail"] else "Organization trail"
        review.changes.append(f"{trail}: {c['check']} failed: {c['reason']}.")


TRAIL = declared("organization trail", _trail)
