"""The options every command spells and reads the same way, declared once (``cli.command`` says how a
command is declared with them).

- An option several commands take is an :class:`Option`, declared once below; a command takes it
  with its own help where the option means something particular there (:meth:`Option.but`).
- ``--lake DIR`` is a local lake; ``--athena-database DB`` and the rest of the Athena group name the
  same data on Athena. Every command that queries takes both (:func:`lake_options`).
- ``--account`` and ``--region`` are filters: repeatable, and each value may be a comma list.
  Athena's own region is ``--athena-region``, so the two never meet.
- ``--since`` / ``--until`` take ``7d``, ``12h``, ``2024-06-01``, an ISO time or ``now``.
- ``--format`` says what to write: one table format for a command that prints a table, or a
  list of chart image formats for one that writes a page.
- ``--out DIR`` is always a folder; ``--output-file FILE`` is where a table goes instead of stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from orginsight.lake import Lake
from orginsight.timerange import parse_time

USAGE_ERROR = 2
"""Exit code of a command line that cannot run as written (argparse's own code)."""

LIBRARY_ERROR = 1
"""Exit code of a command the library refused or could not finish (an ``OrgInsightError``)."""

TABLE_FORMATS = ("table", "csv", "json", "parquet")
"""How a command prints a table; ``parquet`` needs ``--output-file``."""

CHART_FORMATS = ("png", "svg", "pdf", "jpeg", "webp", "html")
"""The chart formats of ``orginsight.outputs.charts.export.FORMATS``, named here so that parsing a
command line does not load plotly (a test checks the two agree)."""

NO_IMAGES = "none"
"""``--format none``: write the HTML page only."""


class UsageError(Exception):
    """Options that parse one by one but do not go together: exit 2, as argparse's own errors do."""


class Adds(Protocol):
    """Something a command takes: one option, or a group of them, added to its parser in one call."""

    def add(self, p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None: ...


@dataclass(frozen=True)
class Option:
    """One argument a command takes, written as its ``add_argument`` call would be (a flag without dashes
    is a positional argument). An option several commands take is declared once below; a command says
    what it means there (``help``), or that it is ``required``, with :meth:`but`."""

    flag: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    def but(self, **overrides: Any) -> Option:
        """The same option with this command's ``help``, ``default`` or ``required``."""
        return Option(self.flag, {**self.settings, **overrides})

    def add(self, p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        p.add_argument(self.flag, **self.settings)


def option(flag: str, **settings: Any) -> Option:
    """An :class:`Option` written as its ``add_argument`` call would be."""
    return Option(flag, settings)


class Options:
    """Options that go together (a lake, a time window, a table's output), under a heading when ``title``."""

    def __init__(self, *members: Adds, title: str | None = None) -> None:
        self.members = members
        self.title = title

    def add(self, p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        target = p.add_argument_group(self.title) if self.title else p
        for member in self.members:
            member.add(target)


LAKE = option("--lake", metavar="DIR", help="local lake folder (laid out like the trail bucket)")
"""A local lake folder: optional where Athena may stand instead, required by the ``lake`` commands."""

CACHE_DIR = option(
    "--cache-dir", metavar="DIR", help="the lake's Parquet cache, if not DIR/.orginsight/parquet"
)
"""Where a local lake's Parquet cache is, for a lake that cannot hold it (read-only)."""

OUT_DIR = option("--out", metavar="DIR")
"""The folder a command writes into; each command says what goes there."""

ORG_ID = option("--org-id", help="organization id, o-...")
"""The organization id of the trail's ``AWSLogs/<org-id>/`` prefix."""

PROFILE = option("--profile", help="AWS profile")
"""The AWS profile of the calls a command makes (default: the environment's credentials)."""

ATHENA_DATABASE = option("--athena-database", metavar="DB", help="run on Athena, on this Glue database")
"""The Glue database of the trail table: for queries, the lake on Athena; for ``ddl``, where to create it."""

ATHENA_TABLE = option(
    "--athena-table", default="cloudtrail", metavar="T", help="the trail table (default cloudtrail)"
)
"""The trail table's name in ``--athena-database``."""

TRAIL_LOCATION = option(
    "--trail-location",
    metavar="S3_URI",
    help="the trail's s3://BUCKET/[PREFIX/]AWSLogs/o-xxxx/, listed read-only to tell what a query will scan",
)
"""Where the trail's objects are: an Athena query's scan estimate lists the partitions it reads there."""

CACHE = Options(
    CACHE_DIR,
    option(
        "--verify-cache",
        action="store_true",
        help="check every cached partition file by file, not on its folders alone",
    ),
)
"""The options that say how a local lake's Parquet cache is read (see ``lake compact``)."""

ATHENA_WORKGROUP = Options(
    option("--workgroup", help="Athena workgroup"),
    option("--s3-output", metavar="S3_URI", help="Athena query results location, s3://..."),
    option("--athena-region", metavar="NAME", help="AWS region of the Athena workgroup"),
    PROFILE,
)
"""Where and as whom Athena runs the queries: every command that reaches Athena takes these."""

ATHENA = Options(
    ATHENA_DATABASE,
    ATHENA_TABLE,
    ATHENA_WORKGROUP,
    TRAIL_LOCATION,
    option("--allow-full-scan", action="store_true", help="let a query without a time range scan everything"),
    title="Athena (instead of --lake)",
)
"""The options that name the organization trail's table on Athena."""


class CommaList(argparse.Action):
    """A repeatable option whose values may also be comma lists: ``--account a --account b,c`` is
    ``[a, b, c]``. ``allowed`` names the values it takes, checked item by item."""

    def __init__(self, *args: Any, allowed: Sequence[str] | None = None, **kwargs: Any) -> None:
        self.allowed = tuple(allowed) if allowed else None
        super().__init__(*args, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        items = [*(getattr(namespace, self.dest) or [])]
        for item in (v.strip() for v in str(values).split(",")):
            if item and self.allowed and item not in self.allowed:
                parser.error(f"{option}: {item!r} is not one of {', '.join(self.allowed)}")
            if item:
                items.append(item)
        setattr(namespace, self.dest, items)


def time_text(text: str) -> str:
    """A ``--since``/``--until`` value, checked here and passed on as typed (each command reads it
    against its own reference: now, or the lake's latest data)."""
    try:
        parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e
    return text


def account_filter(help: str = "only this account") -> Option:
    """``--account``: what the account filter does in this command."""
    return option("--account", action=CommaList, metavar="ID", help=f"{help} (repeatable, or a,b,c)")


def region_filter(help: str = "only this region") -> Option:
    """``--region``: what the region filter does in this command."""
    return option("--region", action=CommaList, metavar="NAME", help=f"{help} (repeatable, or a,b,c)")


def time_window(
    since: str, until: str | None = None, since_default: str | None = None, until_default: str | None = None
) -> Options:
    """``--since`` (and ``--until`` when it has help): relative (7d, 12h) or ISO, with help per command."""
    bound = {"type": time_text, "metavar": "TIME"}
    window = [option("--since", default=since_default, help=since, **bound)]
    if until is not None:
        window.append(option("--until", default=until_default, help=until, **bound))
    return Options(*window)


def table_output(formats: Sequence[str] = TABLE_FORMATS, output_file: bool = True) -> Options:
    """``--format`` of a printed table, and ``--output-file`` to write it to a file instead."""
    table = [
        option("--format", choices=formats, default="table", help="how to print the table (default table)")
    ]
    if output_file:
        table.append(
            option("--output-file", metavar="FILE", help="write the table to FILE instead of printing it")
        )
    return Options(*table)


@dataclass(frozen=True)
class ChartFormats:
    """``--format`` of a command that writes a page: the chart images beside it, or ``none``.

    Its default is kept apart (``default_format``): a default list would have the formats asked
    for added to it rather than replace it."""

    allowed: tuple[str, ...]
    default: str

    def add(self, p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        p.add_argument(
            "--format",
            action=CommaList,
            allowed=(*self.allowed, NO_IMAGES),
            metavar="FMT",
            help=f"chart images to write beside the page: {', '.join(self.allowed)} (repeatable, or a,b; "
            f"default {self.default}; '{NO_IMAGES}' for the page alone)",
        )
        p.set_defaults(format=None, default_format=self.default)


def chart_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """The image formats ``--format`` asked for (its default when not given), without ``none``."""
    asked = args.format if args.format is not None else args.default_format.split(",")
    return tuple(f for f in asked if f != NO_IMAGES)


def lake_options(cache: bool = True) -> Options:
    """The options that pick a lake: a local folder (with its cache), or a table on Athena."""
    return Options(LAKE, CACHE, ATHENA) if cache else Options(LAKE, ATHENA)


def names_a_lake(args: argparse.Namespace) -> bool:
    """Whether the command line names a lake, local or on Athena (both is a usage error)."""
    if args.lake and args.athena_database:
        raise UsageError("name one lake: --lake DIR (local) or --athena-database DB (Athena), not both")
    return bool(args.lake or args.athena_database)


def open_lake(args: argparse.Namespace) -> Lake:
    """The lake the options of :func:`lake_options` name."""
    if not names_a_lake(args):
        raise UsageError("name a lake: --lake DIR (local) or --athena-database DB (Athena)")
    if args.athena_database:
        return athena_lake(args)
    return Lake.local(
        args.lake,
        cache_dir=getattr(args, "cache_dir", None),
        verify_cache=getattr(args, "verify_cache", False),
    )


def athena_lake(args: argparse.Namespace) -> Lake:
    """The trail table on Athena that the options name (``ATHENA``, or a command's own set that includes
    ``ATHENA_WORKGROUP``: without ``--allow-full-scan`` a full scan is refused)."""
    return Lake.athena(
        database=args.athena_database,
        table=args.athena_table,
        workgroup=args.workgroup,
        s3_output=args.s3_output,
        region=args.athena_region,
        profile=args.profile,
        allow_full_scan=getattr(args, "allow_full_scan", False),
        trail_location=getattr(args, "trail_location", None),
    )


def write_frame(df: Any, fmt: str = "table", output_file: str | None = None) -> None:
    """Print a DataFrame as a table, CSV or JSON lines, or write it (also as Parquet) to ``output_file``."""
    if fmt == "parquet":
        if not output_file:
            raise UsageError("--format parquet needs --output-file FILE")
        df.to_parquet(output_file, index=False)
        return
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = df.to_json(orient="records", lines=True, date_format="iso", default_handler=str)
    else:
        text = _table_text(df)
    if output_file:
        with open(output_file, "w") as fh:
            fh.write(text)
    else:
        print(text)


def _table_text(df: Any) -> str:
    """``df`` as aligned text, wide enough for ARNs and user agents."""
    import pandas as pd  # loaded by the library call that made df: no cost here

    with pd.option_context(
        "display.max_rows", 200, "display.max_columns", 50, "display.width", 200, "display.max_colwidth", 80
    ):
        return df.to_string(index=False) if len(df) else "(no rows)"


def stats_line(df: Any) -> str:
    """One line on stderr after a query: rows, time, and what it read (or scanned and cost, on Athena)."""
    s = df.attrs.get("stats", {})
    if s.get("engine") == "athena":
        return (
            f"{len(df)} row(s) in {s.get('elapsed_s')} s; scanned {s.get('bytes_scanned', 0):,} bytes "
            f"(about ${s.get('cost_usd', 0):.4f}); query id {s.get('query_id')}"
        )
    bad = s.get("bad_files") or []
    cached = s.get("cached_partitions")
    return (
        f"{len(df)} row(s) in {s.get('elapsed_s')} s; read {s.get('files_read', 0):,} file(s), "
        f"{s.get('bytes_read', 0):,} bytes"
        + (f" ({cached:,} partition(s) from the Parquet cache)" if cached else "")
        + (f"; skipped {len(bad)} unreadable file(s)" if bad else "")
    )


def progress_wanted() -> bool:
    """Progress bars only for a person watching: not in pipes, logs and tests."""
    return sys.stderr.isatty()
