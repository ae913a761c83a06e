"""What a ``Lake`` needs from an engine: the ``Engine`` protocol, and the typed results engines give.

Two engines implement it (``local.LocalEngine`` on DuckDB, ``athena.AthenaEngine`` on Athena).
Callers hold an ``Engine`` and use these methods only, never an engine's attributes: a question
such as "which days does this lake hold" is one method (``data_range``), answered by each engine
the way its storage allows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from orginsight.errors import LakeError
from orginsight.timerange import parse_time

if TYPE_CHECKING:
    import pandas as pd
    from sqlglot import exp

    from orginsight.engines.pruning import PartitionFilter
    from orginsight.sources.layout import CloudTrailFolder
    from orginsight.sources.securitylake import Partition


@dataclass(frozen=True)
class DataRange:
    """The CloudTrail days, accounts and regions a lake holds; all empty when it holds none or cannot tell.

    An engine that cannot tell cheaply (Athena: it would be a scan of the whole trail) gives an
    empty range, and callers fall back to the clock.
    """

    first_day: date | None = None
    last_day: date | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @classmethod
    def spanning(cls, held: Sequence[CloudTrailFolder | Partition]) -> DataRange:
        """The range the partitions holding data span: one rule for every layout an engine reads folders of."""
        if not held:
            return cls()
        return cls(
            first_day=min(p.day for p in held),
            last_day=max(p.day for p in held),
            accounts=tuple(sorted({p.account for p in held})),
            regions=tuple(sorted({p.region for p in held})),
        )

    @property
    def end(self) -> datetime | None:
        """Midnight (aware UTC) after the last day: where a window "ending at the newest data" ends."""
        if self.last_day is None:
            return None
        return parse_time(self.last_day) + timedelta(days=1)


def _reported_by(engine: str | None = None) -> Any:
    """A statistic only ``engine`` reports (every engine when None), absent from the others' ``attrs["stats"]``."""
    return field(default=None, metadata={"engine": engine})


@dataclass(frozen=True)
class QueryStats:
    """What running one query cost: the engine, the SQL as run, the time taken and what was read.

    ``df.attrs["stats"]`` holds :meth:`view`, a plain dict of the statistics the engine reports,
    so notebooks and scripts keep reading ``df.attrs["stats"]["files_read"]``; code that wants
    the typed record reads it back with :meth:`of`.
    """

    engine: str
    sql: str
    elapsed_s: float
    bad_files: list[dict[str, str]] = field(default_factory=list)
    """Files left out of the query because they cannot be read, each with why (the local engine only finds any)."""
    planning_s: float | None = _reported_by("local")
    """Time spent choosing the files and partitions to read, before DuckDB ran the query."""
    files_read: int | None = _reported_by("local")
    bytes_read: int | None = _reported_by("local")
    partitions_read: int | None = _reported_by("local")
    cached_partitions: int | None = _reported_by("local")
    """Partitions read from the Parquet cache (``parquet_cache``)."""
    cached_files: int | None = _reported_by("local")
    files_statted: int | None = _reported_by("local")
    files_skipped: int | None = _reported_by("local")
    """Files left unread because none of their records can fall in the query's eventtime bounds."""
    from_memory: bool | None = _reported_by("local")
    """Whether every ``cloudtrail`` reference was read from the table ``load_into_memory`` made."""
    query_id: str | None = _reported_by("athena")
    bytes_scanned: int | None = _reported_by("athena")
    cost_usd: float | None = _reported_by("athena")
    engine_elapsed_ms: int | None = _reported_by("athena")
    """Athena's ``EngineExecutionTimeInMillis``: the query running; the next three are its other phases."""
    queue_ms: int | None = _reported_by("athena")
    planning_ms: int | None = _reported_by("athena")
    service_processing_ms: int | None = _reported_by("athena")
    reused_result: bool | None = _reported_by("athena")
    """Whether Athena answered from a previous query's result (``ResultReuseInformation``): nothing scanned."""
    unload: bool | None = _reported_by("athena")
    """Whether the result came back as Parquet through ``UNLOAD`` rather than as CSV."""
    notes: list[str] | None = _reported_by("athena")
    """What the cost guard changed in the query."""

    def view(self) -> dict[str, Any]:
        """The statistics this engine reports, as a plain dict (what ``df.attrs["stats"]`` holds)."""
        return {
            f.name: value
            for f, value in zip(fields(self), asdict(self).values(), strict=True)
            if f.metadata.get("engine") in (None, self.engine)
        }

    @classmethod
    def of(cls, frame: pd.DataFrame) -> QueryStats | None:
        """The statistics of a query result (``frame.attrs["stats"]``), typed; None for a frame no engine made."""
        stats = frame.attrs.get("stats")
        if not isinstance(stats, Mapping) or "engine" not in stats:
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stats.items() if k in known})


class Engine(Protocol):
    """Runs Athena-dialect SQL over one organization's data; what ``Lake`` holds.

    ``compact`` and ``load_into_memory`` are for engines that read files themselves (the local
    engine); an engine that subclasses this protocol without them refuses them with a LakeError.
    """

    name: str
    """Short name of the engine (``local``, ``athena``), as ``QueryStats.engine`` reports it."""

    tables: frozenset[str] | None = None
    """The tables it answers; None for whatever the database holds (a query naming another fails)."""

    def reads(self, table: str) -> bool:
        """Whether a query may name ``table``, so an analysis can go on without it rather than fail."""
        return self.tables is None or table in self.tables

    def describe(self) -> str:
        """Where the engine reads, for people (a folder, a database and table)."""
        ...

    def run(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a parsed read-only Athena query with ``params`` bound; ``attrs["stats"]`` is a ``QueryStats.view``."""
        ...

    def data_range(self, accounts: Collection[str] | None = None) -> DataRange:
        """The days, accounts and regions of CloudTrail data the lake holds (for ``accounts`` only, if given)."""
        ...

    def estimate(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> Any:
        """What the query will scan before it runs (see ``AthenaEngine.estimate``); Athena only."""
        raise LakeError(
            f"estimate is for Athena, which bills the bytes it scans; the {self.name} engine reads locally"
        )

    def compact(self, pf: PartitionFilter | None = None, progress: bool = True) -> dict[str, Any]:
        """Cache the closed partitions ``pf`` allows as Parquet; what was written (see ``LocalEngine.compact``)."""
        raise LakeError(f"compact is for local lakes; the {self.name} engine reads the data where it lies")

    def load_into_memory(self, pf: PartitionFilter | None = None) -> dict[str, Any]:
        """Read the partitions ``pf`` allows once into memory; what was loaded (see ``LocalEngine.load_into_memory``)."""
        raise LakeError(
            f"load_into_memory is for local lakes; the {self.name} engine reads at scale by itself"
        )

    def window_held(
        self, since: datetime, until: datetime, queries: Sequence[str] = ()
    ) -> AbstractContextManager[dict[str, Any] | None]:
        """A block during which the days of ``since`` .. ``until`` are read once for the ``queries`` run in it
        (see ``engines.window_memory``); yields what was held, None where the engine reads as it always does."""
        return nullcontext(None)
