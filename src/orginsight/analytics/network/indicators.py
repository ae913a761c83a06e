"""Indicator lists the package ships (``indicators/*.txt``, each with its source, licence and date in a
header comment), loaded by :func:`load`; hunts take them as bound array parameters whose default is
``indicators:<name>`` (see ``orginsight.analytics.hunts.params.coerce``), never pasted into SQL."""

from __future__ import annotations

import functools
from importlib import resources

from orginsight.errors import ParameterError

PREFIX = "indicators:"
"""A ``list[string]`` hunt parameter default written ``indicators:<name>`` is the shipped list ``<name>``."""

NAMES = ("mining_pools", "tor_exits")
"""The shipped lists: mining pool host names (Falco, Sigma) and Tor exit addresses (the Tor Project)."""

STRATUM_PORTS = (3333, 3334, 3335, 3336, 3357, 4444, 5555, 5556, 5588, 5730, 6099, 6666, 7777, 7778,
                 9332, 9999, 14433, 14444, 45560, 45700)  # fmt: skip
"""TCP ports mining pools serve stratum on: Falco's ``miner_ports`` list (falcosecurity/rules,
rules/falco-sandbox_rules.yaml, commit 18aa700, Apache-2.0, retrieved 2026-12-02) less the ports that
ordinary services share (25 SMTP, 8000, 8001, 8008, 8080, 8118, 8333, 8888, 8899: web, proxies, Bitcoin's
peer port), which would flag every web backend."""


@functools.cache
def load(name: str) -> tuple[str, ...]:
    """The entries of the shipped list ``name`` (comments and blank lines dropped, lower case, in file order)."""
    if name not in NAMES:
        raise ParameterError(f"no shipped indicator list {name!r}; the package ships: {', '.join(NAMES)}")
    text = resources.files(__package__).joinpath("indicators", f"{name}.txt").read_text(encoding="utf-8")
    rows = (line.strip().lower() for line in text.splitlines())
    return tuple(dict.fromkeys(r for r in rows if r and not r.startswith("#")))


def source(name: str) -> str:
    """The header comment of list ``name``: where it came from, its licence and date (shown by the CLI)."""
    load(name)
    text = resources.files(__package__).joinpath("indicators", f"{name}.txt").read_text(encoding="utf-8")
    return "\n".join(line[2:] for line in text.splitlines() if line.startswith("#"))


def resolve_default(value: str) -> list[str] | None:
    """The shipped list a parameter value ``indicators:<name>`` names, or None for any other value."""
    if isinstance(value, str) and value.strip().startswith(PREFIX):
        name = value.strip()[len(PREFIX) :]
        if name == "stratum_ports":
            return [str(port) for port in STRATUM_PORTS]
        return [*load(name)]
    return None
