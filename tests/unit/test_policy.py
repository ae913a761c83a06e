"""The shipped IAM policy holds exactly the read-only actions the code calls, plus Athena's documented needs.

What the code calls is declared in the service registry (``orginsight.collectors.registry``:
each service's ``operations``, plus the shared plumbing's), and mapped to IAM actions through
botocore's own method-to-API table. The declarations are checked against the source, scanned
with ``ast``: in each module, every method call ``x.<op>(...)`` and every string literal naming
an operation (``get_paginator("op")``, ``paginate(client, "op")``, helper calls like
``pages("list_members")``) is matched against the boto3 services that module creates clients
for (``.client("svc", ...)`` or ``SERVICE = "svc"``). Literals of module-level constants
(``GUARDDUTY = Service(...)``, ``OPERATIONS = ...``) are declarations, not calls, and are not counted.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import boto3
import pytest

from orginsight.collectors import registry

SRC = Path(__file__).resolve().parents[2] / "src" / "orginsight"
POLICY = SRC / "policies" / "orginsight-readonly.json"
POLICY_README = SRC / "policies" / "README.md"

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

IAM_NAMES = {
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
}
"""API operations authorized by an IAM action of another name (Service Authorization Reference, S3, 2024)."""

DOCUMENTED_WRITES = {
    "kms:Decrypt": "decrypts the GuardDuty export GuardDuty encrypted with KMS; changes nothing",
    "athena:StartQueryExecution": "runs a query",
    "athena:StopQueryExecution": "cancels a query",
    "s3:PutObject": "Athena writes the query results to the results bucket as the caller",
    "sts:AssumeRole": "member-account read-only role inside the organization, with --member-role only",
}
READ_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Search", "Select")
# Select: AWS Config's Select*ResourceConfig queries the recorded configuration, and changes nothing.

ORG_ID_PLACEHOLDER = "o-xxxxxxxxxx"
WORKGROUP_ARN = "arn:aws:athena:*:*:workgroup/WORKGROUP"
RESULTS_OBJECTS = "arn:aws:s3:::ATHENA-RESULTS-BUCKET/*"
QUERY_EXECUTION = {"athena:StartQueryExecution", "athena:StopQueryExecution"}
"""The Athena writes: running and cancelling a query (in the named workgroup)."""


def statements() -> list[dict]:
    return json.loads(POLICY.read_text())["Statement"]


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def policy_actions() -> set[str]:
    return {a for s in statements() if s["Effect"] == "Allow" for a in listed(s["Action"])}


def statements_granting(pattern: str) -> list[dict]:
    """Allow statements with an action matching ``pattern`` (a regex over ``service:Action``)."""
    return [
        s
        for s in statements()
        if s["Effect"] == "Allow" and any(re.fullmatch(pattern, a) for a in listed(s["Action"]))
    ]


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


def _declared(tree: ast.Module) -> set[int]:
    """ids of the string literals in module-level constants (``NAME = ...``): declarations, not calls."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if all(isinstance(t, ast.Name) and t.id.isupper() for t in targets):
            found |= {id(n) for n in ast.walk(node) if isinstance(n, ast.Constant)}
    return found


SESSION = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")


def _client_meta(service: str):  # noqa: ANN202 - botocore's ClientMeta
    return SESSION.client(service).meta


def iam_action(service: str, operation: str) -> str:
    """The IAM action of a boto3 call (``("s3", "list_objects_v2")`` -> ``s3:ListBucket``)."""
    meta = _client_meta(service)
    action = f"{meta.service_model.signing_name}:{meta.method_to_api_mapping[operation]}"
    return IAM_NAMES.get(action, action)


def called_actions() -> dict[str, set[str]]:
    """IAM action -> modules that call it, for every boto3 operation named in the source."""
    known = set(SESSION.get_available_services())
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        services = _services_of(tree) & known
        if not services:
            continue
        declared = _declared(tree)
        names = {
            n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        }
        names |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and n.value.isidentifier()
            and id(n) not in declared
        }
        for service in services:
            for name in names & set(_client_meta(service).method_to_api_mapping):
                found.setdefault(iam_action(service, name), set()).add(str(path.relative_to(SRC)))
    return found


def registry_actions() -> dict[str, set[str]]:
    """IAM action -> the registry entries that declare it (a collector name, or "shared")."""
    owners = {op: {"shared"} for op in registry.SHARED_OPERATIONS}
    for s in registry.SERVICES.values():
        for op in s.operations:
            owners.setdefault(op, set()).add(s.name)
    found: dict[str, set[str]] = {}
    for (service, operation), names in owners.items():
        found.setdefault(iam_action(service, operation), set()).update(names)
    return found


def test_every_declared_operation_is_a_boto3_operation() -> None:
    unknown = sorted(
        (service, op)
        for service, op in registry.operations()
        if op not in _client_meta(service).method_to_api_mapping
    )
    assert unknown == [], f"not boto3 operations (snake_case, as in client.<operation>): {unknown}"


def test_the_registry_declares_exactly_what_the_code_calls() -> None:
    called, declared = called_actions(), registry_actions()
    undeclared = {a: sorted(m) for a, m in called.items() if a not in declared}
    assert undeclared == {}, f"declare these in their service's operations (collectors/): {undeclared}"
    uncalled = {a: sorted(m) for a, m in declared.items() if a not in called}
    assert uncalled == {}, f"declared but nothing in src/ calls them: {uncalled}"


def test_every_api_the_code_calls_is_in_the_policy() -> None:
    called = called_actions()
    assert "guardduty:GetFindings" in called and "organizations:ListAWSServiceAccessForOrganization" in called
    missing = {a: sorted(m) for a, m in called.items() if a not in policy_actions()}
    assert missing == {}, f"add these to {POLICY.name}: {missing}"


def test_every_declared_operation_is_in_the_policy() -> None:
    missing = {a: sorted(m) for a, m in registry_actions().items() if a not in policy_actions()}
    assert missing == {}, f"add these to {POLICY.name}: {missing}"


def test_the_policy_grants_nothing_the_code_does_not_call() -> None:
    called = set(registry_actions())
    unused = policy_actions() - called - ATHENA_ACTIONS - IMPLIED_ACTIONS
    assert unused == set(), f"remove from {POLICY.name} (nothing calls them): {sorted(unused)}"


@pytest.mark.parametrize("action", sorted(policy_actions()))
def test_every_action_is_read_only_or_a_documented_athena_write(action: str) -> None:
    verb = action.split(":", 1)[1]
    assert verb.startswith(READ_PREFIXES) or action in DOCUMENTED_WRITES, f"{action} is a write action"


def test_no_wildcard_actions() -> None:
    assert not [a for a in policy_actions() if "*" in a]


def test_every_statement_is_a_plain_allow() -> None:
    """No NotAction / NotResource (they grant what they do not name), and no Deny to reason about."""
    for s in statements():
        assert set(s) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, s.get("Sid")
        assert s["Effect"] == "Allow" and re.fullmatch(r"[A-Za-z0-9]+", s["Sid"])


def test_assume_role_reaches_only_roles_inside_the_organization() -> None:
    granting = statements_granting(r"sts:(AssumeRole.*|\*)")
    assert granting, "the member-role statement is missing"
    for s in granting:
        assert listed(s["Action"]) == ["sts:AssumeRole"], s["Sid"]
        assert s["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORG_ID_PLACEHOLDER}}, s["Sid"]
        role = r"arn:aws:iam::\*:role/[A-Za-z0-9+=,.@_-]+"
        assert all(re.fullmatch(role, r) for r in listed(s["Resource"])), s["Sid"]
    # A well-formed id, so the policy is valid as shipped (and matches no organization until filled in).
    assert re.fullmatch(r"o-[a-z0-9]{10,32}", ORG_ID_PLACEHOLDER)


def test_athena_is_limited_to_the_named_workgroup() -> None:
    granting = statements_granting(r"athena:.*")
    assert granting
    for s in granting:
        assert listed(s["Resource"]) == [WORKGROUP_ARN], s["Sid"]
    assert {a for s in granting for a in listed(s["Action"])} >= QUERY_EXECUTION


def test_no_write_beyond_athena_query_execution_and_its_results() -> None:
    """Every non-read action is scoped: queries to the workgroup, PutObject to the results objects,
    Decrypt to the export key, AssumeRole to the organization."""
    for s in statements():
        resources = listed(s["Resource"])
        for action in listed(s["Action"]):
            if action.split(":", 1)[1].startswith(READ_PREFIXES):
                continue
            if action in QUERY_EXECUTION:
                assert resources == [WORKGROUP_ARN], (s["Sid"], action)
            elif action == "s3:PutObject":
                assert resources == [RESULTS_OBJECTS], (s["Sid"], action)
            elif action == "kms:Decrypt":
                assert resources == ["arn:aws:kms:REGION:ACCOUNT:key/GUARDDUTY-EXPORT-KEY-ID"], s["Sid"]
            elif action == "sts:AssumeRole":
                assert "aws:ResourceOrgID" in s["Condition"]["StringEquals"], s["Sid"]
            else:
                raise AssertionError(f"{s['Sid']} grants the write action {action}")


def placeholders() -> set[str]:
    """The values a user must replace: upper-case names in resources, the organization id, the role name."""
    found = {ORG_ID_PLACEHOLDER, "OrgInsightReadOnly"}
    for s in statements():
        for resource in listed(s["Resource"]):
            if resource == "*":
                continue
            found |= set(re.findall(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*(?![a-z])", resource.split(":", 2)[2]))
    return found


def test_the_readme_says_how_to_fill_in_every_placeholder() -> None:
    text = POLICY_README.read_text()
    assert {"WORKGROUP", "ATHENA-RESULTS-BUCKET", "TRAIL-BUCKET", "GUARDDUTY-EXPORT-KEY-ID"} <= placeholders()
    missing = {p for p in placeholders() if f"`{p}`" not in text}
    assert missing == set(), f"{POLICY_README.name} does not explain {sorted(missing)}"
    for s in statements():
        if "Replace" in s["Sid"]:
            assert s["Sid"] in text, f"{POLICY_README.name} does not name statement {s['Sid']}"
