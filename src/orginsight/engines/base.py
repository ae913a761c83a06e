"""What a ``Lake`` needs from an engine: the ``Engine`` protocol, and the typed results engines give.

Two engines implement it (``local.LocalEngine`` on DuckDB, ``athena.AthenaEngine`` on Athena).
Callers hold an ``Engine`` and use these methods only, never an engine's attributes: a question
such as "which days does this lake hold" is one method (``data_range``), answered by each engine
the way its storage allows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from orginsight.errors import LakeError
from orginsight.timerange import parse_time

if TYPE_CHECKING:
    import pandas as pd
    from sqlglot import exp

    from orginsight.engines.pruning import PartitionFilter


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

    def describe(self) -> str:
        """Where the engine reads, for people (a folder, a database and table)."""
        ...

    def run(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a parsed read-only Athena query with ``params`` bound; ``attrs["stats"]`` is a ``QueryStats.view``."""
        ...

    def data_range(self, accounts: Collection[str] | None = None) -> DataRange:
        """The days, accounts and regions of CloudTrail data the lake holds (for ``accounts`` only, if given)."""
        ...

    def compact(self, pf: PartitionFilter | None = None, progress: bool = True) -> dict[str, Any]:
        """Cache the closed partitions ``pf`` allows as Parquet; what was written (see ``LocalEngine.compact``)."""
        raise LakeError(f"compact is for local lakes; the {self.name} engine reads the data where it lies")

    def load_into_memory(self, pf: PartitionFilter | None = None) -> dict[str, Any]:
        """Read the partitions ``pf`` allows once into memory; what was loaded (see ``LocalEngine.load_into_memory``)."""
        raise LakeError(
            f"load_into_memory is for local lakes; the {self.name} engine reads at scale by itself"
        )
