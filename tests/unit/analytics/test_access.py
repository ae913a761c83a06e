"""Who can do what where through Identity Center, and the person behind an SSO role session.

The organization is tests/data/aws/identitycenter.py's: Alice (direct), Bob (two groups and direct),
Carol (disabled), Dave (no UserStatus, a user name that is not an email), Erin (nothing assigned), and
a Billing permission set assigned to nobody.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import shared_data_dir
from data.aws import identitycenter as data

from orginsight.analytics.access import (
    ACCESS_COLUMNS,
    DIRECT,
    PEOPLE_COLUMNS,
    permission_set_of_role,
    person_of_sso_session,
    sso_session_people,
    who_can_access,
)
from orginsight.collectors.identitycenter import identitycenter_frames
from orginsight.collectors.recording import ApiRecording

ROLE = "AWSReservedSSO_Developer_0a1b2c3d4e5f6a7b"


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return identitycenter_frames(data.recording())


@pytest.fixture
def accounts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"account_id": a, "name": name, "ou_path": data.OU_PATHS[a], "email": f"{name}@example-corp.com"}
            for a, name in data.ACCOUNTS.items()
        ]
    )


def grants(df: pd.DataFrame, user_id: str) -> set[tuple[str, str, str]]:
    rows = df[df["user_id"] == user_id]
    return set(zip(rows["permission_set_name"], rows["account_id"], rows["via"], strict=True))


def test_groups_expand_to_their_members(frames: dict[str, pd.DataFrame]) -> None:
    df = who_can_access(frames)
    assert list(df.columns) == ACCESS_COLUMNS
    assert grants(df, data.ALICE) == {("AdministratorAccess", data.PROD, DIRECT)}
    assert grants(df, data.DAVE) == {
        ("ReadOnly", a, "Auditors") for a in (data.PROD, data.DEV, data.SECURITY)
    }
    dave = df[df["user_id"] == data.DAVE].iloc[0]
    assert (dave["user_name"], dave["email"], dave["display_name"]) == (
        "dave",
        "dave@example-corp.com",
        "Dave Okafor",
    )
    assert set(df.loc[df["via"] == "Auditors", "group_id"]) == {data.READERS}
    assert df.loc[df["via"] == DIRECT, "group_id"].isna().all()


def test_a_user_in_two_groups_has_one_row_per_path(frames: dict[str, pd.DataFrame]) -> None:
    df = who_can_access(frames)
    assert grants(df, data.BOB) == {
        ("AdministratorAccess", data.SECURITY, "Platform Admins"),
        ("ReadOnly", data.PROD, "Platform Admins"),
        ("Developer", data.PROD, "Developers"),
        ("Developer", data.DEV, "Developers"),
        ("Developer", data.DEV, DIRECT),
    }
    one_per_grant = df.drop_duplicates(["user_id", "permission_set_arn", "account_id"])
    assert (one_per_grant["user_id"] == data.BOB).sum() == 4


def test_a_disabled_user_cannot_sign_in_and_is_left_out_unless_asked(frames: dict[str, pd.DataFrame]) -> None:
    df = who_can_access(frames)
    assert data.CAROL not in set(df["user_id"]) and len(df) == 1 + 5 + 3
    assert df["active"].map(lambda a: a is not False).all()  # Dave's unknown status is not "disabled"
    everyone = who_can_access(frames, include_disabled=True)
    assert grants(everyone, data.CAROL) == {
        ("Developer", data.PROD, "Developers"),
        ("Developer", data.DEV, "Developers"),
    }
    assert set(everyone.loc[everyone["user_id"] == data.CAROL, "active"]) == {False}


def test_an_unassigned_permission_set_and_an_unassigned_person_give_no_row(
    frames: dict[str, pd.DataFrame],
) -> None:
    df = who_can_access(frames, include_disabled=True)
    assert "Billing" in set(frames["permission_sets"]["name"]) and "Billing" not in set(
        df["permission_set_name"]
    )
    assert data.ERIN in set(frames["users"]["user_id"]) and data.ERIN not in set(df["user_id"])


def test_session_duration_by_ou(frames: dict[str, pd.DataFrame], accounts: pd.DataFrame) -> None:
    df = who_can_access(frames, accounts)
    assert set(zip(df["account_id"], df["account_name"], df["ou_path"], strict=True)) == {
        (a, data.ACCOUNTS[a], data.OU_PATHS[a]) for a in data.ACCOUNTS
    }
    longest = df.groupby("ou_path")["session_duration_s"].max().to_dict()
    assert longest == {"Root/Security": 9000, "Root/Workloads/Dev": 8 * 3600, "Root/Workloads/Prod": 8 * 3600}
    # e.g. the audit's "one hour in production": which permission sets break it, and who holds them
    prod = df[(df["ou_path"] == "Root/Workloads/Prod") & (df["session_duration_s"] > 3600)]
    assert set(prod["permission_set_name"]) == {"Developer", "ReadOnly"}
    assert set(prod["user_name"]) == {"Bob@Example-Corp.com", "dave"}


def test_without_accounts_the_account_columns_are_empty(frames: dict[str, pd.DataFrame]) -> None:
    df = who_can_access(frames)
    assert df["account_name"].isna().all() and df["ou_path"].isna().all()


def test_an_assignment_to_a_user_the_store_no_longer_lists_is_kept(frames: dict[str, pd.DataFrame]) -> None:
    gone = "906722b2be-00000000-0000-4000-8000-00000000dead"
    extra = {
        "instance_arn": data.INSTANCE_ARN,
        "account_id": data.PROD,
        "permission_set_arn": data.ADMIN,
        "principal_type": "USER",
        "principal_id": gone,
    }
    frames["account_assignments"] = pd.concat([frames["account_assignments"], pd.DataFrame([extra])])
    row = who_can_access(frames).set_index("user_id").loc[gone]
    assert pd.isna(row["user_name"]) and row["permission_set_name"] == "AdministratorAccess"


def test_empty_tables_give_an_empty_frame() -> None:
    df = who_can_access(identitycenter_frames(ApiRecording()))
    assert df.empty and list(df.columns) == ACCESS_COLUMNS
    people = sso_session_people(identitycenter_frames(ApiRecording()))
    assert people.empty and list(people.columns) == PEOPLE_COLUMNS


def test_sso_session_people_keys_are_lowercased_names_and_emails(frames: dict[str, pd.DataFrame]) -> None:
    people = sso_session_people(frames)
    assert list(people.columns) == PEOPLE_COLUMNS
    keys = dict(
        zip(people["session_key"], zip(people["user_id"], people["matched_on"], strict=True), strict=True)
    )
    assert keys["bob@example-corp.com"] == (data.BOB, "user_name")  # name == email: once, as the name
    assert keys["dave"] == (data.DAVE, "user_name") and keys["dave@example-corp.com"] == (data.DAVE, "email")
    assert keys["carol@example-corp.com"] == (data.CAROL, "user_name")  # disabled people still acted once
    assert len(people) == 6


def test_a_name_that_is_another_users_email_stays_the_names() -> None:
    users = pd.DataFrame(
        [
            {
                "user_id": "u1",
                "user_name": "ops@example.com",
                "display_name": "Ops",
                "email": "x@example.com",
                "active": True,
            },
            {
                "user_id": "u2",
                "user_name": "pat",
                "display_name": "Pat",
                "email": "OPS@example.com",
                "active": True,
            },
            {
                "user_id": "u3",
                "user_name": "sam",
                "display_name": "Sam",
                "email": "shared@example.com",
                "active": True,
            },
            {
                "user_id": "u4",
                "user_name": "kim",
                "display_name": "Kim",
                "email": "shared@example.com",
                "active": True,
            },
        ]
    )
    people = sso_session_people({"users": users}).set_index("session_key")
    assert people.loc["ops@example.com", "user_id"] == "u1"
    assert "shared@example.com" not in people.index  # two people: it says nothing
    assert person_of_sso_session(ROLE, "shared@example.com", users) is None
    assert person_of_sso_session(ROLE, "OPS@example.com", users)["user_id"] == "u1"


def test_person_of_sso_session(frames: dict[str, pd.DataFrame]) -> None:
    users = frames["users"]
    found = person_of_sso_session(ROLE, " BOB@example-corp.com ", users)
    assert found == {
        "session_key": "bob@example-corp.com",
        "matched_on": "user_name",
        "user_id": data.BOB,
        "user_name": "Bob@Example-Corp.com",
        "display_name": "Bob Chen",
        "email": "bob@example-corp.com",
        "active": True,
        "permission_set_name": "Developer",
    }
    json.dumps(found)  # plain values, for a triage summary
    session_arn = f"arn:aws:sts::{data.PROD}:assumed-role/{ROLE}/dave@example-corp.com"
    assert person_of_sso_session(session_arn, "dave@example-corp.com", users)["matched_on"] == "email"
    assert person_of_sso_session("OrganizationAccountAccessRole", "bob@example-corp.com", users) is None
    assert person_of_sso_session(ROLE, "mallory@example-corp.com", users) is None
    assert person_of_sso_session(ROLE, "", users) is None and person_of_sso_session(ROLE, None, users) is None


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("AWSReservedSSO_AdministratorAccess_5c86e7cd4bcb1a77", "AdministratorAccess"),
        ("AWSReservedSSO_Data_Engineers_5c86e7cd4bcb1a77", "Data_Engineers"),
        ("AWSReservedSSO_a+b=c,d.e@f-g_5c86e7cd4bcb1a77", "a+b=c,d.e@f-g"),
        ("arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/" + ROLE, "Developer"),
        (f"arn:aws:sts::111111111111:assumed-role/{ROLE}/alice@example-corp.com", "Developer"),
        ("AWSReservedSSO_DevAdmin_abc123", "DevAdmin"),  # published samples redact the hash
        ("AWSReservedSSO_ExampleRole_xxxxxxxxxxxxxxxx", "ExampleRole"),
        ("AWSReservedSSO_Admin", "Admin"),
        ("Admin", None),
        ("AWSReservedSSO_", None),
        ("", None),
        (None, None),
    ],
)
def test_permission_set_of_role(role: str | None, name: str | None) -> None:
    assert permission_set_of_role(role) == name


@pytest.mark.shared_data
def test_every_sso_role_session_of_the_real_records_names_a_permission_set() -> None:
    path = shared_data_dir("cloudtrail", "panther-labelled", "events.jsonl")
    sessions = []
    for line in path.read_text().splitlines():
        arn = ((json.loads(line).get("record") or {}).get("userIdentity") or {}).get("arn") or ""
        if ":assumed-role/AWSReservedSSO_" in arn:
            sessions.append(arn)
    assert len(sessions) >= 5
    names = {permission_set_of_role(arn) for arn in sessions}
    assert None not in names and {"DevAdmin", "ExampleRole", "developer_admin"} <= names
