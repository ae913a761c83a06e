"""What every analyst notebook does first and last: open the lake its parameters cell names, pick a time
range and a starting point, and export its charts.

Notebooks import and call; the few decisions the three notebooks of ``notebooks/`` share live here,
tested once, so that a notebook runs on the demo organization as it ships and on a real organization
by changing only its parameters cell:

- :func:`open_lake` opens a local lake (building the demo organization there when nothing is there
  yet, so a fresh clone works) or the organization trail on Athena;
- :func:`time_range` turns the cell's ``START``/``END`` into datetimes, relative spans (``7d``) counted
  back from the end of the data rather than from the clock, so a demo lake generated last month
  still shows its incidents;
- :func:`starting_point` picks what to triage: the analyst's indicator or finding, else the demo's
  planted finding, else the most severe active finding;
- :func:`ticket_table`, :func:`query_stats` and :func:`export_charts` are the tables and files a
  notebook ends with.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orginsight.demo import generate_lake
from orginsight.errors import LakeError, ParameterError
from orginsight.lake import Lake
from orginsight.outputs.charts.export import export_many
from orginsight.timerange import parse_time, utc_now

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.analytics.triage import Triage
    from orginsight.lake import Lake

LAKE_ENV = "ORGINSIGHT_LAKE"
"""Environment variable naming the lake when the parameters cell leaves ``LAKE`` as None."""

DEFAULT_LAKE = "../demo-lake"
"""The lake ``make lab`` builds, as seen from ``notebooks/`` (Jupyter runs a notebook in its own folder)."""

DEMO_SIZE: dict[str, int] = {"accounts": 12, "days": 30, "events_per_day": 10000, "delivery_minutes": 60}
"""The demo organization a notebook builds when its lake is absent: the lake ``orginsight demo`` (``make demo``)
builds, with the generator's default size and hour-long CloudTrail files (``demo.run.DEMO_DELIVERY_MINUTES``),
so a notebook run alone and ``make demo`` leave the same lake."""

DEMO_INCIDENT = "leaked-ci-access-key"
"""The demo incident the triage notebook starts from when the parameters name nothing."""

STATS_HIDDEN = ("sql", "notes", "bad_files")
"""Engine statistics left out of :func:`query_stats` (long text; shown by ``df.attrs["stats"]`` itself)."""


# --- the lake -------------------------------------------------------------------------------------


def lake_path(lake: str | os.PathLike[str] | None = None) -> Path:
    """The local lake folder: ``lake`` when given, else ``$ORGINSIGHT_LAKE``, else :data:`DEFAULT_LAKE`.

    Relative paths are relative to the working directory, which Jupyter sets to the notebook's folder.
    """
    chosen = lake if lake is not None else os.environ.get(LAKE_ENV) or DEFAULT_LAKE
    return Path(chosen).expanduser()


def has_lake(path: Path) -> bool:
    """True when ``path`` already holds a lake (CloudTrail logs, recorded API state or a demo's ground truth)."""
    return any((path / name).exists() for name in ("AWSLogs", "api", "scenario.json", "snapshots"))


def open_lake(
    lake: str | os.PathLike[str] | None = None,
    *,
    athena_database: str | None = None,
    athena_workgroup: str | None = None,
    athena_s3_output: str | None = None,
    athena_region: str | None = None,
    athena_profile: str | None = None,
    collected: str | os.PathLike[str] | None = None,
    demo_size: Mapping[str, int] | None = DEMO_SIZE,
    progress: bool = True,
) -> Lake:
    """The lake a notebook reads: Athena when ``athena_database`` is set, else the local folder ``lake``.

    A local folder with no lake in it gets the demo organization (``demo_size``: accounts, days,
    events_per_day, seed ...) so a fresh clone's notebooks run; ``demo_size=None`` refuses instead.
    On Athena, ``collected`` names the local folder of ``orginsight collect`` snapshots (findings,
    organization), which ``lake.collected(...)`` then reads.
    """

    if athena_database:
        opened = Lake.athena(
            database=athena_database,
            workgroup=athena_workgroup,
            s3_output=athena_s3_output,
            region=athena_region,
            profile=athena_profile,
        )
        if collected is not None:
            opened.root = Path(collected).expanduser()
        return opened
    path = lake_path(lake)
    if not has_lake(path):
        if demo_size is None:
            raise LakeError(
                f"no lake at {path.resolve()}: set LAKE in the parameters cell to your lake's folder, "
                "or ATHENA_DATABASE to read the organization trail on Athena"
            )

        print(f"No lake at {path.resolve()}: building the demo organization there ({dict(demo_size)}).")
        summary = generate_lake(path, progress=progress, **dict(demo_size))
        print("\n".join(summary.lines()))
    return Lake.local(path)


def scenario(lake: Lake) -> dict[str, Any] | None:
    """The demo's ground truth (``scenario.json``) when ``lake`` is a generated demo lake, else None."""
    root = getattr(lake, "root", None)
    if root is None or not (Path(root) / "scenario.json").is_file():
        return None
    return json.loads((Path(root) / "scenario.json").read_text(encoding="utf-8"))


def data_end(lake: Lake) -> datetime:
    """The end of the lake's CloudTrail data (midnight after its newest day), or the next hour on Athena."""
    end = lake.data_range().end
    if end is not None:
        return end
    now = utc_now()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def time_range(lake: Lake, start: Any = None, end: Any = None, days: int = 7) -> tuple[datetime, datetime]:
    """``(start, end)`` as aware UTC datetimes.

    ``end`` defaults to the end of the lake's data; ``start`` to ``days`` before ``end``. A relative
    ``start`` such as ``"7d"`` counts back from ``end``, not from the clock.
    """
    end_t = parse_time(end) if end is not None else data_end(lake)
    start_t = parse_time(start, now=end_t) if start is not None else end_t - timedelta(days=days)
    if start_t >= end_t:
        raise ParameterError(f"START {start_t:%Y-%m-%d %H:%M} is not before END {end_t:%Y-%m-%d %H:%M}")
    return start_t, end_t


def around(when: Any, hours: float = 24) -> tuple[datetime, datetime]:
    """The window ``hours`` either side of ``when`` (a datetime or ISO text such as a hit's ``eventtime``)."""
    at = parse_time(when)
    return at - timedelta(hours=hours), at + timedelta(hours=hours)


# --- where to start -------------------------------------------------------------------------------


def demo_findings(lake: Lake, incident: str = DEMO_INCIDENT) -> list[str]:
    """Ids of the GuardDuty findings the demo planted for ``incident`` (empty outside a demo lake)."""
    truth = scenario(lake)
    if truth is None:
        return []
    found = truth.get("guardduty", {}).get("incident_findings", [])
    keys = _incident_keys(truth, incident)
    return [f["id"] for f in found if not keys or f.get("accessKeyId") in keys]


def _incident_keys(truth: Mapping[str, Any], incident: str) -> set[str]:
    """The access keys of the demo's leaked-key incident: the leaked key, the sessions it led to, the backdoor."""
    ind = truth.get("indicators", {})
    if incident != DEMO_INCIDENT:
        return set()
    return {
        ind.get("leaked_access_key_id"),
        ind.get("backdoor_access_key_id"),
        *ind.get("attacker_session_access_key_ids", []),
    } - {None}


def demo_event_ids(lake: Lake, incident: str = DEMO_INCIDENT) -> set[str]:
    """The CloudTrail event ids the demo planted for ``incident`` (empty outside a demo lake)."""
    truth = scenario(lake)
    if truth is None:
        return set()
    return {e["eventID"] for e in truth["events"] if e.get("incident") == incident}


def starting_point(
    lake: Lake, findings: pd.DataFrame | None, finding_id: str | None = None, indicator: str | None = None
) -> str:
    """What to triage: ``indicator``, else ``finding_id``, else the demo's first planted finding,
    else the most severe active finding (latest first)."""
    if indicator:
        return indicator
    if finding_id:
        return finding_id
    planted = demo_findings(lake)
    if planted:
        return planted[0]
    if findings is None or findings.empty:
        raise ParameterError(
            "no finding to start from: set INDICATOR (an access key id, ARN or IP) or FINDING_ID"
        )
    active = (
        findings[findings["workflow_state"].fillna("ACTIVE") != "ARCHIVED"]
        if "workflow_state" in findings
        else findings
    )
    top = (active if len(active) else findings).sort_values(["severity", "last_seen"], ascending=False)
    return str(top.iloc[0]["finding_id"])


# --- what a notebook ends with ----------------------------------------------------------------------


def ticket_table(t: Triage, hunt_summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """The triage as ``field``/``value`` rows, ready to paste into a ticket (``print(df.to_string())``)."""
    import pandas as pd

    s = t.summary
    tl = t.timeline
    created = t.chain[t.chain["kind"] == "created_key"]["dst"] if len(t.chain) else pd.Series(dtype=object)
    rows: list[tuple[str, Any]] = [
        ("indicator", t.indicator),
        ("entity", t.entity),
        ("window (UTC)", f"{t.window[0]:%Y-%m-%d %H:%M} .. {t.window[1]:%Y-%m-%d %H:%M}"),
        ("incident window (UTC)", _incident_window_text(s.get("incident_window"), tl)),
        ("first seen", s["first_seen"]),
        ("last seen", s["last_seen"]),
        ("events", s["events"]),
        ("failed calls", int((tl["outcome"] == "failure").sum()) if len(tl) else 0),
        ("accounts", ", ".join(s["accounts"])),
        ("regions", ", ".join(s["regions"])),
        ("source IPs", ", ".join(s["ips"][:10]) + (" ..." if len(s["ips"]) > 10 else "")),
        ("user agents", len(s["user_agents"])),
        ("sessions assumed", len(s["sessions"])),
        ("access keys created", ", ".join(sorted(k.split(":", 1)[1] for k in set(created))) or "none"),
        ("newly observed behaviours", len(s["newly_observed"])),
        ("related findings", ", ".join(sorted(set(s["findings"]["type"]))) if len(s["findings"]) else "none"),
    ]
    if hunt_summary is not None and len(hunt_summary):
        hit = hunt_summary[hunt_summary["hits"] > 0]
        rows.append(
            (
                "hunts with hits",
                ", ".join(f"{h} ({n})" for h, n in zip(hit["hunt"], hit["hits"], strict=True)) or "none",
            )
        )
    return pd.DataFrame(rows, columns=["field", "value"]).astype({"value": str})


def _incident_window_text(window: tuple[datetime, datetime] | None, timeline: pd.DataFrame) -> str:
    """Where the newly observed activity concentrates, and how many events fall in it."""
    if window is None:
        return "none: nothing newly observed"
    inside = int(timeline["in_window"].sum()) if "in_window" in timeline else 0
    return f"{window[0]:%Y-%m-%d %H:%M:%S} .. {window[1]:%Y-%m-%d %H:%M:%S} ({inside} events)"


def window_integrity(
    lake: Lake, window: tuple[datetime, datetime] | None, accounts: Iterable[str]
) -> tuple[str, pd.DataFrame]:
    """Whether the trail behind an incident window can be trusted: the window's hours in ``accounts``
    checked against CloudTrail's signed digests (``Lake.verify``), as a sentence and the problems in it.

    An incident window over hours whose log files were edited, deleted or never vouched for by a digest
    is evidence an intruder may have shaped: the analyst must know before drawing conclusions.
    """
    import pandas as pd

    if window is None:
        return "no incident window: nothing to check", pd.DataFrame()
    accounts = sorted(set(accounts))
    start, end = window[0] - timedelta(hours=1), window[1] + timedelta(hours=1)
    result = lake.verify(since=start, until=end, accounts=accounts or None)
    if not result.summary.get("digests"):
        return (
            "no CloudTrail digests in the lake for these accounts and hours: integrity not checked "
            "(turn on log file validation, and bring CloudTrail-Digest/ into the lake)",
            result.problems,
        )
    hours = pd.to_datetime(result.problems["hour"], utc=True)
    inside = result.problems[(hours >= pd.Timestamp(start)) & (hours < pd.Timestamp(end))]
    if inside.empty:
        return "every hour of the incident window verified against its signed digest", inside
    where = ", ".join(sorted(set(inside["account"])))
    kinds = ", ".join(f"{n} {k}" for k, n in inside["kind"].value_counts().items())
    return f"the incident window overlaps hours that FAILED verification in {where}: {kinds}", inside


def query_stats(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per named query result with its engine statistics (``df.attrs["stats"]``).

    Columns are whatever the engine reported, so the same call shows files and bytes read on the
    local engine and bytes scanned, cost and query id on Athena.
    """
    import pandas as pd

    rows = []
    for name, df in results.items():
        stats = {k: v for k, v in df.attrs.get("stats", {}).items() if k not in STATS_HIDDEN}
        rows.append({"query": name, "rows": len(df), **stats})
    return pd.DataFrame(rows)


def export_charts(
    figures: Mapping[str, Any] | Iterable[tuple[str, Any]],
    out: str | os.PathLike[str],
    formats: Iterable[str] = ("html", "png"),
) -> pd.DataFrame:
    """Write each named figure as ``<out>/<name>.<format>`` with one browser start; a table of the files."""
    import pandas as pd

    items = figures.items() if isinstance(figures, Mapping) else figures
    out_dir = Path(out)
    pairs = [(fig, out_dir / f"{name}.{fmt}") for name, fig in items for fmt in formats]
    written = export_many(pairs)
    return pd.DataFrame({"file": [str(p) for p in written], "bytes": [p.stat().st_size for p in written]})
