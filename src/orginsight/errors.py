"""One base error and a few children, so callers can catch ``OrgInsightError``.

Modelled on PyAthena's small error tree: library code raises these, and wraps
boto or DuckDB errors with ``raise ... from e`` where they cross into orginsight.
"""

from __future__ import annotations


class OrgInsightError(Exception):
    """Base of every error orginsight raises on purpose."""


class LakeError(OrgInsightError):
    """The lake is missing, empty or laid out in a way orginsight cannot read."""


class QueryError(OrgInsightError):
    """A query failed to translate or run. Carries the SQL as run and, on Athena, the query id."""

    def __init__(
        self,
        message: str,
        *,
        sql: str | None = None,
        query_id: str | None = None,
        category: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sql = sql
        self.query_id = query_id
        self.category = category


class FullScanRefused(QueryError):
    """A query on ``cloudtrail`` names no partition nor event-time range (cost guard)."""


class ParameterError(OrgInsightError):
    """A query parameter is missing, unknown, or of the wrong type."""


class CollectionError(OrgInsightError):
    """A live collector could not run at all (per-account failures are reported as data instead)."""
