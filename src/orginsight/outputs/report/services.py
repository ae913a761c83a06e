"""The review's sections over collector snapshots: Config, Inspector, Access Analyzer, Macie, Systems Manager
and Trusted Advisor.

Each builder reads its collector's snapshots taken in the review period
(``<lake>/snapshots/<collector>/<stamp>/``), fills the review (frames, figures, numbers) and says in
``review.changes`` what changed between the first and the last snapshot. A collector without a snapshot
in the period adds one short note and nothing else; the other sections are still built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from orginsight.analytics import posture
from orginsight.analytics.posture.vulnerabilities import SCANNED
from orginsight.collectors import accessanalyzer, config, inspector, macie, ssm, trustedadvisor
from orginsight.collectors.snapshots import read_manifests, read_snapshots, snapshot_folders
from orginsight.errors import LakeError
from orginsight.outputs.charts import services as charts
from orginsight.outputs.report.model import PostureReview, Section, declared
from orginsight.sources.accounts import account_names

EXPOSURES = {
    "unencrypted": "unencrypted",
    "public": "public",
    "shared_outside": "shared outside the organization",
}
"""The exposure columns of ``posture.sensitive_bucket_exposure`` as the review words them."""

MAX_CHANGES = 8
"""Most "what changed" lines one section adds; the rest are counted in one more line."""


# ----------------------------------------------------------------------------- reading snapshots


def snapshot_times(review: PostureReview, collector: str) -> pd.DatetimeIndex:
    """When ``collector``'s snapshots in the review period were taken (from their manifests), so a
    snapshot whose tables came back empty still counts."""
    stamps = [m["collected_at"] for m in read_manifests(review.lake, collector) if m.get("collected_at")]
    times = posture.snapshot_times(pd.DataFrame({"collected_at": []}), stamps)
    return times[(times >= review.start) & (times <= review.end)]


def history(review: PostureReview, collector: str, table: str, columns: list[str]) -> pd.DataFrame:
    """The rows of ``table`` in ``collector``'s snapshots of the review period; an empty frame with the
    collector's columns when no snapshot holds the table."""
    try:
        rows = read_snapshots(review.lake, collector, table)
    except LakeError:
        return pd.DataFrame(columns=[*columns, "collected_at"]).astype(
            {"collected_at": "datetime64[ns, UTC]"}
        )
    return posture.in_period(rows, review.start, review.end)


def _snapshots_or_note(review: PostureReview, collector: str) -> pd.DatetimeIndex | None:
    """The period's snapshot times of ``collector``, or None after noting why there are none."""
    if not snapshot_folders(review.lake, collector):
        review.notes.append(
            f"{collector}: no snapshots (run 'orginsight collect {collector} --out {review.lake}')"
        )
        return None
    times = snapshot_times(review, collector)
    if len(times) == 0:
        review.notes.append(
            f"{collector}: no snapshot taken between {review.start:%Y-%m-%d} and {review.end:%Y-%m-%d}"
        )
        return None
    return times


def _latest(frame: pd.DataFrame, times: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """The rows of the last snapshot: of ``times`` when given (none when that snapshot's table was
    empty), else the latest in ``frame``."""
    if frame.empty:
        return frame
    last = times[-1] if times is not None else frame["collected_at"].max()
    return frame[frame["collected_at"] == last]


def _account(review: PostureReview, ids: Iterable[object]) -> list[str]:
    """Account names (the id where the organization does not name it)."""
    names = account_names(review.accounts)
    return [names.get(str(a), str(a)) for a in ids]


def _add_changes(review: PostureReview, lines: list[str]) -> None:
    review.changes.extend(lines[:MAX_CHANGES])
    if len(lines) > MAX_CHANGES:
        review.changes.append(f"... and {len(lines) - MAX_CHANGES} more like these.")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# ----------------------------------------------------------------------------- Config


def _config(review: PostureReview, times: pd.DatetimeIndex) -> list[str]:
    rules = history(review, "config", "rule_compliance", config.RULE_COLUMNS)
    accounts = review.accounts
    by_rule = posture.config_noncompliant_trend(rules, accounts, by=("rule",), times=times)
    by_account = posture.config_noncompliant_trend(rules, accounts, by=("ou_path", "account_id"), times=times)
    by_account["account_name"] = _account(review, by_account["account_id"])
    rule_changes = posture.first_and_last(by_rule, ["rule"], "non_compliant_resources")
    account_changes = posture.first_and_last(
        by_account, ["ou_path", "account_id", "account_name"], "non_compliant_resources"
    )
    review.frames |= {
        "config_noncompliant_by_rule": by_rule,
        "config_noncompliant_by_account": by_account,
        "config_rule_changes": rule_changes,
        "config_account_changes": account_changes,
    }
    review.numbers["config_noncompliant_resources"] = int(_latest(by_rule)["non_compliant_resources"].sum())
    lines = [
        f"Config rule {c['rule']}: non-compliant resources went from {c['first']} to {c['last']}."
        for _, c in rule_changes[rule_changes["change"] != 0].iterrows()
    ]
    return lines


# ----------------------------------------------------------------------------- Inspector


def _inspector(review: PostureReview, times: pd.DatetimeIndex) -> list[str]:
    findings = history(review, "inspector", "findings", inspector.FINDING_COLUMNS)
    coverage = history(review, "inspector", "coverage", inspector.COVERAGE_COLUMNS)
    accounts = review.accounts
    by_ou = posture.open_findings_trend(findings, accounts, by=("ou_path",), times=times)
    by_account = posture.open_findings_trend(findings, accounts, by=("ou_path", "account_id"), times=times)
    latest = _latest(by_account).pivot_table(
        index=["ou_path", "account_id"], columns="severity", values=["open", "exploitable"], aggfunc="sum"
    )
    latest.columns = [f"{s.lower()}_{v}" for v, s in latest.columns]
    latest = latest.reset_index()
    latest.insert(2, "account_name", _account(review, latest["account_id"]))
    fixed = posture.time_to_fix(findings, accounts, times=times)
    unscanned = posture.unscanned_trend(coverage, accounts, by=("scan_status_reason",), times=times)
    not_scanned_now = _latest(coverage, times)
    not_scanned_now = not_scanned_now[not_scanned_now["scan_status_code"] != SCANNED]
    review.frames |= {
        "inspector_open_by_ou": by_ou,
        "inspector_open_by_account": latest,
        "inspector_fixed": fixed,
        "inspector_time_to_fix": posture.time_to_fix_summary(fixed),
        "inspector_unscanned": unscanned,
        "inspector_unscanned_resources": not_scanned_now.assign(
            account_name=_account(review, not_scanned_now["account_id"])
        )[["account_name", "account_id", "region", "resource_type", "resource_id", "scan_status_reason"]],
    }
    now = _latest(by_ou).groupby("severity")["open"].sum()
    review.numbers |= {
        "inspector_critical_open": int(now.get("CRITICAL", 0)),
        "inspector_high_open": int(now.get("HIGH", 0)),
        "inspector_unscanned": len(not_scanned_now),
    }
    if len(fixed):
        review.numbers["inspector_median_days_to_fix"] = float(fixed["days_to_fix"].median())
    opened = posture.opened_exploitable(findings, accounts, since=review.start)
    lines = [
        f"{_plural(int(o['cves']), 'exploitable critical CVE')} opened in {name}"
        f" (first on {o['first_at']:%Y-%m-%d})."
        for (_, o), name in zip(opened.iterrows(), _account(review, opened["account_id"]), strict=True)
    ]
    if len(unscanned):
        totals = unscanned.groupby("collected_at")["resources"].sum()
        first, last = int(totals.iloc[0]), int(totals.iloc[-1])
        if first != last:
            lines.append(f"Inspector: resources not scanned went from {first} to {last}.")
    return lines


# ----------------------------------------------------------------------------- Access Analyzer


def _accessanalyzer(review: PostureReview, times: pd.DatetimeIndex) -> list[str]:
    findings = history(review, "accessanalyzer", "findings", accessanalyzer.FINDING_COLUMNS)
    accounts = review.accounts
    trend = posture.external_access_trend(findings, accounts, by=("resource_type",), times=times)
    changes = posture.external_access_changes(findings, accounts, times=times)
    shared = posture.shared_outside(_latest(findings, times))
    now = shared.assign(account_name=_account(review, shared["resource_owner_account"]))[
        [
            "account_name",
            "resource_owner_account",
            "resource_type",
            "resource",
            "principal",
            "is_public",
            "actions",
        ]
    ].drop_duplicates()
    review.frames |= {
        "accessanalyzer_external": trend,
        "accessanalyzer_changes": changes,
        "accessanalyzer_shared_now": now,
    }
    review.numbers["accessanalyzer_shared_resources"] = int(now["resource"].nunique())
    lines = [
        f"{c['resource']} ({name}) {c['change']} on {c['collected_at']:%Y-%m-%d}."
        for (_, c), name in zip(changes.iterrows(), _account(review, changes["account_id"]), strict=True)
    ]
    return lines


# ----------------------------------------------------------------------------- Macie


def _macie(review: PostureReview, times: pd.DatetimeIndex) -> list[str]:
    buckets = history(review, "macie", "buckets", macie.BUCKET_COLUMNS)
    findings = history(review, "macie", "findings", macie.FINDING_COLUMNS)
    external = history(review, "accessanalyzer", "findings", accessanalyzer.FINDING_COLUMNS)
    exposure = posture.sensitive_bucket_exposure(buckets, findings, external, review.accounts)
    exposure["account_name"] = _account(review, exposure["account_id"])
    trend = posture.exposure_trend(exposure, times)
    now = exposure[exposure["collected_at"] == times[-1]].drop(columns="collected_at")
    review.frames |= {"macie_exposed_buckets": now, "macie_exposure_trend": trend, "macie_exposure": exposure}
    review.numbers["macie_exposed_sensitive_buckets"] = int(now["bucket_arn"].nunique())
    appeared = posture.appeared_and_vanished(exposure, ["bucket_arn"], times)
    rows = exposure.set_index(["collected_at", "bucket_arn"])
    lines = []
    for _, a in appeared.iterrows():
        if a["change"] == "appeared":
            b = rows.loc[(a["collected_at"], a["bucket_arn"])]
            kinds = " and ".join(words for column, words in EXPOSURES.items() if b[column])
            lines.append(
                f"Bucket {b['bucket_name']} ({b['account_name']}) holds sensitive data and became {kinds} "
                f"on {a['collected_at']:%Y-%m-%d}."
            )
        else:
            lines.append(f"{a['bucket_arn']} is no longer exposed since {a['collected_at']:%Y-%m-%d}.")
    return lines


# ----------------------------------------------------------------------------- Systems Manager


def _ssm(review: PostureReview, times: pd.DatetimeIndex) -> list[str]:
    compliance = history(review, "ssm", "compliance", ssm.COMPLIANCE_COLUMNS)
    states = history(review, "ssm", "patch_states", ssm.PATCH_STATE_COLUMNS)
    unmanaged = history(review, "ssm", "unmanaged_instances", ssm.UNMANAGED_COLUMNS)
    accounts = review.accounts
    trend = posture.patch_compliance_trend(compliance, states, accounts, times=times)
    by_account = posture.patch_compliance_trend(
        compliance, states, accounts, by=("ou_path", "account_id"), times=times
    )
    by_account.insert(3, "account_name", _account(review, by_account["account_id"]))
    unmanaged_by_account = posture.unmanaged_trend(unmanaged, accounts, by=("account_id",), times=times)
    unmanaged_by_account["account_name"] = _account(review, unmanaged_by_account["account_id"])
    unmanaged_now = unmanaged[unmanaged["collected_at"] == times[-1]]
    unmanaged_now = unmanaged_now.assign(account_name=_account(review, unmanaged_now["account_id"]))
    review.frames |= {
        "ssm_patch_trend": trend,
        "ssm_patch_by_account": _latest(by_account).drop(columns="collected_at"),
        "ssm_unmanaged_trend": unmanaged_by_account,
        "ssm_unmanaged_instances": unmanaged_now[
            ["account_name", "account_id", "region", "instance_id", "name", "instance_type", "launch_time"]
        ],
    }
    first, last = trend.iloc[0], trend.iloc[-1]
    review.numbers |= {
        "ssm_noncompliant_nodes": int(last["non_compliant"]),
        "ssm_unmanaged_instances": len(unmanaged_now),
    }
    if pd.notna(last["max_days_since_patch"]):
        review.numbers["ssm_max_days_since_patch"] = float(last["max_days_since_patch"])
    lines = []
    if first["non_compliant"] != last["non_compliant"]:
        lines.append(
            "Systems Manager: nodes not patch-compliant went from "
            f"{first['non_compliant']} to {last['non_compliant']}."
        )
    counts = unmanaged_by_account.groupby("collected_at")["unmanaged_instances"].sum()
    if len(counts) and counts.iloc[0] != counts.iloc[-1]:
        lines.append(
            "Running EC2 instances not managed by Systems Manager went from "
            f"{counts.iloc[0]} to {counts.iloc[-1]}."
        )
    return lines


# ----------------------------------------------------------------------------- Trusted Advisor


def _net_error_changes(states: pd.DataFrame, times: pd.DatetimeIndex) -> pd.DataFrame:
    """The checks whose error state differs between the first and the last snapshot, each with the last
    time it changed: checks that flap between error and warning week to week would flood the review."""
    key = ["account_id", "check"]
    errors = states[states["status"] == "error"]
    events = posture.appeared_and_vanished(errors, key, times).drop_duplicates(key, keep="last")
    at_first = set(map(tuple, errors.loc[errors["collected_at"] == times[0], key].to_numpy()))
    was_error = [tuple(k) in at_first for k in events[key].to_numpy()]
    changed = (events["change"] == "appeared") != pd.Series(was_error, index=events.index)
    return events[changed]


def _trustedadvisor(review: PostureReview, times: pd.DatetimeIndex) -> list[str]:
    states = posture.security_check_states(
        history(review, "trustedadvisor", "checks", trustedadvisor.CHECK_COLUMNS),
        history(review, "trustedadvisor", "resources", trustedadvisor.RESOURCE_COLUMNS),
        history(review, "trustedadvisor", "recommendations", trustedadvisor.RECOMMENDATION_COLUMNS),
    )
    trend = posture.security_checks_trend(states, by=("account_id",), times=times)
    trend["account_name"] = _account(review, trend["account_id"])
    flagged = states[states["status"].isin(["error", "warning"])]
    now = flagged[flagged["collected_at"] == times[-1]]
    now = now.assign(account_name=_account(review, now["account_id"]))[
        ["account_name", "account_id", "check", "status", "source"]
    ].sort_values(["status", "account_name"])
    review.frames |= {"trustedadvisor_checks": trend, "trustedadvisor_flagged": now}
    review.numbers |= {
        "trustedadvisor_error_checks": int((now["status"] == "error").sum()),
        "trustedadvisor_warning_checks": int((now["status"] == "warning").sum()),
    }
    errors = _net_error_changes(states, times)
    lines = [
        f"Trusted Advisor: {e['check']} {'went to error' if e['change'] == 'appeared' else 'left error'} in "
        f"{name} on {e['collected_at']:%Y-%m-%d}."
        for (_, e), name in zip(errors.iterrows(), _account(review, errors["account_id"]), strict=True)
    ]
    return lines


# ----------------------------------------------------------------------------- building a section


CHART_FRAMES: dict[str, str] = {
    "config_noncompliant": "config_noncompliant_by_rule",
    "inspector_open": "inspector_open_by_ou",
    "inspector_time_to_fix": "inspector_fixed",
    "inspector_unscanned": "inspector_unscanned",
    "accessanalyzer_external": "accessanalyzer_external",
    "macie_sensitive_buckets": "macie_exposure_trend",
    "ssm_patch_compliance": "ssm_patch_trend",
    "ssm_unmanaged": "ssm_unmanaged_trend",
    "trustedadvisor_checks": "trustedadvisor_checks",
}
"""Each service figure (a field of ``ReviewFigures``, drawn by the chart of the same name in
``outputs.charts.services``) and the frame of ``review.frames`` it draws."""


@dataclass(frozen=True)
class OverSnapshots:
    """A section's build over one collector's snapshots: what every such section does around its own part.

    ``changes`` fills the review's frames and numbers from the period's snapshots and returns its "what
    changed" lines; around it, a collector without a snapshot in the period becomes one note, the lines
    are capped (``MAX_CHANGES``), and each figure is drawn from its frame (``CHART_FRAMES``), when that
    frame has rows, by the chart of the same name in ``outputs.charts.services``.
    """

    collector: str
    changes: Callable[[PostureReview, pd.DatetimeIndex], list[str]]
    figures: tuple[str, ...]
    """Figures (keys of ``CHART_FRAMES``), in the order drawn."""

    def __post_init__(self) -> None:
        if unknown := set(self.figures) - set(CHART_FRAMES):
            raise ValueError(f"{self.collector}: no frame to draw {sorted(unknown)} from (CHART_FRAMES)")

    def __call__(self, review: PostureReview) -> None:
        times = _snapshots_or_note(review, self.collector)
        if times is None:
            return
        _add_changes(review, self.changes(review, times))
        for figure in self.figures:
            frame = review.frames[CHART_FRAMES[figure]]
            if len(frame):
                setattr(review.figures, figure, getattr(charts, figure)(frame))


def snapshot_section(name: str, build: OverSnapshots) -> Section:
    """The report's ``Section`` of a build over snapshots: the figures it draws are the ones it builds."""
    return declared(name, build, figures=build.figures)


CONFIG = snapshot_section("config", OverSnapshots("config", _config, ("config_noncompliant",)))
INSPECTOR = snapshot_section(
    "inspector",
    OverSnapshots(
        "inspector", _inspector, ("inspector_open", "inspector_time_to_fix", "inspector_unscanned")
    ),
)
ACCESSANALYZER = snapshot_section(
    "access analyzer", OverSnapshots("accessanalyzer", _accessanalyzer, ("accessanalyzer_external",))
)
MACIE = snapshot_section("macie", OverSnapshots("macie", _macie, ("macie_sensitive_buckets",)))
SSM = snapshot_section(
    "systems manager", OverSnapshots("ssm", _ssm, ("ssm_patch_compliance", "ssm_unmanaged"))
)
TRUSTEDADVISOR = snapshot_section(
    "trusted advisor", OverSnapshots("trustedadvisor", _trustedadvisor, ("trustedadvisor_checks",))
)
SECTIONS: tuple[Section, ...] = (CONFIG, INSPECTOR, ACCESSANALYZER, MACIE, SSM, TRUSTEDADVISOR)
"""The six sections in report order: what is found, then what is exposed, then hygiene."""
