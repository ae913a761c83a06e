"""What one AWS service module declares for the rest of the code (DESIGN.md, "One module per AWS service").

Each service module (``organizations.py``, ``guardduty.py``, ``securityhub.py``, ...) ends with one
``Service`` value; ``orginsight.collectors.registry.SERVICES`` gathers them. Everything that needs
to know about "every service" reads that mapping instead of a list of its own: the ``collect``
command and its choices, the IAM policy test, the demo's recorded responses, the coverage matrix.
Adding a service is then one module (get -> transform -> ``Service``) plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pandas as pd

from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog
from orginsight.collectors.recording import ApiRecording

Operation = tuple[str, str]
"""A boto3 call as (boto3 service name, snake_case operation), e.g. ``("guardduty", "list_members")``."""

Covered = dict[tuple[str, str], bool]
"""(account id, region) -> whether the service covers that account there."""

EVERY_ACCOUNT = "*"
"""The account of a ``Covered`` key that stands for every account of the organization, for a source that
covers the organization as a whole (an organization aggregator or analyzer) without listing its accounts;
a key naming the account itself wins over it."""


@dataclass(frozen=True)
class RunOptions:
    """The choices of one ``orginsight collect`` run that a service's ``get`` may use (each ignores the rest)."""

    regions: str | list[str] | None = "all"
    """``"all"`` (the account's enabled regions), a comma-separated string, or a list of regions."""
    region: str | None = None
    """Home region (Security Hub: the aggregation region to read findings from; default: the session's)."""
    member_role: str | None = None
    """Role name to assume in each member account, for state only members hold (Security Hub standards)."""
    since: datetime | None = None
    """Only findings updated since then (None: every finding)."""
    min_severity: float | None = None
    """GuardDuty: only findings of at least this severity."""
    include_archived: bool = False
    """Archived (GuardDuty) or no longer active (Security Hub) findings too."""
    workers: int = DEFAULT_WORKERS
    """Threads of the per-account/region fan-out."""
    progress: bool = True
    """Show progress bars."""
    org: pd.DataFrame | None = field(default=None, compare=False)
    """The newest Organizations ``accounts`` snapshot, when the output folder holds one."""


@dataclass(frozen=True)
class Table:
    """One table a service produces, and the pure ``transform_*`` function that builds its rows."""

    transform: Callable[..., Any]
    name: str = ""
    """Table name, as in ``frames()``'s keys and ``snapshots/<collector>/<stamp>/<name>.parquet``; by
    convention the transform's name without ``transform_`` (given only where a table is named otherwise)."""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.transform.__name__.removeprefix("transform_"))


@dataclass(frozen=True)
class Coverage:
    """One service column of posture's coverage matrix.

    Either the service's own ``transform`` (recording -> coverage, coverage per feature), or, for a
    service whose delegated admin's member list says it all, how to read that list: an account is
    covered in a region when its entry in ``operation``'s recorded responses has a status in
    ``enabled`` (compared upper case); the administrator account counts as covered.
    """

    label: str
    """Column name in the matrix, e.g. ``"GuardDuty"``."""
    transform: Callable[[ApiRecording], tuple[Covered, dict[str, Covered]]] | None = None
    """The service's own coverage transform, when set: recording -> (coverage, coverage per feature);
    each feature is a column ``"<label> <FEATURE>"`` after this one (GuardDuty: detectors, features).
    The member-list fields below are then not read."""
    status_key: str = ""
    """Member key holding its status, e.g. ``"MemberStatus"``."""
    enabled: frozenset[str] = frozenset()
    """Statuses (upper case) that mean the member is covered."""
    operation: str = "list_members"
    """The recorded operation that lists members."""
    members_key: str = "Members"
    """Response key holding the member list."""
    account_key: str = "AccountId"
    """Member key holding the account id."""
    api: str = ""
    """boto3 service name of the recorded calls (``api/<api>/<region>/<operation>.json``); the declaring
    ``Service``'s ``api`` unless given."""


@dataclass(frozen=True)
class Service:
    """What the rest of orginsight needs from one AWS service module.

    A declaration states what is particular to its service; the rest follows by convention: the
    collector is named after the boto3 service, the operations are ``calls`` on it (plus ``other_calls``
    on other services), the demo records them all, each table is named after its transform.
    """

    api: str
    """boto3 service name, and the folder of its recorded responses (``api/<api>/...``)."""
    calls: tuple[str, ...]
    """The module's calls on ``api`` (snake_case boto3 operations)."""
    tables: tuple[Table | Callable[..., Any], ...]
    """The tables ``frames`` returns, in order, each with its transform: a ``Table``, or the bare transform
    of a table named after it (``transform_<table>``); read back, every entry is a ``Table``."""
    frames: Callable[[ApiRecording, pd.DataFrame | None], dict[str, pd.DataFrame]]
    """Recorded pages (live or demo) and, when known, the organization's accounts -> the tables."""
    get: Callable[[Any, ApiRecording, OutcomeLog, RunOptions], list[str]]
    """Records one run's API pages (connection, recording, log, options); returns the regions it read."""
    name: str = ""
    """Collector name: ``orginsight collect <name>``, ``snapshots/<name>/`` (default: ``api``)."""
    other_calls: frozenset[Operation] = frozenset()
    """Calls the module makes on other boto3 services (e.g. EC2 for Systems Manager)."""
    demo_records: frozenset[str] | None = None
    """Operations the demo lake records under ``api/<api>/`` for this service (default: every one of ``calls``)."""
    coverage: tuple[Coverage, ...] = ()
    """This service's columns in the coverage matrix (none for a service that covers nothing)."""
    finding_pages: tuple[str, ...] = ()
    """Operations whose recorded pages hold this service's findings (boto3 shape), read into the one
    normalized findings frame (``sources.findings``) so triage, finding groups and the report see them."""
    export_findings: Callable[[str | Path, pd.DataFrame | None], pd.DataFrame] | None = None
    """Findings of a lake folder's export files (``lake, org -> findings``), read when no findings pages
    were recorded; None for a service without an export."""

    def __post_init__(self) -> None:
        derived = {
            "name": self.name or self.api,
            "demo_records": frozenset(self.calls) if self.demo_records is None else self.demo_records,
            "coverage": tuple(replace(c, api=c.api or self.api) for c in self.coverage),
            "tables": tuple(t if isinstance(t, Table) else Table(t) for t in self.tables),
        }
        for key, value in derived.items():
            object.__setattr__(self, key, value)

    @property
    def operations(self) -> frozenset[Operation]:
        """Every boto3 call the module makes; the IAM policy test checks these against the code and the policy."""
        return frozenset((self.api, op) for op in self.calls) | self.other_calls

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables if isinstance(t, Table))


class LiveRun(TypedDict, total=False):
    """What every live ``collect_<service>`` takes besides its service's own choices."""

    log: OutcomeLog | None
    """Where failures go (default: a new log); each frame's ``attrs["failures"]`` lists them."""
    org: pd.DataFrame | None
    """The organization's accounts, for the services whose tables name them."""
    workers: int
    """Threads of the per-account/region fan-out."""
    progress: bool
    """Show progress bars."""
    recording: ApiRecording | None
    """Where the API pages go (default: a new recording), e.g. to save and replay them."""


def collect_live(
    frames: Callable[[ApiRecording, pd.DataFrame | None], dict[str, pd.DataFrame]],
    get: Callable[[ApiRecording, OutcomeLog, int, bool], Any],
    **run: Unpack[LiveRun],
) -> dict[str, pd.DataFrame]:
    """One live collection outside ``orginsight collect``: ``get`` (recording, log, workers, progress)
    records the pages, ``frames`` makes the tables, and each frame's ``attrs["failures"]`` lists what
    failed where, so a notebook sees the failures beside the rows."""
    log = run.get("log") or OutcomeLog()
    recording = run.get("recording") or ApiRecording()
    get(recording, log, run.get("workers", DEFAULT_WORKERS), run.get("progress", True))
    tables = frames(recording, run.get("org"))
    for df in tables.values():
        df.attrs["failures"] = log.failure_records()
    return tables
