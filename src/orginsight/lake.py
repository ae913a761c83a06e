"""``Lake``: the organization's security data, wherever it lives.

A lake is either a local folder laid out like the organization's S3 buckets,
read with DuckDB, or the real buckets read through Amazon Athena. Both take the
same Athena SQL, so a hunt that works on a laptop works on Athena.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orginsight.engines import translate
from orginsight.errors import LakeError

if TYPE_CHECKING:
    import pandas as pd


class Lake:
    """Entry point for queries, hunts, triage and posture over one organization's data."""

    def __init__(self, engine: Any, root: Path | None = None) -> None:
        self.engine = engine
        self.root = root

    @classmethod
    def local(cls, path: str | os.PathLike[str], threads: int | None = None) -> Lake:
        """A lake in a local folder, laid out like the trail bucket (see ``orginsight.layout``)."""
        from orginsight.engines.local import LocalEngine

        root = Path(path)
        if not root.is_dir():
            raise LakeError(
                f"no lake at {root}: create one with 'orginsight lake import FILES --lake {root}' "
                f"or 'orginsight lake generate --lake {root}'"
            )
        return cls(LocalEngine(root, threads=threads), root=root)

    @classmethod
    def athena(
        cls,
        database: str = "default",
        table: str = "cloudtrail",
        workgroup: str | None = None,
        s3_output: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        allow_full_scan: bool = False,
        **connect_kwargs: Any,
    ) -> Lake:
        """The organization trail read through Amazon Athena (a table made with ``orginsight ddl``)."""
        from orginsight.engines.athena import AthenaEngine

        engine = AthenaEngine(
            database=database, table=table, workgroup=workgroup, s3_output=s3_output,
            region=region, profile=profile, allow_full_scan=allow_full_scan, **connect_kwargs,
        )
        return cls(engine)

    @property
    def engine_name(self) -> str:
        return self.engine.name

    def sql(self, sql: str, /, **params: Any) -> pd.DataFrame:
        """Run Athena SQL; ``:name`` parameters are bound from ``params`` as typed literals.

        The result's ``attrs["stats"]`` holds the engine, the SQL as run, the time
        taken and what was read (files and bytes locally, bytes scanned on Athena).
        """
        return self.engine.run(translate.parse(sql), params)

    def sql_params(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """``sql`` with parameters in a mapping (for names that are not Python identifiers)."""
        return self.engine.run(translate.parse(sql), dict(params))

    def __repr__(self) -> str:
        where = self.root if self.root is not None else getattr(self.engine, "describe", lambda: "")()
        return f"Lake({self.engine.name}: {where})"
