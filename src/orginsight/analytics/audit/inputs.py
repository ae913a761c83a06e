"""What the centralization audit reads: the organization, the recorded API state, three collectors' tables.

``AuditInput`` holds it all, so every check is a pure function of it; ``audit_input_from_lake`` fills it from
a lake folder, taking what is there: the recorded ``api/`` state (the demo's, or a collection's), the newest
snapshot of every collector, and the Storage Lens export folders. What is missing stays missing (None, or
nothing recorded), and the checks that need it answer ``unknown`` and say which collector to run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.registry import SERVICES
from orginsight.collectors.snapshots import read_snapshots, snapshot_folders
from orginsight.errors import LakeError

Frames = Mapping[str, pd.DataFrame]

REGIONAL_APIS = ("guardduty", "securityhub", "config", "inspector2", "accessanalyzer", "macie2")
"""boto3 services whose recorded regions say which regions the organization uses (``regions = "enabled"``):
the collectors read every enabled region of the account they run in."""


@dataclass(frozen=True)
class AuditInput:
    """Everything the checks read. Frames a collector did not produce are None."""

    accounts: pd.DataFrame
    """Organizations ``accounts``: account_id, name, status, ou_id, ou_path."""
    recording: ApiRecording = field(default_factory=ApiRecording)
    """Recorded API pages (``api/<service>/<region>/<operation>.json``) of every service."""
    ous: pd.DataFrame | None = None
    delegated_admins: pd.DataFrame | None = None
    trusted_services: pd.DataFrame | None = None
    management_account_id: str | None = None
    identitycenter: Frames | None = None
    """The ``identitycenter`` collector's tables (permission_sets, account_assignments, ...)."""
    guardrails: Frames | None = None
    """The ``guardrails`` collector's tables (policies, policy_targets)."""
    stacksets: Frames | None = None
    """The ``stacksets`` collector's tables (stack_sets, stack_instances, operations)."""
    storage_lens_exports: tuple[str, ...] = ()
    """Storage Lens configuration ids whose exports the lake holds (``StorageLens/<account>/<id>/``)."""

    def active_accounts(self) -> pd.DataFrame:
        """Accounts that can be covered: ACTIVE ones (all when no status is known)."""
        a = self.accounts
        return a[a["status"].isin(["ACTIVE"]) | a["status"].isna()] if "status" in a else a

    def used_regions(self) -> tuple[str, ...]:
        """The regions the organization uses: every region a regional security service was recorded in."""
        return tuple(sorted({r for api in REGIONAL_APIS for r in self.recording.regions(api)} - {"global"}))


def _merged_recording(root: Path) -> ApiRecording:
    """The lake's ``api/`` state, plus the pages kept with each collector's newest snapshot for the boto3
    services the lake's own state does not hold (``orginsight collect X --out LAKE``)."""
    recording = ApiRecording.load(root) if (root / "api").is_dir() else ApiRecording()
    have = {service for (service, _r, _o), _c in recording}
    for service in SERVICES.values():
        folders = [f for f in snapshot_folders(root, service.name) if (f / "api").is_dir()]
        if not folders:
            continue
        for (api, region, operation), calls in ApiRecording.load(folders[-1]):
            if api in have:
                continue
            for c in calls:
                recording.add(api, region, operation, c["params"], c["response"], c.get("account"))
    return recording


def _snapshot_frames(root: Path, collector: str) -> dict[str, pd.DataFrame] | None:
    """The newest snapshot of each of ``collector``'s tables, without ``collected_at``; None when none."""
    frames = {}
    for table in SERVICES[collector].tables:
        try:
            df = read_snapshots(root, collector, table.name, latest=True)
        except LakeError:
            continue
        frames[table.name] = df.drop(columns=["collected_at"], errors="ignore")
    return frames or None


def _collector_frames(root: Path, recording: ApiRecording, collector: str) -> dict[str, pd.DataFrame] | None:
    """A collector's tables: its newest snapshot, else its transforms over the recorded pages, else None."""
    found = _snapshot_frames(root, collector)
    if found is not None:
        return found
    service = SERVICES[collector]
    if not any(
        recording.calls(service.api, r, op) for r in recording.regions(service.api) for op in service.calls
    ):
        return None
    return service.frames(recording, None)


def storage_lens_exports(root: Path) -> tuple[str, ...]:
    """Configuration ids with an export in the lake (``StorageLens/<account>/<config-id>/V_1/``)."""
    return tuple(sorted({p.parent.name for p in root.glob("**/StorageLens/*/*/V_1")}))


def audit_input_from_lake(lake_root: str | Path) -> AuditInput:
    """The audit's input from a lake folder: whatever of it is there (see the module docstring)."""
    root = Path(lake_root)
    if not root.is_dir():
        raise LakeError(f"no lake at {root}: build one with 'orginsight lake generate --lake {root}'")
    recording = _merged_recording(root)
    org = _collector_frames(root, recording, "org") or {}
    accounts = org.get("accounts")
    if accounts is None:
        accounts = pd.DataFrame(columns=["account_id", "name", "status", "ou_id", "ou_path"])
    organization = org.get("organization")
    management = (
        organization["management_account_id"].iloc[0]
        if organization is not None and len(organization)
        else None
    )
    return AuditInput(
        accounts=accounts,
        recording=recording,
        ous=org.get("ous"),
        delegated_admins=org.get("delegated_admins") if _recorded_admins(recording, org) else None,
        trusted_services=org.get("trusted_services") if _recorded_trusted(recording, org) else None,
        management_account_id=management,
        identitycenter=_collector_frames(root, recording, "identitycenter"),
        guardrails=_collector_frames(root, recording, "guardrails"),
        stacksets=_collector_frames(root, recording, "stacksets"),
        storage_lens_exports=storage_lens_exports(root),
    )


def _recorded_admins(recording: ApiRecording, org: Frames) -> bool:
    """Whether the delegated administrators were read at all (an empty list then means "none")."""
    return bool(recording.calls("organizations", None, "list_delegated_administrators")) or (
        "delegated_admins" in org and len(org["delegated_admins"]) > 0
    )


def _recorded_trusted(recording: ApiRecording, org: Frames) -> bool:
    return bool(recording.calls("organizations", None, "list_aws_service_access_for_organization")) or (
        "trusted_services" in org and len(org["trusted_services"]) > 0
    )
