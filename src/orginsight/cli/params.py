"""The one ``--param`` parser of the command line: ``NAME=VALUE`` is text, ``NAME:TYPE=VALUE`` converts.

``orginsight sql`` takes both forms; a hunt's parameters (``hunt show``, ``hunt run``) take only the
first, because the hunt's header already types them. Both go through :func:`split_param`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from orginsight.analytics.hunts import finite_number
from orginsight.errors import ParameterError
from orginsight.timerange import parse_time

PARAM_TYPES = ("string", "int", "float", "bool", "timestamp", "date", "list", "list[TYPE]")
"""Types ``--param NAME:TYPE=VALUE`` takes (``list`` is a list of strings; ``list[int]`` and the
like convert each comma-separated item)."""

SCALAR_PARAM_TYPES = ("string", "int", "float", "bool", "timestamp", "date")

PARAM_HELP = (
    "bind a :name parameter. NAME=VALUE binds text, as typed (012345678901 keeps its leading zero); "
    "NAME:TYPE=VALUE converts it, TYPE one of string, int, float, bool, timestamp (ISO-8601, UTC unless "
    "it names a zone; or 7d, now), date, list (comma-separated strings) or list[int] and the like. "
    "Example: --param account=012345678901 --param n:int=5 --param since:timestamp=2026-01-01T00:00:00Z "
    "--param ids:list=a,b"
)
"""Help of ``orginsight sql --param``: the typed form, with an example of each kind."""

HUNT_PARAM_HELP = (
    "a hunt parameter, converted by the type the hunt's header declares (a string stays text: "
    "012345678901 keeps its leading zero; lists: a,b,c)"
)

_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``--param`` values of ``orginsight sql``: ``NAME=VALUE`` is text, ``NAME:TYPE=VALUE`` is converted.

    A value never changes type by looking like a number: ``account=012345678901`` binds the text
    ``'012345678901'``. Only an explicit type converts (see :data:`PARAM_TYPES` and :func:`_typed`).
    """
    params: dict[str, Any] = {}
    for pair in pairs or []:
        name, kind, text = split_param(pair)
        params[name] = text if kind is None else _typed(name, kind, text)
    return params


def parse_hunt_params(pairs: Sequence[str] | None) -> dict[str, str]:
    """``--param k=v`` pairs kept as text: each hunt converts them by its declared parameter types.

    The typed form of ``orginsight sql`` (``k:int=5``) is refused here: a hunt's header already
    types its parameters, and a second type on the command line could only disagree with it.
    """
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, kind, text = split_param(pair)
        if kind is not None:
            raise ParameterError(
                f"--param {pair!r}: a hunt's parameters are typed by its header (see 'orginsight hunt list'); "
                f"write {name}={text}"
            )
        out[name] = text
    return out


def split_param(pair: str) -> tuple[str, str | None, str]:
    """``(name, type or None, value)`` of one ``NAME[:TYPE]=VALUE``; the value may hold ``=`` and ``:``."""
    if "=" not in pair:
        raise ParameterError(f"--param takes NAME=VALUE or NAME:TYPE=VALUE, got {pair!r}")
    key, text = pair.split("=", 1)
    name, colon, kind = (part.strip() for part in key.partition(":"))
    if not name:
        raise ParameterError(f"--param {pair!r} names no parameter: write NAME=VALUE")
    if colon and not kind:
        raise ParameterError(f"--param {pair!r}: no type after ':'; use one of {', '.join(PARAM_TYPES)}")
    return name, kind if colon else None, text


def _list_item_type(kind: str) -> str | None:
    """The item type of ``list`` (strings) or ``list[TYPE]``; None when ``kind`` is not a list."""
    if kind == "list":
        return "string"
    if kind.startswith("list[") and kind.endswith("]"):
        return kind[5:-1].strip()
    return None


def _typed(name: str, kind: str, text: str) -> Any:
    """``text`` converted to ``kind`` for parameter ``name``; raises ParameterError naming both."""
    item = _list_item_type(kind)
    if item is not None or kind not in SCALAR_PARAM_TYPES:
        if item not in SCALAR_PARAM_TYPES:
            raise ParameterError(f"--param {name}:{kind}: unknown type; use one of {', '.join(PARAM_TYPES)}")
        return [_typed(name, item, v.strip()) for v in text.split(",") if v.strip()]
    if kind == "string":
        return text
    if kind in ("int", "float"):
        return finite_number(name, kind, text)
    if kind == "bool":
        if text.strip().lower() not in _BOOLS:
            raise ParameterError(f"--param {name}:bool: {text!r} is not one of {', '.join(_BOOLS)}")
        return _BOOLS[text.strip().lower()]
    if kind == "timestamp":
        return _utc_timestamp(name, text)
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise ParameterError(f"--param {name}:date: {text!r} is not a date (write 2026-01-31)") from e


def _utc_timestamp(name: str, text: str) -> datetime:
    """An aware UTC datetime from ISO-8601 text (a time without a zone is UTC), ``now`` or ``7d``."""
    try:
        return parse_time(text)
    except ValueError as e:
        raise ParameterError(f"--param {name}:timestamp: {e}") from e
