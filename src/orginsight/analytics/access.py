"""Who can do what where through IAM Identity Center, and which person is behind an SSO role session.

Identity Center grants a permission set in an account to a user or to a group; CloudTrail then shows
the person only as a role session ``AWSReservedSSO_<PermissionSet>_<16 hex>/<session name>``. Both
questions are answered here from the ``identitycenter`` collector's tables (``frames``: the dict
``identitycenter_frames`` returns, or the same tables read back from snapshots), with pure functions:

- ``who_can_access``: one row per person, permission set, account and path (direct or a group);
- ``sso_session_people``: the lowercased keys a session name is matched on, for a join;
- ``person_of_sso_session``: one role name and session name -> the person, or None.

The session name of an Identity Center role session is the user's ``UserName`` (IAM Identity Center
User Guide, "Identity Center and CloudTrail", 2024), which organizations usually set to the email; both
are matched, case-insensitively, as identity providers change the case of either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from orginsight.analytics.graph.entities import SSO_ROLE_PREFIX

DIRECT = "direct"
"""``via`` of an assignment to the user itself (otherwise ``via`` is the group's display name)."""

ACCESS_COLUMNS = [
    "user_id",
    "user_name",
    "display_name",
    "email",
    "active",
    "via",
    "group_id",
    "permission_set_name",
    "permission_set_arn",
    "session_duration_s",
    "account_id",
    "account_name",
    "ou_path",
]
PEOPLE_COLUMNS = ["session_key", "matched_on", "user_id", "user_name", "display_name", "email", "active"]

SSO_ROLE = re.compile(rf"{SSO_ROLE_PREFIX}(?P<permission_set>[\w+=,.@-]+)_(?P<hash>[0-9a-fA-F]{{16}})")
"""``AWSReservedSSO_<permission set name>_<16 hex>``. The name may itself hold underscores (it is
``[\\w+=,.@-]{1,32}``, sso-admin model, 2026), so the hash is what ends the name; 15 + 32 + 1 + 16
characters fit IAM's 64-character role names, so the name is never truncated."""


def permission_set_of_role(role: str | None) -> str | None:
    """The permission set name of an Identity Center role, or None for any other role.

    ``role`` may be the role name, the role's ARN (``...:role/aws-reserved/sso.amazonaws.com/<region>/
    AWSReservedSSO_...``) or the session's ARN (``...:assumed-role/AWSReservedSSO_.../<session>``).
    Published sample records redact the hash (``_abc123``, ``_xxxxxxxxxxxxxxxx``, or none at all): only
    AWS creates ``AWSReservedSSO_`` roles, so such a name still is one, and its last ``_<part>`` is taken
    for the hash.
    """
    if not role:
        return None
    name = role.split("assumed-role/", 1)[1].split("/")[0] if "assumed-role/" in role else role.split("/")[-1]
    if not name.startswith(SSO_ROLE_PREFIX) or name == SSO_ROLE_PREFIX:
        return None
    found = SSO_ROLE.fullmatch(name)
    if found:
        return found["permission_set"]
    rest = name.removeprefix(SSO_ROLE_PREFIX)
    return rest.rsplit("_", 1)[0] if "_" in rest.strip("_") else rest.strip("_") or None


def _lower(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower()


def who_can_access(
    frames: Mapping[str, pd.DataFrame], accounts: pd.DataFrame | None = None, include_disabled: bool = False
) -> pd.DataFrame:
    """Person -> permission set -> account, through direct and group assignments.

    One row per (user, permission set, account, ``via``): a person who holds the same permission set in an
    account directly and through a group, or through two groups, has one row per path, so each row is the
    evidence of one grant (``.drop_duplicates(["user_id", "permission_set_arn", "account_id"])`` gives one
    row per grant). A permission set assigned to nobody, and a group without members, give no row; an
    assignment to a user the identity store no longer lists keeps its row, with the names missing.
    Disabled users (``active`` False) cannot sign in and are left out unless ``include_disabled``.
    ``accounts`` (the Organizations ``accounts`` table) adds each account's name and OU path.
    """
    assignments = frames["account_assignments"]
    users, groups = frames["users"], frames["groups"]
    memberships, sets = frames["group_memberships"], frames["permission_sets"]

    direct = assignments[assignments["principal_type"] == "USER"].assign(
        user_id=lambda d: d["principal_id"], via=DIRECT, group_id=None
    )
    by_group = (
        assignments[assignments["principal_type"] == "GROUP"]
        .merge(memberships[["group_id", "user_id"]], left_on="principal_id", right_on="group_id")
        .merge(groups[["group_id", "display_name"]], on="group_id", how="left")
    )
    by_group["via"] = by_group["display_name"].where(by_group["display_name"].notna(), by_group["group_id"])
    paths = pd.concat(
        [df[["user_id", "via", "group_id", "permission_set_arn", "account_id"]] for df in (direct, by_group)],
        ignore_index=True,
    )
    people = users[["user_id", "user_name", "display_name", "email", "active"]].drop_duplicates("user_id")
    named = sets[["permission_set_arn", "name", "session_duration_s"]].rename(
        columns={"name": "permission_set_name"}
    )
    df = paths.merge(people, on="user_id", how="left").merge(named, on="permission_set_arn", how="left")
    if accounts is not None:
        org = accounts[["account_id", "name", "ou_path"]].rename(columns={"name": "account_name"})
        df = df.merge(org.drop_duplicates("account_id"), on="account_id", how="left")
    else:
        df = df.assign(account_name=None, ou_path=None)
    if not include_disabled:
        df = df[df["active"].astype("boolean").fillna(True).astype(bool)]  # unknown status: not disabled
    df = df.drop_duplicates(["user_id", "permission_set_arn", "account_id", "via"])
    order = ["user_name", "user_id", "account_id", "permission_set_name", "via"]
    return df.sort_values(order, na_position="last")[ACCESS_COLUMNS].reset_index(drop=True)


def sso_session_people(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The keys a role session name is matched on, one row each: join CloudTrail on
    ``lower(trim(session name)) = session_key``.

    Each user gives its lowercased ``user_name`` (``matched_on`` "user_name") and its lowercased primary
    ``email`` ("email"). A key that is one user's name and another's email stays the name's (the session
    name *is* the user name); a key that two users share in the same way says nothing and is left out.
    """
    users = frames["users"]
    keys = pd.concat(
        [
            users.assign(session_key=_lower(users["user_name"]), matched_on="user_name"),
            users.assign(session_key=_lower(users["email"]), matched_on="email"),
        ],
        ignore_index=True,
    )
    keys = keys[keys["session_key"].notna() & (keys["session_key"] != "")]
    keys = keys.drop_duplicates(
        ["session_key", "user_id"]
    )  # a user whose name is its email: once, as the name
    rank = keys["matched_on"].map({"user_name": 0, "email": 1})
    best = keys.assign(rank=rank)
    best = best[best["rank"] == best.groupby("session_key")["rank"].transform("min")]
    unique = best.groupby("session_key")["user_id"].transform("nunique") == 1
    out = best[unique][PEOPLE_COLUMNS].astype({"session_key": object})
    return out.sort_values(["session_key"]).reset_index(drop=True)


def person_of_sso_session(
    role_name: str | None, session_name: str | None, users: pd.DataFrame
) -> dict[str, Any] | None:
    """The Identity Center user behind one role session, or None when it cannot be told.

    ``role_name``: the role's name or ARN, or the session's ARN (see ``permission_set_of_role``);
    ``session_name``: the role session name CloudTrail shows; ``users``: the collector's ``users`` table.
    Returns ``{"user_id", "user_name", "display_name", "email", "active", "matched_on", "session_key",
    "permission_set_name"}``; None for a role that is not an Identity Center one, an empty session name,
    or a name that matches no user (or two). For many sessions, join on ``sso_session_people`` instead.
    """
    permission_set = permission_set_of_role(role_name)
    if permission_set is None or not session_name or not session_name.strip():
        return None
    people = sso_session_people({"users": users})
    found = people[people["session_key"] == session_name.strip().lower()]
    if len(found) != 1:
        return None
    row = {k: (None if v is pd.NA else v) for k, v in found.iloc[0].to_dict().items()}
    return {**row, "permission_set_name": permission_set}
