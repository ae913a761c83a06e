"""IAM Identity Center (sso-admin, identitystore) API test data named after the calls, shaped like boto3 responses.

No real sso-admin or identitystore response is public (../shared/data/README.md: the copies found are
hand-written mocks), so these follow botocore's models (InstanceMetadata, PermissionSet, AccountAssignment,
User, Group, GroupMembership shapes); every one passes through Stubber in the collector tests, which checks
it against the model. Ids follow the documented formats: ``ssoins-`` + 16 hex, ``ps-`` + 16 hex, identity
store ``d-`` + 10 characters, user and group ids ``<10 hex>-<uuid>``.

The organization: three accounts (prod, dev, security), four permission sets (one unassigned), three groups,
five people: Alice (direct), Bob (two groups), Carol (disabled), Dave (readers), Erin (nothing assigned).
"""

from __future__ import annotations

from typing import Any

from orginsight.collectors.recording import ApiRecording

REGION = "eu-west-1"
"""The home region of the organization's Identity Center instance."""
MANAGEMENT = "999999999999"
PROD, DEV, SECURITY = "111111111111", "222222222222", "333333333333"
ACCOUNTS = {PROD: "prod", DEV: "dev", SECURITY: "security"}
OU_PATHS = {PROD: "Root/Workloads/Prod", DEV: "Root/Workloads/Dev", SECURITY: "Root/Security"}

INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-7223a0b1b5d2b13f"
IDENTITY_STORE_ID = "d-9367a1b2c3"


def _ps(suffix: str) -> str:
    return f"arn:aws:sso:::permissionSet/ssoins-7223a0b1b5d2b13f/ps-{suffix}"


ADMIN = _ps("5c86e7cd4bcb1a77")
DEVELOPER = _ps("0a1b2c3d4e5f6a7b")
READONLY = _ps("9f8e7d6c5b4a3f2e")
UNUSED = _ps("1234abcd5678ef90")
PERMISSION_SET_ARNS = [ADMIN, DEVELOPER, READONLY, UNUSED]

INLINE = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}'

LIST_INSTANCES = {
    "Instances": [
        {
            "InstanceArn": INSTANCE_ARN,
            "IdentityStoreId": IDENTITY_STORE_ID,
            "OwnerAccountId": MANAGEMENT,
            "Name": "example-corp",
            "CreatedDate": "2024-02-01T09:30:00+00:00",
            "Status": "ACTIVE",
        }
    ]
}
NO_INSTANCES: dict[str, Any] = {"Instances": []}

DESCRIBE_PERMISSION_SET = {
    ADMIN: {
        "PermissionSet": {
            "Name": "AdministratorAccess",
            "PermissionSetArn": ADMIN,
            "Description": "Full access, break-glass and platform team",
            "CreatedDate": "2024-02-01T10:00:00+00:00",
            "SessionDuration": "PT1H",
        }
    },
    DEVELOPER: {
        "PermissionSet": {
            "Name": "Developer",
            "PermissionSetArn": DEVELOPER,
            "Description": "Build and deploy workloads",
            "CreatedDate": "2024-02-01T10:05:00+00:00",
            "SessionDuration": "PT8H",
            "RelayState": "https://eu-west-1.console.aws.amazon.com/cloudformation/home",
        }
    },
    READONLY: {
        "PermissionSet": {
            "Name": "ReadOnly",
            "PermissionSetArn": READONLY,
            "CreatedDate": "2024-02-01T10:10:00+00:00",
            "SessionDuration": "PT2H30M",
        }
    },
    UNUSED: {
        "PermissionSet": {
            "Name": "Billing",
            "PermissionSetArn": UNUSED,
            "CreatedDate": "2024-03-01T10:00:00+00:00",
            "SessionDuration": "PT12H",
        }
    },
}

LIST_MANAGED_POLICIES_IN_PERMISSION_SET = {
    ADMIN: {
        "AttachedManagedPolicies": [
            {"Name": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
        ]
    },
    DEVELOPER: {
        "AttachedManagedPolicies": [
            {"Name": "PowerUserAccess", "Arn": "arn:aws:iam::aws:policy/PowerUserAccess"},
            {"Name": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ]
    },
    READONLY: {
        "AttachedManagedPolicies": [
            {"Name": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
        ]
    },
    UNUSED: {
        "AttachedManagedPolicies": [
            {"Name": "Billing", "Arn": "arn:aws:iam::aws:policy/job-function/Billing"}
        ]
    },
}

LIST_CUSTOMER_MANAGED_POLICY_REFERENCES_IN_PERMISSION_SET = {
    ADMIN: {"CustomerManagedPolicyReferences": []},
    DEVELOPER: {"CustomerManagedPolicyReferences": [{"Name": "DeployBuckets", "Path": "/platform/"}]},
    READONLY: {"CustomerManagedPolicyReferences": []},
    UNUSED: {"CustomerManagedPolicyReferences": []},
}

GET_INLINE_POLICY_FOR_PERMISSION_SET: dict[str, dict[str, Any]] = {
    ADMIN: {},
    DEVELOPER: {"InlinePolicy": INLINE},
    READONLY: {},
    UNUSED: {},
}
"""A set without an inline policy answers no ``InlinePolicy`` (the model's PermissionSetPolicyDocument has
min length 1, so Stubber refuses ``""``, which moto 5.2.5 answers: the collector reads both as none)."""

GET_PERMISSIONS_BOUNDARY_FOR_PERMISSION_SET = {
    DEVELOPER: {
        "PermissionsBoundary": {"CustomerManagedPolicyReference": {"Name": "WorkloadBoundary", "Path": "/"}}
    },
    READONLY: {"PermissionsBoundary": {"ManagedPolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
}
"""Boundaries of the sets that have one; the others answer ``ResourceNotFoundException``."""

LIST_ACCOUNTS_FOR_PROVISIONED_PERMISSION_SET = {
    ADMIN: {"AccountIds": [PROD, SECURITY]},
    DEVELOPER: {"AccountIds": [PROD, DEV]},
    READONLY: {"AccountIds": [PROD, DEV, SECURITY]},
    UNUSED: {"AccountIds": []},
}

# ----------------------------------------------------------------------------- the identity store

ALICE = "906722b2be-5f7d9a1e-0b1c-4d2e-8f3a-1b2c3d4e5f60"
BOB = "906722b2be-6a8e0b2f-1c2d-4e3f-9a4b-2c3d4e5f6071"
CAROL = "906722b2be-7b9f1c3a-2d3e-4f4a-8b5c-3d4e5f607182"
DAVE = "906722b2be-8c0a2d4b-3e4f-4a5b-9c6d-4e5f60718293"
ERIN = "906722b2be-9d1b3e5c-4f5a-4b6c-8d7e-5f60718293a4"
ADMINS = "906722b2be-a1b2c3d4-0000-4000-8000-000000000001"
DEVELOPERS = "906722b2be-a1b2c3d4-0000-4000-8000-000000000002"
READERS = "906722b2be-a1b2c3d4-0000-4000-8000-000000000003"


def _user(user_id: str, login: str, display: str, status: str | None = "ENABLED") -> dict[str, Any]:
    given, family = display.split()
    user: dict[str, Any] = {
        "IdentityStoreId": IDENTITY_STORE_ID,
        "UserId": user_id,
        "UserArn": f"arn:aws:identitystore:::user/{user_id}",
        "Revision": "3",
        "UserName": login,
        "Name": {"GivenName": given, "FamilyName": family},
        "DisplayName": display,
        "Emails": [
            {"Value": f"{given.lower()}.{family.lower()}@home.example", "Type": "home", "Primary": False},
            {"Value": f"{login.split('@')[0].lower()}@example-corp.com", "Type": "work", "Primary": True},
        ],
        "ExternalIds": [{"Issuer": "https://scim.example-idp.com", "Id": f"idp-{login.split('@')[0]}"}],
    }
    if status is not None:
        user["UserStatus"] = status
    return user


USERS = [
    _user(ALICE, "alice@example-corp.com", "Alice Martin"),
    _user(BOB, "Bob@Example-Corp.com", "Bob Chen"),
    _user(CAROL, "carol@example-corp.com", "Carol Diaz", status="DISABLED"),
    _user(DAVE, "dave", "Dave Okafor", status=None),  # a user name that is not an email; no UserStatus
    _user(ERIN, "erin@example-corp.com", "Erin Novak"),
]


def _group(group_id: str) -> dict[str, Any]:
    return {
        "IdentityStoreId": IDENTITY_STORE_ID,
        "GroupId": group_id,
        "GroupArn": f"arn:aws:identitystore:::group/{group_id}",
        "Revision": "1",
    }


LIST_GROUPS = {
    "Groups": [
        {**_group(ADMINS), "DisplayName": "Platform Admins"},
        {
            **_group(DEVELOPERS),
            "DisplayName": "Developers",
            "Description": "Application teams",
            "ExternalIds": [{"Issuer": "https://scim.example-idp.com", "Id": "grp-developers"}],
        },
        {**_group(READERS), "DisplayName": "Auditors"},
    ]
}

MEMBERS = {ADMINS: [BOB], DEVELOPERS: [BOB, CAROL], READERS: [DAVE]}


def list_group_memberships(group: str) -> dict[str, Any]:
    return {
        "GroupMemberships": [
            {
                "IdentityStoreId": IDENTITY_STORE_ID,
                "MembershipId": (membership := f"{user[:10]}-m{i:07d}-0000-4000-8000-{group[-12:]}"),
                "MembershipArn": f"arn:aws:identitystore:::membership/{membership}",
                "GroupId": group,
                "MemberId": {"UserId": user},
            }
            for i, user in enumerate(MEMBERS[group])
        ]
    }


ASSIGNED = {
    (ADMIN, PROD): [("USER", ALICE)],
    (ADMIN, SECURITY): [("GROUP", ADMINS)],
    (DEVELOPER, PROD): [("GROUP", DEVELOPERS)],
    (DEVELOPER, DEV): [("GROUP", DEVELOPERS), ("USER", BOB)],
    (READONLY, PROD): [("GROUP", READERS), ("GROUP", ADMINS)],
    (READONLY, DEV): [("GROUP", READERS)],
    (READONLY, SECURITY): [("GROUP", READERS)],
}
"""(permission set, account) -> its principals."""


def list_account_assignments(permission_set: str, account: str) -> dict[str, Any]:
    return {
        "AccountAssignments": [
            {
                "AccountId": account,
                "PermissionSetArn": permission_set,
                "PrincipalType": kind,
                "PrincipalId": who,
            }
            for kind, who in ASSIGNED[(permission_set, account)]
        ]
    }


def pages(key: str, items: list[Any], size: int) -> list[dict[str, Any]]:
    """``items`` as responses under ``key`` of ``size`` each, ``NextToken`` ``token-<offset>`` between pages."""
    out = []
    for start in range(0, max(len(items), 1), size):
        response: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            response["NextToken"] = f"token-{start + size}"
        out.append(response)
    return out


def recording() -> ApiRecording:
    """Every response above recorded as a live collection records them, for transform and analytics tests."""
    rec = ApiRecording()
    rec.add("sso-admin", REGION, "list_instances", {"MaxResults": 100}, LIST_INSTANCES)
    rec.add(
        "sso-admin",
        REGION,
        "list_permission_sets",
        {"InstanceArn": INSTANCE_ARN, "MaxResults": 100},
        {"PermissionSets": PERMISSION_SET_ARNS},
    )
    for arn in PERMISSION_SET_ARNS:
        ps = {"InstanceArn": INSTANCE_ARN, "PermissionSetArn": arn}
        page = {**ps, "MaxResults": 100}
        rec.add("sso-admin", REGION, "describe_permission_set", ps, DESCRIBE_PERMISSION_SET[arn])
        for op, table, params in [
            ("list_managed_policies_in_permission_set", LIST_MANAGED_POLICIES_IN_PERMISSION_SET, page),
            (
                "list_customer_managed_policy_references_in_permission_set",
                LIST_CUSTOMER_MANAGED_POLICY_REFERENCES_IN_PERMISSION_SET,
                page,
            ),
            ("get_inline_policy_for_permission_set", GET_INLINE_POLICY_FOR_PERMISSION_SET, ps),
            ("get_permissions_boundary_for_permission_set", GET_PERMISSIONS_BOUNDARY_FOR_PERMISSION_SET, ps),
            (
                "list_accounts_for_provisioned_permission_set",
                LIST_ACCOUNTS_FOR_PROVISIONED_PERMISSION_SET,
                page,
            ),
        ]:
            rec.add("sso-admin", REGION, op, params, table.get(arn, {}))
        for account in LIST_ACCOUNTS_FOR_PROVISIONED_PERMISSION_SET[arn]["AccountIds"]:
            rec.add(
                "sso-admin",
                REGION,
                "list_account_assignments",
                {**page, "AccountId": account},
                list_account_assignments(arn, account),
            )
    store = {"IdentityStoreId": IDENTITY_STORE_ID, "MaxResults": 100}
    rec.add("identitystore", REGION, "list_users", store, {"Users": USERS})
    rec.add("identitystore", REGION, "list_groups", store, LIST_GROUPS)
    for group in MEMBERS:
        rec.add(
            "identitystore",
            REGION,
            "list_group_memberships",
            {**store, "GroupId": group},
            list_group_memberships(group),
        )
    return rec
