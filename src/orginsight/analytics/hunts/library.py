"""The hunt library: where the hunt files are, their header schema, and parsing them into :class:`Hunt`.

See the package docstring of ``orginsight.analytics.hunts`` for the file format and where the
queries folder is looked for.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orginsight.analytics.hunts.params import (
    _ANCHORED,
    COMMON_PARAMETERS,
    PARAMETER_TYPES,
    Parameter,
    coerce,
)
from orginsight.engines import translate
from orginsight.errors import OrgInsightError, ParameterError, QueryError

if TYPE_CHECKING:
    import pandas as pd
    from jsonschema import ValidationError
    from sqlglot import exp


class HuntError(OrgInsightError):
    """A hunt file is missing, or its header does not follow ``HEADER_SCHEMA``."""


SEVERITIES = ("info", "low", "medium", "high", "critical")


TACTICS = (
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
    "investigation",
)
"""ATT&CK tactics (kebab-case, as folder names), plus ``investigation`` for indicator pivots."""


HEADER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "orginsight hunt header",
    "description": "The YAML header of a queries/<tactic>/<name>.sql file.",
    "type": "object",
    "required": ["name", "title", "description", "mitre", "severity", "tables"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "title": {"type": "string", "minLength": 3},
        "description": {"type": "string", "minLength": 10},
        "mitre": {"type": "array", "items": {"type": "string", "pattern": r"^T\d{4}(\.\d{3})?$"}},
        "severity": {"type": "string", "enum": [*SEVERITIES]},
        "tables": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": ["cloudtrail", "vpcflow", "dnsquery"]},
        },
        "references": {"type": "array", "items": {"type": "string"}},
        "parameters": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["type", "description"],
                "additionalProperties": False,
                "properties": {
                    "type": {"type": "string", "enum": [*PARAMETER_TYPES]},
                    "default": {},
                    "description": {"type": "string", "minLength": 3},
                },
            },
        },
    },
}
"""The header's JSON Schema (draft 2020-12), checked by :func:`validate` with the ``jsonschema`` library."""


@dataclass(frozen=True)
class Hunt:
    """One query of ``queries/``: its metadata, typed parameters and Athena SQL."""

    name: str
    title: str
    description: str
    mitre: tuple[str, ...]
    severity: str
    tables: tuple[str, ...]
    tactic: str
    sql: str
    path: Path
    parameters: dict[str, Parameter] = field(default_factory=dict)
    references: tuple[str, ...] = ()

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters.values()}


def queries_dir() -> Path:
    """The folder holding the hunts (see the package docstring for the search order)."""
    env = os.environ.get("ORGINSIGHT_QUERIES")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2]  # the orginsight package
    for candidate in (here / "queries", here.parent.parent / "queries"):
        if candidate.is_dir():
            return candidate
    raise HuntError(
        f"no queries folder found (looked in {here / 'queries'} and {here.parent.parent / 'queries'}); "
        "set ORGINSIGHT_QUERIES to the repository's queries/ folder"
    )


_FENCE = re.compile(r"^\s*--\s*---\s*$")


def split_header(text: str, source: str = "<string>") -> tuple[dict[str, Any], str]:
    """The YAML header between the first two ``-- ---`` lines, and the SQL after it."""
    import yaml

    lines = text.splitlines()
    fences = [i for i, line in enumerate(lines) if _FENCE.match(line)][:2]
    if len(fences) < 2:
        raise HuntError(f"{source}: no metadata header (a YAML block between two '-- ---' lines)")
    body = []
    for line in lines[fences[0] + 1 : fences[1]]:
        stripped = line.lstrip()
        if not stripped.startswith("--"):
            raise HuntError(f"{source}: header line is not an SQL comment: {line!r}")
        body.append(stripped[3:] if stripped.startswith("-- ") else stripped[2:])
    try:
        meta = yaml.safe_load("\n".join(body))
    except yaml.YAMLError as e:
        raise HuntError(f"{source}: header is not valid YAML: {e}") from e
    sql = "\n".join(lines[fences[1] + 1 :]).strip().rstrip(";").strip()
    return meta if isinstance(meta, dict) else {"__not_a_mapping__": meta}, sql


def validate(value: Any, schema: Mapping[str, Any] = HEADER_SCHEMA, where: str = "header") -> list[str]:
    """Errors of ``value`` against ``schema`` (JSON Schema draft 2020-12, checked by ``jsonschema``), one
    line each, prefixed by where the error is (``header.parameters.n.type: ...``); empty means valid.

    Every error is reported, not only the first, so a hunt author fixes a header in one pass.
    """
    from jsonschema import Draft202012Validator

    errors = Draft202012Validator(schema).iter_errors(value)
    return [*dict.fromkeys(line for error in errors for line in _error_lines(error, where))]


def _error_lines(error: ValidationError, where: str) -> list[str]:
    """One ``jsonschema`` error in a hunt author's words, for the keywords ``HEADER_SCHEMA`` uses.

    ``required`` and ``additionalProperties: false`` name each key concerned (``jsonschema`` reports
    one error per missing key, hence :func:`validate` drops repeated lines); any other keyword keeps
    ``jsonschema``'s own message.
    """
    at = _path_text(where, error.absolute_path)
    instance, rule = error.instance, error.validator_value
    match error.validator:
        case "type":
            return [f"{at}: expected {rule}, got {type(instance).__name__} {instance!r}"]
        case "required":
            return [f"{at}: missing required key '{key}'" for key in rule if key not in instance]
        case "additionalProperties" if rule is False:
            allowed = error.schema.get("properties", {})
            return [
                f"{at}: unknown key '{key}' (allowed: {', '.join(allowed)})"
                for key in instance
                if key not in allowed
            ]
        case "enum":
            return [f"{at}: {instance!r} is not one of {', '.join(map(str, rule))}"]
        case "pattern":
            return [f"{at}: {instance!r} does not match {rule}"]
        case "minLength":
            return [f"{at}: shorter than {rule} characters"]
        case "minItems":
            return [f"{at}: needs at least {rule} item(s)"]
    return [f"{at}: {error.message}"]


def _path_text(where: str, path: Iterable[Any]) -> str:
    """``header.parameters.n`` / ``header.mitre[0]``: the JSONPath of an error under ``where``.

    Written here rather than ``ValidationError.json_path`` because YAML keys need not be strings
    (``null:`` or ``1:`` in a shared hunt file); any key is shown as it is.
    """
    return where + "".join(
        f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}" for part in path
    )


def _check_default(p: Parameter, source: str) -> None:
    if isinstance(p.default, str) and _ANCHORED.match(p.default):
        return  # checked when resolved, against the parameter it names
    try:
        coerce(p, p.default)
    except ParameterError as e:
        raise HuntError(f"{source}: default of parameter '{p.name}' is invalid: {e}") from e


def parse(text: str, path: Path | None = None, tactic: str | None = None) -> Hunt:
    """A :class:`Hunt` from a hunt file's text; raises :class:`HuntError` naming the file and every problem."""

    source = str(path or "<string>")
    meta, sql = split_header(text, source)
    errors = validate(meta)
    if errors:
        raise HuntError(f"{source}: invalid header:\n  " + "\n  ".join(errors))
    if path is not None and meta["name"] != path.stem:
        raise HuntError(f"{source}: header name '{meta['name']}' differs from the file name '{path.stem}'")
    params = dict(COMMON_PARAMETERS)
    for name, spec in (meta.get("parameters") or {}).items():
        params[name] = Parameter(name, spec["type"], spec.get("default"), spec["description"])
    for p in params.values():
        _check_default(p, source)
    used = translate.placeholders(_parse_sql(sql, source))
    undeclared = sorted(used - set(params))
    if undeclared:
        raise HuntError(f"{source}: SQL uses undeclared parameter(s): {', '.join(undeclared)}")
    unused = sorted(set(meta.get("parameters") or {}) - used)
    if unused:
        raise HuntError(f"{source}: header declares parameter(s) the SQL never uses: {', '.join(unused)}")
    if "start" not in used or "end" not in used:
        raise HuntError(
            f"{source}: every hunt filters from_iso8601_timestamp(eventtime) BETWEEN :start AND :end"
        )
    params = {k: v for k, v in params.items() if k in used}
    tactic = tactic or (path.parent.name if path is not None else "investigation")
    if tactic not in TACTICS:
        raise HuntError(f"{source}: folder '{tactic}' is not a tactic ({', '.join(TACTICS)})")
    return Hunt(
        name=meta["name"],
        title=meta["title"],
        description=" ".join(meta["description"].split()),
        mitre=tuple(meta["mitre"]),
        severity=meta["severity"],
        tables=tuple(meta["tables"]),
        tactic=tactic,
        sql=sql,
        path=path or Path(source),
        parameters=params,
        references=tuple(meta.get("references") or ()),
    )


def _parse_sql(sql: str, source: str) -> exp.Expression:
    """The hunt's SQL as a tree; SQL that does not parse, or is not one read-only query
    (``COPY ... TO``, ``ATTACH``, ``SET``...), is refused naming the hunt file."""

    try:
        return translate.parse(sql)
    except QueryError as e:
        raise HuntError(f"{source}: {e}") from e


def load_file(path: str | os.PathLike[str]) -> Hunt:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise HuntError(f"cannot read hunt file {path}: {e}") from e
    return parse(text, path)


def list_hunts(directory: str | os.PathLike[str] | None = None) -> list[Hunt]:
    """Every hunt under ``directory`` (default :func:`queries_dir`), sorted by tactic then name."""
    root = Path(directory) if directory is not None else queries_dir()
    files = sorted(root.glob("*/*.sql"))
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    cached = _CACHE.get(str(root))
    if cached is not None and cached[0] == stamp:
        return [*cached[1]]
    hunts = [load_file(p) for p in files]
    seen: dict[str, Path] = {}
    for h in hunts:
        if h.name in seen:
            raise HuntError(f"hunt name '{h.name}' is used by both {seen[h.name]} and {h.path}")
        seen[h.name] = h.path
    hunts = sorted(hunts, key=lambda h: (TACTICS.index(h.tactic), h.name))
    _CACHE[str(root)] = (stamp, tuple(hunts))
    return [*hunts]


_CACHE: dict[str, tuple[tuple[tuple[str, int], ...], tuple[Hunt, ...]]] = {}
"""Parsed hunts per folder, reused while no file's modification time changes."""


def get(name: str, directory: str | os.PathLike[str] | None = None) -> Hunt:
    """The hunt called ``name``; an unknown name lists the closest known ones."""
    hunts = {h.name: h for h in list_hunts(directory)}
    if name in hunts:
        return hunts[name]
    close = difflib.get_close_matches(name, hunts, n=3, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else " Run 'orginsight hunt list'."
    raise HuntError(f"no hunt named '{name}'.{hint}")


def catalog(directory: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The library as a table: name, tactic, severity, ATT&CK ids, title and parameters."""
    import pandas as pd

    rows = [
        {
            "hunt": h.name,
            "tactic": h.tactic,
            "severity": h.severity,
            "mitre": ",".join(h.mitre),
            "title": h.title,
            "parameters": ",".join(k for k in h.parameters if k not in COMMON_PARAMETERS),
        }
        for h in list_hunts(directory)
    ]
    return pd.DataFrame(rows, columns=["hunt", "tactic", "severity", "mitre", "title", "parameters"])
