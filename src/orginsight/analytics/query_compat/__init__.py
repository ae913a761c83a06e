"""Athena queries written for other CloudTrail tables, run as their authors meant.

AWS teams publish Athena queries for investigations (AWS's documentation "Querying AWS CloudTrail
logs", awslabs/aws-security-analytics-bootstrap, aws-samples/aws-incident-response-playbooks). Each
assumes its own table: another table name, other partition columns, placeholders to fill in.
:func:`prepare` maps those onto the lake, on the parsed query (never on its text), and says what it
mapped in notes:

- tables (:mod:`.tables`): the known names and forms, ``tables=`` given explicitly, and one unknown
  table whose columns are all CloudTrail's -> ``cloudtrail``; a database qualifier is dropped.
- columns (:mod:`.columns`): partition columns under other names and formats -> ``account``,
  ``region``, ``timestamp``, so that pruning still works; dotted access into JSON string columns ->
  ``json_extract_scalar``.
- placeholders (:mod:`.placeholders`): the values given are filled in; a literal that still looks
  unfilled stops the query with its line and column (:class:`UnfilledPlaceholders`), and text
  Athena would refuse (string literals side by side) is an error.

:mod:`.script` runs a ``.sql`` file of several statements; :mod:`.published` checks a collection.
"""

from orginsight.analytics.query_compat.columns import COLUMN_NAMES, JSON_STRING_COLUMNS, lake_day
from orginsight.analytics.query_compat.placeholders import (
    DEFAULT_PLACEHOLDERS,
    Placeholder,
    UnfilledPlaceholders,
    fill_like_pattern,
    placeholder_kind,
    placeholder_values,
)
from orginsight.analytics.query_compat.prepare import Prepared, adapt, prepare
from orginsight.analytics.query_compat.published import PublishedQuery, check, load, statement_kind
from orginsight.analytics.query_compat.script import Statement, run_file, statements
from orginsight.analytics.query_compat.tables import TABLE_NAMES

__all__ = [
    "COLUMN_NAMES",
    "DEFAULT_PLACEHOLDERS",
    "JSON_STRING_COLUMNS",
    "TABLE_NAMES",
    "Placeholder",
    "Prepared",
    "PublishedQuery",
    "Statement",
    "UnfilledPlaceholders",
    "adapt",
    "check",
    "fill_like_pattern",
    "lake_day",
    "load",
    "placeholder_kind",
    "placeholder_values",
    "prepare",
    "run_file",
    "statement_kind",
    "statements",
]
