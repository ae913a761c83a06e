"""The Athena engine: the same Athena SQL, run through pyathena on the organization trail table.

A cost guard stands between the query and the bill: a ``cloudtrail`` reference
with an ``eventtime`` range but no partition predicate gets the matching
``timestamp`` predicate (partition projection then reads only those days), and
one with neither is refused unless the lake allows full scans.

Results come back through pyathena's pandas cursor, typed, with times timezone-aware UTC
(``frames.utc_aware``); it reads the result files with boto3, so the session's endpoints and credentials
hold for them too. A query whose order does not matter runs as ``UNLOAD`` to Parquet under the
results location: Athena writes the result in parallel as typed Parquet instead of one CSV read row by
row. A query with a top-level ORDER BY is read from the CSV result instead, because UNLOAD writes
several files in parallel and does not order them relative to each other (Athena User Guide,
"UNLOAD", considerations and limitations, 2024). Every query asks Athena to reuse the result of the
same query run within ``result_reuse_minutes``: a hunt repeated within the hour costs nothing.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any, TypedDict, TypeVar, Unpack

import pandas as pd
from sqlglot import exp

from orginsight.engines.athena_scan import PRICE_PER_TB_USD, S3Location, ScanEstimate, estimate_scan
from orginsight.engines.base import DataRange, Engine, QueryStats
from orginsight.engines.frames import utc_aware
from orginsight.engines.parameters import bind
from orginsight.engines.pruning import add_timestamp_predicates, table_refs
from orginsight.errors import FullScanRefused, LakeError, QueryError
from orginsight.sources.schema import TABLE

T = TypeVar("T")

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
    unload: bool
    """Read results as Parquet through ``UNLOAD`` where the query's order allows (on when not given)."""
    result_reuse_minutes: int
    """How old a previous result of the same query Athena may answer with (60 when not given; 0: never)."""
    trail_location: str | None
    """The trail's ``s3://BUCKET/[PREFIX/]AWSLogs/o-xxx/``, for scan estimates from an S3 listing."""


DEFAULT_RESULT_REUSE_MINUTES = 60
"""How long a repeated hunt is answered from the last run's result: an analyst's session, not a day."""


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
        self.unload: bool = given.pop("unload", True)
        self.result_reuse_minutes: int = given.pop("result_reuse_minutes", DEFAULT_RESULT_REUSE_MINUTES)
        self.trail_location: str | None = given.pop("trail_location", None)
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

    def s3_client(self) -> Any:
        """A client of the session's S3, for the read-only listings of scan estimates."""
        import boto3  # reason: loaded with pyathena, only when an estimate is asked for

        return boto3.Session(profile_name=self.profile, region_name=self.region).client("s3")

    def estimate(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> ScanEstimate:
        """What the query will scan, before it runs: the size of the S3 objects of the partitions it reads
        once the cost guard has bounded it (``athena_scan``). Needs ``trail_location``."""
        if not self.trail_location:
            raise LakeError(
                "an estimate lists the trail's objects: pass trail_location='s3://BUCKET/AWSLogs/o-xxxx/' "
                "(--trail-location)"
            )
        guarded, _notes, _unbounded = add_timestamp_predicates(bind(tree, params or {}))
        found = estimate_scan(guarded, self.s3_client(), S3Location.trail(self.trail_location))
        if self.table != TABLE:
            note = f"listed the raw trail; {self.table} may read less (a compacted table reads by column)"
            found = replace(found, notes=(*found.notes, note))
        return found

    def reuse_settings(self) -> dict[str, Any]:
        """pyathena's result reuse keywords: reuse on for ``result_reuse_minutes``, off at 0."""
        if self.result_reuse_minutes <= 0:
            return {"result_reuse_enable": False}
        return {"result_reuse_enable": True, "result_reuse_minutes": self.result_reuse_minutes}

    def run(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        from pyathena.pandas.cursor import PandasCursor  # reason: loads fsspec and pyarrow, only when run

        started = time.perf_counter()
        sql, notes = self.prepare(tree, params)
        for note in notes:
            warnings.warn(f"cost guard: {note}", stacklevel=3)
        unload = self.unload and self.s3_output is not None and unload_keeps_order(tree)
        cursor = self.connection().cursor(
            PandasCursor, unload=unload, engine="pyarrow", **self.reuse_settings()
        )
        result = utc_aware(self._execute(cursor, sql, lambda c: c.as_pandas()))
        result.attrs["stats"] = self._stats(cursor, sql, started, notes, unload).view()
        return result

    def execute(self, sql: str) -> pd.DataFrame:
        """Run a statement the package wrote itself (``athena_compact``'s DDL, INSERT, partition listing),
        never a user's: no cost guard, no reuse (each must really run), rows read as they come."""
        started = time.perf_counter()
        cursor = self.connection().cursor()
        rows = self._execute(cursor, sql, lambda c: c.fetchall())
        columns = [d[0] for d in (cursor.description or [])]
        result = utc_aware(pd.DataFrame.from_records(rows, columns=columns))
        result.attrs["stats"] = self._stats(cursor, sql, started, [], False).view()
        return result

    def _execute(self, cursor: Any, sql: str, read: Callable[[Any], T]) -> T:
        try:
            cursor.execute(sql)
            return read(cursor)
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

    def _stats(self, cursor: Any, sql: str, started: float, notes: list[str], unload: bool) -> QueryStats:
        """The query's statistics as Athena reports them (``QueryExecution.Statistics``)."""
        scanned = int(cursor.data_scanned_in_bytes or 0)
        return QueryStats(
            engine=self.name,
            sql=sql,
            elapsed_s=round(time.perf_counter() - started, 4),
            query_id=cursor.query_id,
            bytes_scanned=scanned,
            cost_usd=round(scan_cost_usd(scanned), 6),
            engine_elapsed_ms=cursor.engine_execution_time_in_millis,
            queue_ms=cursor.query_queue_time_in_millis,
            planning_ms=cursor.query_planning_time_in_millis,
            service_processing_ms=cursor.service_processing_time_in_millis,
            reused_result=cursor.reused_previous_result,
            unload=unload,
            notes=notes,
        )


def unload_keeps_order(tree: exp.Expression) -> bool:
    """Whether the query's result may come back through UNLOAD: a query (not a statement) whose rows'
    order is not asked for. UNLOAD's files are written in parallel, each sorted but not among each other."""
    query = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(query, exp.Query):
        return False
    return query.args.get("order") is None
