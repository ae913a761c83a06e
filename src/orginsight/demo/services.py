"""The posture services' recorded state over 90 days: weekly collector snapshots and the newest API pages.

Each service module (``vulnerabilities``: Inspector, ``sensitive_data``: Macie, ``access_findings``:
Access Analyzer, ``compliance``: Config, ``patching``: Systems Manager, ``advisor``: Trusted Advisor) builds its state's timeline once from the seed, then answers "what would the API
return at time t" in the recorded format. Every weekly snapshot runs the collector's own ``frames``
(its transforms) on those pages and writes it with ``collectors.snapshots.write_snapshot``, so trends
read demo and live collections alike. The newest state's pages also go to ``<lake>/api/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.registry import SERVICES
from orginsight.collectors.snapshots import write_snapshot
from orginsight.demo.access_findings import build_access
from orginsight.demo.advisor import build_advisor
from orginsight.demo.compliance import build_config
from orginsight.demo.exposure import Calls, Exposure, merge, plant_exposure, snapshot_times
from orginsight.demo.org import Organization, organizations_responses
from orginsight.demo.patching import build_patching
from orginsight.demo.sensitive_data import build_macie
from orginsight.demo.vulnerabilities import build_inspector

BUILDERS: dict[str, Callable[[Organization, int, Exposure], Any]] = {
    "inspector": build_inspector,
    "macie": build_macie,
    "accessanalyzer": build_access,
    "config": build_config,
    "ssm": build_patching,
    "trustedadvisor": build_advisor,
}
"""Collector name -> the builder of its demo state (an object with ``responses(t) -> Calls``)."""


def build_states(org: Organization, seed: int) -> tuple[Exposure, dict[str, Any]]:
    story = plant_exposure(org, seed)
    return story, {name: build(org, seed, story) for name, build in BUILDERS.items()}


def posture_responses(org: Organization, seed: int, t: datetime) -> Calls:
    """Every posture service's recorded responses at ``t``, keyed like ``org.service_responses``."""
    _story, states = build_states(org, seed)
    out: Calls = {}
    for state in states.values():
        merge(out, state.responses(t))
    return out


def recording_of(calls: Calls) -> ApiRecording:
    """Recorded calls as the in-memory recording a live ``get`` would have filled."""
    rec = ApiRecording()
    for (service, region), ops in calls.items():
        for op, entries in ops.items():
            for c in entries:
                rec.add(service, region, op, c["params"], c["response"], c.get("account"))
    return rec


def org_accounts(org: Organization) -> pd.DataFrame:
    """The Organizations collector's ``accounts`` table of the demo organization (findings name accounts)."""
    rec = ApiRecording()
    for op, entries in organizations_responses(org).items():
        for c in entries:
            rec.add("organizations", None, op, c["params"], c["response"])
    return SERVICES["org"].frames(rec, None)["accounts"]


SSM_SYNC_FOLDER = "ssm-inventory"
"""Where the demo writes the organization's SSM resource data sync (a prefix the local engine reads)."""


def write_posture_services(lake: str | Path, org: Organization, seed: int) -> dict:
    """Write 13 weekly snapshots per service and the newest API pages; returns their ground truth."""
    story, states = build_states(org, seed)
    times = snapshot_times(org)
    accounts = org_accounts(org)
    rows: dict[str, dict[str, int]] = {}
    for t in times:
        for name, state in states.items():
            calls = state.responses(t)
            frames = SERVICES[name].frames(recording_of(calls), accounts)
            write_snapshot(lake, name, frames, [], collected_at=t.replace(tzinfo=UTC), source="demo")
            rows[name] = {table: len(df) for table, df in frames.items()}
    for state in states.values():
        _write_api(Path(lake), state.responses(times[-1]))
    sync = Path(lake) / SSM_SYNC_FOLDER
    for key, content in states["ssm"].inventory(times[-1]).items():
        (sync / key).parent.mkdir(parents=True, exist_ok=True)
        (sync / key).write_bytes(content)
    inspector = states["inspector"]
    fixed = inspector.fixed_between
    return {
        "exposure": story.truth(times),
        "posture_services": {
            "snapshots": len(times),
            "first_snapshot": _z(times[0]),
            "last_snapshot": _z(times[-1]),
            "rows_in_last_snapshot": rows,
            "inspector_fixed": {
                "finding_arn": fixed.arn,
                "account": fixed.resource.account,
                "cve": fixed.cve[0],
                "first_observed": _z(fixed.opened),
                "fixed": _z(fixed.fixed) if fixed.fixed else None,
            },
            "config_drift": states["config"].drift,
            "ssm_drift": states["ssm"].drift,
        },
    }


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_api(lake: Path, calls: Calls) -> None:
    for (service, region), ops in calls.items():
        for op, entries in ops.items():
            p = lake / "api" / service / region / f"{op}.json"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(entries, indent=1))


def exposure_lines(truth: dict) -> list[str]:
    """The planted exposure in a few readable lines, for ``orginsight demo``."""
    e = truth["exposure"]
    return [
        "Exposure (Inspector x Macie x Access Analyzer):",
        f"  {e['instance_id']} in {e['account_name']} has {e['cve']} (critical, exploit available) since "
        f"{e['cve_first_seen'][:10]}; its role {e['role_arn'].rsplit('/', 1)[-1]} reads {e['bucket']}",
        f"  {e['bucket']} holds personal data (Macie, since {e['pii_found'][:10]}) and is shared with "
        f"{e['outside_account']} ({e['outside_account_name']}) since {e['shared_since'][:10]} "
        f"(snapshot {e['first_snapshot_shared']})",
    ]
