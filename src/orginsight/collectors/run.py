"""``orginsight collect``: run one live collector (or replay a demo lake's recorded API) into a snapshot.

One function per entry point, so the command line and notebooks call the same thing:
``collect(...)`` for live AWS, ``frames_from_lake(...)`` for a demo lake's recorded
responses (``<lake>/api/...``), both returning frames built by the same transforms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.errors import CollectionError, LakeError

COLLECTORS = ("org", "guardduty", "securityhub")
"""Collector names, as in ``orginsight collect <name>`` and ``snapshots/<name>/``."""

FINDING_PAGES = frozenset({"list_findings", "get_findings"})
"""Operations whose pages are not kept beside a snapshot: the findings table holds each finding's raw JSON."""

SERVICES = {"org": "organizations", "guardduty": "guardduty", "securityhub": "securityhub"}


@dataclass
class CollectionResult:
    """What one collection produced: its tables, failures, and the snapshot folder when one was written."""

    collector: str
    frames: dict[str, pd.DataFrame]
    failures: list[dict[str, Any]]
    api_calls: int = 0
    regions: list[str] = field(default_factory=list)
    operations: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per operation: calls that succeeded, items returned, calls that failed."""
    snapshot: Path | None = None

    def summary(self) -> str:
        """A few lines for people: rows per table, failures by account/region/code, where it was written."""
        lines = [f"{self.collector}: " + ", ".join(f"{k} {len(v)} rows" for k, v in self.frames.items())]
        if self.regions:
            lines.append(f"regions: {', '.join(self.regions)}; API calls: {self.api_calls}")
        if self.failures:
            lines.append(f"{len(self.failures)} failure(s):")
            groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
            for f in self.failures:
                groups.setdefault((f["operation"], f["status"], f["error_code"] or ""), []).append(f)
            for (operation, status, code), found in groups.items():
                where = [f"{f['account'] or '-'}/{f['region'] or '-'}" for f in found]
                if len(found) == 1:
                    lines.append(
                        f"  {where[0]} {operation}: {status} {code} {found[0]['message'] or ''}".rstrip()
                    )
                else:  # one line for the same failure in many places (e.g. GuardDuty off in 12 regions)
                    lines.append(
                        f"  {operation}: {status} {code} in {len(found)} places ({', '.join(where)}), "
                        f"e.g. {found[0]['message'] or ''}".rstrip()
                    )
        if self.snapshot is not None:
            lines.append(f"snapshot: {self.snapshot}")
        return "\n".join(lines)


def _check(collector: str) -> None:
    if collector not in COLLECTORS:
        raise CollectionError(f"unknown collector {collector!r}: choose one of {', '.join(COLLECTORS)}")


def latest_org_accounts(root: str | Path | None) -> pd.DataFrame | None:
    """The newest Organizations ``accounts`` snapshot below ``root``, to name accounts in findings."""
    if root is None:
        return None
    from orginsight.collectors.snapshots import read_snapshots

    try:
        return read_snapshots(root, "org", "accounts", latest=True)
    except LakeError:
        return None


def frames_from_recording(
    collector: str, recording: Any, org: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The collector's tables from recorded API pages (live or demo), via its transform_* functions."""
    _check(collector)
    if collector == "org":
        from orginsight.collectors.organizations import organization_frames

        return organization_frames(recording)
    if collector == "guardduty":
        from orginsight.collectors.guardduty import guardduty_frames

        return guardduty_frames(recording, org)
    from orginsight.collectors.securityhub import securityhub_frames

    return securityhub_frames(recording, org)


def frames_from_lake(lake: str | Path, collector: str) -> dict[str, pd.DataFrame]:
    """A demo lake's recorded responses (``<lake>/api/<service>/<region>/<op>.json``) as the collector's tables.

    Findings are joined with the recorded organization, when the lake has one. GuardDuty
    findings come from the recorded GetFindings pages or, when none were recorded, from the
    lake's GuardDuty S3 export (``AWSLogs/<account>/GuardDuty/...``), newest version of each.
    """
    from orginsight.collectors.organizations import organization_frames
    from orginsight.collectors.recording import ApiRecording

    _check(collector)
    recording = ApiRecording.load(lake)
    org = None
    if collector != "org" and recording.calls("organizations", None, "list_accounts"):
        org = organization_frames(recording)["accounts"]
    frames = frames_from_recording(collector, recording, org)
    if collector == "guardduty" and frames["findings"].empty:
        from orginsight.collectors.guardduty import read_guardduty_export

        frames["findings"] = read_guardduty_export(lake, org=org)
    return frames


def read_collected(lake: str | Path, collector: str, table: str, latest: bool = False) -> pd.DataFrame:
    """One collector table of a lake: its snapshots when there are any, else the recorded API responses.

    Notebooks read live collections and the demo lake the same way. Recorded responses have no
    collection time of their own, so their ``collected_at`` is the newest recorded file's time.
    """
    from orginsight.collectors.snapshots import read_snapshots, snapshot_folders

    _check(collector)
    if snapshot_folders(lake, collector):
        return read_snapshots(lake, collector, table, latest=latest)
    frames = frames_from_lake(lake, collector)
    if table not in frames:
        raise LakeError(f"collector {collector!r} has no table {table!r}: choose one of {', '.join(frames)}")
    api = Path(lake) / "api" / SERVICES[collector]
    newest = max((p.stat().st_mtime for p in api.rglob("*.json")), default=None)
    df = frames[table].copy()
    df["collected_at"] = pd.Timestamp(newest, unit="s", tz="UTC").floor("s") if newest else pd.NaT
    df.attrs["snapshots"] = []
    return df


def collect(
    collector: str,
    out: str | Path | None = None,
    *,
    profile: str | None = None,
    regions: str | list[str] | None = "all",
    role_arn: str | None = None,
    member_role: str | None = None,
    region: str | None = None,
    since_days: float | None = 30,
    min_severity: float | None = None,
    include_archived: bool = False,
    workers: int = 8,
    progress: bool = True,
    from_lake: str | Path | None = None,
    connection: Any = None,
    collected_at: datetime | None = None,
) -> CollectionResult:
    """Run one collector and, with ``out``, write a snapshot below ``out/snapshots/<collector>/``.

    ``from_lake`` replays a demo lake's recorded API responses instead of calling AWS.
    Per-account/region failures never raise: they are in ``result.failures``, the
    manifest, and every frame's ``attrs["failures"]``.
    """
    from orginsight.collectors.fanout import OutcomeLog
    from orginsight.collectors.recording import ApiRecording

    _check(collector)
    now = collected_at or datetime.now(UTC)
    recording = None
    if from_lake is not None:
        frames = frames_from_lake(from_lake, collector)
        result = CollectionResult(collector, frames, [])
        source = f"recorded:{from_lake}"
    else:
        from orginsight.collectors.regions import resolve_regions
        from orginsight.collectors.session import Connection

        if connection is None:
            try:
                connection = Connection.from_profile(profile, role_arn, member_role, region)
            except Exception as e:  # noqa: BLE001 - profile/credential problems, reported as one clear error
                raise CollectionError(
                    f"cannot open an AWS session (profile {profile or 'default'}): {e}"
                ) from e
            if connection.session.get_credentials() is None:
                raise CollectionError(
                    "no AWS credentials found: pass --profile, set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                    "AWS_SECRET_ACCESS_KEY, or replay a demo lake with --from-lake"
                )
        log = OutcomeLog()
        recording = ApiRecording()
        org = latest_org_accounts(out)
        since = now - timedelta(days=since_days) if since_days else None
        picked: list[str] = []
        if collector == "org":
            from orginsight.collectors.organizations import get_organization

            get_organization(connection, recording, log, progress=progress)
        elif collector == "guardduty":
            from orginsight.collectors.guardduty import finding_criteria, get_guardduty

            picked = resolve_regions(regions, connection, "guardduty")
            criteria = finding_criteria(
                since=since, min_severity=min_severity, archived=None if include_archived else False
            )
            get_guardduty(connection, picked, recording, log, criteria, workers=workers, progress=progress)
        else:
            from orginsight.collectors.securityhub import aggregation_region, asff_filters, get_securityhub

            picked = resolve_regions(regions, connection, "securityhub")
            aggregator = aggregation_region(connection, log, region)
            filters = asff_filters(since=since, record_state=None if include_archived else "ACTIVE")
            accounts = None
            if member_role:  # standards live in each member account: read them through the member role
                from orginsight.collectors.organizations import list_account_ids

                accounts = list(org["account_id"]) if org is not None else list_account_ids(connection, log)
            get_securityhub(
                connection,
                [aggregator] if aggregator else picked,
                recording,
                log,
                filters,
                accounts=accounts,
                regions=picked,
                workers=workers,
                progress=progress,
            )
        frames = frames_from_recording(collector, recording, org)
        result = CollectionResult(
            collector, frames, log.failure_records(), recording.count(), picked, log.summary()
        )
        source = "live"
    for df in result.frames.values():
        df.attrs["failures"] = result.failures
    if out is not None:
        from orginsight.collectors.snapshots import write_snapshot

        result.snapshot = write_snapshot(
            out,
            collector,
            result.frames,
            result.failures,
            now,
            source=source,
            regions=result.regions,
            api_calls=result.api_calls,
            operations=result.operations,
            api="api/" if recording is not None and recording.count() else None,
        )
        if (
            recording is not None
        ):  # the raw pages too, so code reading recorded API state reads live state alike
            recording.save(result.snapshot, exclude=FINDING_PAGES)
    return result
