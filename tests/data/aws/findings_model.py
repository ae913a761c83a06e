"""Findings built from botocore's service models, for the findings-frame tests.

``example(shape)`` fills every member of a model shape (enums take their first value, strings are
``<ShapeName>-1``), so a test can build, per resource type of a model, a finding with exactly that
resource populated; ``valid_response`` checks a response against the model with botocore's Stubber
(the house rule for invented responses).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.stub import Stubber

SESSION = botocore.session.get_session()
WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def model(service: str) -> Any:
    return SESSION.get_service_model(service)


def example(shape: Any, depth: int = 30, seen: tuple[str, ...] = ()) -> Any:
    """A value of ``shape`` with every member filled (recursive shapes are cut where they recur)."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document") or depth == 0:
            return {}
        return {
            name: example(member, depth - 1, (*seen, shape.name))
            for name, member in shape.members.items()
            if member.name not in seen and member.name != shape.name
        }
    if kind == "list":
        return [] if shape.member.name in seen else [example(shape.member, depth - 1, seen)]
    if kind == "map":
        return {"key-1": example(shape.value, depth - 1, seen)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 64)
        return f"{shape.name}-1".ljust(low, "0")[: max(high, low)]
    if kind in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return WHEN
    if kind == "blob":
        return b"x"
    return None


def valid_response(service: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """``response`` unchanged, after botocore's Stubber checked it against ``operation``'s output shape."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    Stubber(client).add_response(operation, response)  # raises ParamValidationError on a wrong shape
    return response
