"""Validation of OCSF records against the official OCSF schema, offline.

The ``ocsf-json-schema`` package (PyPI, a [dev] dependency) ships the OCSF schema server's export of
each released version (``ocsf_json_schema/ocsf/<version>.json``, the OCSF project's Apache-2.0 schema)
and generates from it the JSON Schema the schema server serves for a class with a set of profiles.
Two checks JSON Schema cannot express are added from the same export: a record may only use the
profiles it declares in ``metadata.profiles``, and each enum's text sibling (``severity`` beside
``severity_id``, ``type`` beside an observable's ``type_id``...) must be that enum value's caption.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema


@cache
def export(version: str) -> dict[str, Any]:
    """The schema server's export of OCSF ``version`` (classes, objects, their attributes and enums)."""
    return get_ocsf_schema(version=version)


@cache
def _validator(version: str, class_uid: int, profiles: tuple[str, ...]) -> Draft202012Validator:
    schema = OcsfJsonSchemaEmbedded(export(version))
    name = schema.lookup_class_name_from_uid(class_uid=class_uid)
    return Draft202012Validator(schema.get_class_schema(class_name=name, profiles=list(profiles)))


def class_schema(version: str, class_uid: int, profiles: tuple[str, ...] = ()) -> dict[str, Any]:
    """The official JSON Schema of a class with ``profiles``."""
    return _validator(version, class_uid, profiles).schema


def _caption_errors(
    value: Any, attributes: Mapping[str, Any], objects: Mapping[str, Any], at: str
) -> list[str]:
    """Enum siblings that are not their value's caption, in ``value`` and the objects it holds."""
    if not isinstance(value, Mapping):
        return []
    errors = []
    for name, item in value.items():
        attr = attributes.get(name) or {}
        where = f"{at}/{name}" if at else name
        sibling, enum = attr.get("sibling"), attr.get("enum")
        if sibling and enum and sibling in value and str(item) in enum and str(item) != "99":
            caption = enum[str(item)]["caption"]
            if value[sibling] != caption:
                errors.append(
                    f"{at or '<record>'}/{sibling}: {value[sibling]!r} is not {name} {item}'s {caption!r}"
                )
        inner = objects.get(attr.get("object_type", ""))
        if inner is not None:
            for i, element in enumerate(item if isinstance(item, list) else [item]):
                errors += _caption_errors(element, inner["attributes"], objects, f"{where}/{i}")
    return errors


def official_errors(record: Mapping[str, Any], version: str) -> list[str]:
    """Why ``record`` is not a valid event of its class in OCSF ``version`` (empty when it is).

    The class comes from the record's ``class_uid`` and the profiles from its ``metadata.profiles``, as
    the schema server's validator takes them; an unknown class is an error, not a pass.
    """
    meta = record.get("metadata")
    profiles = tuple(sorted(meta.get("profiles") or [])) if isinstance(meta, Mapping) else ()
    raw = export(version)
    class_uid = record.get("class_uid")
    names = [n for n, c in raw["classes"].items() if c.get("uid") == class_uid]
    if not names:
        return [f"class_uid: {class_uid!r} is no class of OCSF {version}"]
    validator = _validator(version, class_uid, profiles)
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '<record>'}: {e.message}"
        for e in validator.iter_errors(record)
    ]
    return errors + _caption_errors(record, raw["classes"][names[0]]["attributes"], raw["objects"], "")
