"""IAM Identity Center (sso-admin and identitystore): instances, permission sets, assignments, people.

Identity Center lives in one home region of the management account (or of its delegated administrator):
the organization instance and its identity store are read there, and nowhere else (IAM Identity Center
User Guide, "IAM Identity Center Region availability", 2024). ``orginsight collect identitycenter`` reads
``--home-region`` (``RunOptions.region``), else the session's region. A delegated administrator cannot
manage the permission sets provisioned to the management account (User Guide, "Delegated administration"),
so read from it, that account's assignments may be missing: read from the management account for all.

In that region:

- ``list_instances``: no ACTIVE instance there is ``Status.NOT_ENABLED`` (code ``IdentityCenterNotEnabled``),
  and nothing else is called;
- per instance, ``list_permission_sets``, and per permission set (on the fan-out's thread pool):
  ``describe_permission_set`` (name, description, ISO 8601 session duration, relay state), its AWS
  managed and customer managed policies, its inline policy and its permissions boundary
  (``ResourceNotFoundException`` there means "no boundary": recorded as an empty answer, not a failure),
  then ``list_accounts_for_provisioned_permission_set`` and ``list_account_assignments`` per account:
  who (USER or GROUP, by identity store id) holds it in which account;
- the instance's identity store: ``list_users``, ``list_groups``, ``list_group_memberships`` per group.

Every list is read 100 a page, the API maximum (botocore models of sso-admin and identitystore, 2026).
"Who can do what where", the expansion of group assignments to people, is ``analytics/access.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Unpack

import pandas as pd
from botocore.exceptions import ClientError

from orginsight.collectors.calls import RecordedCalls
from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog, Target, fan_out
from orginsight.collectors.recording import ApiRecording, Call
from orginsight.collectors.service import LiveRun, RunOptions, Service, collect_live
from orginsight.sources.findings import to_utc

SERVICE = "sso-admin"
IDENTITYSTORE = "identitystore"
NAME = "identitycenter"

PAGE = 100
"""MaxResults of every list call here is capped at 100 (botocore models, 2026)."""

NOT_ENABLED_CODE = "IdentityCenterNotEnabled"
"""Outcome error code of a region without an active Identity Center instance."""

NO_BOUNDARY_CODE = "ResourceNotFoundException"
"""What GetPermissionsBoundaryForPermissionSet answers for a permission set without a boundary (public
collectors treat it so; moto 5.2 does not implement the call)."""

INSTANCE_COLUMNS = [
    "region",
    "instance_arn",
    "identity_store_id",
    "owner_account_id",
    "status",
    "name",
    "created_at",
]
PERMISSION_SET_COLUMNS = [
    "instance_arn",
    "permission_set_arn",
    "name",
    "description",
    "session_duration",
    "session_duration_s",
    "relay_state",
    "created_at",
    "managed_policies",
    "customer_managed_policies",
    "has_inline_policy",
    "inline_policy",
    "permissions_boundary",
]
ASSIGNMENT_COLUMNS = ["instance_arn", "account_id", "permission_set_arn", "principal_type", "principal_id"]
USER_COLUMNS = [
    "identity_store_id",
    "user_id",
    "user_name",
    "display_name",
    "email",
    "given_name",
    "family_name",
    "status",
    "active",
    "external_id",
]
GROUP_COLUMNS = ["identity_store_id", "group_id", "display_name", "description", "external_id"]
MEMBERSHIP_COLUMNS = ["identity_store_id", "group_id", "user_id", "membership_id"]


# ----------------------------------------------------------------------------- get (API pages)


def get_region(admin: RecordedCalls, store: RecordedCalls, workers: int = 1, progress: bool = False) -> int:
    """Record Identity Center in one region (``admin``: sso-admin, ``store``: identitystore there); returns
    the permission sets, assignments and users read."""
    listed = admin.pages("list_instances", MaxResults=PAGE)
    if listed is None:
        return 0
    instances = [
        i for page in listed for i in page.get("Instances", []) if i.get("Status", "ACTIVE") == "ACTIVE"
    ]
    if not instances:
        message = (
            f"no active IAM Identity Center instance in {admin.region}: Identity Center lives in one home "
            "region of the management account or its delegated administrator (--home-region)"
        )
        return admin.not_there("list_instances", NOT_ENABLED_CODE, message)
    items = 0
    for instance in instances:
        items += get_permission_sets(admin, instance["InstanceArn"], workers, progress)
        items += get_identity_store(store, instance["IdentityStoreId"])
    admin.log.ok(admin.account, admin.region, NAME, items=items)
    return items


def get_permission_sets(admin: RecordedCalls, instance_arn: str, workers: int, progress: bool) -> int:
    """Every permission set of the instance, each read on the bounded thread pool; returns sets + assignments."""
    pages = admin.pages("list_permission_sets", InstanceArn=instance_arn, MaxResults=PAGE) or []
    arns = [arn for page in pages for arn in page.get("PermissionSets", [])]
    done = fan_out(
        lambda t: get_permission_set(admin, instance_arn, t.detail or ""),
        [Target(admin.account, admin.region, arn) for arn in arns],
        admin.log,
        "identitycenter permission set",
        workers=workers,
        progress=progress,
    )
    return len(arns) + sum(n for _t, n in done)


def get_permission_set(admin: RecordedCalls, instance_arn: str, arn: str) -> int:
    """One permission set: what it grants, how long its sessions last, where and to whom; returns assignments."""
    ps = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
    admin.one("describe_permission_set", **ps)
    admin.pages("list_managed_policies_in_permission_set", **ps, MaxResults=PAGE)
    admin.pages("list_customer_managed_policy_references_in_permission_set", **ps, MaxResults=PAGE)
    admin.one("get_inline_policy_for_permission_set", **ps)
    get_permissions_boundary(admin, ps)
    provisioned = admin.pages("list_accounts_for_provisioned_permission_set", **ps, MaxResults=PAGE) or []
    assigned = 0
    for account in [a for page in provisioned for a in page.get("AccountIds", [])]:
        found = admin.pages("list_account_assignments", **ps, AccountId=account, MaxResults=PAGE) or []
        assigned += sum(len(page.get("AccountAssignments", [])) for page in found)
    return assigned


def get_permissions_boundary(admin: RecordedCalls, ps: dict[str, str]) -> dict[str, Any] | None:
    """The permission set's boundary call, recorded; "not found" is recorded as ``{}`` (no boundary)."""
    operation = "get_permissions_boundary_for_permission_set"

    def call() -> dict[str, Any]:
        try:
            return admin.client.get_permissions_boundary_for_permission_set(**ps)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == NO_BOUNDARY_CODE:
                return {}
            raise

    response = admin.run(operation, call)
    if response is None:
        return None
    return admin.recording.add(SERVICE, admin.region, operation, ps, response, admin.account)


def get_identity_store(store: RecordedCalls, store_id: str) -> int:
    """The identity store's users, groups and each group's members; returns the users read."""
    users = store.pages("list_users", IdentityStoreId=store_id, MaxResults=PAGE) or []
    groups = store.pages("list_groups", IdentityStoreId=store_id, MaxResults=PAGE) or []
    for group in [g["GroupId"] for page in groups for g in page.get("Groups", [])]:
        store.pages("list_group_memberships", IdentityStoreId=store_id, GroupId=group, MaxResults=PAGE)
    return sum(len(page.get("Users", [])) for page in users)


def get_instance(
    connection: Any,
    recording: ApiRecording,
    log: OutcomeLog,
    region: str | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> str:
    """Record Identity Center from its home region (default: the connection's); returns that region."""
    region = region or connection.home_region
    admin = RecordedCalls(connection.client(SERVICE, region), recording, log, SERVICE, region)
    store = RecordedCalls(connection.client("identitystore", region), recording, log, IDENTITYSTORE, region)
    get_region(admin, store, workers, progress)
    return region


# ----------------------------------------------------------------------------- transform (pure)


_DURATION = re.compile(
    r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?", re.IGNORECASE
)


def duration_seconds(iso: str | None) -> int | None:
    """Seconds of an ISO 8601 duration as Identity Center writes session durations (``PT1H``, ``PT12H``,
    ``PT2H30M``); None for none or anything else (no year or month: a session lasts 1 to 12 hours)."""
    found = _DURATION.fullmatch(iso.strip()) if iso else None
    if found is None or not any(found.groupdict().values()):
        return None
    parts = {k: float(v or 0) for k, v in found.groupdict().items()}
    return round(parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"])


def transform_instances(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """One row per Identity Center instance of ListInstances pages."""
    return [
        {
            "region": region,
            "instance_arn": i["InstanceArn"],
            "identity_store_id": i.get("IdentityStoreId"),
            "owner_account_id": i.get("OwnerAccountId"),
            "status": i.get("Status"),
            "name": i.get("Name"),
            "created_at": to_utc(i.get("CreatedDate")),
        }
        for call in calls
        for i in call["response"].get("Instances", [])
    ]


def _by_permission_set(calls: list[Call]) -> dict[str, list[dict[str, Any]]]:
    """Permission set ARN (from each call's params) -> its responses, in call order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for call in calls:
        found.setdefault(call["params"]["PermissionSetArn"], []).append(call["response"])
    return found


def _boundary(response: dict[str, Any]) -> str | None:
    """A boundary as one string: the AWS managed policy's ARN, or a customer managed policy's path + name."""
    boundary = response.get("PermissionsBoundary") or {}
    if boundary.get("ManagedPolicyArn"):
        return boundary["ManagedPolicyArn"]
    ref = boundary.get("CustomerManagedPolicyReference")
    return f"{ref.get('Path') or '/'}{ref['Name']}" if ref else None


def transform_permission_sets(calls: Mapping[str, list[Call]]) -> list[dict[str, Any]]:
    """One row per permission set of ListPermissionSets, with what its per-set calls say (``calls``:
    operation -> recorded calls). A call that failed leaves its columns None; policies are JSON lists."""
    described = _by_permission_set(calls.get("describe_permission_set", []))
    managed = _by_permission_set(calls.get("list_managed_policies_in_permission_set", []))
    customer = _by_permission_set(calls.get("list_customer_managed_policy_references_in_permission_set", []))
    inline = _by_permission_set(calls.get("get_inline_policy_for_permission_set", []))
    boundary = _by_permission_set(calls.get("get_permissions_boundary_for_permission_set", []))
    rows = []
    for call in calls.get("list_permission_sets", []):
        for arn in call["response"].get("PermissionSets", []):
            ps = (described.get(arn) or [{}])[-1].get("PermissionSet") or {}
            policies = [p["Arn"] for r in managed.get(arn, []) for p in r.get("AttachedManagedPolicies", [])]
            refs = [
                f"{p.get('Path') or '/'}{p['Name']}"
                for r in customer.get(arn, [])
                for p in r.get("CustomerManagedPolicyReferences", [])
            ]
            text = (inline[arn][-1].get("InlinePolicy") or None) if arn in inline else None
            rows.append(
                {
                    "instance_arn": call["params"]["InstanceArn"],
                    "permission_set_arn": arn,
                    "name": ps.get("Name"),
                    "description": ps.get("Description"),
                    "session_duration": ps.get("SessionDuration"),
                    "session_duration_s": duration_seconds(ps.get("SessionDuration")),
                    "relay_state": ps.get("RelayState"),
                    "created_at": to_utc(ps.get("CreatedDate")),
                    "managed_policies": json.dumps(sorted(policies)) if arn in managed else None,
                    "customer_managed_policies": json.dumps(sorted(refs)) if arn in customer else None,
                    "has_inline_policy": text is not None if arn in inline else None,
                    "inline_policy": text,
                    "permissions_boundary": _boundary(boundary[arn][-1]) if arn in boundary else None,
                }
            )
    return rows


def transform_account_assignments(calls: list[Call]) -> list[dict[str, Any]]:
    """One row per (account, permission set, principal) of ListAccountAssignments pages."""
    return [
        {
            "instance_arn": call["params"]["InstanceArn"],
            "account_id": a["AccountId"],
            "permission_set_arn": a["PermissionSetArn"],
            "principal_type": a["PrincipalType"],
            "principal_id": a["PrincipalId"],
        }
        for call in calls
        for a in call["response"].get("AccountAssignments", [])
    ]


def _primary_email(user: dict[str, Any]) -> str | None:
    emails = user.get("Emails") or []
    primary = [e for e in emails if e.get("Primary")] or emails
    return primary[0].get("Value") if primary else None


def _external_id(item: dict[str, Any]) -> str | None:
    """The identity provider's id (SCIM ``externalId``, e.g. an Entra ID or Okta user), when synced."""
    ids = item.get("ExternalIds") or []
    return ids[0].get("Id") if ids else None


def transform_users(calls: list[Call]) -> list[dict[str, Any]]:
    """One row per user of ListUsers pages. ``active`` is ``UserStatus`` != DISABLED (None when a response
    has no ``UserStatus``, which the API added in 2025: unknown, not disabled)."""
    rows = []
    for call in calls:
        for u in call["response"].get("Users", []):
            status = u.get("UserStatus")
            rows.append(
                {
                    "identity_store_id": u.get("IdentityStoreId") or call["params"].get("IdentityStoreId"),
                    "user_id": u["UserId"],
                    "user_name": u.get("UserName"),
                    "display_name": u.get("DisplayName"),
                    "email": _primary_email(u),
                    "given_name": (u.get("Name") or {}).get("GivenName"),
                    "family_name": (u.get("Name") or {}).get("FamilyName"),
                    "status": status,
                    "active": None if status is None else status != "DISABLED",
                    "external_id": _external_id(u),
                }
            )
    return rows


def transform_groups(calls: list[Call]) -> list[dict[str, Any]]:
    """One row per group of ListGroups pages."""
    return [
        {
            "identity_store_id": g.get("IdentityStoreId") or call["params"].get("IdentityStoreId"),
            "group_id": g["GroupId"],
            "display_name": g.get("DisplayName"),
            "description": g.get("Description"),
            "external_id": _external_id(g),
        }
        for call in calls
        for g in call["response"].get("Groups", [])
    ]


def transform_group_memberships(calls: list[Call]) -> list[dict[str, Any]]:
    """One row per (group, user) of ListGroupMemberships pages (members are users: groups do not nest)."""
    return [
        {
            "identity_store_id": m.get("IdentityStoreId") or call["params"].get("IdentityStoreId"),
            "group_id": m.get("GroupId") or call["params"]["GroupId"],
            "user_id": m["MemberId"]["UserId"],
            "membership_id": m.get("MembershipId"),
        }
        for call in calls
        for m in call["response"].get("GroupMemberships", [])
        if (m.get("MemberId") or {}).get("UserId")
    ]


PERMISSION_SET_CALLS = (
    "list_permission_sets",
    "describe_permission_set",
    "list_managed_policies_in_permission_set",
    "list_customer_managed_policy_references_in_permission_set",
    "get_inline_policy_for_permission_set",
    "get_permissions_boundary_for_permission_set",
)
"""The sso-admin operations ``transform_permission_sets`` reads."""

TABLE_KEYS = {
    "instances": (INSTANCE_COLUMNS, ["instance_arn"]),
    "permission_sets": (PERMISSION_SET_COLUMNS, ["permission_set_arn"]),
    "account_assignments": (ASSIGNMENT_COLUMNS, ASSIGNMENT_COLUMNS),
    "users": (USER_COLUMNS, ["identity_store_id", "user_id"]),
    "groups": (GROUP_COLUMNS, ["identity_store_id", "group_id"]),
    "group_memberships": (MEMBERSHIP_COLUMNS, ["identity_store_id", "group_id", "user_id"]),
}
"""Table -> (columns, the key a row is unique by: a later read of the same thing wins)."""


def identitycenter_frames(
    recording: ApiRecording, org: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Every Identity Center table from recorded pages: instances, permission_sets, account_assignments,
    users, groups, group_memberships (``org`` is not needed: ``analytics.access`` names accounts)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_KEYS}
    for region in recording.regions(SERVICE):
        rows["instances"] += transform_instances(region, recording.calls(SERVICE, region, "list_instances"))
        per_set = {op: recording.calls(SERVICE, region, op) for op in PERMISSION_SET_CALLS}
        rows["permission_sets"] += transform_permission_sets(per_set)
        rows["account_assignments"] += transform_account_assignments(
            recording.calls(SERVICE, region, "list_account_assignments")
        )
    for region in recording.regions(IDENTITYSTORE):
        rows["users"] += transform_users(recording.calls(IDENTITYSTORE, region, "list_users"))
        rows["groups"] += transform_groups(recording.calls(IDENTITYSTORE, region, "list_groups"))
        rows["group_memberships"] += transform_group_memberships(
            recording.calls(IDENTITYSTORE, region, "list_group_memberships")
        )
    frames = {}
    for name, (columns, key) in TABLE_KEYS.items():
        df = pd.DataFrame(rows[name], columns=columns)
        frames[name] = df.drop_duplicates(key, keep="last").reset_index(drop=True) if len(df) else df
    return frames


def collect_identitycenter(
    connection: Any, region: str | None = None, **run: Unpack[LiveRun]
) -> dict[str, pd.DataFrame]:
    """Live Identity Center tables from ``region`` (default: the connection's home region); each frame's
    ``attrs["failures"]`` lists what failed."""
    return collect_live(
        identitycenter_frames,
        lambda recording, log, workers, progress: get_instance(
            connection, recording, log, region, workers, progress
        ),
        **run,
    )


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect identitycenter``: the home region only (``--home-region``, else the session's)."""
    return [get_instance(connection, recording, log, options.region, options.workers, options.progress)]


CALLS = (
    "describe_permission_set",
    "get_inline_policy_for_permission_set",
    "get_permissions_boundary_for_permission_set",
    "list_account_assignments",
    "list_accounts_for_provisioned_permission_set",
    "list_customer_managed_policy_references_in_permission_set",
    "list_instances",
    "list_managed_policies_in_permission_set",
    "list_permission_sets",
)
"""The sso-admin operations ``get_region`` calls."""

STORE_CALLS = ("list_group_memberships", "list_groups", "list_users")
"""The identitystore operations ``get_identity_store`` calls."""

IDENTITYCENTER = Service(
    api=SERVICE,
    name=NAME,
    calls=CALLS,
    other_calls=frozenset((IDENTITYSTORE, op) for op in STORE_CALLS),
    tables=(
        transform_instances,
        transform_permission_sets,
        transform_account_assignments,
        transform_users,
        transform_groups,
        transform_group_memberships,
    ),
    frames=identitycenter_frames,
    get=get_for_run,
)
"""Identity Center in the registry (``orginsight.collectors.registry.SERVICES["identitycenter"]``)."""
