"""Every AWS service orginsight collects, by collector name: the one list the rest of the code reads.

``SERVICES["guardduty"]`` is the ``Service`` that ``guardduty.py`` declares (see ``service.py``
for what a declaration holds). A new service is one module ending in a ``Service`` value, named
here once; ``orginsight collect``, the IAM policy test, the demo and the coverage matrix follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from orginsight.collectors import regions, session
from orginsight.collectors.accessanalyzer import ACCESSANALYZER
from orginsight.collectors.cloudtrail import CLOUDTRAIL
from orginsight.collectors.config import CONFIG
from orginsight.collectors.guardduty import GUARDDUTY
from orginsight.collectors.guardrails import GUARDRAILS
from orginsight.collectors.identitycenter import IDENTITYCENTER
from orginsight.collectors.inspector import INSPECTOR
from orginsight.collectors.macie import MACIE
from orginsight.collectors.organizations import ORGANIZATIONS
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.securityhub import SECURITYHUB
from orginsight.collectors.service import Coverage, Operation, Service
from orginsight.collectors.ssm import SSM
from orginsight.collectors.stacksets import STACKSETS
from orginsight.collectors.trustedadvisor import TRUSTEDADVISOR
from orginsight.sources.findings import normalize_findings


def _by_name(*services: Service) -> Mapping[str, Service]:
    found: dict[str, Service] = {}
    for s in services:
        if s.name in found:
            raise ValueError(f"two services are named {s.name!r}")
        found[s.name] = s
    return MappingProxyType(found)


SERVICES: Mapping[str, Service] = _by_name(
    ORGANIZATIONS,
    GUARDDUTY,
    SECURITYHUB,
    CONFIG,
    INSPECTOR,
    ACCESSANALYZER,
    MACIE,
    SSM,
    TRUSTEDADVISOR,
    IDENTITYCENTER,
    GUARDRAILS,
    STACKSETS,
    CLOUDTRAIL,
)
"""Collector name -> its service, in the order ``orginsight collect`` lists them (Organizations first:
the other services name accounts from its snapshot)."""

SHARED_OPERATIONS: frozenset[Operation] = session.OPERATIONS | regions.OPERATIONS
"""Calls of the collectors' shared plumbing (identity, member roles, enabled regions)."""


def operations() -> frozenset[Operation]:
    """Every boto3 call orginsight makes: each service's and the shared plumbing's."""
    return SHARED_OPERATIONS.union(*(s.operations for s in SERVICES.values()))


def coverage_rows() -> tuple[Coverage, ...]:
    """The coverage matrix's service columns the registry knows, in registry order."""
    return tuple(c for s in SERVICES.values() for c in s.coverage)


def demo_records() -> dict[str, frozenset[str]]:
    """boto3 service name -> the operations a demo lake records under ``api/<service>/``."""
    found: dict[str, frozenset[str]] = {}
    for s in SERVICES.values():
        found[s.api] = found.get(s.api, frozenset()) | s.demo_records
    return found


def recorded_findings(recording: ApiRecording, org: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every service's findings in the recorded pages, as one normalized findings frame.

    One bad finding loses only itself (``df.attrs["errors"]`` says where: service, operation, page).
    """
    pages = [
        page
        for s in SERVICES.values()
        for operation in s.finding_pages
        for region in recording.regions(s.api)
        for page in recording.responses(s.api, region, operation)
    ]
    return normalize_findings(pages, org=org, origin="recorded findings pages")
