"""Results for the tools analysts already use: OCSF for SIEMs, ATT&CK Navigator layers, Timesketch and plaso.

``ocsf`` writes the normalized findings frame as OCSF Detection Findings, one JSON-lines file per day;
``navigator`` writes what the hunts and Sigma rules cover (and what a run hit) as Navigator layers, and the
gaps as a table; ``timesketch`` writes triage and hunt results as Timesketch JSONL/CSV, and the original
CloudTrail records behind them as JSON lines for plaso.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.analytics import hunts as hunt_library
from orginsight.analytics.triage import Triage
from orginsight.lake import Lake
from orginsight.outputs.exports.navigator import (
    coverage,
    coverage_layer,
    gaps,
    hits_layer,
    read_sigma_rules,
    write_layer,
)
from orginsight.outputs.exports.ocsf import write_ocsf
from orginsight.outputs.exports.timesketch import (
    original_records,
    timesketch_rows,
    write_plaso,
    write_timesketch,
)

__all__ = ["write_hunt_timeline", "write_navigator", "write_ocsf", "write_triage_timeline"]


def write_navigator(
    out: str | os.PathLike[str],
    sigma: Iterable[str | os.PathLike[str]] = (),
    lake: Lake | None = None,
    params: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write ``coverage-layer.json`` (every hunt and the Sigma rules under ``sigma``), ``coverage.csv`` (each
    technique's detections and whether MITRE lists it), ``gaps.csv`` (the Cloud matrix's uncovered
    techniques) and, given a lake, ``hits-layer.json`` of one run of every hunt with ``params``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    all_hunts = hunt_library.list_hunts()
    covered = coverage(all_hunts, read_sigma_rules(sigma))
    paths = [write_layer(coverage_layer(covered), folder / "coverage-layer.json")]
    covered.assign(tactics=covered["tactics"].map(", ".join)).to_csv(folder / "coverage.csv", index=False)
    gaps(covered).to_csv(folder / "gaps.csv", index=False)
    paths += [folder / "coverage.csv", folder / "gaps.csv"]
    if lake is not None:
        hits = hunt_library.run_all(lake, params, all_hunts)
        paths.append(write_layer(hits_layer(hits, all_hunts), folder / "hits-layer.json"))
    return paths


def write_triage_timeline(t: Triage, lake: Lake, out: str | os.PathLike[str]) -> list[Path]:
    """Write a triage's timeline as ``triage-timeline.jsonl``/``.csv`` for Timesketch and its events'
    CloudTrail records as ``triage-cloudtrail.jsonl`` for plaso."""
    paths = write_timesketch(timesketch_rows(t.timeline, "triage"), out, "triage-timeline")
    records = original_records(lake, t.timeline["eventid"].dropna(), *t.window)
    return [*paths, write_plaso(records, Path(out) / "triage-cloudtrail.jsonl")]


def write_hunt_timeline(
    lake: Lake, name: str, out: str | os.PathLike[str], params: Mapping[str, Any] | None = None
) -> list[Path]:
    """Run one hunt and write its rows as ``NAME.jsonl``/``.csv`` for Timesketch, and the CloudTrail
    records behind them (its ``eventid``/``eventids``) as ``NAME-cloudtrail.jsonl`` for plaso."""
    df: pd.DataFrame = hunt_library.run(lake, name, dict(params or {}))
    paths = write_timesketch(timesketch_rows(df, name), out, name)
    records = original_records(lake, hunt_library.event_ids(df))
    return [*paths, write_plaso(records, Path(out) / f"{name}-cloudtrail.jsonl")]
