"""The demo organization's IAM Identity Center: the people of the trail, their groups, permission sets
and assignments, as sso-admin and identitystore answer the ``identitycenter`` collector's calls.

The people are exactly those who sign in through Identity Center in the background trail
(``cloudtrail.PEOPLE``): each user's ``UserName`` and primary email is the session name the trail shows
(``alice.martin@example-corp.com``), so triage and the entity graph resolve SSO sessions to them. The
permission sets are the ones whose ``AWSReservedSSO_<name>_<hash>`` roles the trail uses
(``estate.PERMISSION_SETS``), plus ``SecurityAudit`` and ``ProdSupport``.

Planted: ``ProdSupport`` is assigned in one production account and its session lasts 12 hours since
``LONG_SESSION_DAYS`` before the end of the lake (one hour before), where the audit's default allows one
hour in production OUs. Every other permission set stays within its accounts' limit (one hour where it
reaches a production or security account, four hours elsewhere).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.cloudtrail import PEOPLE
from orginsight.demo.estate import PERMISSION_SETS
from orginsight.demo.exposure import Calls
from orginsight.demo.org import HOME_REGION, Account, Organization, iso
from orginsight.demo.records import hex_id

PAGE = 100
"""MaxResults of the collector's list calls (``collectors.identitycenter.PAGE``): recorded as its params."""

EMAIL_DOMAIN = "example-corp.com"
LONG_SESSION = "PT12H"
LONG_SESSION_SET = "ProdSupport"
LONG_SESSION_DAYS = 45
"""``ProdSupport``'s session went from PT1H to PT12H this many days before the lake's end: the weekly
snapshots show the regression as a change."""

GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "platform-admins": ("Platform team: administers every account", ("alice.martin", "bob.nguyen")),
    "developers": (
        "Application developers",
        ("carla.rossi", "deepak.iyer", "emma.schmidt", "farid.haddad", "grace.obi", "hiro.tanaka"),
    ),
    "security-auditors": ("Security team: reads every account", ("ines.silva", "jonas.berg")),
    "read-only": ("Everyone: read-only access to every account", tuple(p for p, _ua in PEOPLE)),
}
"""Group display name -> (description, members by the person's short name)."""


def _everywhere(_a: Account) -> bool:
    return True


def _not_production(a: Account) -> bool:
    return a.role in ("nonprod", "sandbox", "shared-services")


@dataclass(frozen=True)
class PermissionSetSpec:
    """One permission set: what it grants, how long its sessions last, and to whom in which accounts."""

    name: str
    description: str
    duration: str
    managed: tuple[str, ...] = ()
    customer_managed: tuple[str, ...] = ()
    inline: dict | None = None
    boundary: str | None = None
    """A customer managed policy name used as the permissions boundary."""
    groups: tuple[tuple[str, Callable[[Account], bool]], ...] = ()
    """(group, which accounts) it is assigned to."""


def _aws(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


PROD_SUPPORT_INLINE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnCallOperations",
            "Effect": "Allow",
            "Action": ["ssm:StartSession", "ec2:RebootInstances", "logs:StartQuery", "logs:GetQueryResults"],
            "Resource": "*",
        }
    ],
}

AWS_MANAGED_SETS: tuple[tuple[str, str, str, str, Callable[[Account], bool]], ...] = (
    ("AdministratorAccess", "Full access, for the platform team", "PT1H", "platform-admins", _everywhere),
    ("ReadOnlyAccess", "Read-only access to every account", "PT1H", "read-only", _everywhere),
    (
        "PowerUserAccess",
        "Developers: everything but IAM, outside production",
        "PT4H",
        "developers",
        _not_production,
    ),
)
"""Permission sets named after the one AWS managed policy they grant, each assigned to one group, as most
organizations start: (name = the policy, description, session duration, group, which accounts)."""

PERMISSION_SET_SPECS: tuple[PermissionSetSpec, ...] = (
    *(
        PermissionSetSpec(name, description, duration, managed=(_aws(name),), groups=((group, accounts),))
        for name, description, duration, group, accounts in AWS_MANAGED_SETS
    ),
    PermissionSetSpec(
        "SecurityAudit",
        "Security team: read security configuration",
        "PT1H",
        managed=(_aws("SecurityAudit"), _aws("job-function/ViewOnlyAccess")),
        customer_managed=("security-audit-extras",),
        groups=(("security-auditors", _everywhere),),
    ),
    PermissionSetSpec(
        LONG_SESSION_SET,
        "On-call support in production",
        LONG_SESSION,
        managed=(_aws("job-function/SupportUser"),),
        inline=PROD_SUPPORT_INLINE,
        boundary="on-call-boundary",  # assigned to developers in one production account: see assignments
    ),
)
assert {s.name for s in PERMISSION_SET_SPECS} >= set(PERMISSION_SETS)  # the trail's SSO roles

DIRECT_ASSIGNMENT = ("jonas.berg", "AdministratorAccess", "security")
"""The one user assigned directly (not through a group): the security lead administers the security account."""


def email_of(person: str) -> str:
    """The user's name and email: the session name of its SSO roles in the trail."""
    return f"{person}@{EMAIL_DOMAIN}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class User:
    person: str
    user_id: str
    display_name: str

    @property
    def user_name(self) -> str:
        return email_of(self.person)


class IdentityCenter:
    """The organization's Identity Center instance: drawn once from the seed, answered at any time ``t``."""

    def __init__(self, org: Organization, seed: int) -> None:
        rng = random.Random(f"identitycenter/{seed}/{org.id}")
        self.org = org
        self.instance_id = f"ssoins-{hex_id(rng, 16)}"
        self.instance_arn = f"arn:aws:sso:::instance/{self.instance_id}"
        self.store_id = f"d-{hex_id(rng, 10)}"
        self.created = org.created + timedelta(days=20)
        self.users = {
            p: User(p, f"{hex_id(rng, 10)}-{_uuid(rng)}", " ".join(w.title() for w in p.split(".")))
            for p, _ua in PEOPLE
        }
        self.groups = {g: f"{hex_id(rng, 10)}-{_uuid(rng)}" for g in GROUPS}
        self.memberships = {(g, p): _uuid(rng) for g, (_d, members) in GROUPS.items() for p in members}
        self.set_arns = {
            s.name: f"arn:aws:sso:::permissionSet/{self.instance_id}/ps-{hex_id(rng, 16)}"
            for s in PERMISSION_SET_SPECS
        }
        self.long_session_account = org.by_role("prod")
        self.long_session_since = org.end - timedelta(days=LONG_SESSION_DAYS)

    def duration(self, spec: PermissionSetSpec, t: datetime) -> str:
        if spec.name == LONG_SESSION_SET and t < self.long_session_since:
            return "PT1H"
        return spec.duration

    def assignments(self, t: datetime) -> list[tuple[str, str, str, str]]:
        """(account id, permission set name, principal type, principal id) at ``t``: accounts that exist then."""
        present = [a for a in self.org.accounts if a.joined <= t]
        out = [
            (a.id, spec.name, "GROUP", self.groups[group])
            for spec in PERMISSION_SET_SPECS
            for group, where in spec.groups
            for a in present
            if where(a)
        ]
        if self.long_session_account in present:
            out.append((self.long_session_account.id, LONG_SESSION_SET, "GROUP", self.groups["developers"]))
        person, pset, role = DIRECT_ASSIGNMENT
        out.append((self.org.by_role(role).id, pset, "USER", self.users[person].user_id))
        return out

    # ------------------------------------------------------------------ recorded responses

    def responses(self, t: datetime) -> Calls:
        """sso-admin and identitystore pages at ``t``, with the params the collector calls them with."""
        admin: dict[str, list[dict]] = {"list_instances": [_rec({"MaxResults": PAGE}, self._instances())]}
        admin["list_permission_sets"] = [
            _rec(
                {"InstanceArn": self.instance_arn, "MaxResults": PAGE},
                {"PermissionSets": list(self.set_arns.values())},
            )
        ]
        assigned = self.assignments(t)
        for spec in PERMISSION_SET_SPECS:
            for op, entries in self._permission_set(spec, t, assigned).items():
                admin.setdefault(op, []).extend(entries)
        return {("sso-admin", HOME_REGION): admin, ("identitystore", HOME_REGION): self._store()}

    def _instances(self) -> dict:
        return {
            "Instances": [
                {
                    "InstanceArn": self.instance_arn,
                    "IdentityStoreId": self.store_id,
                    "OwnerAccountId": self.org.management.id,
                    "Name": "example-corp",
                    "CreatedDate": iso(self.created),
                    "Status": "ACTIVE",
                }
            ]
        }

    def _permission_set(
        self, spec: PermissionSetSpec, t: datetime, assigned: list[tuple[str, str, str, str]]
    ) -> dict[str, list[dict]]:
        arn = self.set_arns[spec.name]
        ps = {"InstanceArn": self.instance_arn, "PermissionSetArn": arn}
        paged = {**ps, "MaxResults": PAGE}
        described = {
            "Name": spec.name,
            "PermissionSetArn": arn,
            "Description": spec.description,
            "CreatedDate": iso(self.created + timedelta(hours=PERMISSION_SET_SPECS.index(spec))),
            "SessionDuration": self.duration(spec, t),
        }
        boundary = {
            "PermissionsBoundary": {"CustomerManagedPolicyReference": {"Name": spec.boundary, "Path": "/"}}
        }
        accounts = sorted({a for a, name, _k, _p in assigned if name == spec.name})
        return {
            "describe_permission_set": [_rec(ps, {"PermissionSet": described})],
            "list_managed_policies_in_permission_set": [
                _rec(
                    paged,
                    {
                        "AttachedManagedPolicies": [
                            {"Name": m.rsplit("/", 1)[-1], "Arn": m} for m in spec.managed
                        ]
                    },
                )
            ],
            "list_customer_managed_policy_references_in_permission_set": [
                _rec(
                    paged,
                    {
                        "CustomerManagedPolicyReferences": [
                            {"Name": n, "Path": "/"} for n in spec.customer_managed
                        ]
                    },
                )
            ],
            # No inline policy: the response has no InlinePolicy (its model requires at least one character).
            "get_inline_policy_for_permission_set": [
                _rec(ps, {"InlinePolicy": json.dumps(spec.inline)} if spec.inline else {})
            ],
            # No boundary: the API answers ResourceNotFoundException, which the collector records as {}.
            "get_permissions_boundary_for_permission_set": [_rec(ps, boundary if spec.boundary else {})],
            "list_accounts_for_provisioned_permission_set": [_rec(paged, {"AccountIds": accounts})],
            "list_account_assignments": [
                _rec(
                    {**ps, "AccountId": account, "MaxResults": PAGE},
                    {
                        "AccountAssignments": [
                            {
                                "AccountId": a,
                                "PermissionSetArn": arn,
                                "PrincipalType": kind,
                                "PrincipalId": principal,
                            }
                            for a, name, kind, principal in assigned
                            if a == account and name == spec.name
                        ]
                    },
                )
                for account in accounts
            ],
        }

    def _store_arn(self) -> str:
        return f"arn:aws:identitystore::{self.org.management.id}:identitystore/{self.store_id}"

    def _store(self) -> dict[str, list[dict]]:
        store = {"IdentityStoreId": self.store_id, "MaxResults": PAGE}
        users = [
            {
                "IdentityStoreId": self.store_id,
                "UserId": u.user_id,
                "UserArn": f"{self._store_arn()}/user/{u.user_id}",
                "Revision": "1",
                "UserName": u.user_name,
                "Name": {
                    "GivenName": u.display_name.split()[0],
                    "FamilyName": u.display_name.split()[-1],
                    "Formatted": u.display_name,
                },
                "DisplayName": u.display_name,
                "Emails": [{"Value": u.user_name, "Type": "work", "Primary": True}],
                "UserStatus": "ENABLED",
            }
            for u in self.users.values()
        ]
        groups = [
            {
                "GroupId": gid,
                "IdentityStoreId": self.store_id,
                "GroupArn": f"{self._store_arn()}/group/{gid}",
                "Revision": "1",
                "DisplayName": name,
                "Description": GROUPS[name][0],
            }
            for name, gid in self.groups.items()
        ]
        return {
            "list_users": [_rec(store, {"Users": users})],
            "list_groups": [_rec(store, {"Groups": groups})],
            "list_group_memberships": [
                _rec(
                    {"IdentityStoreId": self.store_id, "GroupId": gid, "MaxResults": PAGE},
                    {
                        "GroupMemberships": [
                            {
                                "IdentityStoreId": self.store_id,
                                "MembershipId": self.memberships[(name, p)],
                                "MembershipArn": f"{self._store_arn()}/membership/{self.memberships[(name, p)]}",
                                "GroupId": gid,
                                "MemberId": {"UserId": self.users[p].user_id},
                            }
                            for p in GROUPS[name][1]
                        ]
                    },
                )
                for name, gid in self.groups.items()
            ],
        }

    # ------------------------------------------------------------------ ground truth

    def truth(self) -> dict:
        """The planted long session, for ``scenario.json``'s ``centralization_gaps``."""
        a = self.long_session_account
        return {
            "permission_set": LONG_SESSION_SET,
            "permission_set_arn": self.set_arns[LONG_SESSION_SET],
            "session_duration": LONG_SESSION,
            "account": a.id,
            "account_name": a.name,
            "ou": a.ou_path,
            "since": iso(self.long_session_since),
            "before": "PT1H",
        }

    def user(self, person: str) -> dict:
        u = self.users[person]
        return {
            "user_name": u.user_name,
            "email": u.user_name,
            "user_id": u.user_id,
            "display_name": u.display_name,
        }


def _rec(params: dict, response: dict) -> dict:
    return {"params": params, "response": response}
