"""Where ``lake import`` puts loose flow-log and resolver-log files: by what their records say, never their names.

A member whose first line is a flow-log header (``version account-id ...``) is flow logs; one whose first
line is a JSON object with a resolver record's keys is resolver logs. Each record's account, region (flow
logs: the ``region`` field) or VPC (resolver logs: ``vpc_id``) and day (``start``; ``query_timestamp``)
decide its folder, each checked against the layout's rules before it names one, and every file written
is checked to lie inside the lake. The records of one member and partition become one gzip file named by
a digest of its content, so importing the same file twice writes nothing the second time.

A flow log whose format lacks ``account-id`` or ``region`` (the version 2 default format has no region)
cannot be placed from its records alone: the member is reported, not guessed at.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from orginsight.sources.layout import ACCOUNT_PATTERN, REGION_PATTERN, is_plausible_event_time, path_inside
from orginsight.sources.network import dnslogs, flowlogs
from orginsight.sources.network.layout import DNS_SERVICE, FLOW_SERVICE, VPC_PATTERN
from orginsight.timerange import parse_iso

FLOW, DNS = flowlogs.TABLE, dnslogs.TABLE


def kind_of(head: str) -> str | None:
    """``vpcflow`` or ``dnsquery`` when the first line of a member is one of theirs, else None (CloudTrail...)."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip()
    if not first:
        return None
    if first.startswith("{"):
        try:
            return DNS if dnslogs.is_query_record(json.loads(first)) else None
        except ValueError:
            return None
    return FLOW if isinstance(flowlogs.header_fields(first.encode("ascii", "replace")), tuple) else None


HEAD_CHARS = 64 << 10
"""How much of a member is read to find its first line (a header or a resolver record is a few kB)."""


def first_line_of(chunks: Iterator[str]) -> tuple[str, Exception | None]:
    """The text of ``chunks`` up to its first newline (or ``HEAD_CHARS``), taken from the iterator, and the
    error that stopped the reading, if one did: the caller passes both back in front of the rest, so a
    member broken early still loses only what follows the break."""
    head = ""
    try:
        while "\n" not in head and len(head) < HEAD_CHARS:
            more = next(chunks, None)
            if more is None:
                break
            head += more
    except (
        Exception
    ) as e:  # the reader's own errors (a truncated gzip, the size cap): raised again by the caller
        return head, e
    return head, None


def _lines(chunks: Iterable[str]) -> Iterator[str]:
    rest = ""
    for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split("\n")
        yield from whole
    if rest:
        yield rest


def place(root: Path, name: str, chunks: Iterable[str], kind: str, report: Any) -> None:
    """Place every record of one member of ``kind`` under ``root``; bad records are reported with their line.

    ``report`` is the import's ``ImportReport`` (counts and failures, kept exact).
    """
    lines = _lines(chunks)
    groups: dict[tuple[str, str, date], list[str]] = defaultdict(list)
    header, fields, at = "", [], {}
    if kind == FLOW:
        header = next(lines).strip()
        fields = list(flowlogs.header_fields(header.encode("ascii", "replace")))
        missing = [f for f in ("account-id", "region", "start") if f not in fields]
        if missing:
            n = sum(1 for line in lines if line.strip())
            report.records_read += n
            report.records_failed += n
            report.fail(
                name,
                f"flow-log format without {', '.join(missing)}: its records cannot say where they belong",
            )
            return
        at = {f: fields.index(f) for f in ("account-id", "region", "start")}
    for n, line in enumerate(lines, 2 if kind == FLOW else 1):
        if not line.strip():
            continue
        report.records_read += 1
        where = _flow_place(line, len(fields), at) if kind == FLOW else _dns_place(line)
        if isinstance(where, str):
            report.records_failed += 1
            report.fail(name, where, n)
            continue
        groups[where].append(line.rstrip("\r"))
    report.inputs_read += 1
    for (account, place_, day), records in sorted(groups.items()):
        _write(root, kind, account, place_, day, header, records, report)


def _flow_place(line: str, width: int, at: dict[str, int]) -> tuple[str, str, date] | str:
    values = line.rstrip("\r").split(" ")
    if len(values) != width:
        return f"{len(values)} fields where the header names {width}"
    account, region, start = values[at["account-id"]], values[at["region"]], values[at["start"]]
    if not re.fullmatch(ACCOUNT_PATTERN, account) or not re.fullmatch(REGION_PATTERN, region):
        return "account-id or region is not one AWS writes"
    if not start.isdigit():
        return "start is not Unix seconds"
    when = datetime.fromtimestamp(min(int(start), 1 << 40), UTC)
    if not is_plausible_event_time(when):
        return f"start {start} is no time a flow log was written"
    return account, region, when.date()


def _dns_place(line: str) -> tuple[str, str, date] | str:
    try:
        rec = json.loads(line)
    except ValueError as e:
        return f"not JSON ({e})"
    if not dnslogs.is_query_record(rec):
        return "not a resolver query record"
    account, vpc = rec["account_id"], rec["vpc_id"]
    if not re.fullmatch(ACCOUNT_PATTERN, account) or not re.fullmatch(VPC_PATTERN, vpc):
        return "account_id or vpc_id is not one AWS writes"
    try:
        when = parse_iso(rec["query_timestamp"])
    except ValueError:
        return "query_timestamp is not ISO 8601"
    if not is_plausible_event_time(when):
        return "query_timestamp is no time a query was logged"
    return account, vpc, when.date()


def _write(
    root: Path, kind: str, account: str, place_: str, day: date, header: str, records: list[str], report: Any
) -> None:
    body = "\n".join(([header] if header else []) + records) + "\n"
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    service = FLOW_SERVICE if kind == FLOW else DNS_SERVICE
    folder = root / "AWSLogs" / account / service / place_ / day.strftime("%Y/%m/%d")
    path = folder / f"{account}_{service}_{place_}_{day:%Y%m%d}T0000Z_import{digest}.log.gz"
    folder.mkdir(parents=True, exist_ok=True)
    if not path_inside(root, folder):
        report.records_failed += len(records)
        report.fail(str(folder), "would lie outside the lake (a link in its path): not written")
        return
    if path.exists():
        report.files_already_present += 1
        report.records_already_in_lake += len(records)
        return
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(gzip.compress(body.encode()))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    report.files_written += 1
    report.records_placed += len(records)
