"""CloudTrail Insights events of the demo organization: the unusual rates the planted incidents cause, and one
routine burst that overlaps nothing.

Insights are derived from the planted records themselves, so they agree with the trail: each incident's
burst of one API (at least ``CALL_BURST`` calls in one account and region: the exfiltration's GetObject)
is an ``ApiCallRateInsight``, and each of its denied calls (``AccessDenied`` from the SCP) an
``ApiErrorRateInsight`` against a baseline of almost no errors. Each is a Start and an End event sharing a
``sharedEventID``, shaped as AWS documents the record (CloudTrail User Guide, "CloudTrail record contents
for Insights events for trails", 2024), in ``CloudTrail-Insight/`` files beside the trail's.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from orginsight.demo.org import HOME_REGION, Organization
from orginsight.demo.records import ct_time, new_uuid
from orginsight.demo.scenario import PlantedEvent, Scenario
from orginsight.sources.layout import insight_key

CALL_BURST = 50
"""Calls of one API by one incident in one account and region that make an ApiCallRateInsight: far above the
few an hour the demo's background makes of any data event in one place."""

BASELINE_MINUTES = 10080
"""CloudTrail's baseline is the seven days before the insight (``baselineDuration``, in minutes)."""


@dataclass(frozen=True)
class Insight:
    """One unusual-activity window: what CloudTrail would write as a Start and an End event."""

    account: str
    region: str
    event_source: str
    event_name: str
    insight_type: str
    error_code: str | None
    start: datetime
    end: datetime
    insight_average: float
    baseline_average: float
    attributions: list[dict]
    incident: str | None

    def records(self, rng: random.Random) -> list[dict]:
        """The Start and End events (same ``sharedEventID``), as CloudTrail writes them."""
        shared = new_uuid(rng)
        minutes = max(1, int((self.end - self.start).total_seconds() // 60))
        out = []
        for state, when in (("Start", self.start), ("End", self.end)):
            statistics: dict = {
                "baseline": {"average": self.baseline_average},
                "insight": {"average": self.insight_average},
                "insightDuration": minutes,
                "baselineDuration": BASELINE_MINUTES,
            }
            details = {
                "state": state,
                "eventSource": self.event_source,
                "eventName": self.event_name,
                "insightType": self.insight_type,
                **({"errorCode": self.error_code} if self.error_code else {}),
                "insightContext": {"statistics": statistics, "attributions": self.attributions},
            }
            out.append(
                {
                    "eventVersion": "1.08",
                    "eventTime": ct_time(when),
                    "awsRegion": self.region,
                    "eventID": new_uuid(rng),
                    "eventType": "AwsCloudTrailInsight",
                    "recipientAccountId": self.account,
                    "sharedEventID": shared,
                    "insightDetails": details,
                    "eventCategory": "Insight",
                }
            )
        return out

    def truth(self, shared_event_id: str) -> dict:
        return {
            "sharedEventID": shared_event_id,
            "account": self.account,
            "region": self.region,
            "api": f"{self.event_source.removesuffix('.amazonaws.com')}:{self.event_name}",
            "insightType": self.insight_type,
            "errorCode": self.error_code,
            "start": ct_time(self.start),
            "end": ct_time(self.end),
            "incident": self.incident,
        }


def write_insights(lake: str | os.PathLike, org: Organization, scenario: Scenario, seed: int) -> list[dict]:
    """Write the Insights events of the incidents and one routine burst; returns their truth for scenario.json."""
    rng = random.Random(f"insights/{seed}")
    truth = []
    for insight in [*incident_insights(scenario.events, rng), routine_insight(org, rng)]:
        records = insight.records(rng)
        for rec in records:
            when = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
            delivered = when.replace(minute=when.minute - when.minute % 5, second=0)
            suffix = "".join(
                rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=16)
            )
            path = Path(lake) / insight_key(insight.account, insight.region, delivered, org.id, suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            body = json.dumps({"Records": [rec]}, separators=(",", ":")).encode()
            path.write_bytes(gzip.compress(body, mtime=0))
        truth.append(insight.truth(records[0]["sharedEventID"]))
    return truth


def incident_insights(events: list[PlantedEvent], rng: random.Random) -> list[Insight]:
    """The call-rate bursts and the denied calls of the planted incidents, one Insight each."""
    groups: dict[tuple, list[PlantedEvent]] = {}
    for e in events:
        r = e.record
        key = (e.incident, e.account, e.region, r["eventSource"], r["eventName"], r.get("errorCode"))
        groups.setdefault(key, []).append(e)
    out = []
    for (incident, account, region, source, name, error), mine in sorted(groups.items(), key=_group_order):
        if error is None and len(mine) < CALL_BURST:
            continue
        start = min(e.time for e in mine).replace(second=0, microsecond=0)
        end = max(e.time for e in mine).replace(second=0, microsecond=0) + timedelta(minutes=1)
        minutes = (end - start).total_seconds() / 60
        out.append(
            Insight(
                account,
                region,
                source,
                name,
                "ApiErrorRateInsight" if error else "ApiCallRateInsight",
                error,
                start,
                end,
                round(len(mine) / minutes, 4),
                round(rng.uniform(0.0005, 0.02), 10),
                _attributions(mine),
                incident,
            )
        )
    return out


def routine_insight(org: Organization, rng: random.Random) -> Insight:
    """A patching burst of SSM check-ins in production in the small hours of the first day (the incidents
    take the last two, after a baseline): an Insight that overlaps no incident, which triage must not name."""
    prod = org.by_role("prod")
    start = org.start + timedelta(hours=3, minutes=rng.randrange(60))
    end = start + timedelta(minutes=20 + rng.randrange(40))
    role = f"arn:aws:sts::{prod.id}:assumed-role/AmazonSSMRoleForInstancesQuickSetup"
    values = [{"value": role, "average": 664.0}]
    return Insight(
        prod.id,
        HOME_REGION,
        "ssm.amazonaws.com",
        "UpdateInstanceInformation",
        "ApiCallRateInsight",
        None,
        start,
        end,
        664.0,
        85.4202380952,
        [
            {
                "attribute": "userIdentityArn",
                "insight": values,
                "baseline": [{"value": role, "average": 85.42}],
            },
            {
                "attribute": "userAgent",
                "insight": [{"value": "ssm.amazonaws.com", "average": 664.0}],
                "baseline": [],
            },
            {"attribute": "errorCode", "insight": [{"value": "null", "average": 664.0}], "baseline": []},
        ],
        None,
    )


def _group_order(item: tuple) -> tuple:
    key, mine = item
    return (min(e.time for e in mine), tuple(str(k) for k in key))


def _attributions(events: list[PlantedEvent]) -> list[dict]:
    """Who, with what client and which error made the unusual calls (``userIdentityArn``, ``userAgent``,
    ``errorCode``; ``"null"`` for none, as CloudTrail writes it), each value's average per minute."""
    minutes = max(1.0, (events[-1].time - events[0].time).total_seconds() / 60)
    out = []
    for attribute, of in (
        ("userIdentityArn", lambda r: r.get("userIdentity", {}).get("arn")),
        ("userAgent", lambda r: r.get("userAgent")),
        ("errorCode", lambda r: r.get("errorCode") or "null"),
    ):
        counts = Counter(of(e.record) for e in events)
        values = [{"value": v, "average": round(n / minutes, 4)} for v, n in counts.most_common(5) if v]
        out.append({"attribute": attribute, "insight": values, "baseline": []})
    return out
