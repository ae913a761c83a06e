"""(c) ``sso-role-chain``: a person of the organization signs in through IAM Identity Center to shared
services with ``PowerUserAccess``, from an address never seen before, and assumes the ``platform-operator``
role into production under a session name that names nobody (``ops-maintenance``); there it reads every
Secrets Manager secret in two regions and creates an IAM user with an access key (persistence).

Only the first session names the person (its session name is the Identity Center user's name); the
production session is tied to that person by the AssumeRole that created it (role chaining), which is
what triage must follow. Played like the other incidents (``scenario.Play``) from its own seeded
generator, so it changes none of their draws.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from orginsight.demo.estate import build_estate
from orginsight.demo.identity import IdentityCenter, email_of
from orginsight.demo.org import HOME_REGION, Organization
from orginsight.demo.records import (
    Session,
    assumed_role_identity,
    aws_id,
    ct_time,
    hex_id,
    iam_create_date,
    saml_records,
)
from orginsight.demo.scenario import AssumeRole, Call, Play, Step

SSO = "sso-role-chain"
PERSON = "deepak.iyer"
PERMISSION_SET = "PowerUserAccess"
TARGET_ROLE = "platform-operator"
CHAINED_SESSION = "ops-maintenance"
NEW_USER = "ops-automation"
SIGN_IN_IP = "185.220.101.34"
"""A Tor exit node in Germany (geoip2fast, 2026-11): an address the organization has never worked from."""
USER_AGENT = (
    "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6"
)
SECRET_REGIONS = ("us-east-1", "eu-west-1")
"""Secrets read in both regions every account uses: 6 distinct secrets within minutes."""


@dataclass(frozen=True)
class SsoSignIn(Step):
    """``person`` signs in through Identity Center into ``p.v.home`` with ``p.v.role``: AssumeRoleWithSAML
    is planted, and ``actor`` is the SSO role session from here on."""

    actor: str
    technique: str

    def play(self, p: Play) -> None:
        role, role_id = p.v.role
        recs, key = saml_records(
            p.rng, p.v.home.id, role, role_id, PERSON, SIGN_IN_IP, USER_AGENT, p.t, p.v.idp
        )
        for rec in recs:
            p.plant(p.v.home.id, HOME_REGION, rec, self.technique, p.t)
        p.v.sso_key = key
        identity = assumed_role_identity(
            p.v.home.id,
            "aws-reserved/sso.amazonaws.com/",
            role,
            role_id,
            email_of(PERSON),
            key,
            ct_time(p.t),
        )
        p.actors[self.actor] = Session(identity, SIGN_IN_IP, USER_AGENT, "sso", p.v.home.id)


def _secret(region: str, i: int) -> Call:
    return Call(
        "prod",
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
        "T1555.006",
        gap=7,
        region=region,
        request=lambda p: {"secretId": p.v.prod_est.secrets[i].format(region=region)},
    )


SSO_STEPS: tuple[Step, ...] = (
    SsoSignIn("sso", "T1078.004"),
    Call("sso", "sts.amazonaws.com", "GetCallerIdentity", "T1033", gap=20),
    Call("sso", "iam.amazonaws.com", "ListRoles", "T1087.004", gap=15),
    AssumeRole(
        "sso",
        "prod",
        lambda p: p.v.prod.id,
        lambda p: p.v.target_role,
        CHAINED_SESSION,
        SIGN_IN_IP,
        "T1078.004",
        gap=45,
    ),
    Call("prod", "secretsmanager.amazonaws.com", "ListSecrets", "T1555.006", gap=25),
    *(_secret(region, i) for region in SECRET_REGIONS for i in range(3)),
    Call(
        "prod",
        "iam.amazonaws.com",
        "CreateUser",
        "T1136.003",
        gap=60,
        read_only=False,
        request={"userName": NEW_USER, "path": "/"},
        response=lambda p: {
            "user": {
                "path": "/",
                "userName": NEW_USER,
                "userId": p.v.new_user_id,
                "arn": f"arn:aws:iam::{p.v.prod.id}:user/{NEW_USER}",
                "createDate": iam_create_date(p.t),
            }
        },
    ),
    Call(
        "prod",
        "iam.amazonaws.com",
        "CreateAccessKey",
        "T1098.001",
        gap=9,
        read_only=False,
        request={"userName": NEW_USER},
        response=lambda p: {
            "accessKey": {
                "accessKeyId": p.v.new_key,
                "status": "Active",
                "userName": NEW_USER,
                "createDate": iam_create_date(p.t),
            }
        },
    ),
)
"""``sso`` is the person's Identity Center session in shared services, ``prod`` the chained session."""


def plant_sso_incident(org: Organization, seed: int) -> Play:
    """The incident, on the lake's last day, in the afternoon (after the other two)."""
    rng = random.Random(f"sso-incident/{seed}")
    home, prod = org.by_role("shared-services"), org.by_role("prod")
    t0 = org.end - timedelta(days=1) + timedelta(hours=14, minutes=5, seconds=rng.randrange(60))
    play = Play(rng, SSO, t0, jitter=4)
    play.v = SimpleNamespace(
        home=home,
        prod=prod,
        prod_est=build_estate(org, prod, seed),
        role=build_estate(org, home, seed).sso_roles[PERMISSION_SET],
        idp=hex_id(random.Random(f"idp/{seed}/{org.id}"), 32),  # the trail's Identity Center (cloudtrail.py)
        target_role=(TARGET_ROLE, aws_id(rng, "AROA", 17)),
        new_user_id=aws_id(rng, "AIDA", 17),
        new_key=aws_id(rng, "AKIA"),
        session_keys=[],
    )
    play.run(SSO_STEPS)
    return play


def sso_truth(org: Organization, seed: int, play: Play) -> dict:
    """``scenario.json``'s ``sso_incident``: who, with what, through which chain, and the events."""
    v = play.v
    role, _role_id = v.role
    sso_arn = f"arn:aws:sts::{v.home.id}:assumed-role/{role}/{email_of(PERSON)}"
    chained_arn = f"arn:aws:sts::{v.prod.id}:assumed-role/{TARGET_ROLE}/{CHAINED_SESSION}"
    return {
        "name": SSO,
        "description": " ".join(__doc__.split("\n\n")[0].removeprefix("(c) ").split()),
        "person": IdentityCenter(org, seed).user(PERSON),
        "permission_set": PERMISSION_SET,
        "sso_session": {"arn": sso_arn, "access_key_id": v.sso_key, "account": v.home.id, "role": role},
        "accounts": {"sign_in": v.home.id, "target": v.prod.id},
        "role_chain": [
            sso_arn,
            f"arn:aws:iam::{v.prod.id}:role/{TARGET_ROLE}",
            chained_arn,
        ],
        "chained_session": {"arn": chained_arn, "access_key_id": v.session_keys[0], "account": v.prod.id},
        "indicator": {"kind": "principal ARN", "value": chained_arn},
        "created_user": {"user_name": NEW_USER, "access_key_id": v.new_key, "account": v.prod.id},
        "source_ip": SIGN_IN_IP,
        "event_ids": [e.record["eventID"] for e in play.events],
    }
