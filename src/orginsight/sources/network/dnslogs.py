"""The ``dnsquery`` table: Route 53 Resolver query logs delivered to S3, and how DuckDB reads them.

Each file is gzip, one JSON object a line, one DNS query each (Route 53 Developer Guide, "Values that
appear in VPC Resolver query logs", 2024): ``version`` (1.100000), ``account_id``, ``region``, ``vpc_id``,
``query_timestamp`` (ISO 8601, UTC), ``query_name`` (with its trailing dot), ``query_type``,
``query_class``, ``rcode``, ``answers`` (``Rdata``, ``Type``, ``Class`` each), ``srcaddr``, ``srcport``
(a string in the JSON), ``transport``, ``srcids`` (``instance``, ``resolver_endpoint``) and, with DNS
Firewall, ``firewall_rule_action``, ``firewall_rule_group_id`` and ``firewall_domain_list_id``.

Columns and types follow AWS's Athena DDL for resolver logs (Athena User Guide, "Query Amazon Route 53
Resolver query logs", 2024), struct fields lower-case as Athena gives them (``answers[1].rdata``).
Partitions: ``account``, ``vpc`` (the VPC folder of the key: these logs are foldered by VPC, not by region;
the record's ``region`` is a data column, so a region predicate filters rows and prunes no file) and
``timestamp`` (``yyyy/MM/dd``), named as the trail's so pruning reads them unchanged.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence

from orginsight.sources.file_verdicts import VerdictCache, first_line
from orginsight.sources.network.layout import DNS_SERVICE, NetworkFile

TABLE = "dnsquery"
"""The name queries give the resolver query-log table, on both engines."""

FIELDS: dict[str, str] = {
    "version": "STRING",
    "account_id": "STRING",
    "region": "STRING",
    "vpc_id": "STRING",
    "query_timestamp": "STRING",
    "query_name": "STRING",
    "query_type": "STRING",
    "query_class": "STRING",
    "rcode": "STRING",
    "answers": "ARRAY<STRUCT<rdata: STRING, type: STRING, class: STRING>>",
    "srcaddr": "STRING",
    "srcport": "INT",
    "transport": "STRING",
    "srcids": "STRUCT<instance: STRING, resolver_endpoint: STRING>",
    "firewall_rule_action": "STRING",
    "firewall_rule_group_id": "STRING",
    "firewall_domain_list_id": "STRING",
}
"""Every data column of ``dnsquery`` with its Athena type, in AWS's DDL order."""

PARTITION_COLUMNS = ("account", "vpc", "timestamp")

MAX_FILE_BYTES = 1 << 30
"""Resolver logs close a file every few minutes; a file past this is refused as damaged or hostile."""

MAX_LINE_BYTES = 1 << 20
"""One query's record is well under 4 kB (answers included); a first line past this is no record."""

_JSON_COLUMNS = {
    **{c: "VARCHAR" for c, t in FIELDS.items() if t in ("STRING", "INT")},
    "answers": 'STRUCT("Rdata" VARCHAR, "Type" VARCHAR, "Class" VARCHAR)[]',
    "srcids": "STRUCT(instance VARCHAR, resolver_endpoint VARCHAR)",
}
"""How each JSON key is read (``srcport`` is a string in the records; cast after)."""

_SELECT = {
    **{c: f'"{c}"' for c, t in FIELDS.items() if t == "STRING"},
    "srcport": 'TRY_CAST("srcport" AS INTEGER)',
    "answers": 'list_transform("answers", lambda a: {\'rdata\': a."Rdata", \'type\': a."Type", \'class\': a."Class"})',
    "srcids": "{'instance': \"srcids\".instance, 'resolver_endpoint': \"srcids\".resolver_endpoint}",
}

_EMPTY = {
    **{c: "NULL::VARCHAR" for c, t in FIELDS.items() if t == "STRING"},
    "srcport": "NULL::INTEGER",
    "answers": "NULL::STRUCT(rdata VARCHAR, type VARCHAR, class VARCHAR)[]",
    "srcids": "NULL::STRUCT(instance VARCHAR, resolver_endpoint VARCHAR)",
}

_PARTITION_SQL = ", ".join(
    (
        rf"regexp_extract(filename, '^.*/(\d{{12}})/{DNS_SERVICE}/', 1) " 'AS "account"',
        rf"regexp_extract(filename, '^.*/{DNS_SERVICE}/(vpc-[0-9a-z]+)/', 1) " 'AS "vpc"',
        rf"regexp_replace(filename, '^.*/{DNS_SERVICE}/[^/]+/(\d{{4}})/(\d{{2}})/(\d{{2}})/.*$', '\1/\2/\3') "
        'AS "timestamp"',
    )
)
"""Account, VPC and day of each row, from its file's key."""


def scan_sql(paths: Sequence[str]) -> tuple[str, dict[str, list[str]]]:
    """The DuckDB SELECT that stands for ``dnsquery`` over ``paths``, and its parameters.

    Every column in AWS's DDL order, then the partitions from each file's key; a line that is no JSON
    object is left out (its file was checked whole before). With no file, an empty relation.
    """
    if not paths:
        cols = ", ".join(f'{e} AS "{c}"' for c, e in _EMPTY.items())
        parts = ", ".join(f'NULL::VARCHAR AS "{c}"' for c in PARTITION_COLUMNS)
        return f"SELECT {cols}, {parts} WHERE false", {}
    spec = ", ".join(f"'{c}': '{t}'" for c, t in _JSON_COLUMNS.items())
    cols = ", ".join(f'{e} AS "{c}"' for c, e in _SELECT.items())
    return (
        f"SELECT {cols}, {_PARTITION_SQL} FROM read_json($files, columns = {{{spec}}}, "
        f"format = 'newline_delimited', ignore_errors = true, filename = true, "
        f"maximum_object_size = {MAX_LINE_BYTES})",
        {"files": list(paths)},
    )


class DnsChecks(VerdictCache[NetworkFile, str | None]):
    """Each resolver-log file's verdict (None, or why it cannot be read), kept while size and mtime stay."""

    def __init__(self) -> None:
        super().__init__(lambda f: file_error(f.path, f.size))


def file_error(path: str, size: int) -> str | None:
    """Why the file is no resolver query log (unreadable gzip, first line no query record), or None."""
    if size > MAX_FILE_BYTES:
        return f"{size} bytes, over the {MAX_FILE_BYTES} a resolver-log file may hold"
    try:
        first = first_line(path, MAX_LINE_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        return f"not a readable gzip file: {e}"
    if not first.strip():
        return "empty: no query record"
    try:
        rec = json.loads(first)
    except ValueError as e:
        return f"first line is not JSON: {e}"
    if not is_query_record(rec):
        return "first line is no resolver query record (needs query_name, query_timestamp, vpc_id)"
    return None


def is_query_record(rec: object) -> bool:
    """Whether a JSON value is a Resolver query-log record (what ``lake import`` and the checks look for)."""
    return isinstance(rec, dict) and all(
        isinstance(rec.get(k), str) for k in ("query_name", "query_timestamp", "vpc_id", "account_id")
    )
