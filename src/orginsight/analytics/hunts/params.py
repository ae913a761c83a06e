"""Typed hunt parameters: what a parameter may be, and how a value from a header or the command line binds.

Refusals are :class:`~orginsight.errors.ParameterError` naming the parameter: a value that is not of
its type, a number SQL cannot hold (NaN, infinities, beyond 64 bits), a number where text is expected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from orginsight import timerange
from orginsight.analytics.network import indicators
from orginsight.errors import ParameterError

PARAMETER_TYPES = ("timestamp", "string", "int", "float", "bool", "list[string]")
"""Types a hunt parameter may declare; each binds as the matching typed SQL literal."""


@dataclass(frozen=True)
class Parameter:
    """One typed hunt parameter; ``default`` is as written (``-7d`` stays text until bound)."""

    name: str
    type: str
    default: Any
    description: str


COMMON_PARAMETERS: dict[str, Parameter] = {
    "start": Parameter(
        "start",
        "timestamp",
        "-7d",
        "Start of the event-time window (ISO-8601, or relative: -7d, -24h, -90m).",
    ),
    "end": Parameter(
        "end", "timestamp", "now", "End of the event-time window (ISO-8601, 'now', or relative)."
    ),
    "accounts": Parameter(
        "accounts", "list[string]", [], "Account ids to search; empty means every account."
    ),
    "regions": Parameter("regions", "list[string]", [], "Regions to search; empty means every region."),
}
"""Parameters every hunt takes without declaring them."""


def parse_time(value: Any, now: datetime | None = None) -> datetime:
    """An aware UTC datetime from a datetime, ISO-8601 text, ``now``, or a span before now (``7d`` or ``-7d``).

    :func:`orginsight.timerange.parse_time` (the command line's ``--since`` syntax), with its
    refusals as a :class:`~orginsight.errors.ParameterError`; epoch numbers are refused here, as a
    number in a hunt header is more likely a mistake than a time.
    """
    if not isinstance(value, str | datetime | date):
        raise ParameterError(f"expected a time, got {value!r}")
    try:
        return timerange.parse_time(value, now)
    except ValueError as e:
        raise ParameterError(str(e)) from e


_ANCHORED = re.compile(r"^\s*([a-z_]+)\s*-\s*(\d+\s*[mhdw])\s*$")
"""A time default written relative to another parameter, e.g. ``start-30d`` for a baseline."""


def coerce(p: Parameter, value: Any, now: datetime | None = None) -> Any:
    """The Python value to bind for parameter ``p``; strings (from the command line) are converted.

    A ``string`` parameter (and each item of a ``list[string]``) takes text only: a number there
    has already lost what made it an identifier (account ``012345678901`` read as a number is
    ``12345678901``), so it is refused rather than turned back into the wrong text.
    """
    if value is None:
        return [] if p.type == "list[string]" else None
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"parameter '{p.name}' ({p.type}): {value!r} is not a finite number")
    try:
        if p.type == "timestamp":
            return parse_time(value, now)
        if p.type == "string":
            return _text(p, value) or None
        if p.type in ("int", "float"):
            return finite_number(p.name, p.type, value)
        if p.type == "bool":
            if isinstance(value, str):
                if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(value)
                return value.lower() in {"true", "1", "yes"}
            return bool(value)
        if p.type == "list[string]":
            shipped = indicators.resolve_default(value)  # "indicators:<name>": a list the package ships
            if shipped is not None:
                return shipped
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [_text(p, v) for v in value]
    except (TypeError, ValueError) as e:
        raise ParameterError(f"parameter '{p.name}' ({p.type}): cannot use {value!r}") from e
    raise ParameterError(f"parameter '{p.name}' has unknown type {p.type}")


def _text(p: Parameter, value: Any) -> str:
    """``value`` when it is text; anything else is refused (see :func:`coerce`)."""
    if isinstance(value, str):
        return value
    raise ParameterError(
        f"parameter '{p.name}' ({p.type}) takes text, got {type(value).__name__} {value!r}: "
        "pass it as a string (quote it in a hunt header: '012345678901')"
    )


INT64_RANGE = (-(2**63), 2**63 - 1)
"""Integers Athena's BIGINT and DuckDB's BIGINT hold; a parameter outside it is refused, not wrapped."""


_INTEGER_TEXT = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def finite_number(name: str, kind: str, value: Any) -> int | float:
    """``value`` (text or a number) as a finite ``int`` or ``float`` for parameter ``name``.

    NaN and the infinities (``nan``, ``inf``, ``-inf``, and ``1e999``, which overflows to ``inf``)
    are refused: SQL has no literal for them and comparisons with them match nothing or everything,
    silently. An ``int`` takes ASCII digits only (no ``1e3``, ``7.5``, ``1_000`` or non-ASCII digits)
    within :data:`INT64_RANGE`. Raises :class:`ParameterError` naming the parameter.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ParameterError(
            f"parameter '{name}' ({kind}): expected a number, got {type(value).__name__} {value!r}"
        )
    if kind == "int":
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ParameterError(f"parameter '{name}' (int): {value!r} is not a finite number")
            if not value.is_integer():
                raise ParameterError(f"parameter '{name}' (int): {value!r} is not a whole number")
            number: int = int(value)
        elif isinstance(value, str):
            if not _INTEGER_TEXT.match(value):
                hint = " (not a finite number)" if _non_finite_text(value) else ""
                raise ParameterError(f"parameter '{name}' (int): {value!r} is not a whole number{hint}")
            number = int(value)
        else:
            number = int(value)
        if not INT64_RANGE[0] <= number <= INT64_RANGE[1]:
            raise ParameterError(f"parameter '{name}' (int): {value!r} is outside the 64-bit integer range")
        return number
    try:
        number_f = float(value)
    except (ValueError, OverflowError) as e:
        raise ParameterError(f"parameter '{name}' (float): {value!r} is not a number") from e
    if not math.isfinite(number_f):
        raise ParameterError(
            f"parameter '{name}' (float): {value!r} is not a finite number (NaN, infinities and "
            "overflows such as 1e999 are refused)"
        )
    return number_f


def _non_finite_text(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except (ValueError, OverflowError):
        return False
