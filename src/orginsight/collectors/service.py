"""What one AWS service module declares for the rest of the code (DESIGN.md, "One module per AWS service").

Each service module (``organizations.py``, ``guardduty.py``, ``securityhub.py``, ...) ends with one
``Service`` value; ``orginsight.collectors.registry.SERVICES`` gathers them. Everything that needs
to know about "every service" reads that mapping instead of a list of its own: the ``collect``
command and its choices, the IAM policy test, the demo's recorded responses, the coverage matrix.
Adding a service is then one module (get -> transform -> ``Service``) plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog
from orginsight.collectors.recording import ApiRecording

Operation = tuple[str, str]
"""A boto3 call as (boto3 service name, snake_case operation), e.g. ``("guardduty", "list_members")``."""

Covered = dict[tuple[str, str], bool]
"""(account id, region) -> whether the service covers that account there."""


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

    name: str
    """Table name, as in ``frames()``'s keys and ``snapshots/<collector>/<stamp>/<name>.parquet``."""
    transform: Callable[..., Any]


@dataclass(frozen=True)
class Coverage:
    """One service column of posture's coverage matrix, read from the delegated admin's member list.

    An account is covered in a region when its entry in ``operation``'s recorded responses has a
    status in ``enabled`` (compared upper case); the administrator account counts as covered.
    A service whose coverage needs more than its member list names its own ``transform``.
    """

    label: str
    """Column name in the matrix, e.g. ``"GuardDuty"``."""
    api: str
    """boto3 service name of the recorded calls (``api/<api>/<region>/<operation>.json``)."""
    status_key: str
    """Member key holding its status, e.g. ``"RelationshipStatus"``."""
    enabled: frozenset[str]
    """Statuses (upper case) that mean the member is covered."""
    operation: str = "list_members"
    """The recorded operation that lists members."""
    members_key: str = "Members"
    """Response key holding the member list (Macie and Inspector: ``"members"``)."""
    account_key: str = "AccountId"
    """Member key holding the account id (Macie and Inspector: ``"accountId"``)."""
    transform: Callable[[ApiRecording], tuple[Covered, dict[str, Covered]]] | None = None
    """The service's own coverage transform, when set: recording -> (coverage, coverage per feature);
    each feature is a column ``"<label> <FEATURE>"`` after this one (GuardDuty: detectors, features)."""


@dataclass(frozen=True)
class Service:
    """What the rest of orginsight needs from one AWS service module."""

    name: str
    """Collector name: ``orginsight collect <name>``, ``snapshots/<name>/``."""
    api: str
    """boto3 service name, and the folder of its recorded responses (``api/<api>/...``)."""
    operations: frozenset[Operation]
    """Every boto3 call the module makes; the IAM policy test checks these against the code and the policy."""
    tables: tuple[Table, ...]
    """The tables ``frames`` returns, in order, each with its transform."""
    frames: Callable[[ApiRecording, pd.DataFrame | None], dict[str, pd.DataFrame]]
    """Recorded pages (live or demo) and, when known, the organization's accounts -> the tables."""
    get: Callable[[Any, ApiRecording, OutcomeLog, RunOptions], list[str]]
    """Records one run's API pages (connection, recording, log, options); returns the regions it read."""
    demo_records: frozenset[str]
    """Operations the demo lake records under ``api/<api>/`` for this service."""
    coverage: tuple[Coverage, ...] = ()
    """This service's columns in the coverage matrix (none for a service that covers nothing)."""
    export_findings: Callable[[str | Path, pd.DataFrame | None], pd.DataFrame] | None = None
    """Findings of a lake folder's export files (``lake, org -> findings``), read when no findings pages
    were recorded; None for a service without an export."""

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)
