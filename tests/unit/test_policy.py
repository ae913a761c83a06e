"""The shipped IAM policy holds exactly the read-only actions the code calls, plus Athena's documented needs.

The source is scanned with ``ast``: in each module, every method call ``x.<op>(...)``
and every string literal naming an operation (``get_paginator("op")``, ``paginate(client,
"op")``, helper calls like ``pages("list_members")``) is matched against the boto3 services
that module creates clients for (``.client("svc", ...)`` or ``SERVICE = "svc"``), and mapped
to its IAM action through botocore's own method-to-API table.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import boto3
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "orginsight"
POLICY = SRC / "policies" / "orginsight-readonly.json"

ATHENA_ACTIONS = {
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StopQueryExecution",
    "athena:GetWorkGroup",
    "glue:GetTable",
    "glue:GetDatabase",
    "glue:GetPartitions",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:GetBucketLocation",
}
"""What Athena queries need (pyathena's calls, and Athena's own reads and result write with the caller's rights)."""

IMPLIED_ACTIONS = {"kms:Decrypt"}
"""Needed by a call without being one: S3 GetObject of the SSE-KMS encrypted GuardDuty export."""

IAM_NAMES = {"s3:ListObjectsV2": "s3:ListBucket"}
"""API operations authorized by an IAM action of another name (Service Authorization Reference, S3, 2024)."""

DOCUMENTED_WRITES = {
    "kms:Decrypt": "decrypts the GuardDuty export GuardDuty encrypted with KMS; changes nothing",
    "athena:StartQueryExecution": "runs a query",
    "athena:StopQueryExecution": "cancels a query",
    "s3:PutObject": "Athena writes the query results to the results bucket as the caller",
    "sts:AssumeRole": "member-account read-only role, with --member-role only",
}
READ_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Search")


def policy_actions() -> set[str]:
    doc = json.loads(POLICY.read_text())
    return {
        a
        for s in doc["Statement"]
        if s["Effect"] == "Allow"
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


def _services_of(tree: ast.AST) -> set[str]:
    services = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "client"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            services.add(node.args[0].value)
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "SERVICE" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            services.add(node.value.value)
    return services


def called_actions() -> dict[str, set[str]]:
    """IAM action -> modules that call it, for every boto3 operation named in the source."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    known = set(session.get_available_services())
    mappings: dict[str, dict[str, str]] = {}
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        services = _services_of(tree) & known
        if not services:
            continue
        names = {
            n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        }
        names |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier()
        }
        for service in services:
            if service not in mappings:
                mappings[service] = session.client(service).meta.method_to_api_mapping
            iam_prefix = session.client(service).meta.service_model.signing_name
            for name in names & set(mappings[service]):
                action = f"{iam_prefix}:{mappings[service][name]}"
                found.setdefault(IAM_NAMES.get(action, action), set()).add(str(path.relative_to(SRC)))
    return found


def test_every_api_the_code_calls_is_in_the_policy() -> None:
    called = called_actions()
    assert "guardduty:GetFindings" in called and "organizations:ListAWSServiceAccessForOrganization" in called
    missing = {a: sorted(m) for a, m in called.items() if a not in policy_actions()}
    assert missing == {}, f"add these to {POLICY.name}: {missing}"


def test_the_policy_grants_nothing_the_code_does_not_call() -> None:
    called = set(called_actions())
    unused = policy_actions() - called - ATHENA_ACTIONS - IMPLIED_ACTIONS
    assert unused == set(), f"remove from {POLICY.name} (nothing calls them): {sorted(unused)}"


@pytest.mark.parametrize("action", sorted(policy_actions()))
def test_every_action_is_read_only_or_a_documented_athena_write(action: str) -> None:
    verb = action.split(":", 1)[1]
    assert verb.startswith(READ_PREFIXES) or action in DOCUMENTED_WRITES, f"{action} is a write action"


def test_no_wildcard_actions() -> None:
    assert not [a for a in policy_actions() if "*" in a]
