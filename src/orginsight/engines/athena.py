"""The Athena engine: the same Athena SQL, run through pyathena on the organization trail table.

A cost guard stands between the query and the bill: a ``cloudtrail`` reference
with an ``eventtime`` range but no partition predicate gets the matching
``timestamp`` predicate (partition projection then reads only those days), and
one with neither is refused unless the lake allows full scans.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd
from sqlglot import exp

from orginsight.engines.base import DataRange, Engine, QueryStats
from orginsight.engines.parameters import bind
from orginsight.engines.pruning import add_timestamp_predicates, table_refs
from orginsight.errors import FullScanRefused, QueryError
from orginsight.sources.schema import TABLE

PRICE_PER_TB_USD = 5.0
"""Athena SQL price per TB scanned in most regions (AWS Athena pricing page, 2024)."""

MIN_BILLED_BYTES = 10 * 1024**2
"""Athena bills at least 10 MB per query (AWS Athena pricing page, 2024)."""


def scan_cost_usd(bytes_scanned: int) -> float:
    """What Athena charges for a query that scanned ``bytes_scanned`` bytes."""
    if bytes_scanned <= 0:
        return 0.0
    return max(bytes_scanned, MIN_BILLED_BYTES) / 1024**4 * PRICE_PER_TB_USD


class AthenaEngine(Engine):
    """Runs Athena SQL through pyathena; results and statistics as in the local engine."""

    name = "athena"

    def __init__(
        self,
        database: str = "default",
        table: str = "cloudtrail",
        workgroup: str | None = None,
        s3_output: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        allow_full_scan: bool = False,
        **connect_kwargs: Any,
    ) -> None:
        """The trail table ``database.table`` (made with ``orginsight ddl``), queried in ``workgroup``.

        ``s3_output`` is where Athena writes results (the workgroup's setting when None); ``region``
        and ``profile`` pick the boto3 session; ``allow_full_scan`` lets a query without a time range
        read the whole trail; other keywords go to ``pyathena.connect`` as they are.
        """
        self.database = database
        self.table = table
        self.workgroup = workgroup
        self.s3_output = s3_output
        self.region = region
        self.profile = profile
        self.allow_full_scan = allow_full_scan
        self.connect_kwargs = connect_kwargs
        self._connection = None

    def describe(self) -> str:
        return f"{self.database}.{self.table} (workgroup {self.workgroup or 'primary'})"

    def data_range(self, accounts: Collection[str] | None = None) -> DataRange:
        """Unknown (empty): finding the trail's first and last day on Athena is a scan of the whole trail."""
        return DataRange()

    def connection(self) -> Any:
        if self._connection is None:
            from pyathena import connect
            from pyathena.util import RetryConfig

            self._connection = connect(
                s3_staging_dir=self.s3_output,
                work_group=self.workgroup,
                region_name=self.region,
                profile_name=self.profile,
                schema_name=self.database,
                # Throttled Athena calls are retried with exponential backoff.
                retry_config=RetryConfig(attempt=6, multiplier=1, max_delay=60, exponential_base=2),
                **self.connect_kwargs,
            )
        return self._connection

    def prepare(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> tuple[str, list[str]]:
        """The SQL exactly as it will run on Athena, and notes on what the cost guard changed."""
        bound = bind(tree, params or {})
        guarded, notes, unbounded = add_timestamp_predicates(bound)
        if unbounded and not self.allow_full_scan:
            raise FullScanRefused(
                "refusing a full scan of the organization trail: the query on cloudtrail "
                f"({', '.join(unbounded)}) names no timestamp partition nor eventtime range. "
                "Add e.g. \"timestamp >= '2024/06/01'\" or an eventtime range, or pass allow_full_scan=True.",
                sql=guarded.sql(dialect="athena"),
            )
        if self.table != TABLE:
            for ref in table_refs(guarded):
                ref.set("this", exp.to_identifier(self.table))
        return guarded.sql(dialect="athena"), notes

    def run(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        started = time.perf_counter()
        sql, notes = self.prepare(tree, params)
        for note in notes:
            warnings.warn(f"cost guard: {note}", stacklevel=3)
        cursor = self.connection().cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
        except KeyboardInterrupt:
            # Ctrl-C stops the query on Athena too, so it stops costing.
            if cursor.query_id:
                cursor.cancel()
            raise
        except Exception as e:
            raise QueryError(
                f"Athena query failed: {e}",
                sql=sql,
                query_id=getattr(cursor, "query_id", None),
                category=type(e).__name__,
            ) from e
        columns = [d[0] for d in (cursor.description or [])]
        result = pd.DataFrame.from_records(rows, columns=columns)
        scanned = int(cursor.data_scanned_in_bytes or 0)
        stats = QueryStats(
            engine=self.name,
            sql=sql,
            elapsed_s=round(time.perf_counter() - started, 4),
            query_id=cursor.query_id,
            bytes_scanned=scanned,
            cost_usd=round(scan_cost_usd(scanned), 6),
            engine_elapsed_ms=cursor.engine_execution_time_in_millis,
            notes=notes,
        )
        result.attrs["stats"] = stats.view()
        return result
