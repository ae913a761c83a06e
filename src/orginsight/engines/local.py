"""The local engine: Athena SQL on DuckDB over a folder laid out like the trail bucket.

Each reference to ``cloudtrail`` in a query becomes a scan of just the files its
partition predicates allow, read with ``read_json_objects`` + ``json_transform``
(one JSON object per file, only the columns the query names). On this machine
that ran about 8x faster than ``read_json`` on CloudTrail files (DESIGN.md).

Files are checked once (a cheap DuckDB pass that counts each file's records)
and the verdict is cached by path, size and modification time: a corrupt,
truncated, non-JSON or ``Records``-less file is reported and left out, and
every good file is still read.

Closed partitions can also be read from an opt-in Parquet copy
(``compact``, see ``parquet_cache``): each partition whose copy still matches its
files is read from Parquet, every other file from JSON, and the two united by name.

Conditions on the partition columns alone are decided once per partition, before reading,
and leave the query (``translate.partition_conjuncts``): DuckDB would decide them on every file.

Planning a query walks the day folders the partition predicates allow. A partition
whose Parquet copy passes the quick check on its folders (``ParquetCache.trusted``)
costs no ``stat`` of its files and no file verdict; only the other partitions' files
are stat'ed (once each: size and mtime) and checked, reading the verdicts of their
folders only. For a month of 5-minute files (213k files, 876
partitions, all cached) planning took 0.3 s of CPU instead of 3.6 s, and an engine's
first query 0.5 s instead of 5.7 s (2026-11-28, ``planning_s`` in the stats).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.engines import parquet_cache, schema, translate
from orginsight.engines.frames import query_frame
from orginsight.errors import QueryError
from orginsight.sources.layout import CloudTrailFile, CloudTrailFolder, iter_cloudtrail_folders

MAX_OBJECT_SIZE = 2**31 - 1
"""DuckDB's largest JSON object. A whole CloudTrail file is one object, often past DuckDB's 16 MB default."""

GZIP_RATIO_BOUND = 40
"""CloudTrail JSON compresses about 8-15x; 40x bounds the JSON size of a .gz file safely."""


def object_size_limit(json_sizes: list[int]) -> int:
    """The ``maximum_object_size`` for reading files of these JSON sizes: big enough for the largest, no bigger.

    DuckDB sizes its read buffers by this limit, so the 2 GB maximum made
    small-file scans measurably slower here (0.9 s against 0.6 s for 384 files).
    """
    return int(min(MAX_OBJECT_SIZE, max(2**20, max(json_sizes, default=0) + 1024)))


COMPACT_WORKERS = 2
"""Partitions compacted at a time. One DuckDB query on a 24-file partition leaves a core idle a third of
the time; two at once took 30 ms a partition instead of 42 ms on this 2-core machine (2026-11-28)."""

CHECK_BATCH = 2000
"""Files checked per DuckDB pass; a failing batch is split until the bad file is alone."""

CHECKS_DIR = ".orginsight/filecheck"
CACHE_VERSION = 4


@dataclass(frozen=True, slots=True)
class FileVerdict:
    """The result of checking one file: its record count, or why it cannot be read."""

    size: int
    mtime_ns: int
    records: int | None
    error: str | None
    json_bytes: int = 0
    first_event: str | None = None
    """The earliest ``eventTime`` of the file's records, when every record has one (else None)."""
    last_event: str | None = None
    """The latest ``eventTime`` of the file's records, when every record has one (else None)."""

    def outside(self, pf: translate.PartitionFilter) -> bool:
        """Whether no record of the file can fall in the event-time bounds a query asked for.

        The files of the day after a scope are read for records CloudTrail delivered late; most
        of them hold only that day's records, and skipping them halved a one-day graph's scan.
        """
        if pf.latest is not None and self.first_event is not None:
            first = translate.instant_of(self.first_event)
            if first is not None and first > pf.latest:
                return True
        if pf.earliest is not None and self.last_event is not None:
            last = translate.instant_of(self.last_event)
            if last is not None and last < pf.earliest:
                return True
        return False


class FileChecks(Mapping[str, FileVerdict]):
    """File verdicts by path, cached in the lake one file per day folder (in memory only when read-only).

    One file per folder, keyed by file name, so a query reads the verdicts of the folders it
    scans and nothing else: a single file for the whole lake was 96 MB on a month of 5-minute
    files and took 2.3 s to load for a one-day query (2026-11-28), and it was keyed by the
    path as typed, so opening a lake by two paths doubled it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / CHECKS_DIR
        self._lock = threading.Lock()
        self._folders: dict[str, dict[str, FileVerdict]] = {}
        self._dirty: set[str] = set()

    def _folder(self, path: str) -> tuple[dict[str, FileVerdict], str]:
        folder, name = os.path.split(path)
        verdicts = self._folders.get(folder)
        if verdicts is None:
            with self._lock:
                verdicts = self._folders.get(folder)
                if verdicts is None:
                    verdicts = self._folders[folder] = self._load(folder)
        return verdicts, name

    def _shard(self, folder: str) -> Path:
        return self.dir / (os.path.relpath(folder, self.root) + ".json")

    def _load(self, folder: str) -> dict[str, FileVerdict]:
        try:
            raw = json.loads(self._shard(folder).read_bytes())
            if raw.get("version") == CACHE_VERSION:
                return {k: FileVerdict(*v) for k, v in raw["files"].items()}
        except (OSError, ValueError, TypeError, AttributeError):
            pass
        return {}

    def __getitem__(self, path: str) -> FileVerdict:
        verdicts, name = self._folder(path)
        return verdicts[name]

    def __setitem__(self, path: str, verdict: FileVerdict) -> None:
        verdicts, name = self._folder(path)
        verdicts[name] = verdict
        self._dirty.add(os.path.dirname(path))

    def __iter__(self) -> Iterator[str]:
        return (os.path.join(folder, name) for folder, names in list(self._folders.items()) for name in names)

    def __len__(self) -> int:
        return sum(len(v) for v in self._folders.values())

    @property
    def loaded(self) -> bool:
        """Whether any verdict has been read (a query over trusted cached partitions only reads none)."""
        return bool(self._folders)

    def current(self, f: CloudTrailFile, mtime_ns: int) -> FileVerdict | None:
        """The verdict on ``f`` if it was given for the file as it is now (same size and mtime)."""
        v = self.get(f.path)
        return v if v is not None and v.size == f.size and v.mtime_ns == mtime_ns else None

    def save(self) -> None:
        """Write the verdicts of the folders that got new ones, merged with what other writers saved.

        Two engines (processes) checking different files of one folder each hold only their own
        verdicts: each re-reads the shard and adds the verdicts it lacks (its own win for the same
        file), under a lock on the cache folder, and writes a temporary file of its own (pid and a
        random part) moved into place, so no writer's verdicts are lost and no reader sees half a file.
        """
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            if not dirty:
                return
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                with _folder_lock(self.dir):
                    for folder in dirty:
                        self._merge_and_write(folder)
            except OSError:
                pass  # a read-only lake keeps verdicts in memory only

    def _merge_and_write(self, folder: str) -> None:
        ours = self._folders[folder]
        for name, verdict in self._load(folder).items():
            ours.setdefault(name, verdict)
        files = {k: astuple(v) for k, v in dict(ours).items()}
        shard = self._shard(folder)
        shard.parent.mkdir(parents=True, exist_ok=True)
        tmp = shard.with_name(f"{shard.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            tmp.write_text(json.dumps({"version": CACHE_VERSION, "files": files}))
            os.replace(tmp, shard)
        finally:
            if tmp.exists():
                tmp.unlink()


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock between processes on ``folder`` (``flock`` of its ``.lock`` file), if the OS can."""
    try:
        import fcntl
    except ImportError:  # Windows: merging still keeps most concurrent verdicts; a re-check restores the rest
        yield
        return
    with open(folder / ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
        raise QueryError(f"refused to run {what} statement(s): {translate.READ_ONLY}", sql=sql)


class LocalEngine:
    """Runs Athena-dialect SQL with DuckDB over a local lake."""

    name = "local"

    def __init__(
        self,
        root: str | os.PathLike[str],
        threads: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        verify_cache: bool = False,
    ) -> None:
        self.root = Path(root)
        self.cache = parquet_cache.ParquetCache(self.root, cache_dir)
        """The Parquet copy of closed partitions (``<lake>/.orginsight/parquet`` unless ``cache_dir`` says where)."""
        self.con = locked_connection(readable_dirs(self.root, self.cache.dir), threads)
        """DuckDB, reading and writing only in the lake and its cache, configuration locked (``locked_connection``)."""
        self.checks = FileChecks(self.root)
        self.verify_cache = verify_cache
        """Check every cached partition file by file, never on its folders alone (``parquet_cache`` says when that matters)."""
        self._stale_warned: set[parquet_cache.PartitionKey] = set()
        self._extra_tables: dict[str, str] = {}
        self._in_memory: set[str] = set()
        """Paths of the files whose records ``load_into_memory`` holds in the ``__cloudtrail_memory`` table."""

    # --- files ------------------------------------------------------------------------------------

    def folders(self, pf: translate.PartitionFilter | None = None) -> list[CloudTrailFolder]:
        """The CloudTrail day folders a partition filter allows (all of them without one), files not stat'ed."""
        return [
            d
            for d in iter_cloudtrail_folders(self.root, pf)
            if pf is None or pf.allows(d.account, d.region, d.day)
        ]

    def files(self, pf: translate.PartitionFilter | None = None) -> list[CloudTrailFile]:
        """The CloudTrail log files a partition filter allows (all of them without one)."""
        return [f for d in self.folders(pf) for f in d.files()]

    def check(self, files: list[CloudTrailFile]) -> tuple[list[CloudTrailFile], list[dict[str, str]]]:
        """Split files into readable ones and bad ones (with the reason), checking new files once."""
        todo, good, bad = [], [], []
        for f in files:
            mtime = f.mtime_ns if f.mtime_ns is not None else os.stat(f.path).st_mtime_ns
            v = self.checks.current(f, mtime)
            if v is None:
                todo.append((f, mtime))
            elif v.error:
                bad.append({"file": f.path, "error": v.error})
            elif v.records:
                good.append(f)
        if todo:
            for i in range(0, len(todo), CHECK_BATCH):
                self._check_batch(todo[i : i + CHECK_BATCH])
            self.checks.save()
            for f, mtime in todo:
                v = self.checks.current(f, mtime)
                if v.error:
                    bad.append({"file": f.path, "error": v.error})
                elif v.records:
                    good.append(f)
        good.sort(key=lambda f: f.path)
        return good, bad

    def _check_batch(self, batch: list[tuple[CloudTrailFile, int]], limit: int | None = None) -> None:
        paths = [f.path for f, _ in batch]
        if limit is None:
            guess = [f.size * (GZIP_RATIO_BOUND if f.path.endswith(".gz") else 1) for f, _ in batch]
            limit = object_size_limit(guess)
        try:
            rows = self.con.execute(
                "SELECT filename, kind, n, nbytes, CASE WHEN len(times) = n THEN list_min(times) END, "
                "CASE WHEN len(times) = n THEN list_max(times) END FROM ("
                "SELECT filename, json_type(json -> 'Records') AS kind, json_array_length(json -> 'Records') AS n, "
                "strlen(json::VARCHAR) AS nbytes, json_extract_string(json, '$.Records[*].eventTime') AS times "
                "FROM read_json_objects($files, filename = true, format = 'unstructured', "
                f"maximum_object_size = {limit}))",
                {"files": paths},
            ).fetchall()
        except Exception as e:  # duckdb raises IOException / InvalidInputException naming the file
            if len(batch) == 1:
                if "maximum_object_size" in str(e) and limit < MAX_OBJECT_SIZE:
                    self._check_batch(batch, MAX_OBJECT_SIZE)
                    return
                f, mtime = batch[0]
                self.checks[f.path] = FileVerdict(f.size, mtime, None, _reason(e))
                return
            half = len(batch) // 2
            self._check_batch(batch[:half])
            self._check_batch(batch[half:])
            return
        found: dict[str, list[tuple[Any, ...]]] = {}
        for name, *facts in rows:
            found.setdefault(name, []).append(tuple(facts))
        for f, mtime in batch:
            objs = found.get(f.path, [])
            if not objs:
                verdict = FileVerdict(f.size, mtime, None, "empty file: no JSON object")
            elif len(objs) > 1:
                verdict = FileVerdict(
                    f.size,
                    mtime,
                    None,
                    f'{len(objs)} JSON values where CloudTrail writes one {{"Records": [...]}} object',
                )
            elif objs[0][0] != "ARRAY":
                verdict = FileVerdict(f.size, mtime, None, 'not a CloudTrail log: no "Records" array')
            else:
                _, n, nbytes, first, last = objs[0]
                verdict = FileVerdict(f.size, mtime, int(n), None, int(nbytes), first, last)
            self.checks[f.path] = verdict

    # --- queries ----------------------------------------------------------------------------------

    def register(self, name: str, sql: str) -> None:
        """Expose another table (a Storage Lens export, a snapshot) to queries, as a DuckDB view.

        ``sql`` is one DuckDB SELECT; the files it reads must lie in the lake or its cache.
        """
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"a registered table's name must be an identifier, got {name!r}")
        ensure_one_select(self.con, sql)
        try:
            self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')
        except Exception as e:
            raise QueryError(f"cannot register table {name!r}: {str(e).splitlines()[0]}", sql=sql) from e
        self._extra_tables[name] = sql

    def load_into_memory(self, pf: translate.PartitionFilter | None = None) -> dict[str, Any]:
        """Transform the chosen files once, every column, into an in-memory table.

        Later queries whose files are all held there read the table instead of the
        raw files: a batch of hunts over one window then costs one scan, not one each.
        Reading more rows than the files would give changes no result, since pruning
        only ever skips files, and every query keeps its own predicates.
        """
        started = time.perf_counter()
        plan = self.plan(pf)
        sql, params = self._scan(None, plan.split)
        self.con.execute("DROP TABLE IF EXISTS __cloudtrail_memory")
        self.con.sql(sql, params=params).create("__cloudtrail_memory")
        good = plan.good_files(self.root)
        self._in_memory = set(good)
        rows = self.con.execute("SELECT count(*) FROM __cloudtrail_memory").fetchall()[0][0]
        return {
            "files": len(good),
            "records": rows,
            "bad_files": plan.bad,
            "cached_partitions": len(plan.split.cached),
            "elapsed_s": round(time.perf_counter() - started, 3),
        }

    def run(self, tree: Any, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a parsed Athena statement; the DataFrame carries run statistics in ``attrs["stats"]``."""
        started = time.perf_counter()
        bound = translate.bind(translate.ensure_read_only(tree), params or {})
        refs = translate.table_refs(bound)
        columns = translate.columns_used(bound)
        files_read = bytes_read = files_statted = 0
        bad: list[dict[str, str]] = []
        seen_bad: set[str] = set()
        days: set[parquet_cache.PartitionKey] = set()
        cached: set[parquet_cache.PartitionKey] = set()
        cached_files = 0
        from_memory = files_skipped = 0
        for i, ref in enumerate(refs):
            pf = translate.partition_filter(ref)
            plan = self.plan(pf)
            files_statted += plan.files_statted
            for b in plan.bad:
                if b["file"] not in seen_bad:
                    seen_bad.add(b["file"])
                    bad.append(b)
            days.update(plan.partitions())
            if self._in_memory:
                good = plan.good_files(self.root)
                if all(path in self._in_memory for path in good):
                    from_memory += 1
                    files_read += len(good)
                    bytes_read += sum(good.values())
                    ref.replace(translate.renamed(ref, "__cloudtrail_memory"))
                    continue
            split = self._by_partition_conjuncts(ref, plan.split)
            wanted = [f for f in split.json_files if not self.checks[f.path].outside(pf)]
            files_skipped += len(split.json_files) - len(wanted)
            split = replace(split, json_files=wanted)
            files_read += len(split.json_files) + len(split.cached)
            bytes_read += sum(f.size for f in split.json_files) + sum(c.parquet_size for c in split.cached)
            cached.update(c.key for c in split.cached)
            cached_files += sum(c.source_files for c in split.cached)
            view = f"__cloudtrail_{i}"
            scan, scan_params = self._scan(columns, split)
            self.con.sql(scan, params=scan_params).create_view(view, replace=True)
            ref.replace(translate.renamed(ref, view))
        sql = translate.to_sql(bound, translate.LOCAL_DIALECT)
        ensure_one_select(self.con, sql)
        planned = time.perf_counter()
        try:
            result = query_frame(self.con, sql)
        except Exception as e:
            if type(e).__name__ == "PermissionException":
                raise QueryError(
                    f"the local engine refused the query: {e}. Queries read only the lake "
                    f"({self.root}) and its Parquet cache ({self.cache.dir})",
                    sql=sql,
                ) from e
            raise QueryError(f"the local engine could not run the query: {e}", sql=sql) from e
        if bad:
            listing = "; ".join(f"{b['file']}: {b['error']}" for b in bad[:5])
            more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
            warnings.warn(
                f"{len(bad)} unreadable file(s) skipped: {listing}{more}. "
                "Run 'orginsight lake info' to list them.",
                stacklevel=3,
            )
        result.attrs["stats"] = {
            "engine": self.name,
            "sql": sql,
            "elapsed_s": round(time.perf_counter() - started, 4),
            "planning_s": round(planned - started, 4),
            "files_read": files_read,
            "bytes_read": bytes_read,
            "partitions_read": len(days),
            "cached_partitions": len(cached),
            "cached_files": cached_files,
            "files_statted": files_statted,
            "files_skipped": files_skipped,
            "from_memory": from_memory == len(refs) > 0,
            "bad_files": bad,
        }
        return result

    # --- Parquet cache ----------------------------------------------------------------------------

    def plan(self, pf: translate.PartitionFilter | None = None) -> ScanPlan:
        """What one ``cloudtrail`` reference reads: cached partitions, good JSON files, and the bad files to report.

        Partitions trusted on their folders (``ParquetCache.trusted``) are taken as the
        manifest says, files unread and unstat'ed; every other folder's files are stat'ed,
        checked and split against the cache file by file (``verify_cache`` makes every
        partition go that way).
        """
        by_key = parquet_cache.group_folders(self.folders(pf))
        trusted: list[tuple[parquet_cache.PartitionKey, parquet_cache.Manifest]] = []
        rest: list[CloudTrailFolder] = []
        quick = not self.verify_cache and self.cache.dir.is_dir()
        for key, folders in by_key.items():
            m = self.cache.trusted(key, parquet_cache.folder_stamps(folders, self.root)) if quick else None
            if m is None:
                rest.extend(folders)
            else:
                trusted.append((key, m))
        files = [f for d in rest for f in d.files()]
        good, bad = self.check(files) if files else ([], [])
        split = self._split_cached(good)
        for key, m in trusted:
            split.cached.append(
                parquet_cache.CachedPartition(
                    key, str(parquet_cache.parquet_path(self.cache.dir, key)), m.parquet_size, len(m.files)
                )
            )
            bad.extend(
                {"file": parquet_cache.absolute_path(p, self.root), "error": e} for p, _, _, e in m.bad_files
            )
        bad.sort(key=lambda b: b["file"])
        return ScanPlan(good, trusted, bad, split, len(files))

    def _by_partition_conjuncts(self, ref: Any, split: parquet_cache.CacheSplit) -> parquet_cache.CacheSplit:
        """The split with only the partitions that pass ``ref``'s partition conjuncts, which leave the query.

        The conjuncts are decided in DuckDB (same semantics as in the query) on the distinct
        partitions of the split, a few dozen rows, instead of on every file (see
        ``translate.partition_conjuncts``). Should that fail, the query keeps them as written.
        """
        conjuncts = translate.partition_conjuncts(ref)
        keys = {(f.account, f.region, f.day) for f in split.json_files} | {c.key for c in split.cached}
        if not conjuncts or not keys:
            return split
        accounts, regions, days = zip(*sorted(keys), strict=True)
        try:
            passing = {
                (a, r, datetime.strptime(t, "%Y/%m/%d").date())
                for a, r, t in self.con.execute(
                    'SELECT account, region, "timestamp" FROM (SELECT unnest($a) AS account, unnest($r) AS region, '
                    f'unnest($t) AS "timestamp") WHERE {translate.conjunction_sql(conjuncts)}',
                    {"a": list(accounts), "r": list(regions), "t": [f"{d:%Y/%m/%d}" for d in days]},
                ).fetchall()
            }
        except Exception:  # noqa: BLE001 - the query decides them itself, and reports any error
            return split
        translate.drop_conjuncts(conjuncts)
        return replace(
            split,
            json_files=[f for f in split.json_files if (f.account, f.region, f.day) in passing],
            cached=[c for c in split.cached if c.key in passing],
        )

    def _split_cached(self, good: list[CloudTrailFile]) -> parquet_cache.CacheSplit:
        """Good files divided into cached partitions and JSON files; each stale partition is warned about once."""
        split = self.cache.split(good, self.checks)
        new = [k for k in split.stale if k not in self._stale_warned]
        if new:
            self._stale_warned.update(new)
            names = ", ".join(k.label for k in new[:3]) + (
                f" (and {len(new) - 3} more)" if len(new) > 3 else ""
            )
            warnings.warn(
                f"the Parquet cache of {len(new)} partition(s) is out of date (files added or changed since it was "
                f"written): {names}; reading their JSON files instead. Run 'orginsight lake compact --lake "
                f"{self.root}' again to refresh it.",
                stacklevel=5,
            )
        return split

    def _scan(
        self, columns: dict[str, set[tuple[str, ...]] | None] | None, split: parquet_cache.CacheSplit
    ) -> tuple[str, dict[str, list[str]] | None]:
        """SQL and parameters for one ``cloudtrail`` reference: JSON files, cached partitions, or both by name."""
        parts, params = [], {}
        if split.json_files or not split.cached:
            limit = object_size_limit([self.checks[f.path].json_bytes for f in split.json_files])
            parts.append(scan_sql(columns, bool(split.json_files), limit))
            if split.json_files:
                params["files"] = [f.path for f in split.json_files]
        if split.cached:
            parts.append(parquet_cache.scan_sql(columns))
            params["parquet"] = [c.parquet for c in split.cached]
        sql = parts[0] if len(parts) == 1 else " UNION ALL BY NAME ".join(f"({p})" for p in parts)
        return sql, params or None

    def compact(self, pf: translate.PartitionFilter | None = None, progress: bool = True) -> dict[str, Any]:
        """Write each closed partition the filter allows to the Parquet cache, unless its copy is up to date.

        Closed means CloudTrail is done delivering the day (``parquet_cache.is_closed``);
        newer partitions stay JSON. Unreadable files stay left out, and are listed in
        the result and in each partition's manifest, as queries report them.

        Up to date is decided file by file, never on the folders alone, so ``compact``
        is also what sees a file rewritten in place; an up-to-date partition whose
        manifest lacks its current folders gets them recorded (``restamped``).
        """
        started = time.perf_counter()
        self.cache.ensure_writable()
        folders = self.folders(pf)
        files = [f for d in folders for f in d.files()]
        good, bad = self.check(files)
        now = datetime.now(UTC).replace(tzinfo=None)
        groups = parquet_cache.group_by_partition(good)
        folder_groups = parquet_cache.group_folders(folders)
        closed = sorted(k for k in groups if parquet_cache.is_closed(k.day, now))
        bad_by_key = self._bad_by_partition(files, bad)
        todo: list[tuple] = []
        restamped, failed = 0, []
        for key in closed:
            prints = parquet_cache.fingerprint(groups[key], self.checks, self.root)
            stamps = parquet_cache.folder_stamps(folder_groups[key], self.root)
            bad_here = bad_by_key.get(key, ())
            m = self.cache.manifest(key)
            if m is None or not self.cache.is_fresh(key, m, prints):
                todo.append((key, groups[key], prints, bad_here, stamps))
            elif m.folders != stamps or m.bad_files != bad_here:
                # Up to date file by file, but its folders changed (a copied lake, a stray or bad file) or were
                # never recorded (an older manifest): record them, so the quick check serves it again.
                try:
                    self.cache.restamp(key, m, stamps, bad_here)
                    restamped += 1
                except OSError as e:
                    failed.append({"partition": key.label, "error": f"manifest not updated: {e}"})
        result: dict[str, Any] = {
            "cache_dir": str(self.cache.dir),
            "written": 0,
            "up_to_date": len(closed) - len(todo),
            "open": len(groups) - len(closed),
            "files": 0,
            "rows": 0,
            "gzip_bytes": 0,
            "parquet_bytes": 0,
            "failed": failed,
            "bad_files": bad,
            "restamped": restamped,
        }
        for key, m in self._write_partitions(todo, now, progress, done=result["up_to_date"]):
            if isinstance(m, Exception):  # a DuckDB or disk error on one partition: report it and carry on
                result["failed"].append({"partition": key.label, "error": str(m).split("\n")[0]})
                continue
            result["written"] += 1
            result["files"] += len(groups[key])
            result["rows"] += m.rows
            result["gzip_bytes"] += sum(f.size for f in groups[key])
            result["parquet_bytes"] += m.parquet_size
        result["elapsed_s"] = round(time.perf_counter() - started, 3)
        return result

    def _bad_by_partition(
        self, files: list[CloudTrailFile], bad: list[dict[str, str]]
    ) -> dict[parquet_cache.PartitionKey, tuple[tuple[str, int, int, str], ...]]:
        """The unreadable files of each partition, as manifests record them."""
        by_path = {f.path: f for f in files}
        out: dict[parquet_cache.PartitionKey, list[tuple[str, int, int, str]]] = {}
        for b in bad:
            f = by_path[b["file"]]
            entry = (
                parquet_cache.relative_path(f.path, self.root),
                f.size,
                self.checks[f.path].mtime_ns,
                b["error"],
            )
            out.setdefault(parquet_cache.partition_of(f), []).append(entry)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def _write_partitions(
        self, todo: list[tuple], now: datetime, progress: bool, done: int = 0
    ) -> Iterator[tuple[parquet_cache.PartitionKey, parquet_cache.Manifest | Exception]]:
        """Write partitions ``COMPACT_WORKERS`` at a time, each on its own DuckDB cursor; yield each as it ends."""
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from tqdm.auto import tqdm

        cursors: list[Any] = []
        local = threading.local()

        def write(
            key: parquet_cache.PartitionKey, files: list[CloudTrailFile], prints: Any, bad: Any, stamps: Any
        ) -> Any:
            if not hasattr(local, "con"):
                local.con = self.con.cursor()
                cursors.append(local.con)
            try:
                return key, self._write_partition(local.con, key, files, prints, bad, now, stamps)
            except Exception as e:
                return key, e

        try:
            with ThreadPoolExecutor(COMPACT_WORKERS) as pool:
                futures = [pool.submit(write, *job) for job in todo]
                bar = tqdm(
                    as_completed(futures),
                    total=done + len(todo),
                    initial=done,
                    desc="compacting",
                    unit="partition",
                    disable=not progress,
                )
                for future in bar:
                    yield future.result()
        finally:
            for con in cursors:
                con.close()

    def _write_partition(
        self,
        con: Any,
        key: parquet_cache.PartitionKey,
        files: list[CloudTrailFile],
        prints: tuple[parquet_cache.FileFingerprint, ...],
        bad: tuple[tuple[str, int, int, str], ...],
        now: datetime,
        stamps: tuple[parquet_cache.FolderStamp, ...] | None = None,
    ) -> parquet_cache.Manifest:
        """One partition's files, every column exactly as a query's JSON scan gives them, into the cache."""
        limit = object_size_limit([self.checks[f.path].json_bytes for f in files])
        relation = con.sql(scan_sql(None, True, limit), params={"files": [f.path for f in files]})
        rows = sum(self.checks[f.path].records or 0 for f in files)
        return self.cache.write_partition(key, relation, prints, bad, rows, now, stamps)


@dataclass
class ScanPlan:
    """What one ``cloudtrail`` reference reads, from ``LocalEngine.plan``."""

    checked: list[CloudTrailFile]
    """Good files that were stat'ed and checked (JSON files, and those of partitions cached after a per-file check)."""
    trusted: list[tuple[parquet_cache.PartitionKey, parquet_cache.Manifest]]
    """Cached partitions taken on their folders: their files were neither stat'ed nor checked."""
    bad: list[dict[str, str]]
    split: parquet_cache.CacheSplit
    files_statted: int

    def partitions(self) -> set[parquet_cache.PartitionKey]:
        """The partitions holding good files."""
        keys = {parquet_cache.PartitionKey(f.account, f.region, f.day) for f in self.checked}
        return keys | {key for key, m in self.trusted if m.files}

    def good_files(self, root: Path) -> dict[str, int]:
        """Every good file's path with its size (from the manifests for trusted partitions)."""
        out = {f.path: f.size for f in self.checked}
        base = str(root / "AWSLogs")
        for _, m in self.trusted:
            out.update((parquet_cache.absolute_path(p, root, base), size) for p, size, _ in m.files)
        return out


PARTITION_SQL = {
    "account": r"regexp_extract(filename, '/(\d{12})/CloudTrail/', 1)",
    "region": r"regexp_extract(filename, '/CloudTrail/([a-z0-9-]+)/', 1)",
    "timestamp": r"regexp_extract(filename, '/CloudTrail/[a-z0-9-]+/(\d{4}/\d{2}/\d{2})/', 1)",
}
"""Partition values from a file's key, computed once per file (before the records are unnested)."""


def scan_sql(
    columns: dict[str, set[tuple[str, ...]] | None] | None,
    any_files: bool,
    max_object_size: int = MAX_OBJECT_SIZE,
) -> str:
    """The DuckDB SELECT that stands for one reference of ``cloudtrail``: one row per record."""
    if columns is None:
        columns = dict.fromkeys(schema.COLUMNS)
    data_cols = {c: p for c, p in columns.items() if c in schema.CLOUDTRAIL_FIELDS} or {"eventid": None}
    spec = json.dumps(schema.json_spec(data_cols)).replace("'", "''")
    parts = [c for c in schema.PARTITION_COLUMNS if c in columns]
    outer = ", ".join(schema.select_list(data_cols) + [f'"{c}"' for c in parts])
    inner = "".join(f'{PARTITION_SQL[c]} AS "{c}", ' for c in parts)
    if not any_files:
        # No file matches: an empty relation with the right columns keeps the query valid.
        return (
            f"SELECT {outer} FROM (SELECT {inner.replace('filename', 'NULL::VARCHAR')}"
            f"unnest(json_transform('{{\"Records\": []}}', '{spec}').\"Records\") AS r) WHERE false"
        )
    return (
        f"SELECT {outer} FROM (SELECT {inner}unnest(json_transform(json, '{spec}').\"Records\") AS r "
        f"FROM read_json_objects($files, filename = true, format = 'unstructured', "
        f"maximum_object_size = {max_object_size}))"
    )


def _reason(e: Exception) -> str:
    text = str(e).split("\n")[0]
    text = re.sub(r"^[A-Za-z ]+Error:\s*", "", text)
    if "GZIP" in text or "gzip" in text:
        return f"corrupt or truncated gzip: {text}"
    if "Malformed JSON" in text:
        return f"not JSON: {text}"
    return text
