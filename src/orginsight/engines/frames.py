"""DuckDB results as pandas frames, through Arrow.

``relation.df()`` builds Python string objects value by value; going through
Arrow keeps strings Arrow-backed (pandas' own string dtype) and took 0.23 s
instead of 1.12 s for the entity graph's 327k-row aggregate (measured
2026-11-28, pandas 3.1, DuckDB 2.0). DuckDB is asked for Arrow's large strings,
which pandas' string dtype holds as they are: with Arrow's default strings,
pandas cast every column again (0.2 s of the graph's reshaping).

Types are made to match what an analyst gets from Athena: DuckDB widens
``sum(bigint)`` to HUGEINT, which Arrow carries as ``decimal128(38, 0)``; such
whole-number decimals become int64 (float64 if a value overflows), other
decimals float64, and dates pandas datetimes. Timestamps without a zone are UTC (the trail's
``eventTime``, partition days, DuckDB's session zone), so they come out timezone-aware UTC: one time
convention at every public boundary, comparable with the aware times callers pass in.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa


def query_frame(con: Any, sql: str, params: Any = None) -> pd.DataFrame:
    """The result of ``sql`` on a DuckDB connection as a pandas DataFrame (empty for a statement).

    Asks for Arrow's large strings only where they are not on yet: the local engine sets them
    before it locks its configuration, after which any ``SET`` is refused.
    """
    if not con.execute("SELECT current_setting('arrow_large_buffer_size')").fetchall()[0][0]:
        con.execute("SET arrow_large_buffer_size = true")
    relation = con.sql(sql, params=params)
    return pd.DataFrame() if relation is None else arrow_frame(relation.to_arrow_table())


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a pandas DataFrame with Athena-like numeric types."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_decimal(field.type):
            column = _decimal_as_number(column, field.type.scale)
        elif pa.types.is_timestamp(field.type) and field.type.tz is None:
            column = column.cast(pa.timestamp(field.type.unit, tz="UTC"))
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.column_names)
    return table.to_pandas(date_as_object=False)


def utc_aware(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its zone-less datetime columns marked UTC (in place): what Athena's cursor returns
    for ``timestamp`` columns is UTC without saying so."""
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_datetime64_dtype(column) and getattr(column.dt, "tz", None) is None:
            df[name] = column.dt.tz_localize("UTC")
    return df


def _decimal_as_number(column: pa.ChunkedArray, scale: int) -> pa.ChunkedArray:
    if scale == 0:
        try:
            return column.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return column.cast(pa.float64(), safe=False)


RESHAPE_MEMORY_LIMIT = "768MB"
"""What one reshaping connection may hold before DuckDB spills to a temporary folder. The entity
graph of a 1-million-event day with a 2-day baseline peaked at 2.2 GiB without it, 1.9 GiB with
it, for 5% more time (benchmarks/bench_graph.py, 2026-11-28); its own scan is not limited."""


@contextmanager
def scratch_duckdb(**frames: pd.DataFrame) -> Iterator[Any]:
    """A short-lived in-process DuckDB (UTC, no insertion order) with each frame registered by name.

    The graph reshapes its aggregate with set operations in SQL rather than Python loops, on
    frames it already holds (Arrow-backed columns are read without a copy).
    """
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET memory_limit = '{RESHAPE_MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'orginsight-duckdb'}'")
        for name, df in frames.items():
            con.register(name, df)
        frames.clear()  # the connection holds them until unregistered: a caller may release its own
        yield con
    finally:
        con.close()
