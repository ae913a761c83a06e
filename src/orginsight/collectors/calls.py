"""One account and region's calls to one service: every response recorded, every failure an outcome.

Each service's ``get_*`` functions read through this instead of raw clients, so what was read can be
replayed (``ApiRecording``) and what failed is reported where and why (``OutcomeLog``), never raised:
one denied or throttled call loses only its own pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orginsight.collectors.fanout import OutcomeLog
from orginsight.collectors.recording import ApiRecording, paginate


@dataclass(frozen=True)
class RecordedCalls:
    """A boto3 client of ``service`` in one account and region, read through the recording and the log."""

    client: Any
    recording: ApiRecording
    log: OutcomeLog
    service: str
    region: str | None
    account: str | None = None

    def pages(self, operation: str, **params: Any) -> list[dict[str, Any]] | None:
        """Every page of ``operation``, recorded; None when the call failed (the log says why)."""
        return self.log.call(
            self.account,
            self.region,
            operation,
            lambda: paginate(
                self.client, operation, self.recording, self.service, self.region, self.account, **params
            ),
        )

    def one(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """One call's response, recorded; None when it failed (the log says why)."""
        response = self.log.call(
            self.account, self.region, operation, lambda: getattr(self.client, operation)(**params)
        )
        if response is None:
            return None
        return self.recording.add(self.service, self.region, operation, params, response, self.account)
