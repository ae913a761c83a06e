"""What a posture review holds (``PostureReview``, ``ReviewFigures``) and what a report section declares.

A ``Section`` is one part of the review: how it is built from the lake, and what of it the report draws
(figures, tables, headline numbers). ``report.SECTIONS`` lists them in report order, so building and
rendering walk one list and a new service's section is one declaration: its builder in Python
(``declared``), what the page draws of it and in which words in ``templates/report_sections.toml``.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd


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
    config_noncompliant: Any = None
    """Config: non-compliant resources per rule over the snapshots."""
    inspector_open: Any = None
    """Inspector: open critical and high findings by OU over time."""
    inspector_unscanned: Any = None
    """Inspector: resources not scanned over time, by reason."""
    inspector_time_to_fix: Any = None
    """Inspector: days from first observed to fixed, per severity."""
    accessanalyzer_external: Any = None
    """Access Analyzer: resources shared outside the organization over time."""
    macie_sensitive_buckets: Any = None
    """Macie: buckets holding sensitive data, by their exposure."""
    ssm_patch_compliance: Any = None
    """Systems Manager: non-compliant nodes and days since the last patch."""
    ssm_unmanaged: Any = None
    """Systems Manager: running EC2 instances not managed, per account over time."""
    trustedadvisor_checks: Any = None
    """Trusted Advisor: security checks in error or warning per account over time."""
    audit_heatmap: Any = None
    """The centralization audit: checks x accounts, pass, fail or unknown (``charts.audit.audit_heatmap``)."""
    insights_timeline: Any = None
    """CloudTrail Insights: unusual call-rate and error-rate windows per account over the period."""
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

    @property
    def accounts(self) -> pd.DataFrame | None:
        """The organization's accounts (id, name, OU path), once the organization section has read them."""
        return self.frames.get("accounts")


@dataclass(frozen=True)
class Section:
    """One part of the review: ``build`` fills the review from the lake; the rest says what the report draws.

    ``build`` raising an ``OrgInsightError`` (a missing or unreadable source) becomes a note, and the other
    sections are still built.
    """

    name: str
    """Short name, used in notes ("findings: left out (...)")."""
    build: Callable[[PostureReview], None]
    title: str | None = None
    """Heading in the report; None for a section that only feeds others (the organization)."""
    figures: tuple[str, ...] = ()
    """Figure names (fields of ``ReviewFigures``), in the order drawn."""
    tables: tuple[tuple[str, str], ...] = ()
    """(frame name in ``review.frames``, caption), in the order drawn; empty frames are left out."""
    numbers: tuple[tuple[str, str, str], ...] = ()
    """Headline cards: (key in ``review.numbers``, label, format)."""


LAYOUT = "report_sections.toml"
"""What the report draws of each section, in ``orginsight/outputs/templates/`` beside the page's template."""
LAYOUT_KEYS = frozenset({"title", "figures", "tables", "numbers"})


@functools.cache
def _layout() -> dict[str, dict[str, Any]]:
    text = resources.files("orginsight.outputs").joinpath("templates", LAYOUT).read_text(encoding="utf-8")
    return tomllib.loads(text)


def declared(
    name: str, build: Callable[[PostureReview], None], figures: tuple[str, ...] | None = None
) -> Section:
    """The section ``name`` built by ``build``, drawn as ``LAYOUT`` declares it (``figures`` for a build
    that says itself which figures it draws).

    A section the file lacks, a key it does not know, or a figure that is not a field of
    ``ReviewFigures`` fails here, when the report package is imported, rather than as a blank in a report.
    """
    entry = _layout().get(name)
    if entry is None:
        raise KeyError(f"{LAYOUT} declares no section {name!r}")
    drawn = tuple(entry.get("figures", ())) if figures is None else figures
    unknown = sorted(set(entry) - LAYOUT_KEYS) + sorted(set(drawn) - set(ReviewFigures.__dataclass_fields__))
    if unknown or (figures is not None and "figures" in entry):
        raise ValueError(f"{LAYOUT}, section {name!r}: unknown keys or figures {unknown}, or figures twice")
    return Section(
        name,
        build,
        entry.get("title"),
        figures=drawn,
        tables=tuple((frame, caption) for frame, caption in entry.get("tables", ())),
        numbers=tuple((key, label, fmt) for key, label, fmt in entry.get("numbers", ())),
    )


@dataclass(frozen=True)
class ReportFiles:
    """Where ``write_posture_report`` wrote the report and the chart images."""

    html: Path
    images: tuple[Path, ...]
    review: PostureReview

    def summary(self) -> str:
        lines = [
            f"report: {self.html}",
            f"charts: {len(self.images)} files in {self.html.parent / 'charts'}",
        ]
        lines += [f"  - {c}" for c in self.review.changes[:12]]
        lines += [f"note: {n}" for n in self.review.notes]
        return "\n".join(lines)
