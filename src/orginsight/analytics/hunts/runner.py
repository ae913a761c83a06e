"""Running hunts on a lake: one hunt as a DataFrame, or every hunt summarized one row each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from orginsight.analytics.hunts import library
from orginsight.analytics.hunts.bind import prepare, resolve
from orginsight.analytics.hunts.library import Hunt, get
from orginsight.errors import QueryError

if TYPE_CHECKING:
    import pandas as pd
    from sqlglot import exp

    from orginsight.lake import Lake


def _run_tree(lake: Lake, hunt: Hunt, tree: exp.Expression, values: Mapping[str, Any]) -> pd.DataFrame:
    """Run a hunt's prepared tree; an engine's refusal or failure (reading outside the lake...) names the hunt file."""
    try:
        return lake.engine.run(tree, values)
    except QueryError as e:
        raise type(e)(
            f"hunt '{hunt.name}' ({hunt.path}): {e}", sql=e.sql, query_id=e.query_id, category=e.category
        ) from e


def run(
    lake: Lake, name: str | Hunt, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> pd.DataFrame:
    """Run one hunt on a lake; ``attrs`` carry the hunt name, the bound parameters and engine stats."""
    hunt = name if isinstance(name, Hunt) else get(name)
    values = resolve(hunt, params, now)
    df = _run_tree(lake, hunt, prepare(hunt, values), values)
    df.attrs["hunt"] = hunt.name
    df.attrs["params"] = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
    return df


def event_ids(df: pd.DataFrame) -> set[str]:
    """The CloudTrail event ids behind a hunt's rows (``eventid`` or ``eventids`` column)."""
    ids: set[str] = set()
    if "eventid" in df.columns:
        ids.update(str(v) for v in df["eventid"].dropna())
    if "eventids" in df.columns:
        for arr in df["eventids"].dropna():
            ids.update(str(v) for v in arr if v is not None)
    return ids


def summarize(hunt: Hunt, df: pd.DataFrame) -> dict[str, Any]:
    """One line of ``hunt run --all``: hits, accounts, first and last hit."""
    first_col = "eventtime" if "eventtime" in df.columns else "first_seen"
    last_col = "eventtime" if "eventtime" in df.columns else "last_seen"
    has = not df.empty
    return {
        "hunt": hunt.name,
        "severity": hunt.severity,
        "hits": len(df),
        "accounts": int(df["account"].nunique()) if has and "account" in df.columns else 0,
        "first_hit": str(df[first_col].min()) if has and first_col in df.columns else None,
        "last_hit": str(df[last_col].max()) if has and last_col in df.columns else None,
    }


def run_all(
    lake: Lake,
    params: Mapping[str, Any] | None = None,
    hunts: Iterable[Hunt] | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Every hunt on a lake, summarized one row per hunt. ``params`` apply to the hunts that take them."""
    import pandas as pd
    from tqdm.auto import tqdm

    rows = []
    # library.list_hunts, looked up when called: narrowing the library is one function to replace
    hunts = [*(hunts if hunts is not None else library.list_hunts())]
    for hunt in tqdm(hunts, desc="hunts", unit="hunt", disable=len(hunts) < 5):
        given = {k: v for k, v in (params or {}).items() if k in hunt.parameters}
        rows.append(summarize(hunt, run(lake, hunt, given, now)))
    return pd.DataFrame(rows, columns=["hunt", "severity", "hits", "accounts", "first_hit", "last_hit"])
