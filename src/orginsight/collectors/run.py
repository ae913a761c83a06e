"""``orginsight collect``: run one live collector (or replay a demo lake's recorded API) into a snapshot.

One function per entry point, so the command line and notebooks call the same thing:
``collect(...)`` for live AWS, ``frames_from_lake(...)`` for a demo lake's recorded
responses (``<lake>/api/...``), both returning frames built by the same transforms.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.collectors.fanout import OutcomeLog
from orginsight.collectors.organizations import ORGANIZATIONS
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.registry import SERVICES, recorded_findings
from orginsight.collectors.service import RunOptions, Service
from orginsight.collectors.session import Connection
from orginsight.collectors.snapshots import read_snapshots, snapshot_folders, write_snapshot
from orginsight.errors import CollectionError, LakeError
from orginsight.sources.findings import FINDING_COLUMNS, latest_findings
from orginsight.timerange import parse_time

COLLECTORS = tuple(SERVICES)
"""Collector names, as in ``orginsight collect <name>`` and ``snapshots/<name>/`` (from the registry)."""

FINDING_PAGES = frozenset({"list_findings", "get_findings"})
"""Operations whose pages are not kept beside a snapshot: the findings table holds each finding's raw JSON."""


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


def service_of(collector: str) -> Service:
    """The registry's service of a collector name; an unknown name is a ``CollectionError`` naming the choices."""
    if collector not in SERVICES:
        raise CollectionError(f"unknown collector {collector!r}: choose one of {', '.join(COLLECTORS)}")
    return SERVICES[collector]


def latest_org_accounts(root: str | Path | None) -> pd.DataFrame | None:
    """The newest Organizations ``accounts`` snapshot below ``root``, to name accounts in findings."""
    if root is None:
        return None
    try:
        return read_snapshots(root, ORGANIZATIONS.name, "accounts", latest=True)
    except LakeError:
        return None


def frames_from_recording(
    collector: str, recording: Any, org: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The collector's tables from recorded API pages (live or demo), via its transform_* functions."""
    return service_of(collector).frames(recording, org)


def frames_from_lake(lake: str | Path, collector: str) -> dict[str, pd.DataFrame]:
    """A demo lake's recorded responses (``<lake>/api/<service>/<region>/<op>.json``) as the collector's tables.

    Findings are joined with the recorded organization, when the lake has one. A service with
    an export (GuardDuty: ``AWSLogs/<account>/GuardDuty/...``) reads its findings from the
    lake's export files when no findings pages were recorded, newest version of each.
    """
    service = service_of(collector)
    recording = ApiRecording.load(lake)
    org = None
    if service is not ORGANIZATIONS and recording.calls(ORGANIZATIONS.api, None, "list_accounts"):
        org = ORGANIZATIONS.frames(recording, None)["accounts"]
    frames = service.frames(recording, org)
    if service.export_findings is not None and frames["findings"].empty:
        frames["findings"] = service.export_findings(lake, org)
    return frames


def lake_findings(lake: str | Path, recording: ApiRecording | None = None) -> pd.DataFrame:
    """Every finding a lake holds, as one normalized frame: the latest version of each finding.

    Sources: export files (GuardDuty's S3 export), the recorded findings pages of every service that
    declares them (``Service.finding_pages``: GuardDuty, Security Hub, Inspector, Macie, Access
    Analyzer; live or demo), and the normalized ``findings`` tables of collector snapshots. What could
    not be read is in ``df.attrs["errors"]`` (origin, record, error), and the rest is kept. ``recording``:
    the recorded pages when already loaded (default: the lake's ``api/`` folder).
    """
    if recording is None:
        recording = ApiRecording.load(lake) if (Path(lake) / "api").is_dir() else ApiRecording()
    org = latest_org_accounts(lake)
    if org is None and recording.calls(ORGANIZATIONS.api, None, "list_accounts"):
        org = ORGANIZATIONS.frames(recording, None)["accounts"]
    frames = [s.export_findings(lake, org) for s in SERVICES.values() if s.export_findings is not None]
    frames.append(recorded_findings(recording, org))
    for s in SERVICES.values():
        if "findings" not in s.table_names or not snapshot_folders(lake, s.name):
            continue
        with contextlib.suppress(LakeError):  # snapshots of other tables only
            history = read_snapshots(lake, s.name, "findings")
            if set(FINDING_COLUMNS) <= set(
                history.columns
            ):  # the normalized frame, not a service's own table
                frames.append(history.drop(columns="collected_at"))
    errors = [e for f in frames for e in f.attrs.get("errors", [])]
    found = [f for f in frames if len(f)]
    df = latest_findings(pd.concat(found, ignore_index=True)) if found else frames[-1]
    df.attrs = {"errors": errors}
    return df


def lake_people(lake: str | Path) -> pd.DataFrame | None:
    """The newest identity-store users of a lake (``identitycenter`` snapshots, else its recorded
    responses), or None when it holds none: triage and the graph attribute SSO sessions with them."""
    try:
        users = read_collected(lake, "identitycenter", "users", latest=True)
    except LakeError:
        return None
    return users if len(users) else None


def read_collected(lake: str | Path, collector: str, table: str, latest: bool = False) -> pd.DataFrame:
    """One collector table of a lake: its snapshots when there are any, else the recorded API responses.

    Notebooks read live collections and the demo lake the same way. Recorded responses have no
    collection time of their own, so their ``collected_at`` is the newest recorded file's time.
    """
    service = service_of(collector)
    if snapshot_folders(lake, collector):
        return read_snapshots(lake, collector, table, latest=latest)
    frames = frames_from_lake(lake, collector)
    if table not in frames:
        raise LakeError(f"collector {collector!r} has no table {table!r}: choose one of {', '.join(frames)}")
    api = Path(lake) / "api" / service.api
    newest = max((p.stat().st_mtime for p in api.rglob("*.json")), default=None)
    df = frames[table].copy()
    df["collected_at"] = pd.Timestamp(parse_time(newest)).floor("s") if newest else pd.NaT
    df.attrs["snapshots"] = []
    return df


def open_connection(
    profile: str | None, role_arn: str | None, member_role: str | None, region: str | None
) -> Connection:
    """A live AWS connection, or one clear ``CollectionError`` saying how to give credentials."""
    try:
        connection = Connection.from_profile(profile, role_arn, member_role, region)
    except Exception as e:  # noqa: BLE001 - profile/credential problems, reported as one clear error
        raise CollectionError(f"cannot open an AWS session (profile {profile or 'default'}): {e}") from e
    if connection.session.get_credentials() is None:
        raise CollectionError(
            "no AWS credentials found: pass --profile, set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, or replay a demo lake with --from-lake"
        )
    return connection


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
    service = service_of(collector)
    now = collected_at or datetime.now(UTC)
    recording = None
    if from_lake is not None:
        frames = frames_from_lake(from_lake, collector)
        result = CollectionResult(collector, frames, [])
        source = f"recorded:{from_lake}"
    else:
        if connection is None:
            connection = open_connection(profile, role_arn, member_role, region)
        log = OutcomeLog()
        recording = ApiRecording()
        org = latest_org_accounts(out)
        options = RunOptions(
            regions=regions,
            region=region,
            member_role=member_role,
            since=now - timedelta(days=since_days) if since_days else None,
            min_severity=min_severity,
            include_archived=include_archived,
            workers=workers,
            progress=progress,
            org=org,
        )
        picked = service.get(connection, recording, log, options)
        frames = service.frames(recording, org)
        result = CollectionResult(
            collector, frames, log.failure_records(), recording.count(), picked, log.summary()
        )
        source = "live"
    for df in result.frames.values():
        df.attrs["failures"] = result.failures
    if out is not None:
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
