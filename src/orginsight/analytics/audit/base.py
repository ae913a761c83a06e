"""The shape of an audit result row, and what several checks need: the security account, the regions, the
registry's coverage of one service per account and region, and a delegated administrator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from orginsight.analytics.audit.expectations import Expectations
from orginsight.analytics.audit.inputs import AuditInput
from orginsight.analytics.posture.coverage import coverage_status
from orginsight.collectors.registry import coverage_rows
from orginsight.collectors.service import EVERY_ACCOUNT

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
STATUSES = (PASS, FAIL, UNKNOWN)

ORGANIZATION = "organization"
"""``account_id`` of a result about the organization as a whole (a trail, an administrator, a setting)."""
ALL_REGIONS = "all"
"""``region`` of a result that holds in every region (or in none: a global service)."""

Row = dict[str, Any]


def row(status: str, found: str, account_id: str = ORGANIZATION, region: str = ALL_REGIONS) -> Row:
    """One result; ``run_audit`` adds the check's name, service and expectation."""
    return {"account_id": account_id, "region": region, "status": status, "found": found}


def security_account(inp: AuditInput, exp: Expectations) -> str | None:
    """The id of the account the expectations name (by id or by name), or None when no account matches."""
    accounts = inp.accounts
    wanted = exp.security_account.strip()
    if wanted in set(accounts["account_id"]):
        return wanted
    named = accounts[accounts["name"].astype("string").str.lower() == wanted.lower()]
    return str(named["account_id"].iloc[0]) if len(named) else None


def account_label(inp: AuditInput, account_id: str) -> str:
    names = dict(zip(inp.accounts["account_id"], inp.accounts["name"], strict=False))
    return f"{account_id} ({names[account_id]})" if names.get(account_id) else str(account_id)


def regions(inp: AuditInput, exp: Expectations) -> tuple[str, ...]:
    """The regions every regional service must cover: the expectations' list, else the ones in use."""
    return exp.regions if exp.regions is not None else inp.used_regions()


def per_region(
    inp: AuditInput,
    exp: Expectations,
    recorded: Iterable[str],
    missing: str,
    judge: Callable[[str], tuple[str, str]],
) -> list[Row]:
    """One row per expected region: ``judge(region)`` -> (status, found) where the service's state was
    ``recorded``, else unknown saying ``missing`` (``{region}`` in it names the region): a region nobody read
    is not a region that failed."""
    seen = set(recorded)
    return [
        row(*judge(region), region=region)
        if region in seen
        else row(UNKNOWN, missing.format(region=region), region=region)
        for region in regions(inp, exp)
    ]


def per_account_region(
    inp: AuditInput,
    exp: Expectations,
    label: str,
    api: str,
    collector: str,
    feature_names: Iterable[str] = (),
) -> list[Row]:
    """One row per active account and expected region from the registry's ``Coverage`` of ``label``: pass
    where the account is covered (and every one of ``feature_names`` on), unknown where nothing of the
    service was recorded in that region."""
    column = next(c for c in coverage_rows() if c.label == label)
    status, features = coverage_status(column, inp.recording)
    recorded = set(inp.recording.regions(api))
    wanted = tuple(feature_names)
    rows = []
    for account in inp.active_accounts()["account_id"]:
        for region in regions(inp, exp):
            if region not in recorded:
                rows.append(
                    row(
                        UNKNOWN,
                        f"no {label} state recorded in {region}: run 'orginsight collect {collector}'",
                        account,
                        region,
                    )
                )
                continue
            on = status.get((account, region), status.get((EVERY_ACCOUNT, region)))
            if not on:
                found = "not an enabled member" if on is False else "not listed by the administrator"
                rows.append(row(FAIL, f"{label}: {found}", account, region))
                continue
            per = {f: features.get(f, {}).get((account, region)) for f in wanted}
            off = [f for f, v in per.items() if v is False]
            unread = [f for f, v in per.items() if v is None]
            if off:
                rows.append(row(FAIL, f"{label} on; off: {', '.join(off)}", account, region))
            elif unread:
                rows.append(row(UNKNOWN, f"{label} on; not recorded: {', '.join(unread)}", account, region))
            else:
                rows.append(
                    row(PASS, f"{label} on" + (f" ({', '.join(wanted)})" if wanted else ""), account, region)
                )
    return rows


def delegated_admin(inp: AuditInput, exp: Expectations, principal: str, unlisted: str = FAIL) -> list[Row]:
    """One organization-wide row: trusted access for ``principal`` is on and its delegated administrator is
    the security account. ``unlisted`` is the status when Organizations lists no administrator for it."""
    if inp.delegated_admins is None:
        return [
            row(UNKNOWN, "Organizations' delegated administrators not read: run 'orginsight collect org'")
        ]
    wanted = security_account(inp, exp)
    if wanted is None:
        return [row(UNKNOWN, f"no account named {exp.security_account!r} in the organization")]
    admins = inp.delegated_admins
    found = sorted(set(admins[admins["service_principal"] == principal]["account_id"]))
    if not found:
        return [row(unlisted, f"Organizations lists no delegated administrator for {principal}")]
    if wanted not in found:
        others = ", ".join(account_label(inp, a) for a in found)
        return [row(FAIL, f"delegated administrator is {others}, not {account_label(inp, wanted)}")]
    trusted = (
        None if inp.trusted_services is None else principal in set(inp.trusted_services["service_principal"])
    )
    if trusted is False:
        return [
            row(FAIL, f"{account_label(inp, wanted)} is delegated administrator, but trusted access is off")
        ]
    return [row(PASS, f"delegated administrator {account_label(inp, wanted)}")]
