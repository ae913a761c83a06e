"""Where a Storage Lens export lives, and which of its files belong to each day.

Storage Lens writes one export a day per configuration (S3 User Guide, "Storage Lens
export schema", 2024), in the key layout of ``orginsight.sources.layout``::

    StorageLens/<account>/<config-id>/V_1/reports/dt=<yyyy-mm-dd>/<uuid>.csv|.par
    StorageLens/<account>/<config-id>/V_1/manifests/dt=<yyyy-mm-dd>/manifest.json

The export is *long*: one row per (record, storage class, metric). Big days are split
over several report files, and the day's ``manifest.json`` is the only source of truth
for which files belong to it: a listed file that is absent, or a file in the folder
that the manifest does not list (a partial upload, a stray copy), is reported and the
rest is read. ``record_value`` is URL-encoded (prefixes, Storage Lens group ARNs).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from orginsight.errors import LakeError

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


MANIFEST_KEYS = ("sourceAccountId", "configId", "reportDate", "reportFormat", "reportFiles")

_MANIFEST_DIR = re.compile(
    r"StorageLens/(?P<account>\d{12})/(?P<config>[^/]+)/V_1/manifests/dt=(?P<dt>\d{4}-\d{2}-\d{2})$"
)
_REPORT_FILE = re.compile(r"\.(?:csv|par|parquet)(?:\.gz)?$")


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
                    yield _day_without_files(mdir, dt, manifest, str(manifest), str(e))
        for rdir in sorted(base.glob("*/*/V_1/reports/dt=*")):
            dt = rdir.name[3:]
            if (lo and dt < lo) or (hi and dt > hi):
                continue
            if not (rdir.parent.parent / "manifests" / rdir.name / "manifest.json").is_file():
                yield _day_without_files(
                    rdir, dt, rdir / "manifest.json", str(rdir), "report folder has no manifest.json, skipped"
                )


def _day_without_files(folder: Path, dt: str, manifest: Path, where: str, problem: str) -> ExportDay:
    """A day none of whose files can be read, with the problem that says why.

    ``folder`` is the day's ``manifests/dt=...`` or ``reports/dt=...`` folder, which names the account
    and configuration.
    """
    account, config = folder.parts[-5], folder.parts[-4]
    return ExportDay(
        account, config, dt, "", manifest, (), (ExportProblem(account, config, dt, where, problem),)
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
