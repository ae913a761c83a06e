"""Which links of the chain of sessions an indicator produced matter, and a summary of the rest.

A leaked CI key hands on hundreds of routine AssumeRole sessions; the triage page expands only the
links on the path to what is newly observed or inside the incident window (:func:`chain_focus`),
and folds the rest to a table (:func:`routine_summary`) and a sentence (:func:`routine_sentence`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd

from orginsight.analytics.graph import entities as E
from orginsight.analytics.incident import TEMPORARY_KINDS, WHO_DIMENSIONS, is_temporary, short_entity


def chain_focus(
    chain: pd.DataFrame,
    timeline: pd.DataFrame,
    judged: pd.DataFrame,
    window: tuple[datetime, datetime] | None,
) -> pd.DataFrame:
    """The chain with ``time``, ``notable`` (shown expanded) and ``why``.

    ``time`` is when the link happened as far as the timeline tells: the AssumeRole call that opened
    an assumed session, the CreateAccessKey call of a created key, else the first use of the credential
    handed on, else the hour of the hand-off.
    A link is notable when the credential it hands on (or a temporary one it hands from) was used
    from a newly observed IP, country or user agent, or when it happened inside the incident
    window; the links leading to a notable link, and the key a notable session was issued, are
    notable too ("on the path"), so the expanded part reads as a path from the indicator. Links
    whose credentials only show newly observed APIs, resources or regions outside the window
    (a CI job's first call of a new API) are not notable but keep a ``why``; the others are routine.
    """
    out = chain.copy()
    if not len(out):
        return out.assign(
            time=pd.Series(dtype="datetime64[us, UTC]"),
            notable=pd.Series(dtype=bool),
            why=pd.Series(dtype=object),
        )
    first_used = _first_use(timeline)
    created = _key_creations(timeline)
    assumed = _assumptions(timeline)
    exact = [
        created.get((s, pd.Timestamp(h)))
        if k == "created_key"
        else assumed.get((s, d, pd.Timestamp(h)))
        if k == "assumed"
        else None
        for s, d, k, h in zip(out["src"], out["dst"], out["kind"], out["hour"], strict=True)
    ]
    exact = [e if e is not None else first_used.get(d) for e, d in zip(exact, out["dst"], strict=True)]
    out["time"] = [e if e is not None else pd.Timestamp(h) for e, h in zip(exact, out["hour"], strict=True)]
    who = set(judged.loc[judged["dimension"].isin(WHO_DIMENSIONS), "subject"]) if len(judged) else set()
    what = set(judged["subject"]) - who if len(judged) else set()
    why = pd.Series("", index=out.index, dtype="object")
    temporary_src = out["src"].map(is_temporary)
    why[out["dst"].isin(who) | (out["src"].isin(who) & temporary_src)] = "used from a new IP or client"
    if window is not None:
        start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        known = pd.Series([e is not None for e in exact], index=out.index)
        hour = pd.to_datetime(out["hour"])
        inside = (known & (out["time"] >= start) & (out["time"] <= end)) | (
            ~known & (hour <= end) & (hour + pd.Timedelta(hours=1) > start)
        )
        why[inside & (why == "")] = "inside the incident window"
    notable = set(out.index[why != ""])
    while True:  # close over the path: who handed the notable credentials on, and the keys they got
        srcs = set(out.loc[list(notable), "src"])
        dsts = set(out.loc[list(notable), "dst"])
        more = set(out.index[out["dst"].isin(srcs)]) | set(
            out.index[out["src"].isin(dsts) & (out["kind"] == "issued")]
        )
        more -= notable
        if not more:
            break
        notable |= more
    for i in notable:
        if why[i] == "":
            why[i] = "on the path"
    drift = ~out.index.isin(notable) & (out["dst"].isin(what) | (out["src"].isin(what) & temporary_src))
    why[drift] = "new API, resource or region only, outside the window"
    out["why"] = why
    out["notable"] = out.index.isin(notable)
    return out


def _first_use(timeline: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Entity id -> time of its first event, for sessions (principal) and keys (access key)."""
    if not len(timeline):
        return {}
    by_principal = timeline.dropna(subset=["principal"]).groupby("principal")["time"].min()
    keys = timeline.dropna(subset=["access_key"])
    by_key = keys.groupby("access_key")["time"].min()
    out = by_principal.to_dict()
    out.update({f"access_key:{k}": v for k, v in by_key.items()})
    return out


def _assumptions(timeline: pd.DataFrame) -> dict[tuple[str, str, pd.Timestamp], pd.Timestamp]:
    """(caller, session it opened, hour) -> time of the successful AssumeRole call, the session named
    from the request (role ARN and session name) as CloudTrail names it in the session's own events.

    The caller is the access key the call was made with, as the chain's ``assumed`` links name it,
    else the calling principal.
    """
    if not len(timeline):
        return {}
    calls = timeline[(timeline["eventname"] == "AssumeRole") & timeline["errorcode"].isna()]
    out: dict[tuple[str, str, pd.Timestamp], pd.Timestamp] = {}
    for key, principal, request, t in zip(
        calls["access_key"], calls["principal"], calls["requestparameters"], calls["time"], strict=True
    ):
        session = _session_of(request)
        if session is None:
            continue
        hour = pd.Timestamp(t).floor("h")
        for caller in {f"{E.ACCESS_KEY}:{key}" if isinstance(key, str) and key else None, principal} - {None}:
            out[(caller, session, hour)] = min(t, out.get((caller, session, hour), t))
    return out


def _session_of(request: Any) -> str | None:
    """The role session an AssumeRole request opens, as an entity id."""
    try:
        params = json.loads(request) if isinstance(request, str) else None
    except ValueError:
        return None
    if not isinstance(params, dict):
        return None
    arn = E.session_of_role(str(params.get("roleArn", "")), str(params.get("roleSessionName") or ""))
    return f"{E.ROLE_SESSION}:{arn}" if arn else None


def _key_creations(timeline: pd.DataFrame) -> dict[tuple[str, pd.Timestamp], pd.Timestamp]:
    """(caller's key entity, hour) -> time of its first successful CreateAccessKey in that hour."""
    if not len(timeline):
        return {}
    made = timeline[
        (timeline["eventname"] == "CreateAccessKey")
        & timeline["errorcode"].isna()
        & timeline["access_key"].notna()
    ]
    if not len(made):
        return {}
    first = made.assign(hour=made["time"].dt.floor("h")).groupby(["access_key", "hour"])["time"].min()
    return {(f"access_key:{k}", h): t for (k, h), t in first.items()}


def routine_links(chain: pd.DataFrame) -> pd.DataFrame:
    """Links that are neither notable nor touched by anything newly observed."""
    if "notable" not in chain:
        return chain
    return chain[~chain["notable"] & (chain["why"] == "")]


def routine_summary(chain: pd.DataFrame) -> pd.DataFrame:
    """The routine links folded to one row per (kind, handed on by, role): how many, in which
    accounts, first and last hour."""
    rest = routine_links(chain)
    cols = ["kind", "by", "role", "accounts", "links", "first", "last"]
    if not len(rest):
        return pd.DataFrame(columns=cols)
    role = rest["dst"].where(rest["kind"] == "assumed", rest["src"]).map(_role_name)
    account = rest["dst"].where(rest["kind"] == "assumed", rest["src"]).map(_account_of)
    by = rest["src"].where(rest["kind"] != "issued", "(the session)").map(short_entity)
    folded = (
        rest.assign(by=by, role=role.fillna(""), account=account.fillna(""))
        .groupby(["kind", "by", "role"], sort=False)
        .agg(
            accounts=("account", lambda s: ", ".join(sorted(set(s) - {""}))),
            links=("dst", "size"),
            first=("hour", "min"),
            last=("hour", "max"),
        )
        .reset_index()
        .sort_values(["links", "kind"], ascending=[False, True])
    )
    return folded[cols].reset_index(drop=True)


def routine_sentence(chain: pd.DataFrame) -> str:
    """``"412 routine AssumeRole session(s) of role(s) cicd-deploy in 4 account(s) by ... collapsed."``"""
    rest = routine_links(chain)
    if not len(rest):
        return "No routine links."
    assumed = rest[rest["kind"] == "assumed"]
    parts = []
    if len(assumed):
        roles = sorted(set(assumed["dst"].map(_role_name).dropna()))
        by = sorted(set(assumed["src"].map(short_entity)))
        accounts = sorted(set(assumed["dst"].map(_account_of).dropna()))
        parts.append(
            f"{len(assumed)} routine AssumeRole session(s) of role(s) {', '.join(roles) or '?'} "
            f"in {len(accounts)} account(s) by {', '.join(by)}"
        )
    issued = int((rest["kind"] == "issued").sum())
    if issued:
        parts.append(f"{issued} temporary key(s) issued to them")
    created = int((rest["kind"] == "created_key").sum())
    if created:
        parts.append(f"{created} key(s) created")
    return (
        "; ".join(parts)
        + ": from known IPs and clients, nothing newly observed, none in the incident window; collapsed."
    )


def _role_name(entity: str) -> str | None:
    kind, _, key = entity.partition(":")
    if kind in TEMPORARY_KINDS and ":assumed-role/" in key:
        return key.split(":assumed-role/", 1)[1].split("/", 1)[0]
    return None


def _account_of(entity: str) -> str | None:
    _, _, key = entity.partition(":")
    parts = key.split(":")
    return parts[4] if key.startswith("arn:") and len(parts) > 4 and parts[4] else None
