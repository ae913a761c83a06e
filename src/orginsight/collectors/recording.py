"""API responses as recorded data: what every collector's transform_* functions read.

Live collection and the demo lake go through the same transforms. Live ``get_*``
functions add each response page here as they call AWS; the demo lake holds the same
pages on disk, one file per operation (team contract, see ``orginsight.sources.layout``):

    <lake>/api/<service>/<region or "global">/<operation>.json
        [{"params": {...request kwargs...}, "response": {...boto3 shape, no ResponseMetadata...}}, ...]

Datetimes are stored as ISO-8601 strings, so a recording is JSON and compares equal
after a round trip. Calls made in a member account carry an extra ``"account"`` key.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from botocore import xform_name

from orginsight.errors import LakeError

GLOBAL = "global"
"""Region folder of global services (Organizations)."""

Call = dict[str, Any]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_recorded(value: Any) -> Any:
    """A boto3 value as it is stored: datetimes as ISO strings, ResponseMetadata dropped."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(value, default=_json_default))


class ApiRecording:
    """Response pages keyed by (service, region, operation), in call order per key; thread-safe."""

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str, str], list[Call]] = defaultdict(list)
        self._lock = threading.Lock()

    def add(
        self,
        service: str,
        region: str | None,
        operation: str,
        params: dict[str, Any],
        response: dict[str, Any],
        account: str | None = None,
    ) -> dict[str, Any]:
        """Record one call; returns the recorded (JSON-shaped) response."""
        call: Call = {"params": to_recorded(params), "response": to_recorded(response)}
        if account is not None:
            call["account"] = account
        with self._lock:
            self._calls[(service, region or GLOBAL, operation)].append(call)
        return call["response"]

    def calls(self, service: str, region: str | None, operation: str) -> list[Call]:
        with self._lock:
            return list(self._calls.get((service, region or GLOBAL, operation), ()))

    def responses(self, service: str, region: str | None, operation: str) -> list[dict[str, Any]]:
        return [c["response"] for c in self.calls(service, region, operation)]

    def regions(self, service: str) -> list[str]:
        with self._lock:
            return sorted({r for (s, r, _op) in self._calls if s == service})

    def __iter__(self) -> Iterator[tuple[tuple[str, str, str], list[Call]]]:
        with self._lock:
            items = sorted((k, list(v)) for k, v in self._calls.items())
        return iter(items)

    def count(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._calls.values())

    def save(self, root: str | Path, exclude: frozenset[str] | set[str] = frozenset()) -> list[Path]:
        """Write ``<root>/api/<service>/<region>/<operation>.json`` files (but not ``exclude``d operations)."""
        written = []
        for (service, region, operation), calls in self:
            if operation in exclude:
                continue
            path = Path(root) / "api" / service / region / f"{operation}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(calls, indent=1, default=_json_default))
            written.append(path)
        return written

    @classmethod
    def load(cls, root: str | Path, services: set[str] | None = None) -> ApiRecording:
        """Read every recorded operation below ``<root>/api``; a file that is not a list of calls is an error."""
        base = Path(root) / "api"
        if not base.is_dir():
            raise LakeError(f"no recorded API responses in {base}: build a demo lake with 'orginsight demo'")
        rec = cls()
        for path in sorted(base.glob("*/*/*.json")):
            service, region, operation = path.parts[-3], path.parts[-2], path.stem
            if services is not None and service not in services:
                continue
            try:
                calls = json.loads(path.read_text())
            except (OSError, ValueError) as e:
                raise LakeError(f"{path}: not readable JSON ({e})") from e
            if not isinstance(calls, list) or not all(isinstance(c, dict) and "response" in c for c in calls):
                raise LakeError(f"{path}: expected a JSON list of {{'params', 'response'}} objects")
            with rec._lock:
                rec._calls[(service, region, operation)].extend(
                    {**c, "params": c.get("params") or {}}
                    for c in calls  # "params" may be absent or null
                )
        return rec


def entries(calls: Iterable[Call], key: str) -> Iterator[tuple[Call, Any]]:
    """Each entry of the list ``key`` in the recorded calls' responses, with its call (whose params and
    account say what it belongs to), in call order: the walk almost every transform starts with, as list
    responses put their items under one key on each page (a page without it has none)."""
    for call in calls:
        for item in call["response"].get(key) or []:
            yield call, item


def dig(value: Any, *path: str) -> Any:
    """The value at ``path`` in nested response objects; None where a step is missing, null or not an
    object, as AWS leaves out optional structures (a resource never scanned has no ``scanStatus``)."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def named_after(
    item: Mapping[str, Any], *keys: str, convert: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """The ``keys`` of a response item as the columns named after them (botocore's snake case, as for
    operation names: ``SeverityRating`` -> ``severity_rating``, ``createdAt`` -> ``created_at``), each
    value as it is or through ``convert`` (e.g. times to UTC): the columns that copy a field unchanged."""
    return {xform_name(k): item.get(k) if convert is None else convert(item.get(k)) for k in keys}


def paginate(
    client: Any,
    operation: str,
    recording: ApiRecording,
    service: str,
    region: str | None,
    account: str | None = None,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every page of ``operation`` (boto3 paginator when there is one), each recorded; the recorded pages."""
    if client.can_paginate(operation):
        pages = client.get_paginator(operation).paginate(**params)
    else:
        pages = [getattr(client, operation)(**params)]
    return [recording.add(service, region, operation, params, page, account) for page in pages]
