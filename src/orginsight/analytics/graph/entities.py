"""Entity kinds of the entity graph and the id scheme that names them.

An entity id is ``"<kind>:<key>"``: ``"access_key:AKIA..."``, ``"ip:203.0.113.7"``,
``"role_session:arn:aws:sts::111122223333:assumed-role/Admin/alice"``. The key is
what CloudTrail itself writes (an ARN, an access key id, an address), so an id
read in a notebook can be pasted into a hunt or the console as it is.
"""

from __future__ import annotations

import ipaddress
import re

ACCOUNT = "account"
IAM_USER = "iam_user"
IAM_ROLE = "iam_role"
ROLE_SESSION = "role_session"
FEDERATED_USER = "federated_user"
ACCESS_KEY = "access_key"
IP = "ip"
USER_AGENT = "user_agent"
SERVICE = "service"
RESOURCE = "resource"
FINDING = "finding"
PERSON = "person"
DOMAIN = "domain"
"""A DNS name instances looked up (Resolver query logs: ``graph.network``)."""

KINDS: tuple[str, ...] = (
    ACCOUNT,
    IAM_USER,
    IAM_ROLE,
    ROLE_SESSION,
    FEDERATED_USER,
    ACCESS_KEY,
    IP,
    USER_AGENT,
    SERVICE,
    RESOURCE,
    FINDING,
    PERSON,
    DOMAIN,
)
"""Every entity kind, in the order legends list them."""

PRINCIPAL_KINDS = frozenset({ACCOUNT, IAM_USER, IAM_ROLE, ROLE_SESSION, FEDERATED_USER, SERVICE})
"""Kinds that make API calls (the ``principal`` of an activity row)."""

KIND_COLORS: dict[str, str] = {
    ACCOUNT: "#7f7f7f",
    IAM_USER: "#1f77b4",
    IAM_ROLE: "#17becf",
    ROLE_SESSION: "#2ca02c",
    FEDERATED_USER: "#9467bd",
    ACCESS_KEY: "#ff7f0e",
    IP: "#d62728",
    USER_AGENT: "#8c564b",
    SERVICE: "#bcbd22",
    RESOURCE: "#e377c2",
    FINDING: "#000000",
    PERSON: "#393b79",
    DOMAIN: "#98df8a",
}
"""One colour per kind, shared by every rendering of the graph."""

SSO_ROLE_PREFIX = "AWSReservedSSO_"
"""IAM Identity Center permission sets appear as roles named ``AWSReservedSSO_<set>_<hash>``
(IAM Identity Center User Guide, "Roles created by permission sets", 2024)."""

_ACCESS_KEY = re.compile(r"^(AKIA|ASIA|AIDA|AROA|ABIA|ACCA)[A-Z0-9]{12,}$")
_ACCOUNT = re.compile(r"^\d{12}$")

FEDERATED_EVENTS = ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetFederationToken")
"""STS calls whose sessions are federated users (SAML, OIDC web identity, federation tokens)."""


def entity_id(kind: str, key: str) -> str:
    """The id of the entity of ``kind`` named ``key``."""
    if kind not in KINDS:
        raise ValueError(f"unknown entity kind {kind!r}: expected one of {', '.join(KINDS)}")
    return f"{kind}:{key}"


def split_id(entity: str) -> tuple[str, str]:
    """``(kind, key)`` of an entity id; ValueError when it does not start with a known kind."""
    kind, sep, key = entity.partition(":")
    if not sep or kind not in KINDS:
        raise ValueError(
            f"{entity!r} is not an entity id: write '<kind>:<key>' with kind one of {', '.join(KINDS)}"
        )
    return kind, key


def kind_of(entity: str) -> str:
    return split_id(entity)[0]


def principal_kind(arn: str | None) -> str | None:
    """The kind of the principal an ARN names, from its shape alone."""
    if not arn:
        return None
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        return FEDERATED_USER if role.startswith(SSO_ROLE_PREFIX) else ROLE_SESSION
    if ":federated-user/" in arn:
        return FEDERATED_USER
    if arn.endswith(":root"):
        return ACCOUNT
    if ":role/" in arn:
        return IAM_ROLE
    if ":user/" in arn:
        return IAM_USER
    return None


def role_of_session(session_arn: str) -> str | None:
    """``arn:aws:iam::<acct>:role/<name>`` for ``arn:aws:sts::<acct>:assumed-role/<name>/<session>``."""
    m = re.match(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/", session_arn)
    if not m:
        return None
    return f"arn:{m[1]}:iam::{m[2]}:role/{m[3]}"


def session_of_role(role_arn: str, session_name: str) -> str | None:
    """``arn:aws:sts::<acct>:assumed-role/<name>/<session>`` for ``arn:aws:iam::<acct>:role/<path/><name>``:
    the ARN CloudTrail gives the session an AssumeRole call opens (the role's path left out)."""
    m = re.match(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([^/]+)$", role_arn)
    if not m or not session_name:
        return None
    return f"arn:{m[1]}:sts::{m[2]}:assumed-role/{m[3]}/{session_name}"


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def resolve(indicator: str) -> str:
    """The entity id an analyst means by an indicator: an access key id, an ARN, an IP, an account,
    an entity id already, or else a finding id."""
    text = indicator.strip()
    kind, sep, _ = text.partition(":")
    if sep and kind in KINDS:
        return text
    if _ACCESS_KEY.match(text):
        return entity_id(ACCESS_KEY, text)
    if text.startswith("arn:"):
        kind = principal_kind(text)
        if kind == ACCOUNT:
            return entity_id(ACCOUNT, text.split(":")[4])
        return entity_id(kind or RESOURCE, text)
    if is_ip(text):
        return entity_id(IP, text)
    if _ACCOUNT.match(text):
        return entity_id(ACCOUNT, text)
    return entity_id(FINDING, text)
