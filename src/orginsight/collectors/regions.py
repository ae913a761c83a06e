"""Which regions to collect from: the account's enabled regions, opt-in regions included only when opted in.

EC2 DescribeRegions with ``AllRegions=True`` lists every region of the partition with
its ``OptInStatus`` ("opt-in-not-required", "opted-in" or "not-opted-in") (EC2 API
Reference, 2024). Calling a region that is not opted in fails with an authentication
error (UnrecognizedClientException / InvalidClientTokenId / AuthFailure), which the
fan-out records as ``Status.REGION_DISABLED`` when a user names such a region.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orginsight.errors import CollectionError

ENABLED_STATUSES = frozenset({"opt-in-not-required", "opted-in"})

OPERATIONS = frozenset({("ec2", "describe_regions")})
"""Calls of regional collectors, to pick the account's enabled regions."""


def transform_regions(response: dict[str, Any]) -> list[str]:
    """Enabled region names from one DescribeRegions response, sorted."""
    return sorted(
        r["RegionName"]
        for r in response["Regions"]
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED_STATUSES
    )


def enabled_regions(connection: Any, service: str | None = None) -> list[str]:
    """The account's enabled regions, limited to those where ``service`` has an endpoint."""
    ec2 = connection.client("ec2", connection.home_region)
    regions = transform_regions(ec2.describe_regions(AllRegions=True))
    if service is not None:
        available = set(connection.session.get_available_regions(service))
        regions = [r for r in regions if r in available] if available else regions
    return regions


def resolve_regions(
    spec: str | Sequence[str] | None, connection: Any, service: str | None = None
) -> list[str]:
    """``"all"`` (or None) -> enabled regions; ``"eu-west-1,us-east-1"`` or a list -> exactly those."""
    if spec is None or spec == "all":
        try:
            return enabled_regions(connection, service)
        except Exception as e:  # noqa: BLE001 - any failure here means we cannot pick regions at all
            raise CollectionError(
                f"could not list enabled regions with ec2:DescribeRegions from {connection.home_region} ({e}); "
                "pass --region eu-west-1,us-east-1 to name them"
            ) from e
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise CollectionError("no regions given: pass --region all or a comma-separated list")
    return names
