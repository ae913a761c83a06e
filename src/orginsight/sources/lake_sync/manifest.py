"""What a sync has copied: ``<lake>/.orginsight/sync/manifest.jsonl``, one line per object copied.

A line is appended (and flushed) as each copy lands, so a run interrupted at any point keeps the record of
every object it finished, and the next run skips them. An object counts as copied when the lake holds its
file with the size recorded and the bucket still lists it with the same size, ETag and LastModified; any
change there (CloudTrail never rewrites a log file, but a bucket's other writers may) copies it again.
Loading keeps each key's last line; ``compact`` rewrites the file with one line per key at the end of a run.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

MANIFEST = Path(".orginsight") / "sync" / "manifest.jsonl"
"""The manifest's place in a lake."""


@dataclass(frozen=True)
class Copied:
    """One object as the bucket listed it when it was copied."""

    key: str
    size: int
    etag: str
    last_modified: str


class Manifest:
    """The objects a lake holds from earlier syncs, keyed by S3 key; appended to as copies land."""

    def __init__(self, lake: Path) -> None:
        self.path = lake / MANIFEST
        self.entries: dict[str, Copied] = {}
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        entry = Copied(**json.loads(line))
                    except (ValueError, TypeError):
                        continue  # a line cut short by an interruption: that object is copied again
                    self.entries[entry.key] = entry
        except FileNotFoundError:
            pass

    def holds(self, listed: Copied, path: Path) -> bool:
        """Whether ``listed`` was copied before, unchanged since, and its file is still whole in the lake."""
        if self.entries.get(listed.key) != listed:
            return False
        try:
            return path.stat().st_size == listed.size
        except OSError:
            return False

    def record(self, copied: Copied) -> None:
        """Note one finished copy, on disk at once."""
        self.entries[copied.key] = copied
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(copied)) + "\n")

    def compact(self) -> None:
        """Rewrite the manifest with one line per key (written beside it, then renamed over it)."""
        if not self.entries:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        with open(tmp, "w", encoding="utf-8") as f:
            for entry in self.entries.values():
                f.write(json.dumps(asdict(entry)) + "\n")
        os.replace(tmp, self.path)
