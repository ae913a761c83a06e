"""The ``storage_lens`` table on a local lake: Athena SQL over the Storage Lens exports, on a locked DuckDB.

The view itself is the source's (``sources.storagelens.ddl.create_local_view``); running user SQL over it
is an engine's job, with the same lock as the trail's: one read-only statement, reads under the lake only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.engines import translate
from orginsight.engines.connection import locked_connection, readable_dirs
from orginsight.engines.dialect import LocalDuckDB
from orginsight.engines.frames import query_frame
from orginsight.sources.storagelens.ddl import create_local_view


def query_local(root: str | Path, athena_sql: str, **params: Any) -> pd.DataFrame:
    """Run Athena SQL over a local ``storage_lens`` table (transpiled to DuckDB by sqlglot)."""
    tree = translate.bind(translate.parse(athena_sql), params)
    con = locked_connection(
        readable_dirs(Path(root))
    )  # user SQL: reads only under root, no SET, no extension
    try:
        create_local_view(con, root)
        return query_frame(con, translate.to_sql(tree, LocalDuckDB))
    finally:
        con.close()
