"""What an import tells: its report of what was placed and what was not, and how it quotes what came
from outside (names and values an archive's author chose are escaped and shortened before they are shown)."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED_FAILURES = 1000
"""Failures kept in ``ImportReport.failures``; the rest are only counted (a hostile input may hold millions)."""


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """Something of the input that was not placed: which input, which record (1-based, None for the whole
    input) and why. ``source`` is safe to print: control characters are escaped."""

    source: str
    reason: str
    record: int | None = None

    def __str__(self) -> str:
        where = f"record {self.record} of {self.source}" if self.record is not None else self.source
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LakeRepair:
    """A damaged file of the lake that an import rewrote: its readable records were kept."""

    path: str
    reason: str
    records_kept: int
    damaged_copy: str

    def __str__(self) -> str:
        return (
            f"repaired {self.path} ({self.reason}): kept {self.records_kept} readable record(s); "
            f"the damaged file is kept as {self.damaged_copy}"
        )


@dataclass
class ImportReport:
    """What an import did. Every record read is placed, a duplicate, already in the lake, or failed:

    ``records_read == records_placed + duplicates + records_already_in_lake + records_failed``.

    ``failures`` lists inputs and records that were not placed, with the reason (the first
    ``MAX_LISTED_FAILURES``; ``failures_not_listed`` counts the rest). ``files_already_present``
    counts output files that were not written because the lake held all their records.
    """

    inputs_read: int = 0
    records_read: int = 0
    records_placed: int = 0
    duplicates: int = 0
    records_already_in_lake: int = 0
    records_failed: int = 0
    files_written: int = 0
    files_already_present: int = 0
    failures: list[ImportFailure] = field(default_factory=list)
    failures_not_listed: int = 0
    repairs: list[LakeRepair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, source: str, reason: str, record: int | None = None) -> None:
        """Note a failure (shown escaped: names and errors may quote what an archive's author chose);
        beyond ``MAX_LISTED_FAILURES`` only count it."""
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(
                ImportFailure(_shown(source, limit=1000), _shown(reason, limit=2000), record)
            )
        else:
            self.failures_not_listed += 1

    def summary(self) -> str:
        lines = [
            f"read {self.records_read} records from {self.inputs_read} input(s); "
            f"placed {self.records_placed} in {self.files_written} new file(s)"
            + (
                f", {self.records_already_in_lake} record(s) already in the lake"
                if self.records_already_in_lake
                else ""
            )
            + (
                f", {self.files_already_present} file(s) already in the lake"
                if self.files_already_present
                else ""
            )
            + (f", {self.duplicates} duplicate record(s) skipped" if self.duplicates else "")
            + (f", {self.records_failed} record(s) not placed" if self.records_failed else "")
        ]
        lines += [str(r) for r in self.repairs]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"could not import {f}" for f in self.failures]
        if self.failures_not_listed:
            lines.append(f"... and {self.failures_not_listed} more failure(s) not listed")
        return "\n".join(lines)


# --- showing what came from outside --------------------------------------------------------------------------


def _shown(text: str, limit: int = 300) -> str:
    """``text`` safe to print: control and format characters escaped (no terminal escapes), length capped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _not_a(name: str, value: object, what: str) -> str:
    """Why a record's value cannot be used: ``awsRegion '../x' is not ...`` or ``awsRegion is an array, not ...``."""
    if isinstance(value, str):
        return f"{name} {_shown_value(value)} is not {what}"
    return f"{name} is {_json_type(value)}, not {what}"


def _shown_value(value: object) -> str:
    """A value of a record as a message quotes it: short, escaped, with its JSON type when not a string."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:79] + "…")
    return _json_type(value)


def _json_type(value: object) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
