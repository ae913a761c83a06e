"""S3 Storage Lens daily metrics exports: read, pivot, derive, query, and list configurations.

Storage Lens writes one export a day per configuration (S3 User Guide, "Storage Lens
export schema", 2024), in the key layout of ``orginsight.sources.layout``::

    StorageLens/<account>/<config-id>/V_1/reports/dt=<yyyy-mm-dd>/<uuid>.csv|.par
    StorageLens/<account>/<config-id>/V_1/manifests/dt=<yyyy-mm-dd>/manifest.json

The export is *long*: one row per (record, storage class, metric). Big days are split
over several report files, and the day's ``manifest.json`` is the only source of truth
for which files belong to it: a listed file that is absent, or a file in the folder
that the manifest does not list (a partial upload, a stray copy), is reported and the
rest is read. ``record_value`` is URL-encoded (prefixes, Storage Lens group ARNs).

The export leaves out the metrics the glossary marks ``Derived=Y``; this module
computes the data-protection ones (unencrypted bytes/objects, and encryption,
versioning, replication and object-lock coverage as ratios). The AWS glossary as
published (``metrics_glossary.csv``, copied 2024) has copy-paste slips in several
formulas (``% encrypted bytes`` divides an object count by bytes, the replication
destination and object-lock rows repeat the unencrypted-objects formula, and mark
exported metrics such as ``ReplicatedStorageBytes`` as derived); the formulas below
follow each metric's *description*, and ``DERIVED_METRICS`` records them so a reviewer
can check each one.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pandas as pd
from sqlglot import exp

from orginsight.errors import LakeError, ParameterError

EXPORT_COLUMNS: tuple[str, ...] = (
    "version_number",
    "configuration_id",
    "report_date",
    "aws_account_number",
    "aws_region",
    "storage_class",
    "record_type",
    "record_value",
    "bucket_name",
    "metric_name",
    "metric_value",
)
"""Column order of the V_1 export (the manifest ``reportSchema`` in the AWS docs)."""

PARQUET_SCHEMA = (
    "message s3.storage.lens { required string version_number; required string configuration_id; "
    "required string report_date; required string aws_account_number; required string aws_region; "
    "required string storage_class; required string record_type; required string record_value; "
    "required string bucket_name; required string metric_name; required long metric_value; }"
)
"""The ``reportSchema`` a Parquet export's manifest carries (AWS docs)."""

CSV_SCHEMA = ",".join(EXPORT_COLUMNS)
"""The ``reportSchema`` a CSV export's manifest carries."""

RECORD_TYPES: tuple[str, ...] = (
    "ACCOUNT",
    "BUCKET",
    "PREFIX",
    "STORAGE_LENS_GROUP_BUCKET",
    "STORAGE_LENS_GROUP_ACCOUNT",
)
"""Kinds of record; each is its own level of aggregation and must never be summed with another."""

KEYS: tuple[str, ...] = (
    "dt",
    "configuration_id",
    "aws_account_number",
    "aws_region",
    "storage_class",
    "record_type",
    "record_value",
    "bucket_name",
)
"""What identifies one record of the wide frame: one row per day, record and storage class."""

MANIFEST_KEYS = ("sourceAccountId", "configId", "reportDate", "reportFormat", "reportFiles")

_MANIFEST_DIR = re.compile(
    r"StorageLens/(?P<account>\d{12})/(?P<config>[^/]+)/V_1/manifests/dt=(?P<dt>\d{4}-\d{2}-\d{2})$"
)
_REPORT_FILE = re.compile(r"\.(?:csv|par|parquet)(?:\.gz)?$")


def _ratio(num: str, den: str) -> tuple[str, str, str]:
    return (num, den, f"sum({num})/sum({den})")


DERIVED_METRICS: dict[str, tuple[str, ...]] = {
    # name: (numerator, denominator, formula) for ratios; (minuend, subtrahend, formula) for differences
    "UnencryptedStorageBytes": (
        "StorageBytes",
        "EncryptedStorageBytes",
        "sum(StorageBytes) - sum(EncryptedStorageBytes)",
    ),
    "UnencryptedObjectCount": (
        "ObjectCount",
        "EncryptedObjectCount",
        "sum(ObjectCount) - sum(EncryptedObjectCount)",
    ),
    "EncryptedStorageBytesRatio": _ratio("EncryptedStorageBytes", "StorageBytes"),
    "EncryptedObjectCountRatio": _ratio("EncryptedObjectCount", "ObjectCount"),
    "UnencryptedStorageBytesRatio": _ratio("UnencryptedStorageBytes", "StorageBytes"),
    "UnencryptedObjectCountRatio": _ratio("UnencryptedObjectCount", "ObjectCount"),
    "ReplicatedStorageBytesSourceRatio": _ratio("ReplicatedStorageBytesSource", "StorageBytes"),
    "ReplicatedObjectCountSourceRatio": _ratio("ReplicatedObjectCountSource", "ObjectCount"),
    "ReplicatedStorageBytesRatio": _ratio("ReplicatedStorageBytes", "StorageBytes"),
    "ReplicatedObjectCountRatio": _ratio("ReplicatedObjectCount", "ObjectCount"),
    "ObjectLockEnabledStorageBytesRatio": _ratio("ObjectLockEnabledStorageBytes", "StorageBytes"),
    "ObjectLockEnabledObjectCountRatio": _ratio("ObjectLockEnabledObjectCount", "ObjectCount"),
    "VersioningEnabledBucketRatio": _ratio("VersioningEnabledBucketCount", "DistinctNumberOfBuckets"),
    "MFADeleteEnabledBucketRatio": _ratio("MFADeleteEnabledBucketCount", "DistinctNumberOfBuckets"),
    "SSEKMSEnabledBucketRatio": _ratio("SSEKMSEnabledBucketCount", "DistinctNumberOfBuckets"),
}
"""Derived data-protection metrics, with the formula each follows (see the module docstring)."""

_DIFFERENCES = ("UnencryptedStorageBytes", "UnencryptedObjectCount")


@dataclass(frozen=True, slots=True)
class ExportProblem:
    """Something wrong with one file or day of an export; the rest is still read."""

    account: str
    config_id: str
    dt: str
    path: str
    problem: str

    def __str__(self) -> str:
        return (
            f"Storage Lens export {self.account}/{self.config_id} dt={self.dt}: {self.problem} ({self.path})"
        )


@dataclass(frozen=True, slots=True)
class ExportDay:
    """One configuration's export for one day, as its manifest describes it."""

    account: str
    config_id: str
    dt: str
    report_format: str
    manifest_path: Path
    files: tuple[Path, ...]
    problems: tuple[ExportProblem, ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Finding the days and files of an export


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A manifest.json as a dict; raises LakeError naming the file when it lacks required keys."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise LakeError(f"cannot read Storage Lens manifest {path}: {e}") from e
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    if missing:
        raise LakeError(f"Storage Lens manifest {path} lacks {', '.join(missing)}")
    return manifest


def _local_path(key: str, storagelens_parent: Path) -> Path:
    """Where the object ``key`` of the destination bucket sits in a local copy of the bucket.

    Keys may carry the configuration's destination prefix; everything from ``StorageLens/``
    on is the same in every copy, so that part is resolved against the local tree.
    """
    i = key.find("StorageLens/")
    return storagelens_parent / (key[i:] if i >= 0 else key)


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_day(manifest_path: str | Path, *, verify_md5: bool = True) -> ExportDay:
    """The files of one day's export: those its manifest lists that exist and match, and problems.

    A listed file that is absent or whose size or MD5 differs from the manifest is left
    out and reported; a report file in the day's folder that the manifest does not list is
    reported and ignored.
    """
    manifest_path = Path(manifest_path)
    m = _MANIFEST_DIR.search(manifest_path.parent.as_posix())
    if not m:
        raise LakeError(f"{manifest_path} is not in the Storage Lens manifests/dt=YYYY-MM-DD/ layout")
    account, config, dt = m["account"], m["config"], m["dt"]
    manifest = read_manifest(manifest_path)
    parent = manifest_path.parents[6]  # dt=X, manifests, V_1, cfg, acct, StorageLens -> its parent
    problems: list[ExportProblem] = []
    files: list[Path] = []
    for entry in manifest["reportFiles"]:
        local = _local_path(entry["key"], parent)
        if not local.is_file():
            problems.append(
                ExportProblem(account, config, dt, str(local), "listed in the manifest but missing")
            )
            continue
        size = entry.get("size")
        if size is not None and int(size) != local.stat().st_size:
            problems.append(
                ExportProblem(
                    account,
                    config,
                    dt,
                    str(local),
                    f"size {local.stat().st_size} differs from the manifest's {size}: incomplete copy, left out",
                )
            )
            continue
        md5 = entry.get("md5Checksum")
        if verify_md5 and md5 and _md5(local) != md5.lower():
            problems.append(
                ExportProblem(
                    account, config, dt, str(local), "MD5 differs from the manifest's md5Checksum, left out"
                )
            )
            continue
        files.append(local)
    reports_dir = parent / "StorageLens" / account / config / "V_1" / "reports" / f"dt={dt}"
    listed = {p.resolve() for p in files} | {
        _local_path(e["key"], parent).resolve() for e in manifest["reportFiles"]
    }
    if reports_dir.is_dir():
        for p in sorted(reports_dir.iterdir()):
            if _REPORT_FILE.search(p.name) and p.resolve() not in listed:
                problems.append(
                    ExportProblem(
                        account, config, dt, str(p), "report file not listed in the manifest, ignored"
                    )
                )
    if manifest.get("reportDate") not in (None, dt):
        problems.append(
            ExportProblem(
                account,
                config,
                dt,
                str(manifest_path),
                f"manifest reportDate {manifest['reportDate']} differs from dt={dt}",
            )
        )
    return ExportDay(
        account, config, dt, str(manifest["reportFormat"]), manifest_path, tuple(files), tuple(problems)
    )


def iter_export_days(
    root: str | Path,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    verify_md5: bool = True,
) -> Iterator[ExportDay]:
    """Every day of every Storage Lens export below ``root`` (a local copy of the destination bucket).

    A reports folder without a manifest yields an ExportDay with no files and the problem,
    since without the manifest nobody can tell whether the day is complete.
    """
    root = Path(root)
    lo = str(since) if since is not None else None
    hi = str(until) if until is not None else None
    for base in sorted(_storagelens_dirs(root)):
        for mdir in sorted(base.glob("*/*/V_1/manifests/dt=*")):
            dt = mdir.name[3:]
            if (lo and dt < lo) or (hi and dt > hi):
                continue
            manifest = mdir / "manifest.json"
            if manifest.is_file():
                try:
                    yield export_day(manifest, verify_md5=verify_md5)
                except LakeError as e:
                    account, config = mdir.parts[-5], mdir.parts[-4]
                    yield ExportDay(
                        account,
                        config,
                        dt,
                        "",
                        manifest,
                        (),
                        (ExportProblem(account, config, dt, str(manifest), str(e)),),
                    )
        for rdir in sorted(base.glob("*/*/V_1/reports/dt=*")):
            dt = rdir.name[3:]
            if (lo and dt < lo) or (hi and dt > hi):
                continue
            if not (rdir.parent.parent / "manifests" / rdir.name / "manifest.json").is_file():
                account, config = rdir.parts[-5], rdir.parts[-4]
                yield ExportDay(
                    account,
                    config,
                    dt,
                    "",
                    rdir / "manifest.json",
                    (),
                    (
                        ExportProblem(
                            account, config, dt, str(rdir), "report folder has no manifest.json, skipped"
                        ),
                    ),
                )


def _storagelens_dirs(root: Path) -> Iterator[Path]:
    """``StorageLens`` folders at ``root`` or under a destination prefix (a few levels deep)."""
    if root.name == "StorageLens":
        yield root
        return
    for depth in range(4):
        pattern = "/".join(["*"] * depth + ["StorageLens"])
        found = [p for p in root.glob(pattern) if p.is_dir()]
        if found:
            yield from found
            return


# ---------------------------------------------------------------------------------------------
# Reading: long frame, pivot, derived metrics


def decode_record_value(values: pd.Series) -> pd.Series:
    """URL-decode ``record_value`` (prefixes and group ARNs are URL-encoded in the export).

    Decodes each distinct value once; '+' is a space as in form encoding, and a literal
    plus sign arrives as %2B either way.
    """
    uniques = values.dropna().unique()
    mapping = {v: unquote_plus(v) for v in uniques}
    return values.map(mapping)


def _has_header(path: Path) -> bool:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        first = f.readline()
    return first.strip().strip('"').lower().startswith("version_number")


def _arrow_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.int64() if c == "metric_value" else pa.string()) for c in EXPORT_COLUMNS])


def read_report_file(path: Path, report_format: str) -> Any:
    """One report file as a pyarrow Table with the export's columns (empty strings as null).

    pyarrow's CSV reader ran about 3x faster than pandas ``read_csv`` and 6x faster than
    DuckDB plus conversion on these string-heavy files (benchmarks/bench_posture.py). A
    header line is detected per file: the AWS docs do not say whether CSV exports carry one
    (AWS's own Athena example skips one line).
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    if report_format.lower() == "parquet":
        table = pq.read_table(path, columns=list(EXPORT_COLUMNS))
        missing = [c for c in EXPORT_COLUMNS if c not in table.column_names]
        if missing:
            raise ValueError(f"Parquet file lacks columns {missing}")
        return table.select(list(EXPORT_COLUMNS)).cast(schema)
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=list(EXPORT_COLUMNS), skip_rows=1 if _has_header(path) else 0
        ),
        convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True, null_values=[""]),
    )


def read_export_day(day: ExportDay) -> pd.DataFrame:
    """One day's export as the long frame (``EXPORT_COLUMNS`` + ``dt``), record values decoded."""
    return _read_days([day], progress=False, problems=[])


def _empty_long() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "metric_value" else "object") for c in (*EXPORT_COLUMNS, "dt")}
    )


def _read_days(days: list[ExportDay], *, progress: bool, problems: list[ExportProblem]) -> pd.DataFrame:
    """Every file of ``days`` into one long frame; an unreadable file becomes a problem, the rest is read."""
    import pyarrow as pa

    work = [(d, f) for d in days for f in d.files]
    if progress:
        from tqdm.auto import tqdm

        work = tqdm(work, desc="Storage Lens exports", unit="file")
    tables = []
    for d, f in work:
        try:
            table = read_report_file(f, d.report_format)
        except (OSError, ValueError, pa.ArrowException) as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            problems.append(
                ExportProblem(
                    d.account, d.config_id, d.dt, str(f), f"cannot read as {d.report_format}: {reason}"
                )
            )
            continue
        tables.append(table.append_column("dt", pa.array([d.dt] * table.num_rows, pa.string())))
    if not tables:
        return _empty_long()
    df = pa.concat_tables(tables).to_pandas()
    df["record_value"] = decode_record_value(df["record_value"])
    return df


def read_exports(
    root: str | Path,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    record_types: Iterable[str] | None = None,
    progress: bool = False,
    verify_md5: bool = True,
) -> pd.DataFrame:
    """Every manifest-listed export file below ``root`` as one long frame (export columns + ``dt``).

    ``df.attrs["problems"]`` lists an ExportProblem for each missing, unlisted, mismatched
    or unreadable file; each is also issued as a warning, and every other file is read.
    """
    if record_types is not None:
        unknown = set(record_types) - set(RECORD_TYPES)
        if unknown:
            raise ParameterError(
                f"unknown Storage Lens record types {sorted(unknown)}; expected {RECORD_TYPES}"
            )
    days = list(iter_export_days(root, since=since, until=until, verify_md5=verify_md5))
    problems = [p for d in days for p in d.problems]
    df = _read_days(days, progress=progress, problems=problems)
    if record_types is not None:
        df = df[df["record_type"].isin(set(record_types))].reset_index(drop=True)
    for p in problems:
        warnings.warn(str(p), stacklevel=2)
    df.attrs["problems"] = problems
    return df


def problems_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The problems ``read_exports`` found, as a DataFrame (for reports and notebooks)."""
    rows = [asdict(p) for p in df.attrs.get("problems", [])]
    return pd.DataFrame(rows, columns=["account", "config_id", "dt", "path", "problem"])


def pivot_wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per day, record and storage class; one column per metric name.

    Record types stay apart (they are different aggregation levels). A metric repeated for
    the same key across split files is summed, since a split export partitions rows.
    """
    keys = list(KEYS)
    if long.empty:
        return pd.DataFrame(columns=keys)
    df = long.copy()
    for k in keys:
        df[k] = df[k].fillna("")  # pivot keys cannot be null; restored below
    wide = df.pivot_table(
        index=keys,
        columns="metric_name",
        values="metric_value",
        aggfunc="sum",
        fill_value=None,
        observed=True,
    )
    wide.columns.name = None
    wide = wide.reset_index()
    for k in keys:
        wide[k] = wide[k].where(wide[k] != "", None)
    return wide


def add_derived_metrics(wide: pd.DataFrame) -> pd.DataFrame:
    """The wide frame plus the derived data-protection metrics of ``DERIVED_METRICS``.

    Bucket-count ratios need ``DistinctNumberOfBuckets``; a BUCKET record counts as one
    bucket when the export does not carry it. A ratio over zero is NaN (not 0), so an empty
    bucket never reads as "0 % encrypted".
    """
    out = wide.copy()
    if "DistinctNumberOfBuckets" not in out.columns and "record_type" in out.columns:
        out["DistinctNumberOfBuckets"] = (
            (out["record_type"] == "BUCKET").astype("float").where(out["record_type"] == "BUCKET")
        )
    for name, (a, b, _formula) in DERIVED_METRICS.items():
        if a not in out.columns or b not in out.columns:
            continue
        x = pd.to_numeric(out[a], errors="coerce").astype("float64")
        y = pd.to_numeric(out[b], errors="coerce").astype("float64")
        if name in _DIFFERENCES:
            out[name] = x - y
        else:
            out[name] = (x / y).where(y > 0)
    return out


BUCKET_COUNT_METRICS = (
    "VersioningEnabledBucketCount",
    "MFADeleteEnabledBucketCount",
    "SSEKMSEnabledBucketCount",
    "ObjectLockEnabledBucketCount",
    "DistinctNumberOfBuckets",
)
"""Bucket-property metrics: a bucket has the property or not, whatever its storage classes."""

PROTECTION_SUMS = (
    "StorageBytes",
    "ObjectCount",
    "EncryptedStorageBytes",
    "EncryptedObjectCount",
    "ReplicatedStorageBytesSource",
    "ReplicatedObjectCountSource",
    "ReplicatedStorageBytes",
    "ReplicatedObjectCount",
    "ObjectLockEnabledStorageBytes",
    "ObjectLockEnabledObjectCount",
)


def bucket_protection(wide: pd.DataFrame) -> pd.DataFrame:
    """Per day, account, region and bucket: storage, encryption, versioning, replication, object lock.

    BUCKET records only; storage classes are summed for bytes and objects, and bucket
    properties (versioning ...) take the maximum, so a bucket split over storage classes
    still counts once. Columns: dt (datetime), account, region, bucket, the sums, derived
    unencrypted counts and ratios, and ``versioning_enabled`` (bool).
    """
    b = wide[wide["record_type"] == "BUCKET"] if "record_type" in wide.columns else wide.iloc[0:0]
    keys = ["dt", "aws_account_number", "aws_region", "bucket_name"]
    agg: dict[str, str] = {c: "sum" for c in PROTECTION_SUMS if c in b.columns}
    agg |= {c: "max" for c in BUCKET_COUNT_METRICS if c in b.columns}
    if b.empty:
        g = pd.DataFrame(columns=keys + list(agg))
    else:
        g = b.groupby(keys, dropna=False).agg(agg).reset_index()
    g["DistinctNumberOfBuckets"] = 1.0 if not g.empty else pd.Series(dtype="float64")
    g = add_derived_metrics(g.assign(record_type="BUCKET")).drop(columns=["record_type"])
    g["versioning_enabled"] = (
        g.get("VersioningEnabledBucketCount", pd.Series(0, index=g.index)).fillna(0).astype("int64") > 0
    )
    g = g.rename(columns={"aws_account_number": "account", "aws_region": "region", "bucket_name": "bucket"})
    g["dt"] = pd.to_datetime(g["dt"])
    return g.sort_values(["account", "bucket", "dt"]).reset_index(drop=True)


def account_protection(buckets: pd.DataFrame, group_by: Iterable[str] = ("account",)) -> pd.DataFrame:
    """Data-protection coverage per day and ``group_by`` (account, region, OU ...) from ``bucket_protection``.

    Byte ratios are totals over totals (not means of bucket ratios), as Storage Lens
    computes them; versioning is the share of buckets with versioning on.
    """
    keys = ["dt", *group_by]
    sums = [c for c in PROTECTION_SUMS if c in buckets.columns]
    g = (
        buckets.groupby(keys, dropna=False)
        .agg(
            **{c: (c, "sum") for c in sums},
            DistinctNumberOfBuckets=("bucket", "nunique"),
            VersioningEnabledBucketCount=("versioning_enabled", "sum"),
        )
        .reset_index()
    )
    g["record_type"] = "BUCKET"
    return add_derived_metrics(g).drop(columns=["record_type"])


def read_bucket_protection(
    root: str | Path, *, since: date | str | None = None, progress: bool = False
) -> pd.DataFrame:
    """``bucket_protection`` straight from a lake: the one call notebooks and the report use."""
    long = read_exports(root, since=since, record_types=["BUCKET"], progress=progress)
    out = bucket_protection(pivot_wide(long))
    out.attrs["problems"] = long.attrs.get("problems", [])
    return out


# ---------------------------------------------------------------------------------------------
# One SQL on Athena and locally


def athena_ddl(
    location: str,
    *,
    table: str = "storage_lens",
    database: str | None = None,
    report_format: str = "CSV",
    header: bool = True,
    first_day: str = "2020-01-01",
) -> str:
    """CREATE EXTERNAL TABLE for one configuration's export, with partition projection on ``dt``.

    ``location`` is the ``.../StorageLens/<account>/<config-id>/V_1/reports/`` prefix. With
    projection Athena needs no MSCK REPAIR nor Glue partitions: ``dt`` runs from
    ``first_day`` to today. CSV uses LazySimpleSerDe: ``record_value`` is URL-encoded, so
    no field holds a comma. ``header`` skips a first header line in each CSV file.
    """
    if not location.startswith("s3://"):
        raise ParameterError(f"Storage Lens location must be an s3:// URI, got {location!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table) or (
        database and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database)
    ):
        raise ParameterError(f"table and database names must be identifiers, got {database!r}.{table!r}")
    fmt = report_format.lower()
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"report_format must be CSV or Parquet, got {report_format!r}")
    location = location.rstrip("/") + "/"
    cols = ",\n  ".join(f"`{c}` {'bigint' if c == 'metric_value' else 'string'}" for c in EXPORT_COLUMNS)
    name = f"`{database}`.`{table}`" if database else f"`{table}`"
    storage = (
        "STORED AS PARQUET"
        if fmt == "parquet"
        else "ROW FORMAT DELIMITED FIELDS TERMINATED BY ','\nSTORED AS TEXTFILE"
    )
    props = {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": f"{first_day},NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": location + "dt=${dt}/",
    }
    if fmt == "csv" and header:
        props["skip.header.line.count"] = "1"
    tblprops = ",\n  ".join(f"'{k}'='{v}'" for k, v in props.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n  {cols}\n)\n"
        f"PARTITIONED BY (`dt` string)\n{storage}\nLOCATION '{location}'\nTBLPROPERTIES (\n  {tblprops}\n)"
    )


BUCKET_PROTECTION_SQL = """
SELECT dt,
       aws_account_number AS account,
       aws_region AS region,
       bucket_name AS bucket,
       sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END) AS storage_bytes,
       sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) AS encrypted_bytes,
       sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END)
         - sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) AS unencrypted_bytes,
       CAST(sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) AS DOUBLE)
         / nullif(sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END), 0) AS encrypted_bytes_ratio,
       CAST(sum(CASE WHEN metric_name = 'ObjectLockEnabledStorageBytes' THEN metric_value ELSE 0 END) AS DOUBLE)
         / nullif(sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END), 0) AS object_lock_bytes_ratio,
       max(CASE WHEN metric_name = 'VersioningEnabledBucketCount' THEN metric_value ELSE 0 END) > 0
         AS versioning_enabled
FROM storage_lens
WHERE record_type = 'BUCKET' AND dt >= :since
GROUP BY dt, aws_account_number, aws_region, bucket_name
ORDER BY account, bucket, dt
"""
"""Per-bucket data protection per day in Athena SQL (``:since`` is a 'YYYY-MM-DD' string): the same
numbers as ``bucket_protection``, for Athena consoles and for checking one path against the other."""


def create_local_view(
    con: Any, root: str | Path, *, name: str = "storage_lens", since: date | str | None = None
) -> list[ExportProblem]:
    """Create a DuckDB view with the Athena table's columns (export columns + ``dt``) over the lake.

    The view reads exactly the manifest-listed files, keeps ``record_value`` URL-encoded as
    Athena does, so a query gives the same answer in both places. Returns the problems met.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ParameterError(f"view name must be an identifier, got {name!r}")
    days = list(iter_export_days(root, since=since))
    problems = [p for d in days for p in d.problems]
    selects = []
    for fmt in ("csv", "parquet"):
        for header in (True, False):
            files = [
                str(f)
                for d in days
                if d.report_format.lower() == fmt
                for f in d.files
                if fmt == "parquet" or _has_header(f) is header
            ]
            if not files or (fmt == "parquet" and not header):
                continue
            reader = _export_reader(fmt, files, header)
            selects.append(exp.select(*EXPORT_COLUMNS, "dt").from_(exp.Table(this=reader)))
    body = _union_all(selects) if selects else _empty_export()
    view = exp.Create(
        this=exp.Table(this=exp.to_identifier(name)), kind="VIEW", replace=True, expression=body
    )
    con.execute(view.sql(dialect="duckdb"))
    return problems


_EXPORT_TYPES = {c: "BIGINT" if c == "metric_value" else "VARCHAR" for c in EXPORT_COLUMNS}
"""DuckDB type of each export column, as the Athena table declares it."""


def _export_reader(fmt: str, files: list[str], header: bool) -> exp.Expression:
    """``read_csv([...], columns=..., header=...)`` or ``read_parquet([...])`` over one kind of export file.

    Built as a tree (file paths become string literals the generator quotes) because a DuckDB
    view cannot hold bound parameters. ``dt`` comes from the ``dt=YYYY-MM-DD`` folder, as Athena's
    partition does.
    """
    options: dict[str, exp.Expression] = {}
    if fmt == "csv":
        options = {
            "columns": _struct(_EXPORT_TYPES),
            "header": exp.Boolean(this=header),
            "auto_detect": exp.false(),
        }
    options |= {"hive_partitioning": exp.true(), "hive_types": _struct({"dt": "VARCHAR"})}
    paths = exp.Array(expressions=[exp.Literal.string(f) for f in files])
    named = [exp.EQ(this=exp.column(key), expression=value) for key, value in options.items()]
    return exp.func(f"read_{fmt}", paths, *named, dialect="duckdb")


def _struct(fields: Mapping[str, str]) -> exp.Struct:
    """A DuckDB struct literal ``{'key': 'value', ...}`` of string values."""
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(key), expression=exp.Literal.string(value))
            for key, value in fields.items()
        ]
    )


def _union_all(selects: list[exp.Select]) -> exp.Expression:
    body: exp.Expression = selects[0]
    for select in selects[1:]:
        body = exp.union(body, select, distinct=False)
    return body


def _empty_export() -> exp.Select:
    """The view's columns with no rows, for a lake holding no export yet."""
    columns = {**_EXPORT_TYPES, "dt": "VARCHAR"}
    nulls = [exp.cast(exp.null(), kind).as_(column) for column, kind in columns.items()]
    return exp.select(*nulls).where(exp.false())


def query_local(root: str | Path, athena_sql: str, **params: Any) -> pd.DataFrame:
    """Run Athena SQL over a local ``storage_lens`` table (transpiled to DuckDB by sqlglot)."""
    from orginsight.engines import translate
    from orginsight.engines.frames import query_frame
    from orginsight.engines.local import locked_connection, readable_dirs

    tree = translate.bind(translate.parse(athena_sql), params)
    con = locked_connection(
        readable_dirs(Path(root))
    )  # user SQL: reads only under root, no SET, no extension
    try:
        create_local_view(con, root)
        return query_frame(con, translate.to_sql(tree, "duckdb"))
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Collector: the organization's Storage Lens configurations (s3control, read-only)


def get_storage_lens_configurations(client: Any, account_id: str) -> tuple[list[dict], list[dict]]:
    """Pages of list_storage_lens_configurations and each configuration's get_ response."""
    pages: list[dict] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"AccountId": account_id}
        if token:
            kwargs["NextToken"] = token
        page = client.list_storage_lens_configurations(**kwargs)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    details = []
    for page in pages:
        for entry in page.get("StorageLensConfigurationList", []):
            resp = client.get_storage_lens_configuration(ConfigId=entry["Id"], AccountId=account_id)
            resp.pop("ResponseMetadata", None)
            details.append(resp)
    return pages, details


def transform_storage_lens_configurations(
    pages: list[Mapping[str, Any]], details: list[Mapping[str, Any]], account_id: str
) -> pd.DataFrame:
    """One row per configuration: id, arn, home region, enabled, scope, export destination and format."""
    by_id = {d["StorageLensConfiguration"]["Id"]: d["StorageLensConfiguration"] for d in details}
    rows = []
    for page in pages:
        for entry in page.get("StorageLensConfigurationList", []):
            cfg = by_id.get(entry["Id"], {})
            export = (cfg.get("DataExport") or {}).get("S3BucketDestination") or {}
            org = cfg.get("AwsOrg") or {}
            account_level = cfg.get("AccountLevel") or {}
            rows.append(
                {
                    "account_id": account_id,
                    "config_id": entry["Id"],
                    "arn": entry.get("StorageLensArn"),
                    "home_region": entry.get("HomeRegion"),
                    "enabled": bool(entry["IsEnabled"]),
                    "organization_arn": org.get("Arn"),
                    "prefix_level": "PrefixLevel" in (account_level.get("BucketLevel") or {}),
                    "export_bucket_arn": export.get("Arn"),
                    "export_prefix": export.get("Prefix"),
                    "export_format": export.get("Format"),
                    "export_account_id": export.get("AccountId"),
                    "export_schema_version": export.get("OutputSchemaVersion"),
                }
            )
    cols = [
        "account_id",
        "config_id",
        "arn",
        "home_region",
        "enabled",
        "organization_arn",
        "prefix_level",
        "export_bucket_arn",
        "export_prefix",
        "export_format",
        "export_account_id",
        "export_schema_version",
    ]
    df = pd.DataFrame(rows, columns=cols, dtype=object)  # object keeps missing values None (pandas 3 strings)
    return df.astype({"enabled": bool, "prefix_level": bool})


def list_storage_lens_configurations(client: Any, account_id: str) -> pd.DataFrame:
    """The Storage Lens configurations of ``account_id`` (an s3control client in the home region)."""
    pages, details = get_storage_lens_configurations(client, account_id)
    return transform_storage_lens_configurations(pages, details, account_id)


def export_location(config_row: Mapping[str, Any]) -> str | None:
    """The ``reports/`` S3 prefix of a configuration's export (for ``athena_ddl``)."""
    arn = config_row.get("export_bucket_arn")
    if not arn:
        return None
    bucket = arn.split(":::")[-1]
    prefix = (config_row.get("export_prefix") or "").strip("/")
    base = f"s3://{bucket}/" + (f"{prefix}/" if prefix else "")
    return f"{base}StorageLens/{config_row['account_id']}/{config_row['config_id']}/V_1/reports/"
