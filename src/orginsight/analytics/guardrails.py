"""Which SCPs apply to each account, and whether they stop anyone from switching off the security services.

Pure functions over the ``guardrails`` collector's ``policies`` and ``policy_targets`` and the ``org``
collector's ``accounts`` and ``ous``, so the centralization audit and the demo read them alike.

How SCPs apply (AWS Organizations User Guide, "SCP evaluation", 2024): the policies attached to the
root, to every OU on the path down to the account, and to the account itself all apply; a Deny in any
of them denies, whatever the others allow, so a guardrail holds in an account when some SCP in its
effective set denies the action. (An Allow, by contrast, must be granted at every level, which the
AWS-managed ``FullAWSAccess`` does wherever it stays attached.) SCPs never restrict the management
account, nor service-linked roles: a guardrail there is ``exempt``, and the services' own roles keep
working under any guardrail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

SCP = "SERVICE_CONTROL_POLICY"

DENIED = "denied"
CONDITIONAL = "conditional"
NOT_DENIED = "not denied"
EXEMPT = "exempt"
"""Coverage statuses: every action denied outright; denied only under a condition or for some resources;
at least one action not denied (``missing_actions`` names them); the management account, which no SCP
restricts."""

EFFECTIVE_COLUMNS = [
    "account_id",
    "account_name",
    "ou_path",
    "policy_id",
    "policy_name",
    "aws_managed",
    "attached_to",
    "attached_type",
    "attached_name",
    "depth",
    "applies",
]
COVERAGE_COLUMNS = [
    "account_id",
    "account_name",
    "ou_path",
    "guardrail",
    "status",
    "policies",
    "statements",
    "missing_actions",
    "detail",
]


@dataclass(frozen=True)
class Guardrail:
    """One protection a security team expects of the organization's SCPs: every one of ``actions`` denied."""

    name: str
    """Short id, a column of the audit's heatmap."""
    actions: tuple[str, ...]
    """IAM actions (``service:Action``) that must all be denied."""
    why: str
    """What an intruder or a careless administrator gains when the action is allowed."""
    resource: str = "*"
    """The resources protected: a Deny whose ``Resource`` covers this string protects them all; a narrower
    one (one trail, a policy variable) protects only some and counts as conditional."""
    principal: str | None = None
    """The principal the guardrail is about (the root user), when there is one: a Deny conditioned only on
    ``aws:PrincipalArn`` matching it is not a conditional deny but exactly the guardrail."""


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "cloudtrail-logging",
        ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail"),
        "Stopping or deleting the trail is an intruder's first move: what follows goes unrecorded "
        "(Stratus Red Team's cloudtrail-stop and cloudtrail-delete).",
    ),
    Guardrail(
        "cloudtrail-configuration",
        ("cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"),
        "Pointing the trail at another bucket or selecting no events leaves logging on and recording "
        "nothing useful (Stratus Red Team's cloudtrail-event-selectors).",
    ),
    Guardrail(
        "guardduty-detector",
        ("guardduty:DeleteDetector", "guardduty:UpdateDetector"),
        "Deleting or suspending the detector (or switching off its protection plans) ends threat "
        "detection in that account and region.",
    ),
    Guardrail(
        "guardduty-administrator",
        ("guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateFromAdministratorAccount"),
        "A member that leaves the administrator stops sending findings to the security account. Both "
        "actions: the API has an old and a new name, and denying one leaves the other open.",
    ),
    Guardrail(
        "securityhub",
        ("securityhub:DisableSecurityHub",),
        "Disabling Security Hub stops the controls and the findings aggregation for that account.",
    ),
    Guardrail(
        "securityhub-administrator",
        ("securityhub:DisassociateFromMasterAccount", "securityhub:DisassociateFromAdministratorAccount"),
        "A member that leaves the administrator drops out of the organization's findings (old and new name).",
    ),
    Guardrail(
        "config-recorder",
        (
            "config:StopConfigurationRecorder",
            "config:DeleteConfigurationRecorder",
            "config:DeleteDeliveryChannel",
        ),
        "Without the recorder and its delivery channel, resource changes are no longer recorded, and Config "
        "rules and Security Hub controls go blind.",
    ),
    Guardrail(
        "access-analyzer",
        ("access-analyzer:DeleteAnalyzer",),
        "Deleting the analyzer hides resources shared outside the organization.",
    ),
    Guardrail(
        "macie",
        ("macie2:DisableMacie",),
        "Disabling Macie deletes its findings and stops sensitive-data discovery in that account.",
    ),
    Guardrail(
        "leave-organization",
        ("organizations:LeaveOrganization",),
        "An account that leaves the organization leaves every SCP and every organization-wide service with "
        "it (Stratus Red Team's organizations-leave).",
    ),
    Guardrail(
        "root-access-keys",
        ("iam:CreateAccessKey",),
        "Access keys of a member account's root user are long-lived credentials outside Identity Center "
        "that no permission boundary limits.",
        resource="arn:aws:iam::*:root",
        principal="arn:aws:iam::*:root",
    ),
)
"""The default guardrails, from the AWS Organizations User Guide's example SCPs and AWS's
service-control-policy-examples (2024): deny switching off or leaving each security service, deny
leaving the organization, deny root access keys. Pass your own tuple to ``guardrail_coverage`` to
check more."""


# ----------------------------------------------------------------------------- effective SCPs


def _ancestors(ou_id: str | None, parents: Mapping[str, str | None]) -> list[str]:
    """``ou_id`` and its parents up to the root, root first (a cycle or an unknown parent ends the walk)."""
    chain: list[str] = []
    while isinstance(ou_id, str) and ou_id not in chain:  # a root's parent is None, or NaN in a frame
        chain.append(ou_id)
        ou_id = parents.get(ou_id)
    return chain[::-1]


def effective_scps(
    policies: pd.DataFrame,
    targets: pd.DataFrame,
    accounts: pd.DataFrame,
    ous: pd.DataFrame,
    management_account_id: str | None = None,
    policy_type: str = SCP,
) -> pd.DataFrame:
    """One row per (account, policy attachment) that applies to the account: attached to the root, to an OU
    on the account's path, or to the account itself. ``depth`` orders them root (0) to account; a policy
    attached at two levels has two rows. ``applies`` is False in the management account (SCPs never
    restrict it). ``policy_type="RESOURCE_CONTROL_POLICY"`` gives the effective RCPs the same way."""
    typed = policies[policies["policy_type"] == policy_type] if "policy_type" in policies else policies
    by_policy = typed.set_index("policy_id")
    attached: dict[str, list[dict[str, Any]]] = {}
    for t in targets[targets["policy_id"].isin(by_policy.index)].to_dict("records"):
        attached.setdefault(t["target_id"], []).append(t)
    parents = {r["ou_id"]: r["parent_id"] for r in ous.to_dict("records")}
    rows = []
    for a in accounts.to_dict("records"):
        path = [*_ancestors(a.get("ou_id"), parents), a["account_id"]]
        for depth, target_id in enumerate(path):
            for t in attached.get(target_id, []):
                policy = by_policy.loc[t["policy_id"]]
                rows.append(
                    {
                        "account_id": a["account_id"],
                        "account_name": a.get("name"),
                        "ou_path": a.get("ou_path"),
                        "policy_id": t["policy_id"],
                        "policy_name": policy["name"],
                        "aws_managed": policy.get("aws_managed"),
                        "attached_to": target_id,
                        "attached_type": t.get("target_type"),
                        "attached_name": t.get("target_name"),
                        "depth": depth,
                        "applies": a["account_id"] != management_account_id,
                    }
                )
    df = pd.DataFrame(rows, columns=EFFECTIVE_COLUMNS)
    return df.sort_values(["account_id", "depth", "policy_name"]).reset_index(drop=True)


# ----------------------------------------------------------------------------- policy evaluation


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character, everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an ``Action`` entry covers ``action``; IAM matches action names without regard to case."""
    return _pattern(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether a ``Resource`` entry covers every resource ``resource`` stands for (ARNs are case-sensitive)."""
    return _pattern(pattern, False).fullmatch(resource) is not None


def _listed(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def statements(content: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (one statement may stand alone, not in a list); none when the
    content is missing (not read: None or NaN) or not a JSON policy, so one bad policy loses only itself."""
    if not isinstance(content, str):
        return []
    try:
        document = json.loads(content)
    except ValueError:
        return []
    found = document.get("Statement", []) if isinstance(document, dict) else []
    found = [found] if isinstance(found, dict) else found
    return [s for s in found if isinstance(s, dict)]


PRINCIPAL_OPERATORS = frozenset({"arnlike", "arnequals", "stringlike", "stringequals"})


def _only_principal(condition: Mapping[str, Any], principal: str | None) -> bool:
    """Whether ``condition`` only says "the caller is ``principal``" (``aws:PrincipalArn`` matching it)."""
    if principal is None:
        return False
    tests = [(op, key, values) for op, block in condition.items() for key, values in block.items()]
    return bool(tests) and all(
        op.lower() in PRINCIPAL_OPERATORS
        and key.lower() == "aws:principalarn"
        and any(resource_matches(v, principal) for v in _listed(values))
        for op, key, values in tests
    )


def deny_verdict(statement: Mapping[str, Any], action: str, guardrail: Guardrail) -> tuple[str, str] | None:
    """How ``statement`` treats ``action`` on the guardrail's resources: (``DENIED`` or ``CONDITIONAL``,
    what limits it), or None when it does not deny the action at all.

    ``Action`` / ``NotAction`` with IAM's wildcards; ``Resource`` covering the guardrail's resource, or
    narrower (conditional); ``NotResource`` excludes some resources (conditional); any ``Condition``
    makes it conditional, except one that only names the guardrail's own principal.
    """
    if str(statement.get("Effect", "")).lower() != "deny":
        return None
    if "NotAction" in statement:
        if any(action_matches(p, action) for p in _listed(statement["NotAction"])):
            return None
    elif not any(action_matches(p, action) for p in _listed(statement.get("Action"))):
        return None
    limits = []
    if "NotResource" in statement:
        limits.append(f"except resources {json.dumps(_listed(statement['NotResource']))}")
    elif not any(resource_matches(p, guardrail.resource) for p in _listed(statement.get("Resource"))):
        limits.append(f"only resources {json.dumps(_listed(statement.get('Resource')))}")
    condition = statement.get("Condition") or {}
    if condition and not _only_principal(condition, guardrail.principal):
        limits.append(f"condition {json.dumps(condition, sort_keys=True)}")
    return (CONDITIONAL, "; ".join(limits)) if limits else (DENIED, "")


# ----------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class _Evidence:
    status: str
    policy: str
    statement: str
    detail: str = ""


def _best(
    action: str, guardrail: Guardrail, documents: Iterable[tuple[str, Sequence[dict[str, Any]]]]
) -> _Evidence | None:
    """The strongest deny of ``action`` among the documents: an outright one before a conditional one."""
    found: _Evidence | None = None
    for policy, stmts in documents:
        for index, statement in enumerate(stmts):
            verdict = deny_verdict(statement, action, guardrail)
            if verdict is None:
                continue
            evidence = _Evidence(verdict[0], policy, f"{policy}#{statement.get('Sid') or index}", verdict[1])
            if evidence.status == DENIED:
                return evidence
            found = found or evidence
    return found


def _coverage_row(guardrail: Guardrail, documents: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    evidence = {action: _best(action, guardrail, documents) for action in guardrail.actions}
    missing = [a for a, e in evidence.items() if e is None]
    found = [e for e in evidence.values() if e is not None]
    status = NOT_DENIED if missing else CONDITIONAL if any(e.status == CONDITIONAL for e in found) else DENIED
    return {
        "guardrail": guardrail.name,
        "status": status,
        "policies": ", ".join(sorted({e.policy for e in found})) or None,
        "statements": ", ".join(sorted({e.statement for e in found})) or None,
        "missing_actions": ", ".join(missing) or None,
        "detail": "; ".join(sorted({e.detail for e in found if e.detail})) or None,
    }


def guardrail_coverage(
    effective: pd.DataFrame, policies: pd.DataFrame, guardrails: Sequence[Guardrail] = GUARDRAILS
) -> pd.DataFrame:
    """One row per (account, guardrail): ``denied``, ``conditional``, ``not denied`` or ``exempt``, with the
    policies and statements (``policy#Sid``, or the statement's index) that deny, the actions nobody
    denies, and what limits a conditional deny (its condition, its narrower resources).

    ``effective`` is ``effective_scps``'s frame; a policy whose content was not read denies nothing here,
    so a failed DescribePolicy shows as ``not denied`` (the collector's failures say why). An account with
    no effective policy at all (its attachments were not read) has no rows: unknown, which the audit should
    not read as protected.
    """
    content = dict(zip(policies["policy_id"], policies["content"], strict=True))
    rows = []
    for account_id, group in effective.groupby("account_id", sort=True):
        first = group.iloc[0]
        head = {"account_id": account_id, "account_name": first["account_name"], "ou_path": first["ou_path"]}
        names = dict(zip(group["policy_id"], group["policy_name"], strict=False))
        documents = [
            (str(names[p] or p), statements(content.get(p))) for p in dict.fromkeys(group["policy_id"])
        ]
        for guardrail in guardrails:
            if not group["applies"].all():
                rows.append(
                    {**dict.fromkeys(COVERAGE_COLUMNS), **head, "guardrail": guardrail.name, "status": EXEMPT}
                )
            else:
                rows.append({**head, **_coverage_row(guardrail, documents)})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS, dtype=object)  # missing stays None (pandas 3 strings)
