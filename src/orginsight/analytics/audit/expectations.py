"""What the centralization audit expects: a small TOML file a team edits, read into a frozen dataclass.

The defaults ship as ``expectations.toml`` beside this module, commented key by key. A team's file only
needs the keys it changes: it is laid over the defaults, section by section. A key the defaults do not
have is refused, naming the key and the file, since a misspelt key would otherwise switch a check off
without a word; so is a value of the wrong type or an unreadable duration.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orginsight.analytics.guardrails import GUARDRAILS
from orginsight.collectors.identitycenter import duration_seconds
from orginsight.errors import OrgInsightError

DEFAULTS = "expectations.toml"
"""The packaged defaults, beside this module."""

ENABLED_REGIONS = "enabled"
"""``regions`` value meaning every region the organization uses (the regions its state was recorded in)."""

AUTO_ENABLE = ("ALL", "NEW", "")
"""GuardDuty's organization auto-enable settings the audit can require ("" = no check)."""

AUTO_DEPLOYED = "auto-deployed"
"""``stacksets.baseline`` as a string rather than a list: every service-managed stack set with automatic
deployment on is a baseline (it deploys itself to each new account of its targets, which is what an
organization's baseline is for)."""

INSPECTOR_SCAN_TYPES = ("EC2", "ECR", "LAMBDA", "LAMBDA_CODE")


class ExpectationsError(OrgInsightError):
    """The expectations file is unreadable, names a key the audit does not know, or holds a wrong value."""


@dataclass(frozen=True)
class Expectations:
    """The audit's expectations, one attribute per key of ``expectations.toml`` (``section.key``).

    Each ``bool`` attribute is named ``section_key`` after its key, and ``load_expectations`` reads it by that
    name: a new switch is a line here and a line in the defaults file."""

    security_account: str
    """Name or id of the account that should administer every security service."""
    regions: tuple[str, ...] | None
    """Regions each regional service must cover; None: every region the organization uses."""
    trail: MappingProxyType[str, bool]
    """organization_trail, logging, multi_region, kms, log_file_validation, insights."""
    guardduty_delegated_admin: bool
    guardduty_auto_enable: str
    guardduty_features: tuple[str, ...]
    guardduty_members_enabled: bool
    securityhub_delegated_admin: bool
    securityhub_cross_region_aggregation: bool
    securityhub_central_configuration: bool
    securityhub_members_enabled: bool
    config_organization_aggregator: bool
    config_recording_everywhere: bool
    inspector_delegated_admin: bool
    inspector_auto_enable: tuple[str, ...]
    accessanalyzer_organization_analyzer: bool
    detective_delegated_admin: bool
    macie_delegated_admin: bool
    macie_members_enabled: bool
    storagelens_organization_dashboard: bool
    storagelens_export: bool
    default_max_session_s: int
    """Longest Identity Center session allowed where no OU prefix of ``max_session_s`` matches."""
    max_session_s: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """OU path prefix (below the root, e.g. ``Workloads/Prod``) -> longest session allowed, in seconds."""
    guardrails_required: tuple[str, ...] = ()
    guardrails_conditional_passes: bool = True
    baseline_stacksets: tuple[str, ...] | str = ()
    """Names of the baseline stack sets, or ``AUTO_DEPLOYED``: every auto-deployed service-managed one."""
    source: str = DEFAULTS
    """The file read (for messages)."""


def _read(path: Path | None) -> dict[str, Any]:
    try:
        if path is None:
            return tomllib.loads(resources.files(__package__).joinpath(DEFAULTS).read_text())
        return tomllib.loads(path.read_text())
    except OSError as e:
        raise ExpectationsError(f"{path}: cannot read the expectations file ({e})") from e
    except tomllib.TOMLDecodeError as e:
        raise ExpectationsError(f"{path or DEFAULTS}: not valid TOML ({e})") from e


def _merge(defaults: dict[str, Any], given: dict[str, Any], where: str, prefix: str = "") -> dict[str, Any]:
    """``given`` laid over ``defaults``; a key the defaults lack is an error, except inside a free table."""
    out = dict(defaults)
    for key, value in given.items():
        name = f"{prefix}{key}"
        if key not in defaults:
            raise ExpectationsError(f"{where}: unknown key '{name}' (known: {', '.join(sorted(defaults))})")
        if isinstance(defaults[key], dict) and name != "identitycenter.max_session":
            if not isinstance(value, dict):
                raise ExpectationsError(f"{where}: '{name}' must be a table ([{name}])")
            out[key] = _merge(defaults[key], value, where, f"{name}.")
        else:
            out[key] = value
    return out


def _typed(value: Any, kind: type | tuple[type, ...], name: str, where: str) -> Any:
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else ()):
        raise ExpectationsError(f"{where}: '{name}' must be {getattr(kind, '__name__', kind)}, not a boolean")
    if not isinstance(value, kind):
        raise ExpectationsError(f"{where}: '{name}' must be {getattr(kind, '__name__', kind)}, not {value!r}")
    return value


def _names(value: Any, name: str, where: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    items = _typed(value, list, name, where)
    for item in items:
        _typed(item, str, name, where)
        if allowed is not None and item not in allowed:
            raise ExpectationsError(f"{where}: '{name}' holds {item!r}; allowed: {', '.join(allowed)}")
    return tuple(items)


def _seconds(value: Any, name: str, where: str) -> int:
    seconds = duration_seconds(_typed(value, str, name, where))
    if seconds is None:
        raise ExpectationsError(f"{where}: '{name}' = {value!r} is not an ISO 8601 duration such as 'PT1H'")
    return seconds


def _regions(value: Any, where: str) -> tuple[str, ...] | None:
    if value == ENABLED_REGIONS:
        return None
    if isinstance(value, str):
        raise ExpectationsError(f"{where}: 'regions' must be \"{ENABLED_REGIONS}\" or a list of regions")
    return _names(value, "regions", where)


def load_expectations(path: str | Path | None = None) -> Expectations:
    """The packaged defaults, with the file at ``path`` (when given) laid over them, checked key by key."""
    defaults = _read(None)
    where = str(path) if path is not None else DEFAULTS
    raw = _merge(defaults, _read(Path(path)), where) if path is not None else defaults
    b = {
        f"{section}.{key}": value
        for section, table in raw.items()
        if isinstance(table, dict)
        for key, value in table.items()
    }

    def flag(name: str) -> bool:
        return _typed(b[name], bool, name, where)

    auto = _typed(b["guardduty.auto_enable"], str, "guardduty.auto_enable", where).upper()
    if auto not in AUTO_ENABLE:
        raise ExpectationsError(
            f"{where}: 'guardduty.auto_enable' must be one of ALL, NEW or \"\", not {auto!r}"
        )
    sessions = _typed(b["identitycenter.max_session"], dict, "identitycenter.max_session", where)
    return Expectations(
        security_account=_typed(raw["security_account"], str, "security_account", where),
        regions=_regions(raw["regions"], where),
        trail=MappingProxyType({k.split(".", 1)[1]: flag(k) for k in b if k.startswith("trail.")}),
        guardduty_auto_enable=auto,
        guardduty_features=_names(b["guardduty.features"], "guardduty.features", where),
        inspector_auto_enable=_names(
            b["inspector.auto_enable"], "inspector.auto_enable", where, INSPECTOR_SCAN_TYPES
        ),
        default_max_session_s=_seconds(
            b["identitycenter.default_max_session"], "identitycenter.default_max_session", where
        ),
        max_session_s=MappingProxyType(
            {
                str(prefix).strip("/"): _seconds(v, f"identitycenter.max_session.{prefix}", where)
                for prefix, v in sessions.items()
            }
        ),
        guardrails_required=_names(
            b["guardrails.required"], "guardrails.required", where, tuple(g.name for g in GUARDRAILS)
        ),
        baseline_stacksets=AUTO_DEPLOYED
        if b["stacksets.baseline"] == AUTO_DEPLOYED
        else _names(b["stacksets.baseline"], "stacksets.baseline", where),
        source=where,
        **{f.name: flag(f.name.replace("_", ".", 1)) for f in fields(Expectations) if f.type == "bool"},
    )
