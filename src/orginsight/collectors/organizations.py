"""AWS Organizations: accounts, the OU tree with each account's OU path, tags, delegated admins, trusted access.

Runs in the management account (or an Organizations delegated administrator).
Organizations is a global service whose endpoint lives in us-east-1 (aws partition);
its API rate is low (a few requests per second per account, 2024), so the fan-out
here uses few threads and relies on adaptive retries.

Data flow: ``get_organization`` (API pages, recorded) -> ``transform_*`` (pure) ->
``organization_frames`` (DataFrames). The demo lake's recorded pages take the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from orginsight.collectors.fanout import OutcomeLog, Target, fan_out
from orginsight.collectors.recording import GLOBAL, ApiRecording, Call, paginate
from orginsight.collectors.service import RunOptions, Service, Table

SERVICE = "organizations"
ORG_WORKERS = 4
"""Threads for per-OU and per-account Organizations calls; the API throttles early."""

ACCOUNT_COLUMNS = [
    "account_id",
    "name",
    "email",
    "status",
    "joined_method",
    "joined",
    "arn",
    "ou_id",
    "ou_path",
]
OU_COLUMNS = ["ou_id", "name", "parent_id", "path", "depth", "arn"]
TAG_COLUMNS = ["account_id", "key", "value"]
DELEGATED_COLUMNS = ["account_id", "name", "service_principal", "delegation_enabled"]
TRUSTED_COLUMNS = ["service_principal", "date_enabled"]


# ----------------------------------------------------------------------------- get (API pages)


def get_organization(
    connection: Any,
    recording: ApiRecording,
    log: OutcomeLog,
    region: str | None = None,
    progress: bool = True,
) -> ApiRecording:
    """Record every Organizations page orginsight needs; failures go to ``log`` and collection carries on."""
    region = region or connection.home_region
    client = connection.client(SERVICE, region)

    def pages(operation: str, account: str | None = None, **params: Any) -> list[dict[str, Any]]:
        found = log.call(
            account,
            GLOBAL,
            operation,
            lambda: paginate(client, operation, recording, SERVICE, GLOBAL, **params),
            default=[],
        )
        return found or []

    def for_each(ids: list[str], what: str, call: Callable[[Target], Any]) -> list[tuple[Target, Any]]:
        """``call`` once per id (an account or an OU), ``ORG_WORKERS`` at a time; failures go to ``log``."""
        return fan_out(
            call, [Target(i, GLOBAL) for i in ids], log, what, workers=ORG_WORKERS, progress=progress
        )

    org = log.call(None, GLOBAL, "describe_organization", lambda: client.describe_organization())
    if org is not None:
        recording.add(SERVICE, GLOBAL, "describe_organization", {}, org)
    accounts = pages("list_accounts")
    account_ids = [a["Id"] for page in accounts for a in page.get("Accounts", [])]
    if accounts:
        log.ok(None, GLOBAL, "list_accounts", items=len(account_ids))

    parents = [r["Id"] for page in pages("list_roots") for r in page.get("Roots", [])]
    while parents:  # breadth-first, one fan-out per level of the tree

        def children(target: Target) -> list[str]:
            parent = target.account or ""
            pages("list_accounts_for_parent", ParentId=parent)
            ous = pages("list_organizational_units_for_parent", ParentId=parent)
            return [ou["Id"] for page in ous for ou in page.get("OrganizationalUnits", [])]

        level = for_each(parents, "organizational units", children)
        parents = [child for _t, found in level for child in found]

    for_each(
        account_ids,
        "account tags",
        lambda t: pages("list_tags_for_resource", account=t.account, ResourceId=t.account),
    )

    admins = pages("list_delegated_administrators")
    admin_ids = [a["Id"] for page in admins for a in page.get("DelegatedAdministrators", [])]
    for_each(
        admin_ids,
        "delegated services",
        lambda t: pages("list_delegated_services_for_account", account=t.account, AccountId=t.account),
    )
    pages("list_aws_service_access_for_organization")
    return recording


def list_account_ids(connection: Any, log: OutcomeLog) -> list[str]:
    """Active member account ids (ListAccounts, which delegated administrators may call too)."""
    client = connection.client(SERVICE, connection.home_region)
    pages = log.call(
        None, GLOBAL, "list_accounts", lambda: list(client.get_paginator("list_accounts").paginate())
    )
    return [
        a["Id"]
        for page in pages or []
        for a in page.get("Accounts", [])
        if (a.get("Status") or a.get("State")) == "ACTIVE"
    ]


# ----------------------------------------------------------------------------- transform (pure)


ORGANIZATION_COLUMNS = ["org_id", "arn", "feature_set", "management_account_id", "management_account_email"]


def transform_organization(responses: list[dict[str, Any]]) -> pd.DataFrame:
    """The organization itself (one row) from DescribeOrganization."""
    rows = [
        {
            "org_id": r["Organization"]["Id"],
            "arn": r["Organization"].get("Arn"),
            "feature_set": r["Organization"].get("FeatureSet"),
            "management_account_id": r["Organization"].get("MasterAccountId"),
            "management_account_email": r["Organization"].get("MasterAccountEmail"),
        }
        for r in responses
    ]
    return pd.DataFrame(rows[-1:], columns=ORGANIZATION_COLUMNS)


def transform_accounts(responses: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per account from ListAccounts pages (``Status`` or, since 2025, ``State``)."""
    rows = [
        {
            "account_id": a["Id"],
            "name": a.get("Name"),
            "email": a.get("Email"),
            "status": a.get("Status") or a.get("State"),
            "joined_method": a.get("JoinedMethod"),
            "joined": a.get("JoinedTimestamp"),
            "arn": a.get("Arn"),
        }
        for page in responses
        for a in page.get("Accounts", [])
    ]
    df = pd.DataFrame(rows, columns=ACCOUNT_COLUMNS[:7]).drop_duplicates("account_id", keep="last")
    df["joined"] = pd.to_datetime(df["joined"], utc=True, format="ISO8601")
    return df.sort_values("account_id").reset_index(drop=True)


def transform_ou_tree(roots: list[dict[str, Any]], ou_calls: list[Call]) -> pd.DataFrame:
    """The OU tree (roots included) with each OU's path of names from the root, e.g. ``Root/Workloads/Prod``.

    ``ou_calls`` are ListOrganizationalUnitsForParent calls; the parent comes from each call's params.
    """
    nodes: dict[str, dict[str, Any]] = {}
    for page in roots:
        for r in page.get("Roots", []):
            nodes[r["Id"]] = {
                "ou_id": r["Id"],
                "name": r.get("Name") or "Root",
                "parent_id": None,
                "arn": r.get("Arn"),
            }
    for call in ou_calls:
        parent = call["params"]["ParentId"]
        for ou in call["response"].get("OrganizationalUnits", []):
            nodes[ou["Id"]] = {
                "ou_id": ou["Id"],
                "name": ou.get("Name"),
                "parent_id": parent,
                "arn": ou.get("Arn"),
            }
    for node in nodes.values():
        names, seen, cur = [], set(), node
        while cur is not None and cur["ou_id"] not in seen:
            seen.add(cur["ou_id"])
            names.append(cur["name"] or cur["ou_id"])
            cur = nodes.get(cur["parent_id"]) if cur["parent_id"] else None
        node["path"] = "/".join(reversed(names))
        node["depth"] = len(names) - 1
    return pd.DataFrame(list(nodes.values()), columns=OU_COLUMNS).sort_values("path").reset_index(drop=True)


def transform_account_parents(
    account_calls: list[Call], parent_calls: list[Call] | None = None
) -> dict[str, str]:
    """Account id -> parent OU (or root) id, from ListAccountsForParent calls (or ListParents calls)."""
    parents = {
        a["Id"]: call["params"]["ParentId"]
        for call in account_calls
        for a in call["response"].get("Accounts", [])
    }
    for call in parent_calls or []:
        for p in call["response"].get("Parents", []):
            parents.setdefault(call["params"]["ChildId"], p["Id"])
    return parents


def transform_tags(tag_calls: list[Call]) -> pd.DataFrame:
    """Account tags, one row per key, from ListTagsForResource calls on account ids."""
    rows = [
        {"account_id": call["params"]["ResourceId"], "key": t["Key"], "value": t.get("Value")}
        for call in tag_calls
        for t in call["response"].get("Tags", [])
    ]
    return pd.DataFrame(rows, columns=TAG_COLUMNS).drop_duplicates().reset_index(drop=True)


def transform_delegated_admins(admin_calls: list[Call], service_calls: list[Call]) -> pd.DataFrame:
    """Delegated administrators, one row per (account, service principal).

    ListDelegatedAdministrators called with ``ServicePrincipal`` names the principal in its
    params; called without, each admin's principals come from ListDelegatedServicesForAccount.
    """
    services: dict[str, list[dict[str, Any]]] = {}
    for call in service_calls:
        services.setdefault(call["params"]["AccountId"], []).extend(
            call["response"].get("DelegatedServices", [])
        )
    rows = []
    for call in admin_calls:
        principal = call["params"].get("ServicePrincipal")
        for a in call["response"].get("DelegatedAdministrators", []):
            delegated = (
                [{"ServicePrincipal": principal, "DelegationEnabledDate": a.get("DelegationEnabledDate")}]
                if principal
                else services.get(a["Id"], [{"ServicePrincipal": None}])
            )
            rows.extend(
                {
                    "account_id": a["Id"],
                    "name": a.get("Name"),
                    "service_principal": s.get("ServicePrincipal"),
                    "delegation_enabled": s.get("DelegationEnabledDate"),
                }
                for s in delegated
            )
    df = pd.DataFrame(rows, columns=DELEGATED_COLUMNS).drop_duplicates(["account_id", "service_principal"])
    df["delegation_enabled"] = pd.to_datetime(df["delegation_enabled"], utc=True, format="ISO8601")
    return df.sort_values(["service_principal", "account_id"], na_position="last").reset_index(drop=True)


def transform_trusted_services(responses: list[dict[str, Any]]) -> pd.DataFrame:
    """Services with trusted access enabled, from ListAWSServiceAccessForOrganization pages."""
    rows = [
        {"service_principal": s["ServicePrincipal"], "date_enabled": s.get("DateEnabled")}
        for page in responses
        for s in page.get("EnabledServicePrincipals", [])
    ]
    df = pd.DataFrame(rows, columns=TRUSTED_COLUMNS)
    df["date_enabled"] = pd.to_datetime(df["date_enabled"], utc=True, format="ISO8601")
    return df.sort_values("service_principal").reset_index(drop=True)


def organization_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Organizations table from recorded pages: organization, accounts, ous, tags, delegated_admins,
    trusted_services. ``org`` is ignored (the organization names its own accounts); it is accepted so every
    service's ``frames`` is called alike."""

    def calls(op: str) -> list[Call]:
        return recording.calls(SERVICE, GLOBAL, op)

    ous = transform_ou_tree(
        [c["response"] for c in calls("list_roots")], calls("list_organizational_units_for_parent")
    )
    accounts = transform_accounts([c["response"] for c in calls("list_accounts")])
    parents = transform_account_parents(calls("list_accounts_for_parent"))
    paths = dict(zip(ous["ou_id"], ous["path"], strict=True))
    accounts["ou_id"] = [parents.get(a) for a in accounts["account_id"]]
    accounts["ou_path"] = [paths.get(o) for o in accounts["ou_id"]]
    return {
        "organization": transform_organization([c["response"] for c in calls("describe_organization")]),
        "accounts": accounts[ACCOUNT_COLUMNS],
        "ous": ous,
        "tags": transform_tags(calls("list_tags_for_resource")),
        "delegated_admins": transform_delegated_admins(
            calls("list_delegated_administrators"), calls("list_delegated_services_for_account")
        ),
        "trusted_services": transform_trusted_services(
            [c["response"] for c in calls("list_aws_service_access_for_organization")]
        ),
    }


def collect_organization(
    connection: Any,
    log: OutcomeLog | None = None,
    progress: bool = True,
    recording: ApiRecording | None = None,
) -> dict[str, pd.DataFrame]:
    """Live Organizations tables; each frame's ``attrs["failures"]`` lists what could not be read."""
    log = log or OutcomeLog()
    recording = get_organization(connection, recording or ApiRecording(), log, progress=progress)
    frames = organization_frames(recording)
    for df in frames.values():
        df.attrs["failures"] = log.failure_records()
    return frames


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect org``: every page, from the global endpoint (no regions to report)."""
    get_organization(connection, recording, log, progress=options.progress)
    return []


CALLS = (
    "describe_organization",
    "list_accounts",
    "list_accounts_for_parent",
    "list_aws_service_access_for_organization",
    "list_delegated_administrators",
    "list_delegated_services_for_account",
    "list_organizational_units_for_parent",
    "list_roots",
    "list_tags_for_resource",
)
"""The Organizations operations ``get_organization`` (and ``list_account_ids``) call."""

ORGANIZATIONS = Service(
    api=SERVICE,
    name="org",
    calls=CALLS,  # the demo records every page a live collection records
    tables=(
        transform_organization,
        transform_accounts,
        Table(transform_ou_tree, "ous"),
        transform_tags,
        transform_delegated_admins,
        transform_trusted_services,
    ),
    frames=organization_frames,
    get=get_for_run,
)
"""Organizations in the registry (``orginsight.collectors.registry.SERVICES["org"]``)."""
