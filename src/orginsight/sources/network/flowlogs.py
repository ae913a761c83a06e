"""The ``vpcflow`` table: VPC Flow Logs delivered to S3, their Athena DDL, and how DuckDB reads them.

A text flow-log file (Amazon VPC User Guide, "Flow log records" and "Flow log files", 2024) is gzip, one
record a line, fields separated by one space, ``-`` where a field does not apply; its first line names
the fields of the flow log's format, in order (``version account-id interface-id ...``). The default
format is the version 2 fields; a custom format picks any fields (v3: vpc-id ... pkt-dstaddr, v4: region
... sublocation-id, v5: pkt-src-aws-service ... traffic-path, v7: ecs-*, v8: reject-reason) in any
order. So each file is read by its header, never by position, and a field its format lacks is NULL.
Parquet files name the same fields with underscores.

Columns and types are those of AWS's Athena DDL for flow logs (Athena User Guide, "Create a table for
Amazon VPC flow logs", 2024), with later fields as STRING. As in AWS's partition-projection example, the
record's ``region`` is no column of its own: it is the ``region`` partition (a flow log delivers its
region's interfaces to ``<region>/``).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass

from orginsight.sources.file_verdicts import VerdictCache, first_line, open_unlinked
from orginsight.sources.network.layout import FLOW_SERVICE, NetworkFile

TABLE = "vpcflow"
"""The name queries give the flow-log table, on both engines."""

S, N, B = "STRING", "INT", "BIGINT"

FIELDS: dict[str, str] = {
    # column (the field name with underscores): Athena type, in AWS's order of the available fields
    "version": N,
    "account_id": S,
    "interface_id": S,
    "srcaddr": S,
    "dstaddr": S,
    "srcport": N,
    "dstport": N,
    "protocol": B,
    "packets": B,
    "bytes": B,
    "start": B,
    "end": B,
    "action": S,
    "log_status": S,
    "vpc_id": S,
    "subnet_id": S,
    "instance_id": S,
    "tcp_flags": N,
    "type": S,
    "pkt_srcaddr": S,
    "pkt_dstaddr": S,
    "az_id": S,
    "sublocation_type": S,
    "sublocation_id": S,
    "pkt_src_aws_service": S,
    "pkt_dst_aws_service": S,
    "flow_direction": S,
    "traffic_path": N,
    "ecs_cluster_arn": S,
    "ecs_cluster_name": S,
    "ecs_container_instance_arn": S,
    "ecs_container_instance_id": S,
    "ecs_container_id": S,
    "ecs_second_container_id": S,
    "ecs_service_name": S,
    "ecs_task_definition_arn": S,
    "ecs_task_arn": S,
    "ecs_task_id": S,
    "reject_reason": S,
}
"""Every data column of ``vpcflow``. A file's ``region`` field is the ``region`` partition."""

RECORD_REGION = "region"
"""The v4 field that equals the ``region`` partition, so it is no data column (locally: not read)."""

PARTITION_COLUMNS = ("account", "region", "timestamp")
"""The trail's partition names (``timestamp`` is ``yyyy/MM/dd``), so pruning reads them unchanged."""

DEFAULT_FORMAT = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
]
"""The default format: the version 2 fields in their order (what ``${...}`` names, hyphenated)."""

_DUCK = {S: "VARCHAR", N: "INTEGER", B: "BIGINT"}

MAX_HEADER_BYTES = 4096
"""A header names at most ~45 fields (~700 bytes); a first line longer than this is no flow-log header."""

MAX_FILE_BYTES = 1 << 30
"""Flow Logs closes a file every 5 minutes (~75 MB compressed at most seen); past this it is refused."""

_FIELD_NAME = re.compile(r"[a-z][a-z0-9-]*")


def column_of(field: str) -> str:
    """The column a format field reads into (``pkt-srcaddr`` -> ``pkt_srcaddr``)."""
    return field.strip().removeprefix("${").removesuffix("}").replace("-", "_").lower()


# --- reading on DuckDB --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowGroup:
    """Files with the same fields in the same order (text) or the same columns (Parquet): one read each."""

    fields: tuple[str, ...]
    parquet: bool
    paths: tuple[str, ...]


def scan_sql(groups: Sequence[FlowGroup]) -> tuple[str, dict[str, list[str]]]:
    """The DuckDB SELECT that stands for ``vpcflow`` over the files of ``groups``, and its parameters.

    One read per group (text: its header's fields as the columns, all text, ``-`` as NULL; Parquet: by
    name), each value cast to the column's type (a value that is not one is NULL, as Athena's text
    SerDe reads it; a line with more fields than its header is left out), partition values from each
    file's key. With no group, an empty relation of the same columns.
    """
    selects, params = [], {}
    for i, g in enumerate(groups):
        # the name each column has in this group's reads: text columns are named by column_of, Parquet's as stored
        present = {column_of(f): (f if g.parquet else column_of(f)) for f in g.fields}
        cols = [
            f'TRY_CAST("{present[c]}" AS {_DUCK[t]}) AS "{c}"'
            if c in present
            else f'NULL::{_DUCK[t]} AS "{c}"'
            for c, t in FIELDS.items()
        ]
        params[f"files_{i}"] = list(g.paths)
        if g.parquet:
            source = f"read_parquet($files_{i}, filename = true, union_by_name = true)"
        else:
            spec = ", ".join(f"'{column_of(f)}': 'VARCHAR'" for f in g.fields)
            source = (
                f"read_csv($files_{i}, columns = {{{spec}}}, header = true, delim = ' ', quote = '', "
                "escape = '', nullstr = '-', auto_detect = false, null_padding = true, ignore_errors = true, "
                "filename = true, compression = 'auto')"
            )
        selects.append(f"SELECT {', '.join(cols)}, {_PARTITION_SQL} FROM {source}")
    if not selects:
        cols = [f'NULL::{_DUCK[t]} AS "{c}"' for c, t in FIELDS.items()]
        parts = ", ".join(f'NULL::VARCHAR AS "{c}"' for c in PARTITION_COLUMNS)
        return f"SELECT {', '.join(cols)}, {parts} WHERE false", {}
    return " UNION ALL ".join(selects), params


_PARTITION_SQL = ", ".join(
    (
        rf"regexp_extract(filename, '^.*/(?:aws-account-id=)?(\d{{12}})/(?:aws-service=)?{FLOW_SERVICE}/', 1) "
        'AS "account"',
        rf"regexp_extract(filename, '^.*/(?:aws-service=)?{FLOW_SERVICE}/(?:aws-region=)?([a-z0-9-]+)/', 1) "
        'AS "region"',
        rf"regexp_replace(filename, '^.*/(?:aws-service=)?{FLOW_SERVICE}/[^/]+/(?:year=)?(\d{{4}})/(?:month=)?(\d{{2}})/"
        r"(?:day=)?(\d{2})/.*$', '\1/\2/\3') "
        'AS "timestamp"',
    )
)
"""Account, region and day of each row, from its file's key (default and Hive-compatible folders)."""


# --- bad files ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowVerdict:
    """What a check found: the file's fields (header order), or why it cannot be read."""

    fields: tuple[str, ...] = ()
    error: str | None = None


def flow_verdict(f: NetworkFile) -> FlowVerdict:
    """The check of a flow-log file by its kind (text or Parquet)."""
    return parquet_verdict(f.path, f.size) if f.is_parquet else text_verdict(f.path, f.size)


class FlowChecks(VerdictCache[NetworkFile, FlowVerdict]):
    """Each flow-log file's verdict, kept while its size and mtime stay (a file is read once to check it)."""

    def __init__(self) -> None:
        super().__init__(flow_verdict)


def header_fields(line: bytes) -> tuple[str, ...] | str:
    """The fields a header line names, or why it is none (a record line, binary, unknown-only names)."""
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        return "first line is not ASCII: not a flow-log header"
    names = text.split(" ")
    if not names or not all(_FIELD_NAME.fullmatch(n) for n in names):
        return f"first line is no flow-log header (field names separated by one space): {text[:80]!r}"
    known = [n for n in names if column_of(n) in FIELDS or n == RECORD_REGION]
    if not known:
        return f"header names no flow-log field: {text[:80]!r}"
    if len(set(names)) != len(names):
        return "header names a field twice"
    return tuple(names)


def text_verdict(path: str, size: int) -> FlowVerdict:
    """Check a text flow-log file: a header of known fields, and (gzip) a stream that decompresses whole.

    The whole stream is read once: a truncated or corrupt gzip found by DuckDB mid-query would fail the
    query instead of losing only this file.
    """
    if size > MAX_FILE_BYTES:
        return FlowVerdict(error=f"{size} bytes, over the {MAX_FILE_BYTES} a flow-log file may hold")
    try:
        first = first_line(path, MAX_HEADER_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        return FlowVerdict(error=f"not a readable gzip file: {e}")
    if not first.strip():
        return FlowVerdict(error="empty: no header line")
    if len(first) > MAX_HEADER_BYTES:
        return FlowVerdict(error=f"first line longer than {MAX_HEADER_BYTES} bytes: no flow-log header")
    fields = header_fields(first)
    return FlowVerdict(error=fields) if isinstance(fields, str) else FlowVerdict(fields=fields)


def parquet_verdict(path: str, size: int) -> FlowVerdict:
    """Check a Parquet flow-log file: a readable footer whose columns include flow-log fields."""
    import pyarrow.parquet as pq  # reason: pyarrow is heavy; only Parquet flow logs need it

    if size > MAX_FILE_BYTES:
        return FlowVerdict(error=f"{size} bytes, over the {MAX_FILE_BYTES} a flow-log file may hold")
    try:
        with open_unlinked(path) as fh:
            names = tuple(pq.read_schema(fh).names)
    except Exception as e:  # pyarrow raises ArrowInvalid, OSError...: any of them means unreadable
        return FlowVerdict(error=f"not a readable Parquet file: {type(e).__name__}: {e}")
    if not any(column_of(n) in FIELDS for n in names):
        return FlowVerdict(error="Parquet file with no flow-log column")
    return FlowVerdict(fields=tuple(n for n in names if column_of(n) in FIELDS))
