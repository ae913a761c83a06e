"""CloudTrail records out of one input member's text, and where each goes in the lake.

The text is parsed as a stream (``{"Records": [...]}`` element by element, JSON lines, EventBridge
events), so a large member never sits whole in memory. A record decides nothing about the filesystem:
its account, region and time are checked against the layout's rules before they name a folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime

from orginsight.sources.lake_import.inputs import (
    _READ_BYTES,
    DEFAULT_MAX_MEMBER_BYTES,
    _MemberError,
    _text_chunks,
)
from orginsight.sources.lake_import.report import _json_type, _not_a, _shown_value
from orginsight.sources.layout import is_account_id, is_plausible_event_time, is_region
from orginsight.timerange import parse_iso

_LONGEST_TIME_TEXT = 40


def parse_records(data: bytes) -> list[dict]:
    """CloudTrail records from one input's bytes, whatever the wrapping; ValueError says why not.

    Elements of ``Records`` that are not JSON objects are left out here (the import reports them).
    """
    try:
        items = list(_iter_candidates(_Text(_text_chunks(io.BytesIO(data), DEFAULT_MAX_MEMBER_BYTES))))
    except _MemberError as e:
        raise ValueError(str(e)) from e
    records = [r for r in items if isinstance(r, dict)]
    if not records:
        raise ValueError(_NO_RECORDS)
    return records


_NO_RECORDS = (
    'no CloudTrail records (expected {"Records": [...]}, JSON lines of records, or EventBridge events)'
)


# --- placing one record ------------------------------------------------------------------------------------


class _NoTime(ValueError):
    """The record carries no time at all: it waits for the earliest time of its input."""


def _placement(
    rec: dict, fallback_time: datetime | None = None, now: datetime | None = None
) -> tuple[str, str, datetime]:
    """Account, region and 5-minute delivery bucket (aware, UTC) of a record; ValueError says why not.

    A record without ``eventTime`` (some public datasets strip it) is placed by the
    nearest time it carries, else by the earliest time in its input; its
    ``eventtime`` column stays empty, so nothing is invented in the data itself.
    Every value is checked against the layout's rules before it names a folder.
    """
    account, region, when, _ = _place(rec, fallback_time, now)
    return account, region, _bucket(when)


def _place(
    rec: dict, fallback_time: datetime | None, now: datetime | None
) -> tuple[str, str, datetime, bool]:
    """Account, region, time of a record, and whether the time is the record's own (not the fallback)."""
    account = _record_account(rec)
    region = rec.get("awsRegion")
    if region is None or region == "":
        raise ValueError("record has no awsRegion to place it by")
    if not is_region(region):
        raise ValueError(_not_a("awsRegion", region, "an AWS region name (like eu-west-1)"))
    own = _record_time(rec, now)
    when = own or fallback_time
    if when is None:
        raise _NoTime(
            "record has no eventTime (nor a session creationDate), and its input no time to place it by"
        )
    return account, region, when, own is not None


def _bucket(when: datetime) -> datetime:
    """The 5-minute delivery bucket CloudTrail would have written ``when`` into."""
    return when.replace(minute=when.minute - when.minute % 5, second=0, microsecond=0)


def _record_account(rec: dict) -> str:
    name, value = "recipientAccountId", rec.get("recipientAccountId")
    if value is None or value == "":
        identity = rec.get("userIdentity")
        name, value = (
            "userIdentity.accountId",
            identity.get("accountId") if isinstance(identity, dict) else None,
        )
    if value is None or value == "":
        raise ValueError("record has no recipientAccountId (nor userIdentity.accountId) to place it by")
    if not is_account_id(value):
        raise ValueError(_not_a(name, value, "a 12-digit account id"))
    return value


def _record_time(rec: dict, now: datetime | None = None) -> datetime | None:
    """The record's eventTime or, when a dataset stripped it, its session's creationDate; None without either."""
    value = rec.get("eventTime")
    if value is not None and value != "":
        return _event_time("eventTime", value, now)
    identity = rec.get("userIdentity")
    context = identity.get("sessionContext") if isinstance(identity, dict) else None
    attributes = context.get("attributes") if isinstance(context, dict) else None
    created = attributes.get("creationDate") if isinstance(attributes, dict) else None
    if created is None or created == "":
        return None
    return _event_time("userIdentity.sessionContext.attributes.creationDate", created, now)


def _event_time(name: str, value: object, now: datetime | None) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without a zone is UTC (never the machine's zone)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} is {_json_type(value)}, not a time string")
    try:
        if len(value) > _LONGEST_TIME_TEXT:
            raise ValueError("too long")
        t = parse_iso(value)
    except (ValueError, OverflowError) as e:
        raise ValueError(f"{name} {_shown_value(value)} is not an ISO 8601 time") from e
    if not is_plausible_event_time(t, now):
        raise ValueError(
            f"{name} {_shown_value(value)} is outside the times an AWS log can carry (2005 to tomorrow)"
        )
    return t


def _record_key(rec: dict) -> str:
    """What makes a record the same as another: its eventID, else a hash of its content."""
    event_id = rec.get("eventID")
    if isinstance(event_id, str) and event_id:
        return event_id
    return "sha256:" + hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()


def _sort_key(rec: dict) -> tuple[str, str]:
    t, event_id = rec.get("eventTime"), rec.get("eventID")
    return (t if isinstance(t, str) else "", event_id if isinstance(event_id, str) else "")


# --- reading JSON as a stream ------------------------------------------------------------------------------


class _Text:
    """The decoded text of one member, read on demand, with what was parsed dropped.

    Only the value being parsed is held: ``more`` reads at least as much again as is held,
    so a value of n characters costs O(n) to parse however it is chunked.
    """

    _DECODER = json.JSONDecoder()
    _NOT_SPACE = re.compile(r"[^ \t\n\r]")
    _RECORDS_OPEN = re.compile(r'\{\s*"Records"\s*:\s*\[')

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line number of buf[0]
        self.bad_lines = 0
        self._error: _MemberError | None = (
            None  # the break in the member, raised once its text before is used
        )

    def more(self, at_least: int = 0) -> bool:
        """Read more text (dropping what was parsed); False at the end of the member.

        A break in the member (truncated gzip, the cap) is raised only once the text read
        before it was handed out, so the records before a break are kept.
        """
        if self.eof:
            return False
        if self._error is not None:
            raise self._error
        if self.pos:
            self.line += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        want = max(_READ_BYTES, len(self.buf), at_least)
        got: list[str] = []
        n = 0
        while n < want:
            try:
                chunk = next(self._chunks, None)
            except _MemberError as e:
                self._error = e
                break
            if chunk is None:
                self.eof = True
                break
            got.append(chunk)
            n += len(chunk)
        self.buf += "".join(got)
        if n == 0 and self._error is not None:
            raise self._error
        return n > 0

    def line_at(self, pos: int) -> int:
        return self.line + self.buf.count("\n", 0, pos)

    def next_char(self) -> str | None:
        """The next character that is not white space (not consumed), or None at the end."""
        while True:
            m = self._NOT_SPACE.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.more():
                return None

    def take(self, char: str) -> bool:
        if self.next_char() == char:
            self.pos += 1
            return True
        return False

    def at_records_wrapper(self) -> bool:
        """Whether the object starting here opens with ``"Records": [``; if so, consume up to the ``[``."""
        while len(self.buf) - self.pos < 64 and self.more():
            pass
        m = self._RECORDS_OPEN.match(self.buf, self.pos)
        if m:
            self.pos = m.end()
        return m is not None

    def value(self) -> object:
        """Parse the next JSON value; ``_BadJson`` when the text is not JSON (or ends before or inside the value)."""
        if self.next_char() is None:
            raise _BadJson(self.line_at(self.pos), "the file ends where a value should be: truncated")
        while True:
            try:
                value, end = self._DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as e:
                incomplete = e.pos >= len(self.buf) - 64 or e.msg.startswith("Unterminated string")
                if incomplete and self.more():
                    continue
                raise _BadJson(self.line_at(e.pos), e.msg) from e
            except (ValueError, RecursionError) as e:  # an int of 5000 digits, nesting 1000 deep
                raise _BadJson(self.line_at(self.pos), str(e) or type(e).__name__) from e
            if end == len(self.buf) and not isinstance(value, dict | list) and self.more():
                continue  # a number or literal may go on in the next chunk
            self.pos = end
            return value

    def skip_line(self) -> None:
        """Skip to the start of the next line (after a JSON line that does not parse)."""
        while True:
            i = self.buf.find("\n", self.pos)
            if i >= 0:
                self.pos = i + 1
                return
            self.pos = len(self.buf)
            if not self.more():
                return


class _BadJson(_MemberError):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(f"not JSON at line {line} ({why})")
        self.line = line
        self.why = why


def _iter_candidates(text: _Text, bad_line: Callable[[int, str], None] | None = None) -> Iterator[object]:
    """Every value of the member that should be a CloudTrail record, in order, streamed.

    ``{"Records": [...]}`` (with Records first, as CloudTrail writes it) is read element by
    element; other objects (a single record, an EventBridge event, a wrapper with Records
    later) and arrays are read whole. Elements of ``Records`` and of a top-level array are
    yielded whatever their type (the caller reports those that are not objects). After a
    first value parsed, a line that does not parse is passed to ``bad_line`` and skipped
    (JSON lines); otherwise ``_BadJson`` ends the member.
    """
    values = 0
    last_line = 0  # the line the previous top-level value ended on
    while (char := text.next_char()) is not None:
        if char == "{" and text.at_records_wrapper():
            yield from _array_items(text)
            _rest_of_object(text)
        elif char == "[":
            text.pos += 1
            for item in _array_items(text):
                if isinstance(item, dict):
                    yield from _records_in(item)
                else:
                    yield item
        else:
            start_line = text.line_at(text.pos)
            try:
                value = text.value()
            except _BadJson as e:
                if values == 0 or bad_line is None or start_line <= last_line:
                    raise
                text.bad_lines += 1
                bad_line(start_line, e.why)
                text.skip_line()
                last_line = start_line
                continue
            if isinstance(value, dict):
                yield from _records_in(value)
        values += 1
        last_line = text.line_at(text.pos)


def _array_items(text: _Text) -> Iterator[object]:
    """The elements of the array whose ``[`` was just consumed, one at a time."""
    if text.take("]"):
        return
    while True:
        if text.next_char() is None:
            raise _BadJson(text.line_at(text.pos), "the file ends inside an array: truncated")
        yield text.value()
        if text.take(","):
            continue
        if text.take("]"):
            return
        char = text.next_char()
        if char is None:
            raise _BadJson(text.line_at(text.pos), "the file ends inside an array: truncated")
        raise _BadJson(text.line_at(text.pos), f"expected ',' or ']' but found {char!r}")


def _rest_of_object(text: _Text) -> None:
    """Read past the keys that follow ``"Records": [...]`` up to the object's ``}``."""
    while True:
        if text.take("}"):
            return
        if not text.take(","):
            raise _BadJson(text.line_at(text.pos), "expected ',' or '}' after the Records array")
        if text.next_char() != '"':
            raise _BadJson(text.line_at(text.pos), "expected a key")
        text.value()
        if not text.take(":"):
            raise _BadJson(text.line_at(text.pos), "expected ':'")
        text.value()


def _records_in(value: dict) -> list[object]:
    records = value.get("Records")
    if isinstance(records, list):
        return records
    if "eventName" in value and "eventTime" in value:
        return [value]
    detail = value.get("detail")
    if (
        isinstance(detail, dict) and "eventName" in detail
    ):  # an EventBridge "AWS API Call via CloudTrail" event
        return [detail]
    return []
