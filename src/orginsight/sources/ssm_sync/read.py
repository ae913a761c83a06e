"""A local lake's sync files: found by a walk that reads only names of the layout, checked once, read."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.sources.file_verdicts import VerdictCache, open_unlinked, split_checked
from orginsight.sources.layout import is_account_id, is_region, path_inside
from orginsight.sources.ssm_sync.inventory import (
    PARTITION_COLUMNS,
    TYPE_NAME,
    inventory_type,
    table_name,
)

LAKE_PREFIXES = ("ssm-inventory", "")
"""Where a local lake holds the sync: under ``ssm-inventory/`` (the prefix AWS's Landing Zone Accelerator
gives it in the central log bucket) or at the top of a copied sync bucket."""

MAX_FILE_BYTES = 64 * 1024 * 1024
"""A file bigger than this is reported, not read: one node's inventory of one type is kilobytes."""

NODE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}\.json")
"""A node's file: ``i-...``/``mi-...`` and ``.json``; nothing with a leading dot (temporary files) or a path."""

_RESOURCE_TYPE_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")


@dataclass(frozen=True)
class SyncFile:
    """One node's file of one type in a local lake, with the partition values its folders carry."""

    path: str
    type_name: str
    account: str
    region: str
    resource_type: str
    size: int
    mtime_ns: int


@dataclass
class SyncFiles:
    """What a walk of the lake found for some types: the files by type, and what it refused (with why)."""

    files: dict[str, list[SyncFile]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


def sync_roots(lake: str | os.PathLike[str]) -> list[Path]:
    """The folders of ``lake`` that hold inventory type folders (``LAKE_PREFIXES``)."""
    roots = []
    for prefix in LAKE_PREFIXES:
        root = Path(lake) / prefix if prefix else Path(lake)
        if (
            root.is_dir()
            and not root.is_symlink()
            and any(TYPE_NAME.fullmatch(n) for n, _ in _dirs(root, []))
        ):
            roots.append(root)
    return roots


def find_files(
    lake: str | os.PathLike[str], type_names: Iterable[str] | None = None, tables: Iterable[str] | None = None
) -> SyncFiles:
    """The sync files of ``lake`` for ``type_names`` or ``tables`` (every type without), and every name refused.

    Walks only ``type/accountid=/region=/resourcetype=/file``; a folder or file whose name is not the
    layout's (an account that is not twelve digits, a region of another shape, a symbolic link) is reported
    and not read, so no partition value comes from anything but a checked name.
    """
    wanted = set(type_names) if type_names is not None else None
    tabled = set(tables) if tables is not None else None
    out = SyncFiles()
    for root in sync_roots(lake):
        for name, type_dir in _dirs(root, out.errors):
            if not TYPE_NAME.fullmatch(name):
                if name.startswith(("AWS:", "Custom:")):
                    out.errors.append({"file": type_dir, "error": f"not a readable inventory type: {name!r}"})
                continue
            if (wanted is not None and name not in wanted) or (
                tabled is not None and table_name(name) not in tabled
            ):
                continue
            found = out.files.setdefault(name, [])
            found.extend(_type_files(Path(lake), name, type_dir, out.errors))
    return out


def _type_files(
    lake: Path, type_name: str, type_dir: str, errors: list[dict[str, str]]
) -> Iterator[SyncFile]:
    for account, account_dir in _partition_dirs(type_dir, "accountid", is_account_id, errors):
        for region, region_dir in _partition_dirs(account_dir, "region", is_region, errors):
            for rtype, rtype_dir in _partition_dirs(
                region_dir, "resourcetype", lambda v: _RESOURCE_TYPE_VALUE.fullmatch(v) is not None, errors
            ):
                for entry in _scandir(rtype_dir, errors):
                    if not entry.is_file(follow_symlinks=False) or not NODE_FILE.fullmatch(entry.name):
                        if not entry.name.startswith("."):
                            errors.append({"file": entry.path, "error": f"not a node's file: {entry.name!r}"})
                        continue
                    if not path_inside(lake, entry.path):
                        errors.append({"file": entry.path, "error": "lies outside the lake"})
                        continue
                    st = entry.stat(follow_symlinks=False)
                    yield SyncFile(entry.path, type_name, account, region, rtype, st.st_size, st.st_mtime_ns)


def _partition_dirs(
    parent: str, key: str, valid: Any, errors: list[dict[str, str]]
) -> Iterator[tuple[str, str]]:
    """``key=value`` subfolders of ``parent`` whose value passes ``valid``; every other entry is reported."""
    for name, path in _dirs(parent, errors, report_files=True):
        value = name.split("=", 1)[1] if name.startswith(f"{key}=") else None
        if value is None or not valid(value):
            errors.append({"file": path, "error": f"not a {key}= partition of the sync layout: {name!r}"})
            continue
        yield value, path


def _dirs(
    parent: str | Path, errors: list[dict[str, str]], report_files: bool = False
) -> list[tuple[str, str]]:
    """Subfolders of ``parent`` (never through a symbolic link), sorted; other entries reported if asked."""
    out = []
    for entry in _scandir(os.fspath(parent), errors):
        if entry.is_dir(follow_symlinks=False):
            out.append((entry.name, entry.path))
        elif report_files and not entry.name.startswith("."):
            errors.append({"file": entry.path, "error": f"not a folder of the sync layout: {entry.name!r}"})
    return sorted(out)


def _scandir(path: str, errors: list[dict[str, str]]) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as e:
        errors.append({"file": path, "error": f"cannot list: {e.strerror or e}"})
        return []


# --- checking and reading files ----------------------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_items(data: bytes) -> list[dict[str, Any]]:
    """The items of one file (JSON lines of objects). Raises ValueError saying which line is bad."""
    text = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, parse_constant=_no_constant)
        except ValueError as e:
            raise ValueError(f"line {number}: not JSON ({e})") from e
        if not isinstance(item, dict):
            raise ValueError(f"line {number}: a JSON {type(item).__name__}, not an object")
        items.append(item)
    return items


class SyncChecks(VerdictCache[SyncFile, str | None]):
    """Each file's verdict (None, or why it cannot be read), kept while its size and mtime stay the same."""

    def __init__(self) -> None:
        super().__init__(_file_error)


def _file_error(f: SyncFile) -> str | None:
    if f.size > MAX_FILE_BYTES:
        return f"{f.size} bytes, over the {MAX_FILE_BYTES} a node's file may hold"
    try:
        parse_items(_read(f.path))
    except (OSError, ValueError) as e:
        return str(e)
    return None


def _read(path: str) -> bytes:
    with open_unlinked(path) as fh:
        return fh.read(MAX_FILE_BYTES + 1)


def good_files(
    found: SyncFiles, checks: SyncChecks | None = None
) -> tuple[dict[str, list[SyncFile]], list[dict]]:
    """The readable files by type, and the walk's refusals plus each unreadable file with why."""
    checks = checks or SyncChecks()
    errors = list(found.errors)
    good: dict[str, list[SyncFile]] = {}
    for type_name, files in found.files.items():
        good[type_name], bad = split_checked(files, checks.verdict)
        errors += bad
    return good, sorted(errors, key=lambda e: e["file"])


def read_inventory(
    lake: str | os.PathLike[str], type_name: str, checks: SyncChecks | None = None
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """One type's items from a local lake, with the table's columns, and the files left out (with why).

    The same rows as the local view (:func:`local_views`): strings as written, NUMBER attributes as
    nullable integers (a value that is no integer becomes null), partitions from the folder names.
    """
    kind = inventory_type(type_name)
    good, errors = good_files(find_files(lake, [type_name]), checks)
    rows = []
    for f in good.get(type_name, []):
        for item in parse_items(_read(f.path)):
            row = {col: _text(item.get(key)) for key, col, _ in kind.columns}
            if not kind.attributes:
                row["item"] = json.dumps(item, separators=(",", ":"))
            rows.append(row | {"accountid": f.account, "region": f.region, "resourcetype": f.resource_type})
    names = (
        [c for _, c, _ in kind.columns] + (["item"] if not kind.attributes else []) + list(PARTITION_COLUMNS)
    )
    frame = pd.DataFrame(rows, columns=names)
    for _, col, kind_of in kind.columns:
        if kind_of == "NUMBER":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame, errors


def _text(value: Any) -> str | None:
    """A JSON value as the view's VARCHAR holds it: strings as they are, anything else as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
