"""The person behind each session: pure functions over the graph's aggregate rows.

CloudTrail names a human in a few places only (CloudTrail User Guide, "CloudTrail userIdentity
element"; IAM Identity Center User Guide, "Roles created by permission sets"; both 2024):

- an IAM Identity Center role session, ``assumed-role/AWSReservedSSO_<PermissionSet>_<hash>/<session>``,
  whose session name Identity Center sets to the user's name (often the email);
- ``onBehalfOf.userId``: the identity-store user a call was made for (``IdentityCenterUser`` callers,
  identity-aware sessions);
- ``sessionContext.sourceIdentity``: set once by the IdP or the first caller, kept by every chained session;
- the subject of a SAML or web-identity federation (``userName`` of the ``AssumeRoleWith*`` call).

An IAM user is its own principal, so it is taken as the person (one human or one workload
holds its keys: ``how`` says "IAM user" so the reader can judge); root is the account's root.
A session with none of these inherits the person of the session that created it (role
chaining, across accounts, followed through the graph's credential rows). Every principal
gets either a ``person`` with ``how`` it was established, or ``why`` it has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from orginsight.analytics.graph import entities as E

IDENTITY_FACTS = ("identity_type", "source_identity", "on_behalf_of", "subject", "identity_provider")
"""Columns of the aggregate that name who is behind a session (``build.IDENTITY_SQL``)."""

ATTRIBUTION_COLUMNS = [
    "principal",
    "person",
    "how",
    "why",
    "permission_set",
    "account",
    "user_id",
    "display_name",
]
"""One row per (principal, person); a principal with no person has one row, ``person`` None and ``why``."""

_SSO_SESSION = re.compile(r":assumed-role/" + E.SSO_ROLE_PREFIX + r"([^/]+?)(?:_[0-9a-f]{16})?/([^/]+)$")
_SESSION = re.compile(r":assumed-role/([^/]+)/([^/]+)$")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[A-Za-z]{2,}$")
_WORKLOAD_SUBJECT = re.compile(r"^(system:serviceaccount:|repo:|project_path:|organization:)")
"""Web-identity subjects of workloads, not people: EKS service accounts (IRSA), GitHub Actions,
GitLab CI and Terraform Cloud OIDC tokens (their providers' documentation, 2024)."""


@dataclass(frozen=True)
class Attribution:
    """Who is behind one principal and how that was established, or why it could not be."""

    person: str | None
    how: str | None = None
    why: str | None = None
    permission_set: str | None = None


def permission_set_of(arn: str) -> str | None:
    """``Admin`` for ``...:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice``: Identity Center
    names the role after the permission set and a 16-hex-digit suffix (the suffix is left out when absent)."""
    m = _SSO_SESSION.search(arn or "")
    return m[1] if m else None


def session_name(arn: str) -> str | None:
    m = _SESSION.search(arn or "")
    return m[2] if m else None


def direct_attribution(principal: str, facts: Mapping[str, object]) -> Attribution | None:
    """The person a principal's own records name, strongest evidence first; None when they name none."""
    kind, key = E.split_id(principal)
    si, obo = _text(facts.get("source_identity")), _text(facts.get("on_behalf_of"))
    itype, subject = _text(facts.get("identity_type")), _text(facts.get("subject"))
    pset = permission_set_of(key)
    if si:
        return Attribution(si, "sourceIdentity", permission_set=pset)
    if obo:
        return Attribution(obo, "onBehalfOf", permission_set=pset)
    if pset is not None:
        return Attribution(session_name(key), "sso session name", permission_set=pset)
    if itype in ("SAMLUser", "WebIdentityUser") and subject:
        how = "SAML subject" if itype == "SAMLUser" else "web identity subject"
        if _WORKLOAD_SUBJECT.match(subject):
            return Attribution(None, why=f"{how} is a workload, not a person: {subject}")
        return Attribution(subject, how)
    if kind == E.IAM_USER:
        return Attribution(key.rsplit("/", 1)[-1], "IAM user (its own principal)")
    if kind == E.ACCOUNT and itype == "Root":
        return Attribution(f"root@{key}", "account root user")
    return None


def session_facts(activity: pd.DataFrame) -> pd.DataFrame:
    """One row per principal: its first non-null identity fact of each kind, and an account."""
    cols = [c for c in (*IDENTITY_FACTS, "account") if c in activity.columns]
    if not len(activity):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="principal"))
    return activity.groupby("principal", sort=False)[cols].first()


def creators_of(credentials: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Session ARN -> ``(creating principal, STS call)`` for every session the scope's credential rows created."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not len(credentials):
        return out
    rows = credentials[credentials["created_principal"].notna()]
    pairs = rows[["created_principal", "principal", "eventname"]].drop_duplicates()
    for created, creator, call in pairs.itertuples(index=False):
        if isinstance(creator, str) and creator.partition(":")[2] != created:
            out.setdefault(created, []).append((creator, call))
    return out


def attribute(
    activity: pd.DataFrame, credentials: pd.DataFrame, people: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Who is behind each principal of ``activity`` (the graph's scope rows), by ``ATTRIBUTION_COLUMNS``.

    Own evidence first (``direct_attribution``); then role chaining, to a fixed point: a session
    with none inherits the person of each attributed principal that created it (AssumeRole in any
    account; AssumeRoleWithSAML / WithWebIdentity sessions get the federation's subject). ``people``
    (identity-store users: ``user_id``, ``user_name``, ``display_name``, ``email``) names each person
    by its Identity Center user, see ``resolve_people``.
    """
    facts = session_facts(activity)
    found: dict[str, list[Attribution]] = {}
    for principal, row in zip(facts.index, facts.to_dict("records"), strict=True):
        a = direct_attribution(principal, row)
        if a is not None:
            found[principal] = [a]
    creators = creators_of(credentials)
    _follow_chains(facts.index, found, creators)
    rows = []
    for principal, row in zip(facts.index, facts.to_dict("records"), strict=True):
        for a in found.get(principal) or [Attribution(None, why=why_not(principal, row, creators, found))]:
            rows.append(
                {
                    "principal": principal,
                    "person": a.person,
                    "how": a.how,
                    "why": a.why,
                    "permission_set": a.permission_set,
                    "account": _text(row.get("account")),
                }
            )
    out = pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)
    return resolve_people(out, people)


def _follow_chains(
    principals: Iterable[str], found: dict[str, list[Attribution]], creators: dict[str, list[tuple[str, str]]]
) -> None:
    """Give each session without a person those of the attributed sessions that created it, repeatedly."""
    waiting = [p for p in principals if p not in found and p.partition(":")[2] in creators]
    changed = True
    while waiting and changed:
        changed = False
        for p in list(waiting):
            got = []
            for creator, call in creators[p.partition(":")[2]]:
                for a in found.get(creator, []):
                    if a.person is None:
                        continue
                    how = a.how if call in E.FEDERATED_EVENTS[:2] else f"role chain from {creator} ({a.how})"
                    got.append(Attribution(a.person, how, permission_set=a.permission_set))
            if got:
                found[p] = list(dict.fromkeys(got))
                waiting.remove(p)
                changed = True


def why_not(
    principal: str,
    facts: Mapping[str, object],
    creators: Mapping[str, list[tuple[str, str]]],
    found: Mapping[str, list[Attribution]],
) -> str:
    """Why the logs tie no person to ``principal``."""
    kind, key = E.split_id(principal)
    itype = _text(facts.get("identity_type"))
    if kind == E.SERVICE:
        return "AWS service acting on its own"
    if kind == E.ACCOUNT:
        return "another account's call (AWSAccount): its caller is in that account's trail"
    m = _SESSION.search(key)
    role, name = (m[1], m[2]) if m else (None, None)
    if role and role.startswith("AWSServiceRole"):
        return "service role session"
    if name and _INSTANCE_ID.match(name):
        return "EC2 instance role session (a workload, not a person)"
    made_by = [c for c, _ in creators.get(key, [])]
    for creator, call in creators.get(key, []):
        told = [a.why for a in found.get(creator, []) if a.why]
        if told and call in E.FEDERATED_EVENTS[:2]:
            return told[0]  # the federation's own reason (a workload's subject)
    if any(c.startswith("service:") for c in made_by):
        return f"service role session (credentials from {made_by[0].partition(':')[2]})"
    if made_by:
        return f"role chain from {made_by[0]}, which has no person"
    if kind == E.FEDERATED_USER and ":federated-user/" in key:
        return "federation token: its broker's GetFederationToken is outside the lake's window"
    if itype == "IdentityCenterUser":
        return "Identity Center user without onBehalfOf"
    if name is not None:
        return "chain starts outside the lake's window: the session name is its caller's choice, not a person"
    return "no identity the logs tie to a person"


def resolve_people(attributions: pd.DataFrame, people: pd.DataFrame | None) -> pd.DataFrame:
    """Attributions named by the Identity Center user each person is: ``onBehalfOf`` matches ``user_id``;
    a session name, sourceIdentity or subject matches ``user_name`` or ``email``, case-insensitively.
    Matched rows take the user's ``user_name`` as ``person``, with ``user_id`` and ``display_name``."""
    out = attributions.copy()
    if people is None or not len(people) or not len(out):
        return out
    for col in ("person", "user_id", "display_name"):
        out[col] = out[col].astype("object")
    table: dict[str, dict] = {}
    for user in people.to_dict("records"):
        for field in ("user_name", "email"):
            if isinstance(user.get(field), str) and user[field]:
                table.setdefault(user[field].lower(), user)
        if isinstance(user.get("user_id"), str):
            table.setdefault(user["user_id"], user)
    for i, person in out["person"].items():
        if not isinstance(person, str):
            continue
        user = table.get(person) or table.get(person.lower())
        if user is not None:
            out.at[i, "person"] = user.get("user_name") or person
            out.at[i, "user_id"] = user.get("user_id")
            out.at[i, "display_name"] = user.get("display_name")
    return out


def person_rows(attributions: pd.DataFrame) -> pd.DataFrame:
    """``(principal, person entity id)`` for the graph's ``acted_as`` edges: person -> session."""
    hit = attributions[attributions["person"].notna()]
    return pd.DataFrame(
        {"principal": hit["principal"], "person": E.PERSON + ":" + hit["person"].astype(str)}
    ).drop_duplicates()


def person_of(principals: pd.Series, attributions: pd.DataFrame) -> pd.Series:
    """The person (or people, joined with ``, ``) behind each principal; None where there is none."""
    hit = attributions[attributions["person"].notna()]
    joined = hit.groupby(_key(hit["principal"]))["person"].agg(lambda s: ", ".join(dict.fromkeys(s)))
    found = _key(principals).map(joined)
    return found.astype("object").where(found.notna(), None)


def _key(principals: pd.Series) -> pd.Series:
    """Principals by their key (ARN, account): the timeline names a SAML or web-identity session a
    ``role_session`` where the graph, which saw it created, names it a ``federated_user``."""
    return principals.astype("str").str.replace(r"^[^:]*:?", "", regex=True)  # partition fails on no rows


def people_behind(attributions: pd.DataFrame, principals: Iterable[str]) -> pd.DataFrame:
    """The people behind ``principals`` and how each was established (one row per person and way,
    with the sessions it covers), then one row per reason for the principals with no person."""
    keys = set(_key(pd.Series(sorted(set(principals)), dtype="object")))
    rows = attributions[_key(attributions["principal"]).isin(keys)]
    cols = ["person", "how", "sessions", "permission_sets", "accounts", "display_name"]
    if rows.empty:
        return pd.DataFrame(columns=[*cols, "why"])
    named = rows[rows["person"].notna()]
    who = (
        named.groupby(["person", "how"], dropna=False)
        .agg(
            sessions=("principal", lambda s: sorted(set(s))),
            permission_sets=("permission_set", lambda s: sorted(set(s.dropna()))),
            accounts=("account", lambda s: sorted(set(s.dropna()))),
            display_name=("display_name", "first"),
        )
        .reset_index()
    )
    unnamed = rows[rows["person"].isna()]
    why = (
        unnamed.groupby("why").agg(sessions=("principal", lambda s: sorted(set(s)))).reset_index()
        if len(unnamed)
        else pd.DataFrame(columns=["why", "sessions"])
    )
    return pd.concat([who, why], ignore_index=True).reindex(columns=[*cols, "why"])


def describe(behind: pd.DataFrame) -> str:
    """One line for a summary: who, how, and how many sessions have no person and why."""
    if behind.empty:
        return "no session to attribute"
    named = behind[behind["person"].notna()]
    parts = [f"{p} ({h})" for p, h in zip(named["person"], named["how"], strict=True)]
    for why, sessions in zip(behind["why"], behind["sessions"], strict=True):
        if isinstance(why, str):
            parts.append(f"{len(sessions)} principal(s) without a person: {why}")
    return "; ".join(parts)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
