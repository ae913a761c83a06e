"""What the collector snapshot measures share: the snapshots of a period, counts per snapshot with the
groups that vanished kept at zero, and first-against-last comparisons for "what changed".

A snapshot history is one collector table read with ``collectors.snapshots.read_snapshots``: every row
carries the ``collected_at`` of its snapshot. A group (a rule, an account) absent from a later snapshot
had nothing to count then, so the trends here fill it with zero instead of dropping the point, which
would draw the line flat at its last value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from orginsight.analytics.posture.days import _utc
from orginsight.sources.accounts import with_org

SNAPSHOT = "collected_at"


def snapshot_at(values: Any) -> pd.Series:
    """Snapshot times as UTC nanosecond timestamps, so times read from different files compare and join."""
    return pd.to_datetime(pd.Series(values), utc=True).astype("datetime64[ns, UTC]")


def snapshot_times(history: pd.DataFrame, times: Sequence[Any] | None = None) -> pd.DatetimeIndex:
    """The distinct snapshot times of ``history`` and of ``times``, oldest first (UTC).

    ``times`` names every snapshot taken (the manifests' ``collected_at``): a snapshot whose table has
    no rows (nothing shared, every finding fixed) is not in the history, yet its counts are zeros.
    """
    found = list(snapshot_at(history[SNAPSHOT])) if len(history) else []
    found += list(snapshot_at(list(times))) if times is not None and len(times) else []
    return pd.DatetimeIndex(sorted(set(found)), dtype="datetime64[ns, UTC]")


def in_period(history: pd.DataFrame, start: Any = None, end: Any = None) -> pd.DataFrame:
    """The rows of the snapshots taken between ``start`` and ``end`` (inclusive, UTC)."""
    at = snapshot_at(history[SNAPSHOT]).set_axis(history.index)
    keep = pd.Series(True, index=history.index)
    if start is not None:
        keep &= at >= _utc(start)
    if end is not None:
        keep &= at <= _utc(end)
    return history[keep].assign(**{SNAPSHOT: at[keep]})


def as_history(
    frame: pd.DataFrame, accounts: pd.DataFrame | None = None, account_col: str = "account_id"
) -> pd.DataFrame:
    """``frame`` with ``account_name`` and ``ou_path`` (None where unknown), for grouping by either, and
    its snapshot times as :func:`snapshot_at` gives them."""
    out = with_org(frame, accounts, account_col=account_col)
    if SNAPSHOT in out:
        out[SNAPSHOT] = snapshot_at(out[SNAPSHOT]).set_axis(out.index)
    return out


def count_per_snapshot(
    rows: pd.DataFrame,
    times: pd.DatetimeIndex,
    by: Sequence[str],
    value: str | None = None,
    name: str = "count",
) -> pd.DataFrame:
    """Per snapshot time and ``by`` group: the number of ``rows`` (or the sum of ``value``), zero where a
    group seen in some snapshot has nothing in another. Columns: collected_at, *by, ``name``."""
    by = list(by)
    frame = rows.assign(
        **{c: rows[c].fillna("(none)") for c in by},
        **{SNAPSHOT: snapshot_at(rows[SNAPSHOT]).set_axis(rows.index)},
    )
    grouped = frame.groupby([SNAPSHOT, *by], dropna=False)
    counts = (grouped[value].sum() if value else grouped.size()).rename(name)
    if not by:
        out = counts.reindex(times, fill_value=0).rename_axis(SNAPSHOT).reset_index()
        out[name] = out[name].astype("int64")
        return out
    groups = frame[by].drop_duplicates()
    grid = pd.DataFrame({SNAPSHOT: times}).merge(groups, how="cross")
    grid[SNAPSHOT] = snapshot_at(grid[SNAPSHOT]).set_axis(grid.index)
    counts = counts.reset_index()
    counts[SNAPSHOT] = snapshot_at(counts[SNAPSHOT]).set_axis(
        counts.index
    )  # an empty group-by loses the dtype
    out = grid.merge(counts, on=[SNAPSHOT, *by], how="left")
    out[name] = out[name].fillna(0).astype("int64")
    return out.sort_values([SNAPSHOT, *by], kind="stable").reset_index(drop=True)


def count_and_sum_per_snapshot(
    rows: pd.DataFrame,
    times: pd.DatetimeIndex,
    by: Sequence[str],
    name: str,
    sums: Sequence[str],
    value: str | None = None,
) -> pd.DataFrame:
    """:func:`count_per_snapshot` of ``rows`` (or the sum of ``value``) as ``name``, beside the per-group
    sum of each column of ``sums`` (how many of the counted are public, exploitable ...), zero where a
    group has none. Columns: collected_at, *by, ``name``, *sums."""
    out = count_per_snapshot(rows, times, by, value=value, name=name)
    for column in sums:
        summed = count_per_snapshot(rows, times, by, value=column, name=column)
        out = out.merge(summed, on=[SNAPSHOT, *by], how="left").fillna({column: 0})
    return out


@dataclass(frozen=True)
class SnapshotTrend:
    """A count over one collector table's snapshots, per snapshot and group: the Config, Inspector, Access
    Analyzer, Systems Manager and Trusted Advisor trends differ only in which rows count and what is
    summed beside the count, so each declares that, and calling it runs the one path they share.

    Called as ``trend(history, accounts=None, by=None, times=None)``: ``history`` gets account names
    and OU paths (:func:`as_history`, from ``accounts``), ``counted`` picks the rows that count, and
    :func:`count_and_sum_per_snapshot` counts them per snapshot of ``times`` (every snapshot taken, so one
    whose table came back empty shows zeros) and per ``by`` group (the declared ``by`` when None).
    Columns: collected_at, *by, *per, ``name``, *sums, *flags.
    """

    counted: Callable[[pd.DataFrame, list[str]], pd.DataFrame]
    """The rows that count, from the history with account names and OU paths and the groups asked for."""
    name: str
    """The column of counts: rows, or the sum of ``value``."""
    by: tuple[str, ...] = ()
    """The groups when the caller names none."""
    per: tuple[str, ...] = ()
    """Groups always kept after ``by`` (a finding's severity, a check's status)."""
    value: str | None = None
    """Sum this column of the counted rows instead of counting them (Config's per-row resource counts)."""
    sums: tuple[str, ...] = ()
    """Columns summed beside the count (how many are public, exploitable)."""
    flags: tuple[str, ...] = ()
    """Columns summed beside the count and given as whether any counted row had them (Config's capped)."""
    account_col: str = "account_id"
    """The column naming each row's account, for account names and OU paths."""

    def __call__(
        self,
        history: pd.DataFrame,
        accounts: pd.DataFrame | None = None,
        by: Sequence[str] | None = None,
        times: Sequence[Any] | None = None,
    ) -> pd.DataFrame:
        groups = list(self.by if by is None else by)
        rows = self.counted(as_history(history, accounts, account_col=self.account_col), groups)
        out = count_and_sum_per_snapshot(
            rows,
            snapshot_times(history, times),
            [*groups, *self.per],
            name=self.name,
            sums=[*self.sums, *self.flags],
            value=self.value,
        )
        for flag in self.flags:
            out[flag] = out[flag].gt(0)
        return out


def first_and_last(trend: pd.DataFrame, keys: Sequence[str], value: str) -> pd.DataFrame:
    """Per ``keys`` group: ``value`` at the first and the last snapshot of ``trend`` and the change,
    groups that changed first, largest change first. Columns: *keys, first, last, change."""
    keys = list(keys)
    times = snapshot_times(trend)
    if len(times) == 0:
        return pd.DataFrame(columns=[*keys, "first", "last", "change"])
    at = snapshot_at(trend[SNAPSHOT]).set_axis(trend.index)
    first = trend[at == times[0]].set_index(keys)[value].rename("first")
    last = trend[at == times[-1]].set_index(keys)[value].rename("last")
    out = pd.concat([first, last], axis=1).fillna(0).astype("int64").reset_index()
    out["change"] = out["last"] - out["first"]
    order = out["change"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def appeared_and_vanished(
    history: pd.DataFrame, key: Sequence[str], times: Sequence[Any] | None = None
) -> pd.DataFrame:
    """Rows whose ``key`` entered or left the snapshots: ``change`` is "appeared" (first snapshot that
    holds it, after the history's first) or "vanished" (first snapshot without it, after its last one).

    Columns: *key, change, collected_at (the snapshot that showed the change), last_seen_at. A key absent
    from one snapshot in the middle and back later appears again there: each run is reported.
    """
    key = list(key)
    times = snapshot_times(history, times)
    columns = [*key, "change", SNAPSHOT, "last_seen_at"]
    if len(times) < 2:
        return pd.DataFrame(columns=columns)
    position = {t: i for i, t in enumerate(times)}
    seen = history[[*key, SNAPSHOT]].drop_duplicates()
    rows: list[dict[str, Any]] = []
    for values, g in seen.groupby(key, dropna=False, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        present = sorted(position[pd.Timestamp(t)] for t in snapshot_at(g[SNAPSHOT]))
        for i, p in enumerate(present):
            if p > 0 and (i == 0 or present[i - 1] != p - 1):
                rows.append({**dict(zip(key, values, strict=True)), "change": "appeared", SNAPSHOT: times[p]})
            if p < len(times) - 1 and (i == len(present) - 1 or present[i + 1] != p + 1):
                rows.append(
                    {
                        **dict(zip(key, values, strict=True)),
                        "change": "vanished",
                        SNAPSHOT: times[p + 1],
                        "last_seen_at": times[p],
                    }
                )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values([SNAPSHOT, *key], kind="stable").reset_index(drop=True)
