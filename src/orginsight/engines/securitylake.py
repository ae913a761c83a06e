"""The local engine over a copy of a Security Lake bucket: its OCSF CloudTrail read as ``cloudtrail``.

Each reference to ``cloudtrail`` becomes ``sources.securitylake.view_sql`` (Athena SQL, translated by
sqlglot like any query) over just the Parquet partitions the query's predicates on ``region``,
``account`` and ``timestamp``/``eventtime`` allow (``pruning.partition_filter``), so the Athena view
and the local one are the same text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlglot import exp

from orginsight.engines import parameters, pruning, translate
from orginsight.engines.base import DataRange, Engine, QueryStats
from orginsight.engines.connection import ensure_one_select, locked_connection, readable_dirs
from orginsight.engines.frames import query_frame
from orginsight.errors import LakeError, QueryError
from orginsight.sources import securitylake


class SecurityLakeEngine(Engine):
    """Runs Athena-dialect SQL with DuckDB over a local copy of Security Lake's CloudTrail source version 2."""

    name = "local"
    tables = frozenset({"cloudtrail"})

    def __init__(self, root: str | os.PathLike[str], threads: int | None = None) -> None:
        self.root = Path(root)
        if not securitylake.is_security_lake(self.root):
            raise LakeError(f"no Security Lake CloudTrail source under {securitylake.source_dir(self.root)}")
        self.con = locked_connection(readable_dirs(self.root), threads)

    def describe(self) -> str:
        """The copy's folder."""
        return f"{self.root} (Security Lake)"

    def data_range(self, accounts: Collection[str] | None = None) -> DataRange:
        """The days, accounts and regions of the partitions holding Parquet objects (folder names only)."""
        return DataRange.spanning(
            [
                p
                for p in securitylake.partitions(self.root)
                if (accounts is None or p.account in accounts) and p.files()
            ]
        )

    def files(self, pf: pruning.PartitionFilter | None = None) -> list[Path]:
        """The Parquet objects of the partitions ``pf`` allows (all of them without one)."""
        return [
            f
            for p in securitylake.partitions(self.root)
            if pf is None or pf.allows(p.account, p.region, p.day)
            for f in p.files()
        ]

    def _source(self, files: list[Path]) -> str:
        """DuckDB SQL reading ``files`` with their partition columns as text (``eventDay`` is not a number)."""
        if files:
            listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            return f"SELECT * FROM read_parquet([{listing}], hive_partitioning = true, hive_types_autocast = false)"
        every = self.files()
        if not every:
            raise QueryError(f"the Security Lake copy at {self.root} holds no Parquet object")
        return f"SELECT * FROM ({self._source(every[:1])}) LIMIT 0"

    def run(self, tree: Any, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a parsed Athena statement; ``attrs["stats"]`` says what was read."""
        started = time.perf_counter()
        bound = parameters.bind(translate.ensure_read_only(tree), params or {})
        view = translate.parse(securitylake.view_sql("__securitylake_source"))
        files_read = bytes_read = 0
        for i, ref in enumerate(translate.table_refs(bound)):
            files = self.files(pruning.partition_filter(ref))
            files_read += len(files)
            bytes_read += sum(f.stat().st_size for f in files)
            self.con.sql(self._source(files)).create_view(f"__securitylake_{i}", replace=True)
            one = view.copy()
            for src in one.find_all(exp.Table):
                src.replace(exp.to_table(f"__securitylake_{i}"))
            self.con.execute(
                f'CREATE OR REPLACE VIEW "__cloudtrail_{i}" AS {translate.to_sql(one, translate.LOCAL_DIALECT)}'
            )
            ref.replace(translate.renamed(ref, f"__cloudtrail_{i}"))
        sql = translate.to_sql(bound, translate.LOCAL_DIALECT)
        ensure_one_select(self.con, sql)
        try:
            result = query_frame(self.con, sql)
        except Exception as e:
            raise QueryError(f"the local engine could not run the query: {e}", sql=sql) from e
        stats = QueryStats(
            engine=self.name,
            sql=sql,
            elapsed_s=round(time.perf_counter() - started, 4),
            files_read=files_read,
            bytes_read=bytes_read,
        )
        result.attrs["stats"] = stats.view()
        return result
