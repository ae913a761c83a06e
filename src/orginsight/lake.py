"""``Lake``: the organization's security data, wherever it lives.

A lake is either a local folder laid out like the organization's S3 buckets,
read with DuckDB, or the real buckets read through Amazon Athena. Both take the
same Athena SQL, so a hunt that works on a laptop works on Athena.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from orginsight.engines import translate
from orginsight.engines.base import DataRange, Engine
from orginsight.engines.pruning import PartitionFilter
from orginsight.errors import LakeError
from orginsight.sources.securitylake import is_security_lake
from orginsight.timerange import DELIVERY_LAG, parse_time

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.engines.athena import AthenaOptions
    from orginsight.engines.local import LocalOptions


class Lake:
    """Entry point for queries, hunts, triage and posture over one organization's data."""

    def __init__(self, engine: Engine, root: Path | None = None) -> None:
        self.engine = engine
        """What runs the queries (``orginsight.engines.base.Engine``): DuckDB over a folder, or Athena."""
        self.root = root
        """The lake's folder, for a local lake (None on Athena)."""

    @classmethod
    def local(cls, path: str | os.PathLike[str], **options: Unpack[LocalOptions]) -> Lake:
        """A lake in a local folder, laid out like the trail bucket (see ``orginsight.sources.layout``).

        The options are ``LocalEngine``'s (``engines.local.LocalOptions``): ``cache_dir`` is where
        ``compact`` writes the Parquet cache (pass one for a read-only lake).
        """
        from orginsight.engines.local import LocalEngine  # loads DuckDB and pandas: not on import orginsight
        from orginsight.engines.securitylake import SecurityLakeEngine  # reason: loads DuckDB, as above

        root = Path(path)
        if not root.is_dir():
            raise LakeError(
                f"no lake at {root}: create one with 'orginsight lake import FILES --lake {root}' "
                f"or 'orginsight lake generate --lake {root}'"
            )
        if is_security_lake(
            root
        ):  # a copy of a Security Lake bucket: its OCSF CloudTrail read as ``cloudtrail``
            return cls(SecurityLakeEngine(root, options.get("threads")), root=root)
        return cls(LocalEngine(root, **options), root=root)

    @classmethod
    def athena(cls, **options: Unpack[AthenaOptions]) -> Lake:
        """The organization trail read through Amazon Athena (a table made with ``orginsight ddl``).

        The options are ``AthenaEngine``'s (``engines.athena.AthenaOptions``); other keywords go to
        ``pyathena.connect``.
        """
        from orginsight.engines.athena import AthenaEngine  # loads pyathena and boto3: only when used

        return cls(AthenaEngine(**options))

    @property
    def engine_name(self) -> str:
        return self.engine.name

    def sql(self, sql: str, /, **params: Any) -> pd.DataFrame:
        """Run one read-only Athena query; ``:name`` parameters are bound from ``params`` as typed literals.

        One SELECT (with or without WITH), set operation or VALUES: anything else (``COPY``,
        ``ATTACH``, ``SET``, several statements...) is refused with a QueryError saying what it
        is. Locally, the query reads nothing outside the lake and its Parquet cache.

        The result's ``attrs["stats"]`` holds the engine, the SQL as run, the time
        taken and what was read (files and bytes locally, bytes scanned on Athena).
        """
        return self.engine.run(translate.parse(sql), params)

    def sql_params(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """``sql`` with parameters in a mapping (for names that are not Python identifiers); read-only, as ``sql``."""
        return self.engine.run(translate.parse(sql), dict(params))

    def sql_file(
        self,
        path: str | os.PathLike[str],
        /,
        tables: Mapping[str, str] | None = None,
        placeholders: Mapping[str, str] | None = None,
    ) -> list[pd.DataFrame]:
        """Run a ``.sql`` file of several statements written for another CloudTrail table: one frame per query.

        DDL (CREATE, DROP, MSCK, ALTER) is skipped; table, partition-column names are mapped onto the
        lake's (``tables``: name -> lake table), ``placeholders`` filled in; a placeholder left unfilled
        stops the file before any query runs (``orginsight.analytics.query_compat``). Each frame's
        ``attrs["notes"]`` says what was skipped or mapped.
        """
        from orginsight.analytics import query_compat  # loads the file runner: only when used

        return query_compat.run_file(self, path, tables=tables, placeholders=placeholders)

    def estimate(self, sql: str, /, **params: Any) -> Any:
        """What ``sql`` will scan on Athena before it runs (bytes, objects, partitions, cost): the S3 objects
        of the partitions it reads (``engines.athena_scan.ScanEstimate``). Athena lakes with a trail_location."""
        return self.engine.estimate(translate.parse(sql), params)

    def data_range(self, accounts: Collection[str] | None = None) -> DataRange:
        """The first and last day, accounts and regions of the lake's CloudTrail data (of ``accounts`` only, if
        given); an empty range on Athena, where finding out would scan the whole trail."""
        return self.engine.data_range(accounts=accounts)

    def load_into_memory(
        self, since: Any = None, until: Any = None, accounts: list[str] | None = None
    ) -> dict:
        """Read the trail between ``since`` and ``until`` once into memory (local lakes only).

        Worth it before many queries over the same window (``hunt run --all``, a
        notebook session): each then reads the in-memory table instead of the files.
        Returns what was loaded: files, records, unreadable files, seconds.
        """
        pf = PartitionFilter(accounts=set(accounts) if accounts else None)
        pf.narrow_days(
            parse_time(since).date() - DELIVERY_LAG if since is not None else None,
            parse_time(until).date() + DELIVERY_LAG if until is not None else None,
        )
        return self.engine.load_into_memory(pf)

    def compact(
        self, since: Any = None, until: Any = None, accounts: list[str] | None = None, progress: bool = True
    ) -> dict:
        """Cache the closed days from ``since`` to ``until`` (both included) as Parquet (local lakes only).

        Worth it for days queried again and again: later queries read those partitions
        from Parquet while their files are unchanged (see ``orginsight.engines.parquet_cache``).
        Returns what was written, what was already up to date, open days left as JSON, unreadable files.
        """
        pf = PartitionFilter(accounts=set(accounts) if accounts else None)
        pf.narrow_days(
            parse_time(since).date() if since is not None else None,
            parse_time(until).date() if until is not None else None,
        )
        return self.engine.compact(pf, progress=progress)

    def verify(
        self,
        since: Any = None,
        until: Any = None,
        accounts: list[str] | None = None,
        public_keys: list[str | os.PathLike[str]] | None = None,
        progress: bool = False,
    ) -> Any:
        """Check the lake's CloudTrail against its signed digests (local lakes only): log files modified,
        deleted or added, digests missing or invalid, hours without a digest (``sources.digests.verify``).

        ``public_keys``: PEM files, ``ListPublicKeys`` responses or folders of them; by default the lake's
        recorded ``api/cloudtrail/<region>/ListPublicKeys.json``. Returns a ``VerifyResult`` (``problems``,
        ``summary``); a second run re-reads only digests and log files that changed.
        """
        from orginsight.sources import digests  # loads pandas and cryptography: lazily

        if self.root is None:
            raise LakeError(
                "verify reads a local lake: download the trail bucket, or run it where the files are"
            )
        keys = digests.load_public_keys(public_keys) if public_keys else digests.lake_public_keys(self.root)
        return digests.verify(
            self.root,
            since=parse_time(since) if since is not None else None,
            until=parse_time(until) if until is not None else None,
            accounts=set(accounts) if accounts else None,
            public_keys=keys,
            progress=progress,
        )

    def hunt(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run the hunt ``name`` of ``queries/`` with typed parameters (see ``orginsight.analytics.hunts``)."""
        from orginsight.analytics import hunts  # loads pandas: lazily

        return hunts.run(self, name, params)

    def entity_graph(
        self,
        scope: tuple[Any, Any],
        baseline_days: int = 45,
        accounts: list[str] | None = None,
        findings: pd.DataFrame | None = None,
        degree_cap: int = 500,
        people: pd.DataFrame | None = None,
    ) -> Any:
        """Detective-style ``EntityGraph`` of ``scope`` (start, end), with what is new against the
        ``baseline_days`` before it (see ``orginsight.analytics.graph``). ``people``: the identity
        store's users that SSO sessions name (default: the lake's own, ``Lake.people()``)."""
        from orginsight.analytics.graph.build import build_entity_graph  # loads pandas: lazily

        return build_entity_graph(
            self,
            scope,
            baseline_days=baseline_days,
            accounts=accounts,
            findings=findings,
            degree_cap=degree_cap,
            people=self.people() if people is None else people,
        )

    def triage(
        self,
        indicator: str,
        since: Any = None,
        until: Any = None,
        baseline_days: int = 45,
        findings: pd.DataFrame | None = None,
        people: pd.DataFrame | None = None,
    ) -> Any:
        """Everything an access key, principal ARN, IP or finding id did, and the people behind it (see
        ``orginsight.analytics.triage``). ``people``: the identity store's users (default: the lake's own)."""
        from orginsight.analytics.triage import triage  # loads pandas: lazily

        return triage(
            self,
            indicator,
            since=since,
            until=until,
            baseline_days=baseline_days,
            findings=findings,
            people=self.people() if people is None else people,
        )

    def people(self) -> pd.DataFrame | None:
        """The identity store's users (IAM Identity Center) the lake holds, from collector snapshots or
        recorded responses, or None: what ties an SSO session name to a person (user id, name, email)."""
        from orginsight.collectors.run import lake_people  # loads pandas: lazily

        return lake_people(self.root) if self.root is not None else None

    def findings(self) -> pd.DataFrame:
        """Every finding the lake holds (GuardDuty's export, and the recorded or collected findings of
        GuardDuty, Security Hub, Inspector, Macie and Access Analyzer) as one normalized frame, the latest
        version of each: what triage's ``findings=`` and finding groups take."""
        from orginsight.collectors.run import lake_findings  # loads pandas: lazily

        if self.root is None:
            raise LakeError(
                "findings are read from a local folder: open the lake with collected=DIR (the folder of "
                "'orginsight collect --out DIR'), or use orginsight.collectors.run.lake_findings(DIR)"
            )
        return lake_findings(self.root)

    def collected(self, collector: str, table: str, latest: bool = False) -> pd.DataFrame:
        """A collector's table (``org``/``guardduty``/``securityhub``): every snapshot of it in the lake
        (``orginsight collect --out``), or, in a demo lake without snapshots, its recorded API responses
        (see ``orginsight.collectors.run.read_collected``)."""
        from orginsight.collectors.run import read_collected  # loads pandas: lazily

        if self.root is None:
            raise LakeError(
                "collector snapshots live in a local folder: use orginsight.collectors.snapshots.read_snapshots(DIR, ...)"
            )
        return read_collected(self.root, collector, table, latest=latest)

    def __repr__(self) -> str:
        where = self.root if self.root is not None else self.engine.describe()
        return f"Lake({self.engine.name}: {where})"
