"""The posture review report: one self-contained HTML file, plus every chart as PNG and SVG for slides.

``build_posture_review`` computes the measures of ``orginsight.analytics.posture`` over a lake
and keeps the DataFrames behind each chart (``review.frames``), so tests and notebooks
can check the facts the report shows. ``write_posture_report`` renders the HTML (plotly.js
inlined once, CSS inline: it opens with no network) and exports the charts.

Each section reads one source (findings, Storage Lens, CloudTrail, recorded API state);
a missing or unreadable source becomes a note in the report, and the other sections
are still built.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.analytics import posture
from orginsight.collectors.guardduty import guardduty_frames
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.securityhub import securityhub_frames
from orginsight.collectors.snapshots import read_snapshots, snapshot_folders
from orginsight.errors import LakeError, OrgInsightError
from orginsight.lake import Lake
from orginsight.outputs.charts import posture as posture_charts
from orginsight.outputs.charts import storagelens as lens_charts
from orginsight.outputs.charts.export import export_many
from orginsight.outputs.pages import Cell, Row, Table, plotly_fragment, plotly_library, render
from orginsight.sources import storagelens
from orginsight.sources.accounts import account_names
from orginsight.sources.guardduty_export import read_guardduty_export

REPORT_NAME = "posture-report.html"
CHART_DIR = "charts"
STATIC_FORMATS = ("png", "svg")


@dataclass(slots=True)
class ReviewFigures(Mapping[str, Any]):
    """The review's figures, one field each: a name that is not a figure of the review fails where it is
    written (``review.figures.finding_trnd = ...``) instead of reading back as nothing. Read as a mapping
    of the figures drawn (``review.figures["finding_trend"]``, ``set(review.figures)``)."""

    finding_trend: Any = None
    severity_area: Any = None
    top_accounts: Any = None
    top_types: Any = None
    control_pass_rate: Any = None
    s3_protection: Any = None
    bucket_encryption: Any = None
    bucket_versioning: Any = None
    cloudtrail_coverage: Any = None
    service_coverage: Any = None
    org_tree: Any = None
    """The OU tree (``charts.organizations.org_tree``): notebook 03 draws it and exports it with the rest."""

    def __getitem__(self, name: str) -> Any:
        figure = getattr(self, name, None) if name in self.__dataclass_fields__ else None
        if figure is None:
            raise KeyError(name)
        return figure

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.__dataclass_fields__ if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass
class PostureReview:
    """Everything the report shows: period, DataFrames, figures, headline numbers, what changed, notes."""

    lake: Path
    start: pd.Timestamp
    end: pd.Timestamp
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: ReviewFigures = field(default_factory=ReviewFigures)
    numbers: dict[str, Any] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recording: Any = None
    """The recorded API state (``ApiRecording``) the organization and coverage sections read."""


@dataclass(frozen=True)
class ReportFiles:
    """Where ``write_posture_report`` wrote the report and the chart images."""

    html: Path
    images: tuple[Path, ...]
    review: PostureReview

    def summary(self) -> str:
        lines = [
            f"report: {self.html}",
            f"charts: {len(self.images)} files in {self.html.parent / CHART_DIR}",
        ]
        lines += [f"  - {c}" for c in self.review.changes[:12]]
        lines += [f"note: {n}" for n in self.review.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Building the review


def lake_end(root: Path) -> pd.Timestamp:
    """The end of the data in a lake (latest Storage Lens or CloudTrail day), else now.

    The review period ends there, so a demo lake generated last month still shows 90 days.
    Only folder names are read (``dt=`` folders, and the lake's ``data_range``), never the
    files, so this stays cheap on a lake with millions of log files.
    """

    days = [pd.Timestamp(p.name[3:]) for p in root.glob("**/StorageLens/*/*/V_1/manifests/dt=*")]
    last_cloudtrail_day = Lake.local(root).data_range().last_day
    if last_cloudtrail_day is not None:
        days.append(pd.Timestamp(last_cloudtrail_day))
    if not days:
        return pd.Timestamp.now(tz="UTC")
    return (max(days) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)).tz_localize("UTC")


def build_posture_review(
    lake: str | os.PathLike[str], since: str = "90d", end: Any = None, progress: bool = False
) -> PostureReview:
    """Compute every measure of the review over ``lake`` for the period ``since`` before ``end``."""
    root = Path(lake)
    if not root.is_dir():
        raise LakeError(f"no lake at {root}: build one with 'orginsight lake generate --lake {root}'")
    end_ts = posture._utc(end) if end is not None else lake_end(root)
    start, end_ts = posture.period(since, end_ts)
    review = PostureReview(lake=root, start=start, end=end_ts)
    sections: list[tuple[str, Callable[[PostureReview], None]]] = [
        ("organization", _organization),
        ("findings", _findings),
        ("storage lens", _storage),
        ("cloudtrail", _cloudtrail),
        ("service coverage", _coverage),
        ("coverage history", _membership_history),
    ]
    steps: Any = sections
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(sections, desc="Posture review", unit="section")
    for name, section in steps:
        try:
            section(review)
        except OrgInsightError as e:
            review.notes.append(f"{name}: left out ({e})")
        except Exception as e:  # noqa: BLE001 - one broken source must not lose the rest of the review
            review.notes.append(f"{name}: left out after an unexpected {type(e).__name__}: {e}")
    return review


def _organization(review: PostureReview) -> None:

    try:
        recording = ApiRecording.load(review.lake)
    except LakeError as e:
        review.notes.append(f"organization: {e}")
        return
    review.recording = recording
    accounts = posture.load_accounts(recording)
    review.frames["accounts"] = accounts
    review.numbers["accounts"] = len(accounts)
    if "joined" in accounts:
        joined = pd.to_datetime(accounts["joined"], utc=True)
        new = accounts[joined >= review.start]
        review.frames["joined"] = new
        for _, a in new.iterrows():
            review.changes.append(
                f"Account {a['name']} ({a['account_id']}) joined the organization on "
                f"{pd.Timestamp(a['joined']):%Y-%m-%d}."
            )


def _accounts(review: PostureReview) -> pd.DataFrame | None:
    return review.frames.get("accounts")


def gather_findings(review: PostureReview) -> pd.DataFrame:
    """The normalized findings of every source in the lake, latest version of each finding.

    Sources: GuardDuty's S3 export, recorded GuardDuty and Security Hub ``get_findings``
    pages (live collection or the demo), and ``findings`` tables of collector snapshots.
    """

    accounts = _accounts(review)
    export = read_guardduty_export(review.lake, org=accounts)
    frames = [export]
    for err in export.attrs.get("errors", [])[:5]:
        review.notes.append(f"findings: {err['origin']} record {err['record']}: {err['error']}")
    if review.recording is not None:
        frames.append(guardduty_frames(review.recording, accounts)["findings"])
        frames.append(securityhub_frames(review.recording, accounts)["findings"])
    for collector in ("guardduty", "securityhub"):
        if snapshot_folders(review.lake, collector):
            with contextlib.suppress(LakeError):  # snapshots of other tables only
                frames.append(read_snapshots(review.lake, collector, "findings").drop(columns="collected_at"))
    frames = [f for f in frames if len(f)]
    if not frames:
        return export
    return posture.latest_findings(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])


def _findings(review: PostureReview) -> None:

    findings = gather_findings(review)
    if findings.empty:
        review.notes.append(
            "findings: none in the lake (no GuardDuty export under AWSLogs/<account>/GuardDuty/, "
            "no recorded get_findings, no findings snapshots)"
        )
        return
    in_period = findings[pd.to_datetime(findings["last_seen"], utc=True) >= review.start]
    review.frames["findings"] = in_period
    trend = posture.finding_trend(in_period, start=review.start, end=review.end, as_of=review.end)
    review.frames["finding_trend"] = trend
    daily = trend.groupby("day", as_index=False)[["opened", "active"]].sum()
    notable = posture.notable_changes(daily, "day", "opened")
    review.frames["finding_notable"] = notable
    by_account = posture.finding_trend(
        in_period, start=review.start, end=review.end, by=("ou_path", "account_name"), as_of=review.end
    )
    review.frames["finding_trend_by_account"] = by_account
    review.frames["findings_by_ou"] = (
        by_account.groupby(["ou_path", "account_name"], dropna=False)
        .agg(opened=("opened", "sum"), active_at_end=("active", "last"))
        .reset_index()
        .sort_values(["ou_path", "active_at_end"], ascending=[True, False])
    )
    mta = posture.mean_time_active(in_period, by=("ou_path", "account_name"), as_of=review.end)
    review.frames["mean_time_active"] = mta
    top_accounts = posture.top_counts(
        in_period.assign(account=in_period["account_name"].fillna(in_period["account_id"])),
        "account",
        since=review.start,
    )
    top_types = posture.top_counts(in_period, "type", since=review.start)
    review.frames["top_accounts"], review.frames["top_types"] = top_accounts, top_types
    first, last = daily.iloc[0], daily.iloc[-1]
    review.numbers |= {
        "findings_opened": int(daily["opened"].sum()),
        "findings_active_start": int(first["active"]),
        "findings_active_end": int(last["active"]),
        "findings_critical_high_active": int(
            trend[(trend["day"] == trend["day"].max()) & trend["severity_label"].isin(["Critical", "High"])][
                "active"
            ].sum()
        ),
        "mean_days_active": float(
            posture.finding_activity(in_period, as_of=review.end)["days_active"].mean()
        ),
    }
    delta = int(last["active"]) - int(first["active"])
    review.changes.append(
        f"Active findings went from {int(first['active'])} to {int(last['active'])} ({delta:+d}) over the period; "
        f"{review.numbers['findings_opened']} findings were opened."
    )
    for _, n in notable.iterrows():
        review.changes.append(
            f"{pd.Timestamp(n['day']):%Y-%m-%d}: {int(n['opened'])} findings opened "
            f"({n['delta']:+.0f} against the 7-day median)."
        )
    review.figures.finding_trend = posture_charts.finding_trend(trend, notable=notable)
    review.figures.severity_area = posture_charts.severity_area(trend)
    review.figures.top_accounts = posture_charts.top_bar(
        top_accounts, "account", title="Accounts with the most findings"
    )
    review.figures.top_types = posture_charts.top_bar(top_types, "type", title="Most frequent finding types")
    _controls(review, findings)


def _controls(review: PostureReview, findings: pd.DataFrame) -> None:
    """Security Hub control pass rate, from recorded get_findings of Security Hub when present."""
    recording = review.recording
    asff = []
    if recording is not None:
        for region in recording.regions("securityhub"):
            for page in recording.responses("securityhub", region, "get_findings"):
                asff.extend(page.get("Findings", []))
    controls = posture.control_results(asff)
    if controls.empty:
        return
    rates = posture.control_pass_rate(controls)
    review.frames["control_pass_rate"] = rates

    review.figures.control_pass_rate = posture_charts.control_pass_rate(rates)


def _storage(review: PostureReview) -> None:

    buckets = storagelens.read_bucket_protection(review.lake, since=f"{review.start:%Y-%m-%d}")
    for p in buckets.attrs.get("problems", [])[:10]:
        review.notes.append(str(p))
    if buckets.empty:
        review.notes.append(
            "storage lens: no Storage Lens export in the lake (StorageLens/<account>/<config>/V_1/)"
        )
        return
    buckets = buckets[buckets["dt"] <= review.end.tz_localize(None)]
    accounts = _accounts(review)
    if accounts is not None:
        buckets = buckets.assign(account_name=buckets["account"].map(account_names(accounts)))
    review.frames["buckets"] = buckets
    drift = posture.storage_drift(buckets)
    review.frames["storage_drift"] = drift
    coverage = posture.s3_protection_coverage(buckets, accounts)
    review.frames["s3_coverage"] = coverage
    if accounts is not None:
        by_ou = posture.s3_protection_coverage(last_day_of(buckets), accounts, by=("ou_path",))
        review.frames["s3_by_ou"] = pd.DataFrame(
            {
                "ou_path": by_ou["ou_path"],
                "buckets": by_ou["DistinctNumberOfBuckets"],
                "storage_gib": by_ou["StorageBytes"] / 2**30,
                "encrypted_bytes": by_ou["EncryptedStorageBytesRatio"],
                "versioned_buckets": by_ou["VersioningEnabledBucketRatio"],
            }
        )
    last = buckets[buckets["dt"] == buckets["dt"].max()]
    review.numbers |= {
        "buckets": int(last["bucket"].nunique()),
        "encrypted_bytes_ratio": float(last["EncryptedStorageBytes"].sum() / last["StorageBytes"].sum()),
        "versioned_buckets_ratio": float(last["versioning_enabled"].mean()),
        "unencrypted_buckets": int((last["UnencryptedStorageBytes"] > 0).sum()),
    }
    for _, d in drift.iterrows():
        review.changes.append(
            f"{pd.Timestamp(d['dt']):%Y-%m-%d}: bucket {d['bucket']} ({d['account']}, "
            f"{d['region']}): {d['detail']}."
        )
    review.figures.s3_protection = lens_charts.protection_coverage(coverage)
    review.figures.bucket_encryption = lens_charts.encryption_trend(buckets, drift)
    review.figures.bucket_versioning = lens_charts.versioning_timeline(buckets)


def last_day_of(frame: pd.DataFrame, column: str = "dt") -> pd.DataFrame:
    """The rows of the latest day of ``frame``."""
    return frame[frame[column] == frame[column].max()]


def _cloudtrail(review: PostureReview) -> None:

    if not (review.lake / "AWSLogs").is_dir():
        review.notes.append("cloudtrail: no AWSLogs/ folder in the lake")
        return
    hourly = posture.cloudtrail_hourly(Lake.local(review.lake), review.start, review.end)
    if hourly.empty:
        review.notes.append("cloudtrail: no CloudTrail events in the period")
        return
    daily = posture.cloudtrail_daily_coverage(hourly)
    gaps = posture.delivery_gaps(hourly)
    review.frames |= {"cloudtrail_hourly": hourly, "cloudtrail_daily": daily, "cloudtrail_gaps": gaps}
    flagged = gaps[gaps["flagged"]]
    streams = daily[["account", "region"]].drop_duplicates()
    review.numbers |= {
        "cloudtrail_streams": len(streams),
        "cloudtrail_days_delivered_ratio": float(daily["delivered"].mean()),
        "cloudtrail_flagged_gaps": len(flagged),
    }
    accounts = _accounts(review)
    names = account_names(accounts)
    for _, g in flagged.iterrows():
        who = f"{names.get(g['account'], g['account'])} ({g['account']})"
        review.changes.append(
            f"CloudTrail delivery gap: {who} {g['region']} had no events for {g['hours']} h, "
            f"{g['gap_start']:%Y-%m-%d %H:%M} to {g['gap_end']:%Y-%m-%d %H:%M} UTC."
        )
    if accounts is not None:
        silent = accounts[~accounts["account_id"].isin(set(daily["account"]))]
        if "status" in silent:
            silent = silent[silent["status"].fillna("ACTIVE") == "ACTIVE"]
        review.frames["cloudtrail_silent_accounts"] = silent
        for _, a in silent.iterrows():
            review.changes.append(
                f"CloudTrail: no events at all from {a['name']} ({a['account_id']}) in the organization trail "
                "during the period."
            )
    review.figures.cloudtrail_coverage = posture_charts.cloudtrail_coverage_heatmap(daily, gaps, names=names)


def _coverage(review: PostureReview) -> None:

    recording = review.recording
    accounts = _accounts(review)
    if recording is None or accounts is None:
        return
    matrix = posture.service_coverage(recording, accounts)
    review.frames["service_coverage"] = matrix
    gaps = posture.coverage_gaps(matrix)
    review.frames["coverage_gaps"] = gaps
    core = [c for c in posture.SERVICES if c in matrix]
    review.numbers["fully_covered_accounts"] = int((matrix[core].fillna(1) >= 1).all(axis=1).sum())
    for _, g in gaps[gaps["service"].isin(["GuardDuty", "Security Hub", "Organization trail"])].iterrows():
        review.changes.append(
            f"{g['service']} does not cover {g['account_name']} ({g['account_id']}): "
            f"{g['coverage']:.0%} of regions."
        )
    review.figures.service_coverage = posture_charts.coverage_heatmap(matrix)


def _membership_history(review: PostureReview) -> None:
    """GuardDuty membership across collector snapshots, when the lake holds more than one."""

    if len(snapshot_folders(review.lake, "guardduty")) < 2:
        return
    try:
        members = read_snapshots(review.lake, "guardduty", "members")
    except LakeError:
        return
    history = posture.membership_history(members)
    review.frames["guardduty_membership_history"] = (
        history.groupby("collected_at")
        .agg(accounts=("account_id", "nunique"), fully_covered=("covered", lambda c: int((c >= 1).sum())))
        .reset_index()
    )
    for _, c in posture.membership_changes(history).iterrows():
        review.changes.append(f"GuardDuty across snapshots: account {c['account_id']}: {c['change']}.")


# ---------------------------------------------------------------------------------------------
# Rendering


SECTIONS: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    (
        "Findings",
        ["finding_trend", "severity_area", "top_accounts", "top_types", "control_pass_rate"],
        [
            ("findings_by_ou", "Findings by OU and account: opened in the period, active at its end"),
            ("mean_time_active", "Mean time active by account (days)"),
            ("control_pass_rate", "Control pass rate"),
        ],
    ),
    (
        "S3 data protection (Storage Lens)",
        ["s3_protection", "bucket_encryption", "bucket_versioning"],
        [
            ("storage_drift", "What changed in S3 data protection"),
            ("s3_by_ou", "S3 data protection by OU (latest day)"),
        ],
    ),
    ("CloudTrail delivery", ["cloudtrail_coverage"], [("cloudtrail_gaps_flagged", "Flagged delivery gaps")]),
    (
        "Service coverage",
        ["service_coverage"],
        [
            ("coverage_gaps", "Accounts not fully covered"),
            ("guardduty_membership_history", "GuardDuty members across collector snapshots"),
        ],
    ),
]

NUMBER_LABELS = {
    "accounts": ("Accounts", "{:d}"),
    "findings_opened": ("Findings opened", "{:d}"),
    "findings_active_end": ("Active findings now", "{:d}"),
    "findings_critical_high_active": ("Critical/High active", "{:d}"),
    "mean_days_active": ("Mean days active", "{:.1f}"),
    "buckets": ("Buckets", "{:d}"),
    "encrypted_bytes_ratio": ("Encrypted bytes", "{:.1%}"),
    "versioned_buckets_ratio": ("Versioned buckets", "{:.0%}"),
    "unencrypted_buckets": ("Buckets with unencrypted data", "{:d}"),
    "cloudtrail_days_delivered_ratio": ("CloudTrail stream-days delivered", "{:.1%}"),
    "cloudtrail_flagged_gaps": ("CloudTrail delivery gaps", "{:d}"),
    "fully_covered_accounts": ("Accounts fully covered", "{:d}"),
}


def _column_texts(column: pd.Series) -> list[str]:
    """The cells of one column as text, the way the report showed them when pandas wrote its tables:
    missing values empty, a column of whole days as dates, floats to three significant digits."""
    if pd.api.types.is_float_dtype(column):
        return ["" if pd.isna(v) else f"{v:,.3g}" for v in column]
    if pd.api.types.is_datetime64_any_dtype(column):
        days = column.dt.tz is None and bool((column.dropna() == column.dropna().dt.normalize()).all())
        return ["" if pd.isna(v) else f"{v:%Y-%m-%d}" if days else str(v) for v in column]
    return ["" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else str(v) for v in column]


def table_view(df: pd.DataFrame, max_rows: int = 25) -> Table:
    """The first ``max_rows`` rows of ``df``, every column, as the templates draw a table."""
    shown = df.head(max_rows)
    columns = [_column_texts(shown[c]) for c in shown.columns]
    rows = tuple(Row(cells=tuple(Cell(text=col[i]) for col in columns)) for i in range(len(shown)))
    more = f"... {len(df) - max_rows} more rows" if len(df) > max_rows else None
    return Table(headers=tuple(str(c) for c in df.columns), rows=rows, note=more)


def render_html(review: PostureReview) -> str:
    """The report as one HTML string: plotly.js inlined once, CSS inline, no external reference."""
    tables = dict(review.frames)
    if "cloudtrail_gaps" in tables:
        tables["cloudtrail_gaps_flagged"] = tables["cloudtrail_gaps"][tables["cloudtrail_gaps"]["flagged"]]
    cards = [
        (fmt.format(review.numbers[k]), label)
        for k, (label, fmt) in NUMBER_LABELS.items()
        if k in review.numbers
    ]
    config = {"displaylogo": False, "responsive": True}
    sections = []
    for title, figs, tabs in SECTIONS:
        section = {
            "title": title,
            "figures": [
                plotly_fragment(review.figures[f], include_plotlyjs=False, div_id=f"fig-{f}", config=config)
                for f in figs
                if f in review.figures
            ],
            "tables": [
                (label, table_view(tables[name]))
                for name, label in tabs
                if name in tables and isinstance(tables[name], pd.DataFrame) and len(tables[name])
            ],
        }
        if section["figures"] or section["tables"]:
            sections.append(section)
    return render(
        "report.html.j2",
        start=f"{review.start:%Y-%m-%d}",
        end=f"{review.end:%Y-%m-%d}",
        lake=str(review.lake),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        plotlyjs=plotly_library(),
        cards=cards,
        changes=review.changes,
        notes=review.notes,
        sections=sections,
    )


def write_review(
    review: PostureReview,
    out: str | os.PathLike[str],
    formats: tuple[str, ...] = STATIC_FORMATS,
    progress: bool = True,
) -> ReportFiles:
    """Write ``<out>/posture-report.html``, ``<out>/summary.json`` and ``<out>/charts/<chart>.<fmt>``."""

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / REPORT_NAME
    page.write_text(render_html(review), encoding="utf-8")
    (out_dir / "summary.json").write_text(
        json.dumps(
            {
                "lake": str(review.lake),
                "start": str(review.start),
                "end": str(review.end),
                "numbers": review.numbers,
                "changes": review.changes,
                "notes": review.notes,
            },
            indent=1,
            default=str,
        )
    )
    items = [
        (fig, out_dir / CHART_DIR / f"{name}.{fmt}")
        for name, fig in review.figures.items()
        for fmt in formats
    ]
    images = export_many(items, progress=progress) if items else []
    return ReportFiles(html=page, images=tuple(images), review=review)


def write_posture_report(
    lake: str | os.PathLike[str],
    out: str | os.PathLike[str],
    since: str = "90d",
    end: Any = None,
    formats: tuple[str, ...] = STATIC_FORMATS,
    progress: bool = True,
) -> ReportFiles:
    """Build the review of ``lake`` over ``since`` and write the report and chart images to ``out``."""
    review = build_posture_review(lake, since=since, end=end, progress=progress)
    return write_review(review, out, formats=formats, progress=progress)
