"""Finding groups: findings that share entities and are close in time, with severity, accounts and tactics.

Two findings join a group when they name the same entity (access key,
principal, IP, resource) or entities linked by handed-on credentials (a key ->
the session it assumed -> that session's key ...), and their activity windows
lie within ``window`` of each other. Groups are the connected components of
that finding-entity graph. Accounts alone never join findings: every finding
of a busy account would otherwise form one group.

ATT&CK tactics come from GuardDuty's finding type, ``ThreatPurpose:Resource/
Family.Mechanism!Artifact`` (GuardDuty User Guide, "Finding format", 2024):
the threat purpose maps to an enterprise tactic; Security Hub types of the
form ``TTPs/<Tactic>/...`` (ASFF types taxonomy) give the tactic directly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from orginsight.analytics.graph.model import EntityGraph

THREAT_PURPOSE_TACTICS: dict[str, str] = {
    "Backdoor": "Command and Control",
    "CryptoCurrency": "Impact",
    "CredentialAccess": "Credential Access",
    "DefenseEvasion": "Defense Evasion",
    "Discovery": "Discovery",
    "Execution": "Execution",
    "Exfiltration": "Exfiltration",
    "Impact": "Impact",
    "InitialAccess": "Initial Access",
    "PenTest": "Discovery",
    "Persistence": "Persistence",
    "PrivilegeEscalation": "Privilege Escalation",
    "Recon": "Reconnaissance",
    "Stealth": "Defense Evasion",
    "Trojan": "Command and Control",
    "UnauthorizedAccess": "Initial Access",
}
"""GuardDuty threat purpose -> MITRE ATT&CK enterprise tactic (GuardDuty threat purposes, 2024)."""

TYPE_TACTICS: dict[str, str] = {
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration": "Credential Access",
    "UnauthorizedAccess:IAMUser/TorIPCaller": "Initial Access",
    "Policy:IAMUser/RootCredentialUsage": "Privilege Escalation",
    "Policy:S3/": "Defense Evasion",
    "Stealth:IAMUser/CloudTrailLoggingDisabled": "Defense Evasion",
}
"""Type prefixes whose tactic differs from their threat purpose's (checked first, longest prefix wins)."""

TACTIC_IDS = {
    "Reconnaissance": "TA0043",
    "Initial Access": "TA0001",
    "Execution": "TA0002",
    "Persistence": "TA0003",
    "Privilege Escalation": "TA0004",
    "Defense Evasion": "TA0005",
    "Credential Access": "TA0006",
    "Discovery": "TA0007",
    "Lateral Movement": "TA0008",
    "Collection": "TA0009",
    "Exfiltration": "TA0010",
    "Command and Control": "TA0011",
    "Impact": "TA0040",
}

SEVERITY_ORDER = ["Informational", "Low", "Medium", "High", "Critical"]

LINK_KINDS = ("uses_key", "assumed", "issued", "created_key")
"""Edges that say two entities are the same actor: a principal and its keys, a key and the sessions it made."""


def tactic_of(finding_type: str | None) -> str | None:
    """The ATT&CK tactic of a GuardDuty or Security Hub finding type, or None when unknown."""
    if not isinstance(finding_type, str) or not finding_type:
        return None
    for prefix in sorted(TYPE_TACTICS, key=len, reverse=True):
        if finding_type.startswith(prefix):
            return TYPE_TACTICS[prefix]
    if finding_type.startswith("TTPs/"):
        name = finding_type.split("/")[1]
        return name if name in TACTIC_IDS else None
    purpose = finding_type.split(":", 1)[0]
    return THREAT_PURPOSE_TACTICS.get(purpose)


def _actor_components(g: EntityGraph) -> dict[str, str]:
    """Entity -> a representative of everything it is linked to by ``LINK_KINDS`` edges (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # An account is no actor: the role account's copy of a cross-account AssumeRole names only the
    # calling account, which would otherwise tie every session assumed from it together.
    links = g.edges[g.edges["kind"].isin(LINK_KINDS) & ~g.edges["src"].str.startswith("account:")]
    links = links[["src", "dst"]].drop_duplicates()
    for a, b in links.itertuples(index=False):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return {x: find(x) for x in parent}


def finding_groups(g: EntityGraph, window: timedelta = timedelta(hours=24)) -> pd.DataFrame:
    """One row per group: findings, severity, accounts, tactics, entities and time span.

    The frame's ``attrs["membership"]`` maps each finding id to its group id.
    """
    cols = [
        "group",
        "findings",
        "finding_ids",
        "severity",
        "severity_label",
        "accounts",
        "tactics",
        "tactic_ids",
        "types",
        "entities",
        "first_seen",
        "last_seen",
    ]
    f = g.findings
    if f is None or not len(f):
        out = pd.DataFrame(columns=cols)
        out.attrs["membership"] = {}
        return out
    f = f.copy()
    f["fid"] = f["finding_id"].astype(str)
    f["first"] = pd.to_datetime(f["first_seen"], utc=True)
    f["last"] = pd.to_datetime(f["last_seen"], utc=True).fillna(f["first"])
    actor = _actor_components(g)
    inv = g.edges[(g.edges["kind"] == "involves") & ~g.edges["dst"].str.startswith("account:")]
    inv = inv[["src", "dst"]].drop_duplicates().assign(fid=lambda d: d["src"].str.split(":", n=1).str[1])
    inv["actor"] = inv["dst"].map(actor).fillna(inv["dst"])
    parent = {fid: fid for fid in f["fid"]}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    times = f.set_index("fid")[["first", "last"]]
    for _, members in inv.groupby("actor"):
        ids = [i for i in dict.fromkeys(members["fid"]) if i in times.index]
        ids.sort(key=lambda i: times.loc[i, "first"])
        reach_end, prev = None, None
        for i in ids:
            start, end = times.loc[i, "first"], times.loc[i, "last"]
            if prev is not None and start - reach_end <= window:
                ra, rb = find(prev), find(i)
                if ra != rb:
                    parent[rb] = ra
            reach_end = end if reach_end is None or prev is None else max(reach_end, end)
            prev = i
    f["group_root"] = f["fid"].map(find)
    entities_of = inv.groupby("fid")["dst"].agg(lambda s: sorted(set(s)))
    rows = []
    for _, members in f.groupby("group_root", sort=False):
        tactics = sorted(
            {t for t in map(tactic_of, members["type"]) if isinstance(t, str)},
            key=lambda t: list(TACTIC_IDS).index(t) if t in TACTIC_IDS else 99,
        )
        labels = [lbl for lbl in members["severity_label"] if lbl in SEVERITY_ORDER]
        ents = sorted({e for fid in members["fid"] for e in entities_of.get(fid, [])})
        rows.append(
            {
                "findings": len(members),
                "finding_ids": sorted(members["fid"]),
                "severity": float(members["severity"].max()) if members["severity"].notna().any() else None,
                "severity_label": max(labels, key=SEVERITY_ORDER.index) if labels else None,
                "accounts": sorted(members["account_id"].dropna().astype(str).unique()),
                "tactics": tactics,
                "tactic_ids": [TACTIC_IDS[t] for t in tactics if t in TACTIC_IDS],
                "types": sorted(members["type"].dropna().unique()),
                "entities": ents,
                "first_seen": members["first"].min(),
                "last_seen": members["last"].max(),
            }
        )
    out = pd.DataFrame(rows).sort_values(["severity", "findings"], ascending=False).reset_index(drop=True)
    out.insert(0, "group", range(1, len(out) + 1))
    membership = {fid: grp for grp, ids in zip(out["group"], out["finding_ids"], strict=True) for fid in ids}
    out.attrs["membership"] = membership
    return out[cols]
