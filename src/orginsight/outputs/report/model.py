"""What a posture review holds (``PostureReview``, ``ReviewFigures``) and what a report section declares.

A ``Section`` is one part of the review: how it is built from the lake, and what of it the report draws
(figures, tables, headline numbers). ``report.SECTIONS`` lists them in report order, so building and
rendering walk one list and a new service's section is one declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
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
