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
from typing import Any, TypedDict, Unpack

import pandas as pd
from sqlglot import exp

from orginsight.engines.base import DataRange, Engine, QueryStats
from orginsight.engines.frames import utc_aware
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


class AthenaOptions(TypedDict, total=False):
    """Where the organization trail is on Athena and how to reach it: the keywords ``Lake.athena`` and
    ``AthenaEngine`` both take, said once here. Other keywords go to ``pyathena.connect`` as they are."""

    database: str
    """The Glue database of the trail table (made with ``orginsight ddl``); "default" when not given."""
    table: str
    """The trail table that queries' ``cloudtrail`` names; "cloudtrail" when not given."""
    workgroup: str | None
    """The Athena workgroup the queries run in (the account's "primary" when None)."""
    s3_output: str | None
    """Where Athena writes results (the workgroup's setting when None)."""
    region: str | None
    """The boto3 session's region (the profile's or the environment's when None)."""
    profile: str | None
    """The boto3 session's profile (the default credentials when None)."""
    allow_full_scan: bool
    """Let a query without a time range read the whole trail (refused when not given)."""


class AthenaEngine(Engine):
    """Runs Athena SQL through pyathena; results and statistics as in the local engine."""

    name = "athena"

    def __init__(self, **options: Unpack[AthenaOptions]) -> None:
        """The trail table ``database.table``, queried in ``workgroup`` (each option: ``AthenaOptions``)."""
        given: dict[str, Any] = dict(options)
        self.database: str = given.pop("database", "default")
        self.table: str = given.pop("table", TABLE)
        self.workgroup: str | None = given.pop("workgroup", None)
        self.s3_output: str | None = given.pop("s3_output", None)
        self.region: str | None = given.pop("region", None)
        self.profile: str | None = given.pop("profile", None)
        self.allow_full_scan: bool = given.pop("allow_full_scan", False)
        self.connect_kwargs = given
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
        result = utc_aware(pd.DataFrame.from_records(rows, columns=columns))
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
