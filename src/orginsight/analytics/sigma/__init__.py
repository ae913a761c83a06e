"""Sigma rules for AWS CloudTrail, converted to Athena SQL over the ``cloudtrail`` table.

Built on pySigma: :class:`AthenaCloudTrailBackend` is a ``TextQueryBackend`` whose
field names are mapped to ``cloudtrail`` columns (:func:`field_sql`) and whose values
become SQL literals. Sigma matches strings case-insensitively, Athena (Trino) does
not, so every string comparison lower-cases both sides; wildcards (and the
``contains``/``startswith``/``endswith`` modifiers, which pySigma turns into
wildcards) become ``LIKE`` with ``%``/``_`` escaped; ``re`` becomes ``regexp_like``;
``cidr`` is expanded by pySigma into address prefixes; ``null`` and ``exists``
become ``IS NULL`` / ``IS NOT NULL``; ``1 of``/``all of`` conditions are expanded by
pySigma. A test on a field the event lacks is false, so ``not`` keeps the event (Sigma's
logic, not SQL's NULL). Counting rules (correlations, and the older ``| count() by f > N``
with ``timeframe``) group events by field and fixed time window (:mod:`.counting`). What
cannot be converted or honoured (keyword searches, unknown fields, a timeframe of no fixed
length, ordered correlations) is reported per rule with the reason, never guessed.

Rules are shared between teams, so a rule is input, not code: every field path and value
becomes a sqlglot node (an identifier, a JSON path inside a string literal, a string literal),
and the query is generated from the tree, never pasted together from the rule's text. A field
name that cannot be a path (``userIdentity.arn;DROP``) is refused with the reason; a JSON key
with quotes or SQL in it stays a key inside a literal. The SQL of every converted rule is
parsed back as one read-only SELECT before it is handed out.

Each rule becomes a query an analyst can paste into Athena once ``:start`` and
``:end`` are bound (``orginsight sigma RULE --print`` shows it bound)::

    SELECT eventtime, account, region, eventid, ... FROM cloudtrail
    WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end AND (<rule>)
"""

from orginsight.analytics.sigma.backend import AthenaCloudTrailBackend
from orginsight.analytics.sigma.counting import CannotHonour
from orginsight.analytics.sigma.fields import UnsupportedField, field_node, field_sql
from orginsight.analytics.sigma.rules import (
    RuleQuery,
    bound_sql,
    convert,
    convert_file,
    convert_rules,
    rule_files,
    run,
)

__all__ = [
    "AthenaCloudTrailBackend",
    "CannotHonour",
    "RuleQuery",
    "UnsupportedField",
    "bound_sql",
    "convert",
    "convert_file",
    "convert_rules",
    "field_node",
    "field_sql",
    "rule_files",
    "run",
]
