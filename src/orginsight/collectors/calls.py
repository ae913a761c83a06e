"""One account and region's calls to one service: every response recorded, every failure an outcome.

Each service's ``get_*`` functions read through this instead of raw clients, so what was read can be
replayed (``ApiRecording``) and what failed is reported where and why (``OutcomeLog``), never raised:
one denied or throttled call loses only its own pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import pandas as pd
from botocore.exceptions import ClientError

from orginsight.collectors.fanout import DEFAULT_WORKERS, NotEnabled, OutcomeLog, Target, fan_out
from orginsight.collectors.recording import ApiRecording, paginate
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import LiveRun, RunOptions, collect_live


@dataclass(frozen=True)
class RecordedCalls:
    """A boto3 client of ``service`` in one account and region, read through the recording and the log."""

    client: Any
    recording: ApiRecording
    log: OutcomeLog
    service: str
    region: str | None
    account: str | None = None
    not_enabled: Callable[[ClientError, str | None], NotEnabled | None] | None = None
    """The service's own way of saying it is not set up there (Macie's 403 "not enabled"): that error (and
    the region) as ``NotEnabled``, so the log files it as ``Status.NOT_ENABLED``; None for any other error."""

    def run(self, operation: str, fn: Callable[[], Any]) -> Any:
        """``fn()``, or None after the log records why it failed (as ``not_enabled`` says, when it does)."""

        def call() -> Any:
            try:
                return fn()
            except ClientError as e:
                translated = self.not_enabled(e, self.region) if self.not_enabled else None
                if translated is None:
                    raise
                raise translated from e

        return self.log.call(self.account, self.region, operation, call)

    def pages(self, operation: str, **params: Any) -> list[dict[str, Any]] | None:
        """Every page of ``operation``, recorded; None when the call failed (the log says why)."""
        return self.run(
            operation,
            lambda: paginate(
                self.client, operation, self.recording, self.service, self.region, self.account, **params
            ),
        )

    def one(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """One call's response, recorded; None when it failed (the log says why)."""
        response = self.run(operation, lambda: getattr(self.client, operation)(**params))
        if response is None:
            return None
        return self.recording.add(self.service, self.region, operation, params, response, self.account)

    def listed(self, operation: str, key: str, code: str, message: str, **params: Any) -> list[Any]:
        """Every item under ``key`` on ``operation``'s pages, recorded. None listed (no detector, no analyzer)
        means the service is not set up in this account and region: the log files that (``not_there``).
        Empty too when the call failed (the log says why): either way there is nothing more to read here."""
        pages = self.pages(operation, **params)
        if pages is None:
            return []
        found = [item for page in pages for item in page.get(key) or []]
        if not found:
            self.not_there(operation, code, message)
        return found

    def not_there(self, operation: str, code: str, message: str) -> int:
        """Record that the service is not set up in this account and region (``Status.NOT_ENABLED``); 0 items."""
        self.log.failed(self.account, self.region, operation, NotEnabled(code, message))
        return 0


def record_targets(
    connection: Any,
    service: str,
    step: Callable[[RecordedCalls], int],
    regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    accounts: Sequence[str | None] = (None,),
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
    not_enabled: Callable[[ClientError, str | None], NotEnabled | None] | None = None,
    label: str | None = None,
) -> ApiRecording:
    """Run ``step`` in every account (None: the connection's own) x region on the bounded thread pool, each
    on a ``RecordedCalls`` of ``service`` there: the fan-out every regional service's ``get_*`` starts with.
    ``label`` names the fan-out in progress bars and in the outcome of a step that raised."""
    fan_out(
        lambda t: step(
            RecordedCalls(
                connection.client(service, t.region, t.account),
                recording,
                log,
                service,
                t.region,
                t.account,
                not_enabled,
            )
        ),
        [Target(a, r) for a in accounts for r in regions],
        log,
        label or f"{service} regions",
        workers=workers,
        progress=progress,
    )
    return recording


@dataclass(frozen=True)
class RegionalService:
    """A service the delegated administrator reads region by region with finding criteria (GuardDuty,
    Inspector, Macie): its ``get_*`` and ``collect_*`` are these two methods, as only ``step`` differs."""

    api: str
    step: Callable[[RecordedCalls, dict[str, Any]], int]
    """Records one region's pages through its ``RecordedCalls``, with the criteria; returns the findings read."""
    criteria: Callable[[], dict[str, Any]]
    """The criteria when none are given (the service's default filter)."""
    frames: Callable[[ApiRecording, pd.DataFrame | None], dict[str, pd.DataFrame]]
    run_criteria: Callable[[RunOptions], dict[str, Any]]
    """The criteria that ``orginsight collect``'s options select."""
    label: str | None = None
    """The fan-out's name (default ``"<api> regions"``)."""
    not_enabled: Callable[[ClientError, str | None], NotEnabled | None] | None = None
    """The service's own "not set up here" error, as ``NotEnabled`` (see ``RecordedCalls``)."""

    def get(
        self,
        connection: Any,
        regions: Sequence[str],
        recording: ApiRecording,
        log: OutcomeLog,
        criteria: dict[str, Any] | None = None,
        workers: int = DEFAULT_WORKERS,
        progress: bool = True,
    ) -> ApiRecording:
        """Record the service's state in every region, from the delegated admin, on a bounded thread pool."""
        chosen = self.criteria() if criteria is None else criteria
        return record_targets(
            connection,
            self.api,
            lambda api: self.step(api, chosen),
            regions,
            recording,
            log,
            workers=workers,
            progress=progress,
            not_enabled=self.not_enabled,
            label=self.label,
        )

    def get_for_run(
        self, connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions
    ) -> list[str]:
        """``orginsight collect <service>``: every picked region's state and the findings the options select."""
        regions = resolve_regions(options.regions, connection, self.api)
        criteria = self.run_criteria(options)
        self.get(connection, regions, recording, log, criteria, options.workers, options.progress)
        return regions

    def collect(
        self,
        connection: Any,
        regions: Sequence[str],
        criteria: dict[str, Any] | None = None,
        **run: Unpack[LiveRun],
    ) -> dict[str, pd.DataFrame]:
        """Live tables over ``regions``; each frame's ``attrs["failures"]`` lists what failed where."""
        return collect_live(
            self.frames,
            lambda recording, log, workers, progress: self.get(
                connection, regions, recording, log, criteria, workers, progress
            ),
            **run,
        )
