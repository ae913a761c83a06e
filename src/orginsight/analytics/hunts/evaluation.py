"""Hunts scored against a scenario's ground truth (the demo's ``scenario.json``): precision and recall."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orginsight.analytics.hunts import library
from orginsight.analytics.hunts.library import Hunt
from orginsight.analytics.hunts.params import parse_time
from orginsight.analytics.hunts.runner import event_ids, run
from orginsight.errors import OrgInsightError

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake


@dataclass(frozen=True)
class GroundTruth:
    """Malicious event ids of a scenario with the ATT&CK technique of each, and the scenario's period."""

    techniques: dict[str, tuple[str, ...]]
    start: datetime | None = None
    end: datetime | None = None
    first_event: datetime | None = None
    org_accounts: tuple[str, ...] = ()

    def window(self) -> dict[str, datetime]:
        """Hunt parameters for an evaluation: from a day before the first malicious event to the
        period's end, with everything before as the baseline of the never-seen-before hunts."""
        out: dict[str, datetime] = {}
        if self.first_event is not None:
            begin = self.first_event - timedelta(days=1)
            out["start"] = max(begin, self.start) if self.start else begin
        if self.end is not None:
            out["end"] = self.end
        if self.start is not None:
            out["baseline_start"] = self.start
        return out


def load_ground_truth(path: str | os.PathLike[str]) -> GroundTruth:
    """Read a demo lake's ``scenario.json`` (``orginsight.demo``): ``events`` is a list of
    ``{"eventID", "technique", "eventTime", ...}``, ``start``/``end`` the generated period and
    ``organization.accounts`` the member accounts. A ``steps`` list of ``{"technique", "event_ids"}``
    is accepted too."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise OrgInsightError(f"cannot read ground truth {path}: {e}") from e
    if not isinstance(doc, dict):
        raise OrgInsightError(f"{path}: expected a JSON object with an 'events' list")
    techniques: dict[str, set[str]] = {}
    times: list[datetime] = []

    def add(eid: Any, techs: Any) -> None:
        if eid:
            techs = [techs] if isinstance(techs, str) else [*(techs or [])]
            techniques.setdefault(str(eid), set()).update(str(t) for t in techs)

    for item in doc.get("events") or []:
        add(item.get("eventID") or item.get("event_id"), item.get("technique") or item.get("techniques"))
        if item.get("eventTime"):
            times.append(parse_time(item["eventTime"]))
    for step in doc.get("steps") or []:
        for eid in step.get("event_ids") or []:
            add(eid, step.get("technique") or step.get("techniques"))
    if not techniques:
        raise OrgInsightError(f"{path}: no malicious event ids found (expected 'events' or 'steps')")
    accounts = (doc.get("organization") or {}).get("accounts") or {}
    return GroundTruth(
        {k: tuple(sorted(v)) for k, v in techniques.items()},
        parse_time(doc["start"]) if doc.get("start") else None,
        parse_time(doc["end"]) if doc.get("end") else None,
        min(times) if times else None,
        tuple(sorted(accounts)),
    )


def evaluate(
    lake: Lake,
    truth: GroundTruth,
    params: Mapping[str, Any] | None = None,
    hunts: Iterable[Hunt] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hunts against ground truth.

    Per hunt: rows, events behind them, true positives (malicious events returned), false
    positives (background events returned), precision, and recall of the malicious events
    of the hunt's own techniques. Per technique: malicious events, how many any hunt found,
    and which hunts found them.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    # library.list_hunts, looked up when called: narrowing the library is one function to replace
    hunts = [*(hunts if hunts is not None else library.list_hunts())]
    params = {
        **truth.window(),
        **({"org_accounts": [*truth.org_accounts]} if truth.org_accounts else {}),
        **(params or {}),
    }
    malicious = set(truth.techniques)
    found_by: dict[str, set[str]] = {}
    rows = []
    for hunt in tqdm(hunts, desc="hunts", unit="hunt", disable=len(hunts) < 5):
        given = {k: v for k, v in params.items() if k in hunt.parameters}
        df = run(lake, hunt, given)
        ids = event_ids(df)
        tp = ids & malicious
        own = {e for e, techs in truth.techniques.items() if _overlaps(techs, hunt.mitre)}
        for e in tp:
            found_by.setdefault(e, set()).add(hunt.name)
        rows.append(
            {
                "hunt": hunt.name,
                "mitre": ",".join(hunt.mitre),
                "hits": len(df),
                "events": len(ids),
                "true_positives": len(tp),
                "false_positives": len(ids - malicious),
                "precision": round(len(tp) / len(ids), 3) if ids else None,
                "recall": round(len(tp & own) / len(own), 3) if own else None,
            }
        )
    by_tech: dict[str, set[str]] = {}
    for e, techs in truth.techniques.items():
        for t in techs:
            by_tech.setdefault(t, set()).add(e)
    per_tech = []
    for t, events in sorted(by_tech.items()):
        found = {e for e in events if e in found_by}
        per_tech.append(
            {
                "technique": t,
                "events": len(events),
                "found": len(found),
                "recall": round(len(found) / len(events), 3),
                "hunts": ",".join(sorted(set().union(*(found_by[e] for e in found)))) if found else "",
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(per_tech)


def _overlaps(techs: Iterable[str], mitre: Iterable[str]) -> bool:
    """Same technique, or one is the parent of the other (T1078 and T1078.004); siblings
    (T1562.001 and T1562.008) are different techniques."""
    mitre = set(mitre)
    return any(
        t in mitre or t.split(".")[0] in mitre or any(m.split(".")[0] == t for m in mitre) for t in techs
    )
