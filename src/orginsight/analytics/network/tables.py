"""Reading the network tables: one place that knows a lake may hold none.

A lake reads ``vpcflow`` and ``dnsquery`` when its engine does (``Engine.reads``): a Security Lake
copy reads only its CloudTrail source. Triage and the graph then go on with the trail alone and say
why the network side is empty, instead of failing on a missing table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from orginsight.engines import translate

NETWORK_TABLES = ("vpcflow", "dnsquery")


def unread_tables_note(lake: Any) -> str | None:
    """Why this lake has no network side (None when its engine reads both tables)."""
    engine = getattr(lake, "engine", None)
    missing = [t for t in NETWORK_TABLES if engine is not None and not engine.reads(t)]
    if not missing:
        return None
    return (
        f"no network evidence: {engine.describe()} does not hold {' or '.join(missing)} "
        "(VPC Flow Logs and Resolver query logs are read from a lake laid out like the log-archive bucket)"
    )


def frame(lake: Any, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """A query's rows with the engine's statistics dropped (they are read once, by the caller's caller);
    no rows, in the query's columns, from a lake that holds no network tables."""
    if unread_tables_note(lake):
        return pd.DataFrame(columns=translate.parse(sql).named_selects)
    df = lake.sql_params(sql, params)
    df.attrs.clear()
    return df
