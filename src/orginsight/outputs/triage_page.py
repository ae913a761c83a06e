"""The triage page: one self-contained HTML file that leads with what tells the incident apart.

An analyst opening it must see, on the first screen, what the indicator is and what is new about
it, not the hundreds of routine sessions its owner runs every week. So the page reads top-down:

1. the verdict: indicator, what it resolved to, owner, first and last seen, accounts and regions,
   events and failures, related findings, the incident window;
2. what is new: newly observed IPs (with country), user agents, APIs, regions and resources of the
   indicator and the sessions it produced, by first sighting, those of the incident window first;
3. the timeline of the incident window, new rows marked; the full timeline collapsed below it; both
   paginated, every event on the page;
4. the chain of sessions: the notable links expanded, the routine ones summarized and collapsed;
5. related findings, figures (plotly.js inlined once, no network) and the entity graph.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from orginsight.analytics.incident import short_entity
from orginsight.analytics.session_chain import routine_links, routine_sentence, routine_summary
from orginsight.outputs.charts.export import export_many
from orginsight.outputs.pages import Cell, Row, Table, plotly_fragment, render

if TYPE_CHECKING:
    from orginsight.analytics.triage import Triage

TIMELINE_COLUMNS = [
    ("time", "time (UTC)"),
    ("new", "newly observed"),
    ("account", "account"),
    ("region", "region"),
    ("api", "API"),
    ("principal", "principal"),
    ("person", "person"),
    ("access_key", "access key"),
    ("ip", "source IP"),
    ("user_agent", "user agent"),
    ("errorcode", "error"),
    ("errormessage", "error message"),
    ("eventid", "event id"),
]
CHAIN_COLUMNS = [
    ("time", "time (UTC)"),
    ("why", "why shown"),
    ("depth", "depth"),
    ("kind", "kind"),
    ("src", "from"),
    ("dst", "to"),
    ("apis", "APIs"),
]
ITEM_COLUMNS = [
    ("first_seen", "first seen (UTC)"),
    ("dimension", "what"),
    ("value", "value"),
    ("country", "country"),
    ("events", "events"),
    ("seen_by", "new for"),
]
WINDOW_ROWS = 1000
"""Events of the incident window per page."""
TIMELINE_ROWS = 1000
"""Events of the full timeline per page."""
CHAIN_ROWS = 1000
"""Routine links of the chain per page."""


def _when(value: Any) -> str:
    if value is None or (not isinstance(value, str | list | tuple | set | frozenset) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(map(str, value))
    if value is None or value is pd.NA:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return _when(value)


def table_view(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    limit: int = 200,
    row_class: Callable[[pd.Series], str] | None = None,
    shorten: Sequence[str] = (),
    long: Sequence[str] = (),
    table_id: str | None = None,
    long_width: str = "18em",
) -> Table:
    """The table of ``columns`` (name, header) of ``df``'s first ``limit`` rows: ``shorten`` columns show
    short entity ids (the full id on hover), ``long`` ones are cut to a width (full on hover)."""
    cols = [c for c, _ in columns if c in df.columns]
    rows = []
    for _, row in df.head(limit).iterrows():
        cells = []
        for c in cols:
            full = _cell(row[c])
            shown = short_entity(full) if c in shorten and full else full
            cells.append(
                Cell(
                    text=shown,
                    title=full if c in long or shown != full else None,
                    long_width=long_width if c in long else None,
                    mark=c == "new" and bool(full),
                )
            )
        rows.append(Row(cells=tuple(cells), css_class=row_class(row) if row_class else ""))
    return Table(
        headers=tuple(h for c, h in columns if c in df.columns),
        rows=tuple(rows),
        table_id=table_id,
        note=f"First {limit} of {len(df)} rows shown." if len(df) > limit else None,
    )


def paged_view(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    page_rows: int,
    table_id: str,
    shorten: Sequence[str] = (),
    long: Sequence[str] = (),
    long_width: str = "18em",
) -> dict[str, Any]:
    """Every row of ``df``, a page at a time: the first page drawn as a table, all pages as data the page's
    pager draws from (``triage.html.j2``), so a timeline of any length is whole on the page, never cut.

    The cells are built a column at a time (a 25,000-event timeline in a second, where ``table_view``'s
    row by row took many), with the same text, hover title and cut as ``table_view``'s.
    """
    cols = [c for c, _ in columns if c in df.columns]
    cells: list[list[Any]] = []
    for c in cols:
        full = df[c].map(_cell).tolist()
        shown = [short_entity(v) if v else v for v in full] if c in shorten else full
        titled = c in long
        cells.append([[s, f] if titled or s != f else s for s, f in zip(shown, full, strict=True)])
    classes = ["new" if v else "" for v in df["new"].tolist()] if "new" in df else [""] * len(df)
    rows = [[cls, list(r)] for cls, r in zip(classes, zip(*cells, strict=True), strict=True)] if cols else []
    first = table_view(
        df.head(page_rows),
        columns,
        limit=page_rows,
        row_class=_new_row,
        shorten=shorten,
        long=long,
        table_id=table_id,
        long_width=long_width,
    )
    return {
        "table": replace(first, note=None),
        "id": table_id,
        "rows": len(df),
        "page_rows": page_rows,
        "pages": max(1, -(-len(df) // page_rows)),
        "data": {
            "page": page_rows,
            "long": [c in long for c in cols],
            "width": long_width,
            "mark": cols.index("new") if "new" in cols else -1,
            "rows": rows,
        },
    }


def _new_row(row: pd.Series) -> str:
    return "new" if row.get("new") else ""


def _account(acct: str | None, names: dict[str, str]) -> str:
    if not acct:
        return ""
    name = names.get(str(acct))
    return f"{acct} ({name})" if name else str(acct)


def _span(window: tuple[datetime, datetime]) -> str:
    start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    minutes = max(1, round((end - start).total_seconds() / 60))
    length = f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    end_text = f"{end:%H:%M:%S}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M:%S}"
    return f"{start:%Y-%m-%d %H:%M:%S} – {end_text} UTC ({length})"


def verdict_sentence(t: Triage) -> str:
    """One line an analyst can paste: what the indicator is and what is new about it."""
    s = t.summary
    owner, names = s.get("owner") or {}, s.get("account_names") or {}
    what = f"{owner.get('kind', '').replace('_', ' ')} {t.indicator}"
    if owner.get("principal") and owner["principal"] != t.entity:
        what += f" of {short_entity(owner['principal'])}"
    if owner.get("account"):
        what += f" in {_account(owner['account'], names)}"
    items = s.get("what_is_new", pd.DataFrame())
    window = s.get("incident_window")
    if not len(items):
        told = "nothing newly observed against its baseline"
    else:
        focused = items[items["in_window"]] if "in_window" in items and items["in_window"].any() else items
        ips = focused[focused["dimension"] == "ip"]
        new_ips = ", ".join(
            f"{ip}" + (f" ({c})" if isinstance(c, str) else "")
            for ip, c in zip(ips["value"], ips["country"], strict=True)
        )
        told = f"{len(items)} newly observed item(s)" + (f", from new IP(s) {new_ips}" if new_ips else "")
    if window is not None:
        in_window = int(t.timeline["in_window"].sum()) if "in_window" in t.timeline else 0
        n_items = int(items["in_window"].sum()) if "in_window" in items else len(items)
        told += f"; incident window {_span(window)}: {n_items} new item(s), {in_window} event(s)"
    found = len(s.get("findings", []))
    return f"{what}: {told}; {found} related finding(s); {len(s['accounts'])} account(s) reached."


def verdict(t: Triage) -> dict[str, Any]:
    """The verdict: the sentence to paste, then the facts an analyst checks first."""
    s = t.summary
    names = s.get("account_names") or {}
    owner = s.get("owner") or {}
    failed = int((t.timeline["outcome"] == "failure").sum()) if len(t.timeline) else 0
    findings = s.get("findings", pd.DataFrame())
    types = ", ".join(sorted(set(findings["type"]))[:4]) if len(findings) and "type" in findings else ""
    window = s.get("incident_window")
    principals = owner.get("principals") or []
    if owner.get("kind") == "ip":
        owner_text = f"{len(principals)} principal(s) called from it"
    else:
        owner_text = short_entity(owner["principal"]) if owner.get("principal") else "unknown"
        if owner.get("account"):
            owner_text += f" — account {_account(owner['account'], names)}"
    facts = [
        ("Owner", owner_text),
        ("Incident window", _span(window) if window else "nothing newly observed"),
        ("First seen", _when(s["first_seen"])),
        ("Last seen", _when(s["last_seen"])),
        ("Accounts touched", ", ".join(_account(a, names) for a in s["accounts"])),
        ("Regions", ", ".join(s["regions"])),
        ("Events", f"{s['events']} ({failed} failed, {len(s['errors'])} distinct error/API pairs)"),
        ("Newly observed", f"{len(s.get('what_is_new', []))} item(s)"),
        ("Sessions produced", str(len(s["sessions"]))),
        ("People", s.get("people_line") or "not attributed"),
        ("CloudTrail Insights", s.get("insights_line") or "none overlap the incident window"),
        ("Related findings", f"{len(findings)}" + (f": {types}" if types else "")),
        ("Window read (UTC)", f"{t.window[0]:%Y-%m-%d %H:%M} .. {t.window[1]:%Y-%m-%d %H:%M}"),
    ]
    return {
        "sentence": verdict_sentence(t),
        "kind": owner.get("kind", "").replace("_", " "),
        "entity": t.entity,
        "facts": facts,
        "notes": list(s["notes"]),
    }


def what_is_new(t: Triage) -> dict[str, Any]:
    """The newly observed items, those of the incident window first, the others collapsed."""
    items = t.summary.get("what_is_new", pd.DataFrame())
    window = t.summary.get("incident_window")
    if not len(items):
        return {"empty": True}
    tl = t.timeline
    inside = items[items["in_window"]] if "in_window" in items else items
    outside = items[~items["in_window"]] if "in_window" in items else items.iloc[0:0]
    return {
        "empty": False,
        "window": _span(window) if window is not None else None,
        "window_events": int(tl["in_window"].sum()) if window is not None else 0,
        "marked": int((tl["new"] != "").sum()) if "new" in tl else 0,
        "inside": table_view(
            inside,
            ITEM_COLUMNS,
            limit=500,
            long=["value", "seen_by"],
            table_id="new-items",
            long_width="34em",
        ),
        "outside_count": len(outside),
        "outside": table_view(outside, ITEM_COLUMNS, limit=500, long=["value", "seen_by"], long_width="34em")
        if len(outside)
        else None,
    }


def window_timeline(t: Triage, page_rows: int = TIMELINE_ROWS) -> dict[str, Any]:
    """The incident window's events, new rows marked; the full timeline collapsed below, every event of both
    a page at a time (``page_rows`` each; the window's first ``WINDOW_ROWS`` on its first page)."""
    tl = t.timeline
    window = t.summary.get("incident_window")
    events = {"shorten": ["principal"], "long": ["user_agent", "principal", "errormessage"]}
    return {
        "window": _span(window) if window is not None else None,
        "window_events": len(t.window_timeline) if window is not None else 0,
        "in_window": paged_view(
            t.window_timeline, TIMELINE_COLUMNS, min(WINDOW_ROWS, page_rows), "window-timeline", **events
        )
        if window is not None
        else None,
        "events": len(tl),
        "marked": int((tl["new"] != "").sum()) if "new" in tl else 0,
        "full": paged_view(tl, TIMELINE_COLUMNS, page_rows, "full-timeline-table", **events),
    }


def chain(t: Triage) -> dict[str, Any]:
    """The hand-offs of credentials: the notable ones shown, drift and routine runs collapsed."""
    ch = t.chain
    origin = t.summary.get("origin")
    view: dict[str, Any] = {
        "empty": not len(ch),
        "origin": table_view(
            origin, [(c, c) for c in ("hour", "depth", "kind", "src", "dst", "apis")], shorten=["src", "dst"]
        )
        if origin is not None and len(origin)
        else None,
    }
    if not len(ch):
        return view
    shown = ch[ch["notable"]] if "notable" in ch else ch
    drift = ch[~ch["notable"] & (ch["why"] != "")] if "notable" in ch else ch.iloc[0:0]
    routine = routine_links(ch)
    return view | {
        "links": len(ch),
        "shown_count": len(shown),
        "shown": table_view(
            shown.sort_values("time") if len(shown) else shown,
            CHAIN_COLUMNS,
            limit=500,
            shorten=["src", "dst"],
            table_id="chain-notable",
        ),
        "drift_count": len(drift),
        "drift": table_view(
            drift.sort_values("time"), CHAIN_COLUMNS, limit=500, shorten=["src", "dst"], long=["apis"]
        )
        if len(drift)
        else None,
        "routine_sentence": routine_sentence(ch) if len(routine) else "",
        "routine_summary": table_view(
            routine_summary(ch),
            [(c, c) for c in ("kind", "by", "role", "accounts", "links", "first", "last")],
        )
        if len(routine)
        else None,
        "routine": paged_view(
            routine.sort_values("time"),
            CHAIN_COLUMNS,
            CHAIN_ROWS,
            "chain-routine-links",
            shorten=["src", "dst"],
        )
        if len(routine)
        else None,
    }


PEOPLE_COLUMNS = [
    ("person", "person"),
    ("display_name", "name"),
    ("how", "how established"),
    ("why", "why no person"),
    ("permission_sets", "permission sets"),
    ("accounts", "accounts"),
    ("sessions", "sessions"),
]


def summary_table(
    t: Triage,
    key: str,
    columns: Sequence[tuple[str, str]],
    long: Sequence[str] = (),
    long_width: str = "18em",
) -> Table:
    """The frame the triage summary holds under ``key``, as the table of that id: an empty table where the
    summary has none (a summary saved before the triage computed it, or nothing found)."""
    found = t.summary.get(key)
    found = found if isinstance(found, pd.DataFrame) else pd.DataFrame()
    return table_view(found, columns, long=long, table_id=key, long_width=long_width)


def people(t: Triage) -> Table:
    """The people behind the indicator, how each was established, and why the other sessions have none."""
    return summary_table(t, "people", PEOPLE_COLUMNS, long=["sessions", "how"], long_width="30em")


INSIGHT_COLUMNS = [
    ("start", "start (UTC)"),
    ("end", "end (UTC)"),
    ("account", "account"),
    ("region", "region"),
    ("api", "API"),
    ("insight_type", "insight"),
    ("errorcode", "error"),
    ("ratio", "x baseline"),
]


def insights(t: Triage) -> Table:
    """The CloudTrail Insights windows that overlap the incident window: unusual rates CloudTrail flagged itself."""
    return summary_table(t, "insights", INSIGHT_COLUMNS)


def findings(t: Triage) -> dict[str, Any]:
    """The related findings, oldest first."""
    f = t.summary["findings"]
    cols = [
        (c, c)
        for c in ("first_seen", "type", "title", "severity_label", "account_id", "resource_id", "finding_id")
    ]
    if len(f) and "first_seen" in f:
        f = f.sort_values("first_seen")
    table = table_view(f, cols, long=["title"], table_id="related-findings", long_width="30em")
    return {"count": len(f), "table": table}


def network(t: Triage) -> dict[str, Any] | None:
    """The flows and DNS queries beside the API calls (``analytics.network.evidence``); None without any."""
    net = t.summary.get("network")
    if net is None:
        return None
    flow_cols = [(c, c) for c in ("first_seen", "last_seen", "instance_id", "srcaddr", "dstaddr", "dstport",
                                  "action", "records", "bytes", "packets")]  # fmt: skip
    dns_cols = [(c, c) for c in ("time", "instance_id", "srcaddr", "query_name", "rcode", "answer_ips")]
    return {
        "summary": net.summary(),
        "sessions": net.sessions,
        "flows": table_view(net.flows, flow_cols, table_id="network-flows"),
        "dns": table_view(net.dns, dns_cols, table_id="network-dns"),
        "findings": table_view(
            net.findings, [(c, c) for c in ("first_seen", "type", "severity_label", "finding_id")]
        ),
    }


def figures(t: Triage) -> list[tuple[str, Markup]]:
    """(title, plotly fragment) of each figure, the entity graph last; plotly.js inlined in the first."""
    names = [n for n in t.figures if n != "graph"] + [n for n in t.figures if n == "graph"]
    return [
        (
            "Entity graph" if name == "graph" else name.title(),
            plotly_fragment(t.figures[name], include_plotlyjs=i == 0),
        )
        for i, name in enumerate(names)
    ]


def activity(t: Triage) -> dict[str, Table]:
    """APIs by count and errors, collapsed at the bottom."""
    s = t.summary
    apis = s["apis"].rename("count").reset_index() if len(s["apis"]) else pd.DataFrame()
    errors = s["errors"].rename("count").reset_index() if len(s["errors"]) else pd.DataFrame()
    return {
        "apis": table_view(apis, [("api", "API"), ("count", "count")]),
        "errors": table_view(errors, [("errorcode", "error"), ("api", "API"), ("count", "count")]),
    }


def render_html(t: Triage, page_rows: int = TIMELINE_ROWS) -> str:
    """The page, in the order an analyst reads it (see the module's docstring); timelines ``page_rows`` events
    a page."""
    return render(
        "triage.html.j2",
        indicator=t.indicator,
        verdict=verdict(t),
        people=people(t),
        insights=insights(t),
        new=what_is_new(t),
        timeline=window_timeline(t, page_rows),
        chain=chain(t),
        findings=findings(t),
        network=network(t),
        figures=figures(t),
        activity=activity(t),
    )


def write(
    t: Triage, out: str | os.PathLike[str], png: bool = True, page_rows: int = TIMELINE_ROWS
) -> list[Path]:
    """Write ``triage.html`` (self-contained: plotly.js inlined once; every event, ``page_rows`` a page) and,
    with ``png``, a PNG per chart into ``out``; the paths written."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "triage.html"
    page.write_text(render_html(t, page_rows), encoding="utf-8")
    written = [page]
    if png and t.figures:
        pairs = [(fig, out_dir / f"{name}.png") for name, fig in t.figures.items()]
        export_many(pairs)
        written += [path for _, path in pairs]
    return written
