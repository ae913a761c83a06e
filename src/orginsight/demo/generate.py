"""Entry point: generate a whole demo lake (organization state, CloudTrail, GuardDuty, Storage Lens).

Deterministic for a seed: every random draw comes from a ``random.Random`` seeded with the
seed and what is being drawn (account, day, ...), never from the clock, so the same call
writes the same bytes whether it runs on one process or several.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from orginsight.demo.centralization import newest_governance_responses, write_governance_snapshots
from orginsight.demo.cloudtrail import DayResult, DayTask, generate_day
from orginsight.demo.digests import sign_and_tamper
from orginsight.demo.exposure import plant_exposure, story_reads
from orginsight.demo.guardduty import write_guardduty_export
from orginsight.demo.incidents import plant_incidents
from orginsight.demo.insights import write_insights
from orginsight.demo.mining import mining_truth, plant_mining
from orginsight.demo.mining_findings import guardduty_findings
from orginsight.demo.network import write_network_logs
from orginsight.demo.org import MIN_ACCOUNTS, build_organization, organizations_responses, service_responses
from orginsight.demo.records import ct_time
from orginsight.demo.services import exposure_lines, write_posture_services
from orginsight.demo.storagelens import storage_lens_configuration_responses, write_storage_lens
from orginsight.errors import LakeError, ParameterError

DEFAULT_END = datetime(2026, 11, 27)
"""Exclusive end of the generated period when none is given: fixed so a seed always means the same lake."""

GENERATED = ("AWSLogs", "StorageLens", "api", "snapshots", "ssm-inventory", "scenario.json")
"""What generate_lake writes at the top of a lake (and removes first when overwriting)."""


@dataclass(frozen=True)
class GenerateSummary:
    """What was written, for the command line and the demo summary."""

    lake: str
    org_id: str
    accounts: int
    days: int
    start: str
    end: str
    events: int
    cloudtrail_files: int
    cloudtrail_bytes: int
    malicious_events: int
    guardduty_findings: int
    storage_lens_reports: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        return [
            f"lake              {self.lake}",
            f"organization      {self.org_id}, {self.accounts} accounts, {self.start} .. {self.end} ({self.days} days)",
            f"CloudTrail        {self.events:,} events in {self.cloudtrail_files:,} files "
            f"({self.cloudtrail_bytes / 1e6:.1f} MB gzip), {self.malicious_events} planted",
            f"GuardDuty         {self.guardduty_findings} findings (90 days)",
            f"Storage Lens      {self.storage_lens_reports} daily reports",
            f"took              {self.seconds:.1f} s ({self.events_per_second:,.0f} events/s)",
        ]


def generate_lake(
    path: str | os.PathLike,
    accounts: int = 12,
    days: int = 30,
    events_per_day: int = 10000,
    seed: int = 7,
    end: datetime | None = None,
    *,
    processes: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
    delivery_minutes: int = 5,
) -> GenerateSummary:
    """Write a synthetic organization's security data lake to ``path``; see ``scenario.json`` for its ground truth.

    ``events_per_day`` is the organization's background volume on a weekday (weekends are
    quieter). ``end`` is the exclusive end of the period (midnight UTC), 2026-11-27 by default.
    ``delivery_minutes`` is the window each CloudTrail file covers per account and region:
    5 as CloudTrail delivers; larger windows write fewer, bigger files (faster on slow disks).
    """
    t0 = time.perf_counter()
    if accounts < MIN_ACCOUNTS:
        raise ParameterError(
            f"--accounts must be at least {MIN_ACCOUNTS} (management, security, log archive, "
            f"shared services, production, staging), got {accounts}"
        )
    if days < 3:
        raise ParameterError(f"--days must be at least 3 (a baseline before the incidents), got {days}")
    if not 1 <= delivery_minutes <= 60 or 60 % delivery_minutes:
        raise ParameterError(f"--delivery-minutes must divide 60, got {delivery_minutes}")
    if events_per_day < 100:
        raise ParameterError(f"--events-per-day must be at least 100, got {events_per_day}")
    end = (end or DEFAULT_END).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    start = end - timedelta(days=days)
    lake = Path(path)
    _prepare(lake, overwrite)

    org = build_organization(random.Random(seed), accounts, start, end)
    scenario = plant_incidents(org, seed)
    gap = _gap(org, seed)

    extras: dict[tuple[int, datetime], list[tuple[int, str, dict]]] = {}
    index = {a.id: i for i, a in enumerate(org.accounts)}
    story = plant_exposure(org, seed)
    planted = [(e.account, e.time, e.region, e.record) for e in scenario.events]
    planted += [(story.account.id, t, r, rec) for t, r, rec in story_reads(org, story, seed, start, end)]
    mining = plant_mining(org, seed, scenario)
    planted += [(e.account, e.time, e.region, e.record) for e in mining.events]
    for account, t, region, record in planted:
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        extras.setdefault((index[account], day), []).append((int((t - day).total_seconds()), region, record))
    tasks = [
        DayTask(
            str(lake),
            org,
            i,
            start + timedelta(days=d),
            events_per_day,
            seed,
            extras.get((i, start + timedelta(days=d)), []),
            gap,
            delivery_minutes=delivery_minutes,
        )
        for d in range(days)
        for i in sorted(range(len(org.accounts)), key=lambda i: -org.accounts[i].weight)
    ]
    results = _run(tasks, processes, progress)
    tampering = sign_and_tamper(lake, org, seed, results, {r.get("eventID") for *_, r in planted}, processes)

    _write_api(lake, org, seed)
    gd = write_guardduty_export(str(lake), org, seed, scenario, guardduty_findings(mining, seed))
    network = write_network_logs(lake, org, seed, mining)
    exfil = scenario.facts["exfil_bucket"]
    posture = write_storage_lens(
        str(lake),
        org,
        seed,
        {"bucket": exfil["bucket"], "date": (end - timedelta(days=2)).strftime("%Y-%m-%d")},
    )
    services = write_posture_services(lake, org, seed)
    gaps = write_governance_snapshots(lake, org, seed)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.account] = counts.get(r.account, 0) + r.events
    truth = {
        "generator": {"seed": seed, "accounts": accounts, "days": days, "events_per_day": events_per_day},
        "organization": {
            "id": org.id,
            "management_account": org.management.id,
            "delegated_admin": org.by_role("security").id,
            "accounts": {
                a.id: {"name": a.name, "ou": a.ou_path or "Root", "regions": list(a.regions)}
                for a in org.accounts
            },
        },
        "start": ct_time(start),
        "end": ct_time(end),
        "cloudtrail": {
            "events": sum(r.events for r in results),
            "files": sum(r.files for r in results),
            "events_by_account": dict(sorted(counts.items())),
        },
        "incidents": scenario.incidents,
        "tampering": tampering,
        "indicators": scenario.indicators,
        "events": [e.truth() for e in scenario.events],
        "coverage": {
            "joined_mid_period": {
                "account": org.joiner.id,
                "name": org.joiner.name,
                "joined": ct_time(org.joiner.joined),
            }
            if org.joiner
            else None,
            "cloudtrail_gap": {
                "account": gap[0],
                "region": gap[1],
                "start": ct_time(gap[2]),
                "end": ct_time(gap[3]),
            },
            "guardduty_not_enabled": {
                "account": org.guardduty_disabled.id,
                "name": org.guardduty_disabled.name,
            }
            if org.guardduty_disabled
            else None,
            "member_trail_deleted": scenario.facts["member_trail"],
        },
        "guardduty": gd,
        "posture": posture,
        "sso_incident": scenario.facts["sso_incident"],
        "centralization_gaps": gaps,
        **services,
        "insights": write_insights(lake, org, scenario, seed),
        "network": {k: v for k, v in network.items() if k != "mining"},
        "network_incident": {**mining_truth(mining), **network["mining"]},
    }
    (lake / "scenario.json").write_text(json.dumps(truth, indent=1))
    return GenerateSummary(
        lake=str(lake),
        org_id=org.id,
        accounts=accounts,
        days=days,
        start=start.strftime("%Y-%m-%d"),
        end=end.strftime("%Y-%m-%d"),
        events=truth["cloudtrail"]["events"],
        cloudtrail_files=truth["cloudtrail"]["files"],
        cloudtrail_bytes=sum(r.bytes for r in results),
        malicious_events=len(scenario.events),
        guardduty_findings=gd["findings"],
        storage_lens_reports=posture["report_files"],
        seconds=time.perf_counter() - t0,
    )


def load_scenario(path: str | os.PathLike) -> dict:
    """The ground truth of a generated lake (``<lake>/scenario.json``)."""
    p = Path(path) / "scenario.json"
    if not p.is_file():
        raise LakeError(
            f"{path} holds no generated demo lake (no scenario.json); run 'orginsight lake generate --lake {path}'"
        )
    return json.loads(p.read_text())


def ensure_lake(path: str | os.PathLike, **kwargs) -> GenerateSummary | None:
    """Generate the demo lake at ``path`` unless one is there already (then None); kwargs go to generate_lake."""
    if (Path(path) / "scenario.json").is_file():
        return None
    return generate_lake(path, **kwargs)


def scenario_lines(scenario: dict) -> list[str]:
    """A short, readable account of what was planted, for ``orginsight demo``."""
    names = {k: v["name"] for k, v in scenario["organization"]["accounts"].items()}
    ind = scenario["indicators"]
    cov = scenario["coverage"]
    posture = scenario["posture"]
    out = [f"Planted incidents ({len(scenario['events'])} malicious events):"]
    for i in scenario["incidents"]:
        accounts = ", ".join(names.get(a, a) for a in i["accounts"])
        out.append(f"  {i['name']}: {i['events']} events {i['start']} .. {i['end']} in {accounts}")
    out += [
        f"  leaked key {ind['leaked_access_key_id']} used from {', '.join(ind['attacker_ips'])}; "
        f"outside account {ind['outside_account_id']}",
        f"  console sign-in without MFA from {ind['console_ip']} ({ind['console_country']}), then root in "
        f"{names.get(ind['root_account_id'], ind['root_account_id'])}",
        "Coverage drift:",
    ]
    if cov.get("joined_mid_period"):
        out.append(f"  {cov['joined_mid_period']['name']} joined {cov['joined_mid_period']['joined']}")
    gap = cov["cloudtrail_gap"]
    out.append(
        f"  CloudTrail gap in {names.get(gap['account'], gap['account'])} {gap['region']}: {gap['start']} .. {gap['end']}"
    )
    if cov.get("guardduty_not_enabled"):
        out.append(f"  GuardDuty not enabled in {cov['guardduty_not_enabled']['name']}")
    out += [
        "S3 posture drift (Storage Lens):",
        f"  encryption coverage drops in {posture['encryption_coverage_drop']['bucket']} from "
        f"{posture['encryption_coverage_drop']['from_date']}",
        f"  versioning turned off on {posture['versioning_disabled']['bucket']} from {posture['versioning_disabled']['from_date']}",
        f"  new unencrypted bucket {posture['new_unencrypted_bucket']['bucket']} since "
        f"{posture['new_unencrypted_bucket']['first_date']}",
        f"  object lock on {posture['object_lock']['bucket']}",
    ]
    if "exposure" in scenario:
        out += exposure_lines(scenario)
    return out + _trust_and_identity_lines(scenario, names)


def _trust_and_identity_lines(scenario: dict, names: dict[str, str]) -> list[str]:
    """The SSO incident, the centralization gaps, the tampered trail and the Insights, when planted."""
    out = []
    if sso := scenario.get("sso_incident"):
        out.append(
            f"SSO incident (triage names the person): {sso['person']['display_name']} ({sso['person']['user_name']}) through "
            f"{sso['permission_set']}, then {sso['indicator']['value']} in "
            f"{names.get(sso['accounts']['target'], sso['accounts']['target'])}"
        )
    if gaps := scenario.get("centralization_gaps"):
        scp, drift, long = gaps["missing_scp"], gaps["stackset_drift"], gaps["long_session"]
        out += [
            "Centralization gaps (orginsight audit):",
            f"  guardrail {scp['guardrail']} missing in {scp['ou']} ({', '.join(scp['account_names'])})",
            f"  stack set {drift['stack_set']} drifted in {', '.join(drift['account_names'])}",
            f"  {long['permission_set']} sessions of {long['session_duration']} in {long['account_name']} "
            f"(policy: {long['before']})",
        ]
    if tampered := scenario.get("tampering"):
        out.append(
            f"Tampered trail (orginsight lake verify): {tampered['name']} {tampered['region']}: "
            f"{len(tampered['edited_log_files'])} log files edited, {len(tampered['deleted_log_files'])} deleted, "
            f"{len(tampered['removed_digests'])} consecutive digests removed"
        )
    if insights := scenario.get("insights"):
        out.append(
            f"CloudTrail Insights: {len(insights)} events, {sum(1 for i in insights if i.get('incident'))} "
            "around the incidents"
        )
    if mining := scenario.get("network_incident"):
        account = names.get(mining["account"], mining["account"])
        out.append(
            f"Crypto-mining (flow and DNS logs): {mining['instance_id']} in {account} {mining['region']}, "
            "launched through the backdoor role of the leaked key's run, mining at "
            f"{', '.join(mining['pool_domains'])} on ports {', '.join(map(str, mining['ports']))} from {mining['start']}"
        )
    return out


def _prepare(lake: Path, overwrite: bool) -> None:
    present = [name for name in GENERATED if (lake / name).exists()]
    if present and not overwrite:
        raise LakeError(
            f"{lake} already holds a lake ({', '.join(present)}); pass overwrite=True "
            "(--force) to replace it, or choose another folder"
        )
    for name in present:
        p = lake / name
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    lake.mkdir(parents=True, exist_ok=True)


def _gap(org, seed: int) -> tuple[str, str, datetime, datetime]:
    """An hours-long CloudTrail delivery gap in one account and region, mid-period."""
    rng = random.Random(f"gap/{seed}")
    acct = org.by_role("security")
    region = acct.regions[1]
    days = (org.end - org.start).days
    start = org.start + timedelta(days=days // 2, hours=8 + rng.randrange(4), minutes=rng.randrange(60))
    return acct.id, region, start, start + timedelta(hours=5 + rng.randrange(4), minutes=rng.randrange(60))


def _run(tasks: list[DayTask], processes: int | None, progress: bool) -> list[DayResult]:
    from tqdm import tqdm

    processes = processes or min(len(tasks), os.cpu_count() or 1)
    bar = tqdm(total=len(tasks), unit="account-day", desc="CloudTrail", disable=not progress)
    results = []
    try:
        if processes <= 1:
            for t in tasks:
                results.append(generate_day(t))
                bar.update()
        else:
            import multiprocessing as mp

            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
            with ctx.Pool(processes) as pool:
                for r in pool.imap_unordered(generate_day, tasks, chunksize=2):
                    results.append(r)
                    bar.update()
    finally:
        bar.close()
    return results


def _write_api(lake: Path, org, seed: int) -> None:
    """Recorded API responses: ``api/<service>/<region|global>/<operation>.json``."""

    def dump(service: str, region: str, op: str, entries: list[dict]) -> None:
        p = lake / "api" / service / region / f"{op}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(entries, indent=1))

    for op, entries in organizations_responses(org).items():
        dump("organizations", "global", op, entries)
    for (service, region), ops in service_responses(org, org.end).items():
        for op, entries in ops.items():
            dump(service, region, op, entries)
    newest = {**newest_governance_responses(org, seed), **storage_lens_configuration_responses(org)}
    for (service, region), ops in newest.items():
        for op, entries in ops.items():
            dump(service, region, op, entries)


def summary_dict(s: GenerateSummary) -> dict:
    """The summary as plain data (for JSON output)."""
    return asdict(s)
