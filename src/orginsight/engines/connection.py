"""The DuckDB connection the local engine runs queries on, locked to the lake before any query.

Only read-only SQL runs (DESIGN.md, trust boundaries): one SELECT per call, on a connection whose
external access is limited to the lake and its cache, with no extension loading and its
configuration locked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orginsight.engines.translate import READ_ONLY
from orginsight.errors import QueryError


def readable_dirs(*dirs: Path) -> list[str]:
    """The folders DuckDB may read and write: each as given (made absolute) and with its links resolved.

    DuckDB compares the path a query names, made absolute and normalized (``..`` resolved, links
    not), with this list: a lake opened through a symbolic link is named both ways.
    """
    out: list[str] = []
    for d in dirs:
        for form in (os.path.abspath(d), os.path.realpath(d)):
            if form not in out:
                out.append(form)
    return out


def locked_connection(allowed: list[str], threads: int | None = None) -> Any:
    """A DuckDB connection set up for the local engine, then locked against the SQL it will run.

    After set-up it reads and writes files only under ``allowed`` (and its own spill folder),
    installs and loads no extension (the ``json`` and ``parquet`` readers are built in), and
    refuses every ``SET``: ``read_text('/etc/passwd')``, ``COPY ... TO`` outside the lake,
    ``ATTACH``, ``INSTALL`` and ``LOAD`` raise PermissionException. ``allowed_directories`` must
    be set before external access is turned off (passed together to ``connect``, DuckDB 2.0.1 says
    "Cannot change allowed_directories when enable_external_access is disabled"). ``COPY ... TO``
    a path under ``allowed`` still works, which is why only one read-only statement reaches the
    connection (``translate.parse``, :func:`ensure_one_select`). Spilling to DuckDB's temporary
    folder still works (DuckDB allows it by itself); pandas frames are read only when registered.
    """
    import duckdb

    con = duckdb.connect(
        config={
            "threads": threads or os.cpu_count() or 1,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
        }
    )
    try:
        con.execute("SET TimeZone = 'UTC'")
        # Athena promises no row order without ORDER BY either; keeping DuckDB's insertion order made
        # loading the demo's 20k files 4x slower and 9x bigger in memory (22 s, 6.6 GB vs 5.8 s, 0.75 GB).
        con.execute("SET preserve_insertion_order = false")
        progress_off(con)
        # Hand memory back after a big scan (jemalloc keeps freed pages otherwise): after the entity
        # graph's aggregate of a 1-million-event day + 2-day baseline, 1.1 GB resident instead of 1.4 GB.
        con.execute("SET allocator_background_threads = true")
        con.execute("SET allocator_flush_threshold = '32MB'")
        con.execute("SET arrow_large_buffer_size = true")  # see frames.query_frame; no SET after the lock
        con.execute("SET allowed_directories = $dirs", {"dirs": allowed})
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con


def progress_off(con: Any) -> None:
    """Turn DuckDB's own progress bar off, where it is on.

    DuckDB 2.0.1 turns it on by default, in Python and in a Jupyter kernel with ``ipywidgets``; in a
    kernel without ``ipywidgets`` it is off, and DuckDB refuses any change of it, even to off
    ("required package 'ipywidgets' is missing"): opening a lake there failed while this was set
    unconditionally. It is a per-connection setting, so the compaction cursors keep DuckDB's default.
    Off, because the bar failed once inside Jupyter ("GetProgress is not implemented for this file
    handle", 2026-11-28), and tracking progress without printing it (for a tqdm bar fed by
    ``con.query_progress()``) crashed the process on a count over the demo lake (segmentation fault,
    DuckDB 2.0.1, 2026-12-01); callers show progress with tqdm around their own steps instead.
    """
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar = false")


def ensure_one_select(con: Any, sql: str) -> None:
    """Raise a QueryError unless DuckDB reads ``sql`` as exactly one SELECT (VALUES, WITH, set operations).

    The last check before the engine runs generated SQL, by DuckDB's own parser: what sqlglot
    wrote is what DuckDB will run.
    """
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryError(f"DuckDB cannot parse the SQL: {str(e).splitlines()[0]}", sql=sql) from e
    kinds = [str(s.type).rsplit(".", 1)[-1] for s in statements]
    if kinds != ["SELECT"]:
        what = ", ".join(kinds) or "no"
        raise QueryError(f"refused to run {what} statement(s): {READ_ONLY}", sql=sql)
