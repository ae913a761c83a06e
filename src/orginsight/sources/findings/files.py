"""Findings files as JSON records: gzip (whole, truncated or corrupt), JSON documents, arrays or lines."""

from __future__ import annotations

import json
import zlib
from typing import Any

MAX_DECOMPRESSED_BYTES = 256 * 2**20
"""Most bytes one gzip findings file is decompressed to (a GuardDuty export object holds a few MB):
a larger one is cut there and reported, so a small hostile file cannot fill the memory."""


def gunzip_partial(data: bytes, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> tuple[bytes, str | None]:
    """What a gzip stream (one or several members) decompresses to, and why it stopped early, if it did.

    A truncated or corrupt stream keeps what decompressed before the damage; output beyond
    ``max_bytes`` is never produced (a small file of zeros cannot fill the memory).
    """
    parts: list[bytes] = []
    size = 0
    rest = data
    while rest.strip(b"\x00"):
        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while pending and not stream.eof:
                chunk = stream.decompress(pending, max_bytes - size + 1)
                parts.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    kept = b"".join(parts)[:max_bytes]
                    return kept, f"decompresses to more than {max_bytes:,} bytes; only the first were read"
                pending = stream.unconsumed_tail
        except zlib.error as e:
            return b"".join(parts), f"corrupt gzip data after {size:,} decompressed bytes ({e})"
        if not stream.eof:
            return b"".join(parts), f"truncated gzip stream: it ends after {size:,} decompressed bytes"
        rest = stream.unused_data
    return b"".join(parts), None


def split_json_records(data: bytes) -> tuple[list[tuple[int, str, Any]], list[tuple[int, str]]]:
    """The JSON records of a file's bytes, as ``(number, where, record)``, and its lines that are not JSON.

    A JSON array gives its items (numbered from 0, ``[i]``); one JSON document is record 1 (``:1``);
    otherwise the bytes are JSON lines (numbered from 1, ``:line``), and a line that is not JSON is a
    problem of that line while every other line is kept. Bytes no line of which is JSON on its own
    are one broken document, reported once where the parser stopped.
    """
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as whole:
        records, problems = [], []
        for number, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((number, f":{number}", json.loads(line)))
            except (ValueError, RecursionError) as e:
                problems.append((number, f"not JSON (a truncated or damaged line?): {_json_error(e)}"))
        if not records and len(problems) > 1:
            at = getattr(whole, "lineno", None)
            return [], [(at, f"not JSON (a truncated or damaged file?): {_json_error(whole)}")]
        return records, problems
    if isinstance(doc, list):
        return [(i, f"[{i}]", item) for i, item in enumerate(doc)], []
    return [(1, ":1", doc)], []


def _json_error(e: Exception) -> str:
    if isinstance(e, RecursionError):
        return "nested too deeply"
    return e.msg if isinstance(e, json.JSONDecodeError) else str(e)
