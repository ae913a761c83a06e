"""The verification cache: each digest's costly result (hashes, parsed fields) kept in
``<lake>/.orginsight/verify/<account>/<region>.json`` with the (mtime, size) of the digest, its sidecar and
every log file it lists; an entry serves again only while all of them are unchanged."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

from orginsight.sources.digests.walk import FoundDigest

CACHE_FOLDER = ".orginsight/verify"


def _cache_file(root: Path, f: FoundDigest) -> Path:
    return root / CACHE_FOLDER / f.account / f"{f.region}.json"


def load_cache(root: Path, found: list[FoundDigest]) -> tuple[dict[str, dict], list[FoundDigest]]:
    """Entries still valid for the digests found, and the digests to check again."""
    stored: dict[Path, dict] = {}
    valid: dict[str, dict] = {}
    stale: list[FoundDigest] = []
    for f in found:
        p = _cache_file(root, f)
        if p not in stored:
            try:
                stored[p] = json.loads(p.read_text())
            except (OSError, ValueError):
                stored[p] = {}
        e = stored[p].get(f.rel)
        if e is not None and _unchanged(root, f, e):
            valid[f.rel] = {**e, "bytes": 0}
        else:
            stale.append(f)
    return valid, stale


def _unchanged(root: Path, f: FoundDigest, e: dict) -> bool:
    if tuple(e["stat"]) != f.stat or (tuple(e["sidecar_stat"]) if e["sidecar_stat"] else None) != f.sidecar:
        return False
    for key, (_, mtime, size) in e["files"].items():
        try:
            st = os.stat(os.path.join(root, key))
            now = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            now = (None, None)
        if now != (mtime, size):
            return False
    return True


def save_cache(root: Path, found: list[FoundDigest], entries: dict[str, dict]) -> None:
    groups: dict[Path, list[FoundDigest]] = defaultdict(list)
    for f in found:
        groups[_cache_file(root, f)].append(f)
    for p, fs in groups.items():
        try:
            kept = json.loads(p.read_text())
        except (OSError, ValueError):
            kept = {}
        kept.update({f.rel: {k: v for k, v in entries[f.rel].items() if k != "bytes"} for f in fs})
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(kept))
        os.replace(tmp, p)
