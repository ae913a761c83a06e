"""Run one collection step over accounts x regions on a bounded thread pool, failures kept as data.

An organization has hundreds of accounts and seventeen or more regions; some are
throttled, some deny access, some regions are not opted in. Each call's result is an
``Outcome`` (modelled on cartography's per-account outcomes): collection carries on,
and the caller reports every failure at the end, with account, region, operation and
AWS error code, instead of raising at the first one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")

DEFAULT_WORKERS = 8
"""Threads per fan-out. botocore clients are thread-safe; adaptive retries keep them under service limits."""


class Status(Enum):
    """How one call (or one account x region step) ended."""

    OK = "ok"
    ACCESS_DENIED = "access_denied"
    REGION_DISABLED = "region_disabled"
    THROTTLED = "throttled"
    NOT_ENABLED = "not_enabled"
    ERROR = "error"


ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AccessDeniedForDependencyException",
        "AWSOrganizationsNotInUseException",
        "OrganizationAccessDeniedException",  # Config: the aggregator's organization access is not granted
    }
)
REGION_DISABLED_CODES = frozenset(
    {
        # What a region that is not opted in answers (2024): the token is unknown to that region's STS.
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
        "OptInRequired",
    }
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
    }
)
NOT_ENABLED_CODES = frozenset(
    {
        "InvalidAccessException",  # Security Hub: "Account ... is not subscribed to AWS Security Hub"
        "ResourceNotFoundException",
        "SubscriptionRequiredException",  # Support / Trusted Advisor: no Business or Enterprise Support plan
        "NoSuchConfigurationAggregatorException",  # Config: no aggregator in this region
    }
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One call's result: where, what, how it ended, and AWS's error code and message when it failed."""

    account: str | None
    region: str | None
    operation: str
    status: Status
    error_code: str | None = None
    message: str | None = None
    items: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d


class NotEnabled(Exception):  # noqa: N818 - a state, not a bug
    """A service is not set up where it was asked for (e.g. no GuardDuty detector in a region)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def classify(error: BaseException) -> tuple[Status, str, str]:
    """Status, error code and message of an exception raised by a boto3 call."""
    if isinstance(error, NotEnabled):
        return Status.NOT_ENABLED, error.code, str(error)
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        code = str(err.get("Code") or "ClientError")
        message = str(err.get("Message") or error)
        if code in ACCESS_DENIED_CODES or code.endswith("AccessDenied"):
            return Status.ACCESS_DENIED, code, message
        if code in REGION_DISABLED_CODES:
            return Status.REGION_DISABLED, code, message
        if code in THROTTLING_CODES:
            return Status.THROTTLED, code, f"still throttled after retries: {message}"
        if code in NOT_ENABLED_CODES:
            return Status.NOT_ENABLED, code, message
        return Status.ERROR, code, message
    if isinstance(error, BotoCoreError):
        return Status.ERROR, type(error).__name__, str(error)
    return Status.ERROR, type(error).__name__, str(error) or repr(error)


class OutcomeLog:
    """A thread-safe list of outcomes shared by every step of one collection."""

    def __init__(self) -> None:
        self._outcomes: list[Outcome] = []
        self._lock = threading.Lock()

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    def ok(self, account: str | None, region: str | None, operation: str, items: int | None = None) -> None:
        self.add(Outcome(account, region, operation, Status.OK, items=items))

    def failed(
        self, account: str | None, region: str | None, operation: str, error: BaseException
    ) -> Outcome:
        status, code, message = classify(error)
        outcome = Outcome(account, region, operation, status, code, message)
        self.add(outcome)
        return outcome

    def call(
        self,
        account: str | None,
        region: str | None,
        operation: str,
        fn: Callable[[], T],
        default: T | None = None,
    ) -> T | None:
        """``fn()``, or ``default`` after recording why it failed; nothing is raised for AWS errors."""
        try:
            value = fn()
        except (ClientError, BotoCoreError, NotEnabled) as e:
            self.failed(account, region, operation, e)
            return default
        return value

    @property
    def outcomes(self) -> list[Outcome]:
        with self._lock:
            return list(self._outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> dict[str, dict[str, int]]:
        """Per operation: calls that succeeded, items they returned, calls that failed (for the manifest)."""
        out: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            row = out.setdefault(o.operation, {"ok": 0, "items": 0, "failed": 0})
            row["ok" if o.ok else "failed"] += 1
            row["items"] += o.items or 0
        return dict(sorted(out.items()))

    def failure_records(self) -> list[dict[str, Any]]:
        """Failures as plain dicts sorted by region, account and operation, for ``df.attrs["failures"]``
        and the snapshot manifest."""
        key = lambda o: (o.region or "", o.account or "", o.operation)  # noqa: E731
        return [o.as_dict() for o in sorted(self.failures, key=key)]


@dataclass(frozen=True, slots=True)
class Target:
    """One unit of fan-out work: an account in a region (``detail``: e.g. the S3 key to read there)."""

    account: str | None
    region: str | None
    detail: str | None = None


def fan_out(
    step: Callable[[Target], T],
    targets: Iterable[Target],
    log: OutcomeLog,
    operation: str,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> list[tuple[Target, T]]:
    """Run ``step`` for every target on at most ``workers`` threads; results of the steps that finished.

    A step records its own per-call outcomes through ``log``; an exception escaping a step
    is recorded as that target's outcome for ``operation`` and the other targets carry on.
    Results come back in target order, so output does not depend on thread timing.
    """
    from tqdm.auto import tqdm

    targets = list(targets)
    results: dict[int, T] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="orginsight") as pool:
        futures = {pool.submit(step, t): i for i, t in enumerate(targets)}
        with tqdm(
            total=len(targets), desc=operation, unit="target", disable=not progress, leave=False
        ) as bar:
            for future in as_completed(futures):
                i = futures[future]
                try:
                    results[i] = future.result()
                except Exception as e:  # noqa: BLE001 - isolate one account/region from the rest
                    t = targets[i]
                    log.failed(t.account, t.region, f"{operation} {t.detail}" if t.detail else operation, e)
                bar.update(1)
    return [(targets[i], results[i]) for i in sorted(results)]
