"""A small, independent evaluator of Sigma detection logic over raw CloudTrail records (plain Python).

It shares nothing with orginsight's backend or pySigma: it reads the rule's YAML and applies the Sigma
specification (sigmahq.io, "Rules" and "Modifiers") to each record as CloudTrail wrote it, so that the
differential tests can check the SQL the backend generates event for event.

What it implements, as the specification defines it:
- a selection is a map (every field matches: AND) or a list of maps (any map matches: OR); a field's list
  of values matches when any value matches (all of them with ``|all``);
- strings match regardless of case, ``*`` and ``?`` are wildcards and ``\\`` escapes them;
  ``|cased`` matches case-sensitively;
- modifiers ``contains``, ``startswith``, ``endswith``, ``all``, ``re`` (with ``i``, ``m``, ``s``),
  ``cidr``, ``exists``, ``fieldref``, ``gt``/``gte``/``lt``/``lte``, ``cased``;
- ``null`` matches a field that is absent or null; any other test on an absent field is false, so
  ``not`` of it is true (Sigma's two-valued logic, no SQL NULL);
- conditions: ``and``, ``or``, ``not``, parentheses, ``1 of x*``, ``all of x*``, ``1 of them``, ``all of them``.

Field names follow CloudTrail's keys, dotted for nesting (``userIdentity.sessionContext.sessionIssuer.type``).
The first key, and keys of the ``userIdentity``/``tlsDetails`` objects, match regardless of case (rules
spell ``eventname``; Athena's columns and struct fields are case-insensitive); keys inside the free-form
JSON objects (``requestParameters``...) match exactly, as JSON keys do.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable
from typing import Any

MISSING = object()
"""The value of a field the record does not have."""

CASE_INSENSITIVE_OBJECTS = {"useridentity", "tlsdetails"}


class Unsupported(Exception):
    """A rule using something this evaluator does not implement (keywords, an unknown modifier...)."""


def lookup(record: dict, field: str) -> Any:
    """The value at a dotted field path, or MISSING."""
    keys = field.split(".")
    node: Any = record
    insensitive = True
    for i, key in enumerate(keys):
        if not isinstance(node, dict):
            return MISSING
        if key in node:
            node = node[key]
        elif insensitive:
            found = [k for k in node if k.lower() == key.lower()]
            if not found:
                return MISSING
            node = node[found[0]]
        else:
            return MISSING
        if i == 0:
            insensitive = key.lower() in CASE_INSENSITIVE_OBJECTS
    return node


def as_text(value: Any) -> str | None:
    """A scalar as the text a log pipeline compares (``true``, ``5``); objects and lists are not text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def wildcard_regex(pattern: str) -> str:
    """A Sigma value with wildcards as a Python regular expression (whole-value match)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return "".join(out)


def string_test(value: str, modifiers: list[str]) -> Callable[[Any], bool]:
    pattern = str(value)
    if "contains" in modifiers:
        pattern = f"*{pattern}*"
    elif "startswith" in modifiers:
        pattern = f"{pattern}*"
    elif "endswith" in modifiers:
        pattern = f"*{pattern}"
    flags = re.S if "cased" in modifiers else re.S | re.I
    compiled = re.compile(wildcard_regex(pattern), flags)
    return lambda v: (t := as_text(v)) is not None and compiled.fullmatch(t) is not None


def value_test(value: Any, modifiers: list[str], record: dict) -> Callable[[Any], bool]:
    """A test of one field value against one rule value with its modifiers."""
    known = {"contains", "startswith", "endswith", "all", "re", "i", "m", "s", "cidr", "exists", "fieldref"}
    known |= {"gt", "gte", "lt", "lte", "cased"}
    unknown = set(modifiers) - known
    if unknown:
        raise Unsupported(f"modifiers {sorted(unknown)}")
    if "exists" in modifiers:
        return lambda v: (v is not MISSING and v is not None) == bool(value)
    if value is None:
        return lambda v: v is MISSING or v is None
    if "re" in modifiers:
        flags = (re.I if "i" in modifiers else 0) | (re.M if "m" in modifiers else 0)
        flags |= re.S if "s" in modifiers else 0
        rx = re.compile(str(value), flags)
        return lambda v: (t := as_text(v)) is not None and rx.search(t) is not None
    if "cidr" in modifiers:
        net = ipaddress.ip_network(str(value), strict=False)

        def in_net(v: Any) -> bool:
            try:
                return ipaddress.ip_address(as_text(v) or "") in net
            except ValueError:
                return False

        return in_net
    if "fieldref" in modifiers:
        other = lookup(record, str(value))
        return lambda v: (
            (a := as_text(v)) is not None and (b := as_text(other)) is not None and a.lower() == b.lower()
        )
    for op, compare in (
        ("gt", lambda a, b: a > b),
        ("gte", lambda a, b: a >= b),
        ("lt", lambda a, b: a < b),
        ("lte", lambda a, b: a <= b),
    ):
        if op in modifiers:
            return lambda v, c=compare: _number(v) is not None and c(_number(v), float(value))
    if isinstance(value, bool):
        return lambda v: as_text(v) is not None and as_text(v).lower() == ("true" if value else "false")
    if isinstance(value, int | float):
        return lambda v: as_text(v) == str(value)
    return string_test(str(value), modifiers)


def _number(v: Any) -> float | None:
    try:
        return float(as_text(v) or "")
    except ValueError:
        return None


def field_matches(record: dict, spec: str, values: Any) -> bool:
    field, *modifiers = spec.split("|")
    actual = lookup(record, field)
    values = values if isinstance(values, list) else [values]
    if not values:
        raise Unsupported("an empty list of values")
    tests = [value_test(v, modifiers, record) for v in values]
    results = [t(actual) for t in tests]
    return all(results) if "all" in modifiers else any(results)


def selection_matches(record: dict, selection: Any) -> bool:
    if isinstance(selection, dict):
        return all(field_matches(record, k, v) for k, v in selection.items())
    if isinstance(selection, list) and all(isinstance(s, dict) for s in selection):
        return any(selection_matches(record, s) for s in selection)
    raise Unsupported("keyword (field-less) searches")


TOKEN = re.compile(r"\s*(\(|\)|[\w*.\-]+)")


def tokens(condition: str) -> list[str]:
    out, pos = [], 0
    condition = condition.strip()
    while pos < len(condition):
        m = TOKEN.match(condition, pos)
        if not m:
            raise Unsupported(f"condition {condition!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


class Condition:
    """Recursive descent over Sigma's condition grammar: or < and < not < (group | quantifier | name)."""

    def __init__(self, condition: str, detection: dict) -> None:
        self.tokens = tokens(condition)
        self.pos = 0
        self.names = {k: v for k, v in detection.items() if k not in {"condition", "timeframe"}}

    def parse(self) -> Callable[[dict], bool]:
        node = self._or()
        if self.pos != len(self.tokens):
            raise Unsupported(f"trailing condition tokens {self.tokens[self.pos :]}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Callable[[dict], bool]:
        parts = [self._and()]
        while (self._peek() or "").lower() == "or":
            self._take()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def _and(self) -> Callable[[dict], bool]:
        parts = [self._not()]
        while (self._peek() or "").lower() == "and":
            self._take()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def _not(self) -> Callable[[dict], bool]:
        if (self._peek() or "").lower() == "not":
            self._take()
            inner = self._not()
            return lambda r: not inner(r)
        return self._atom()

    def _atom(self) -> Callable[[dict], bool]:
        token = self._take()
        if token == "(":
            node = self._or()
            if self._take() != ")":
                raise Unsupported("unbalanced parentheses")
            return node
        if token.lower() in {"1", "all"} and (self._peek() or "").lower() == "of":
            self._take()
            target = self._take()
            names = list(self.names) if target == "them" else fnmatch.filter(list(self.names), target)
            sels = [self.names[n] for n in names]
            if token == "1":
                return lambda r: any(selection_matches(r, s) for s in sels)
            return lambda r: all(selection_matches(r, s) for s in sels)
        if token not in self.names:
            raise Unsupported(f"unknown search identifier {token!r}")
        sel = self.names[token]
        return lambda r: selection_matches(r, sel)


def matcher(rule: dict) -> Callable[[dict], bool]:
    """The rule's detection as a predicate over one raw CloudTrail record."""
    detection = rule["detection"]
    conditions = detection["condition"]
    conditions = conditions if isinstance(conditions, list) else [conditions]
    if any("|" in c for c in conditions):
        raise Unsupported("aggregations")
    parsed = [Condition(c, detection).parse() for c in conditions]
    return lambda r: any(p(r) for p in parsed)


def fields_tested(rule: dict) -> set[str]:
    """Every field path the rule's detection tests (for events made to lack them)."""
    out: set[str] = set()

    def walk(sel: Any) -> None:
        if isinstance(sel, dict):
            out.update(k.split("|")[0] for k in sel)
        elif isinstance(sel, list):
            for s in sel:
                walk(s)

    for name, sel in rule["detection"].items():
        if name not in {"condition", "timeframe"}:
            walk(sel)
    return out
