"""The triage page: one self-contained HTML file that leads with what tells the incident apart.

An analyst opening it must see, on the first screen, what the indicator is and what is new about
it, not the hundreds of routine sessions its owner runs every week. So the page reads top-down:

1. the verdict: indicator, what it resolved to, owner, first and last seen, accounts and regions,
   events and failures, related findings, the incident window;
2. what is new: newly observed IPs (with country), user agents, APIs, regions and resources of the
   indicator and the sessions it produced, by first sighting, those of the incident window first;
3. the timeline of the incident window, new rows marked; the full timeline collapsed below it;
4. the chain of sessions: the notable links expanded, the routine ones summarized and collapsed;
5. related findings, figures (plotly.js inlined once, no network) and the entity graph.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from orginsight.incident import routine_links, routine_sentence, routine_summary, short_entity

if TYPE_CHECKING:
    from orginsight.triage import Triage

TIMELINE_COLUMNS = [
    ("time", "time (UTC)"),
    ("new", "newly observed"),
    ("account", "account"),
    ("region", "region"),
    ("api", "API"),
    ("principal", "principal"),
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
"""Events of the incident window shown; the full timeline below holds the rest."""
TIMELINE_ROWS = 5000
"""Events of the full timeline shown."""

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.2em 2em;color:#222}
h1{font-size:1.5em;margin:0 0 .3em} h2{font-size:1.2em;margin:1.2em 0 .4em;border-bottom:2px solid #ddd}
p.lead{font-size:1.05em;margin:.2em 0 .6em;max-width:95em}
dl.verdict{display:grid;grid-template-columns:max-content minmax(20em,1fr) max-content minmax(20em,1fr);
  gap:2px 12px;margin:0;padding:.6em .8em;background:#f4f6fa;border-left:5px solid #b42318;font-size:13px}
dl.verdict dt{font-weight:600;color:#555} dl.verdict dd{margin:0}
table.t{border-collapse:collapse;font-size:12px;margin:.3em 0}
table.t td,table.t th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top;
  white-space:nowrap}
table.t th{background:#f4f6fa;position:sticky;top:0}
div.scroll{overflow-x:auto;max-width:100%}
table.t td.long{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
tr.new td{background:#fff1cc} tr.new td.mark{font-weight:600;color:#8a3b00}
span.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#b42318;color:#fff;font-size:12px}
details{margin:.4em 0} details>summary{cursor:pointer;color:#1d4ed8}
p.note{color:#555;font-size:12px;margin:.2em 0}
"""


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


def html_table(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    limit: int = 200,
    row_class: Callable[[pd.Series], str] | None = None,
    shorten: Sequence[str] = (),
    long: Sequence[str] = (),
    table_id: str | None = None,
    long_width: str = "18em",
) -> str:
    """An HTML table of ``columns`` (name, header) of ``df``: everything escaped, ``shorten`` columns
    showing short entity ids (the full id on hover), ``long`` ones cut to a width (full on hover)."""
    cols = [(c, h) for c, h in columns if c in df.columns]
    if not len(df):
        return "<p><em>none</em></p>"
    ident = f" id='{html.escape(table_id)}'" if table_id else ""
    out = [f"<div class='scroll'><table class='t'{ident}><thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for _, h in cols]
    out.append("</tr></thead><tbody>")
    for _, row in df.head(limit).iterrows():
        cls = row_class(row) if row_class else ""
        out.append(f"<tr class='{cls}'>" if cls else "<tr>")
        for c, _ in cols:
            full = _cell(row[c])
            shown = short_entity(full) if c in shorten and full else full
            attrs = ""
            if c in long or shown != full:
                attrs += f" title='{html.escape(full, quote=True)}'"
            if c in long:
                attrs += f" class='long' style='max-width:{long_width}'"
            if c == "new" and full:
                attrs += " class='mark'"
            out.append(f"<td{attrs}>{html.escape(shown)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if len(df) > limit:
        out.append(f"<p class='note'>First {limit} of {len(df)} rows shown.</p>")
    return "".join(out)


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


def verdict(t: Triage) -> str:
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
    pairs = [
        ("Indicator", f"<code>{html.escape(t.indicator)}</code>"),
        (
            "Resolved to",
            f"{html.escape(owner.get('kind', '').replace('_', ' '))}: <code>{html.escape(t.entity)}</code>",
        ),
        ("Owner", html.escape(owner_text)),
        ("Incident window", html.escape(_span(window)) if window else "nothing newly observed"),
        ("First seen", html.escape(_when(s["first_seen"]))),
        ("Last seen", html.escape(_when(s["last_seen"]))),
        ("Accounts touched", html.escape(", ".join(_account(a, names) for a in s["accounts"]))),
        ("Regions", html.escape(", ".join(s["regions"]))),
        ("Events", f"{s['events']} ({failed} failed, {len(s['errors'])} distinct error/API pairs)"),
        ("Newly observed", f"{len(s.get('what_is_new', []))} item(s)"),
        ("Sessions produced", str(len(s["sessions"]))),
        ("Related findings", html.escape(f"{len(findings)}" + (f": {types}" if types else ""))),
        ("Window read (UTC)", f"{t.window[0]:%Y-%m-%d %H:%M} .. {t.window[1]:%Y-%m-%d %H:%M}"),
    ]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs)
    notes = "".join(f"<p class='note'><strong>Note:</strong> {html.escape(n)}</p>" for n in s["notes"])
    return (
        f"<section id='verdict'><p class='lead'><span class='badge'>verdict</span> "
        f"{html.escape(verdict_sentence(t))}</p><dl class='verdict'>{rows}</dl>{notes}</section>"
    )


def what_is_new(t: Triage) -> str:
    items = t.summary.get("what_is_new", pd.DataFrame())
    window = t.summary.get("incident_window")
    parts = ["<section id='what-is-new'><h2>What is new</h2>"]
    if not len(items):
        parts.append(
            "<p>Nothing the indicator or the sessions it produced did is new against their baseline.</p>"
        )
        return "".join(parts) + "</section>"
    if window is not None:
        tl = t.timeline
        marked = int((tl["new"] != "").sum()) if "new" in tl else 0
        parts.append(
            f"<p>Incident window <strong>{html.escape(_span(window))}</strong>: "
            f"{int(tl['in_window'].sum())} event(s); {marked} event(s) of the whole timeline show a newly "
            "observed value.</p><p class='note'>The window runs from the first newly observed item of the "
            "burst where new items and findings concentrate to the last event of the new IPs, user agents "
            "and sessions first seen in it. Newly observed: never seen for the same principal or key in "
            "the baseline; for a role session, for the role's other sessions and the credential that "
            "assumed it.</p>"
        )
    inside = items[items["in_window"]] if "in_window" in items else items
    outside = items[~items["in_window"]] if "in_window" in items else items.iloc[0:0]
    parts.append(
        html_table(
            inside,
            ITEM_COLUMNS,
            limit=500,
            long=["value", "seen_by"],
            table_id="new-items",
            long_width="34em",
        )
    )
    if len(outside):
        parts.append(
            f"<details id='new-elsewhere'><summary>{len(outside)} more newly observed item(s) outside the "
            "incident window</summary>"
            + html_table(outside, ITEM_COLUMNS, limit=500, long=["value", "seen_by"], long_width="34em")
            + "</details>"
        )
    return "".join(parts) + "</section>"


def window_timeline(t: Triage) -> str:
    tl = t.timeline
    window = t.summary.get("incident_window")
    marked = int((tl["new"] != "").sum()) if "new" in tl else 0
    parts = ["<section id='incident-timeline'>"]
    if window is not None:
        in_window = t.window_timeline
        parts += [
            "<h2>Timeline of the incident window</h2>",
            f"<p class='note'>{len(in_window)} event(s) from {html.escape(_span(window))}; highlighted rows show "
            "a value newly observed for their caller (named in the second column).</p>",
            html_table(
                in_window,
                TIMELINE_COLUMNS,
                limit=WINDOW_ROWS,
                row_class=_new_row,
                shorten=["principal"],
                long=["user_agent", "principal", "errormessage"],
                table_id="window-timeline",
            ),
        ]
    else:
        parts.append("<h2>Timeline</h2>")
    parts += [
        f"<details id='full-timeline'><summary>Full timeline: {len(tl)} event(s), {marked} with newly observed "
        "values (highlighted)</summary>",
        html_table(
            tl,
            TIMELINE_COLUMNS,
            limit=TIMELINE_ROWS,
            row_class=_new_row,
            shorten=["principal"],
            long=["user_agent", "principal", "errormessage"],
        ),
        "</details></section>",
    ]
    return "".join(parts)


def chain(t: Triage) -> str:
    ch = t.chain
    parts = ["<section id='chain'><h2>Chain of sessions and keys</h2>"]
    if not len(ch):
        parts.append("<p><em>The indicator handed no credentials on.</em></p>")
    else:
        shown = ch[ch["notable"]] if "notable" in ch else ch
        drift = ch[~ch["notable"] & (ch["why"] != "")] if "notable" in ch else ch.iloc[0:0]
        routine = routine_links(ch)
        parts += [
            f"<p class='note'>{len(ch)} hand-off(s) of credentials; {len(shown)} shown: used from a new IP or "
            "client, inside the incident window, or on the path to those.</p>",
            html_table(
                shown.sort_values("time") if len(shown) else shown,
                CHAIN_COLUMNS,
                limit=500,
                shorten=["src", "dst"],
                table_id="chain-notable",
            ),
        ]
        if len(drift):
            parts.append(
                f"<details id='chain-drift'><summary>{len(drift)} link(s) with newly observed APIs, resources or "
                "regions only, outside the incident window</summary>"
                + html_table(
                    drift.sort_values("time"), CHAIN_COLUMNS, limit=500, shorten=["src", "dst"], long=["apis"]
                )
                + "</details>"
            )
        if len(routine):
            parts.append(
                f"<details id='chain-routine'><summary>{html.escape(routine_sentence(ch))}</summary>"
                + html_table(
                    routine_summary(ch),
                    [(c, c) for c in ("kind", "by", "role", "accounts", "links", "first", "last")],
                )
                + html_table(routine.sort_values("time"), CHAIN_COLUMNS, limit=1000, shorten=["src", "dst"])
                + "</details>"
            )
    origin = t.summary.get("origin")
    if origin is not None and len(origin):
        parts += [
            "<h3>Where the credentials came from</h3>",
            html_table(
                origin,
                [(c, c) for c in ("hour", "depth", "kind", "src", "dst", "apis")],
                shorten=["src", "dst"],
            ),
        ]
    return "".join(parts) + "</section>"


def findings(t: Triage) -> str:
    f = t.summary["findings"]
    cols = [
        (c, c)
        for c in ("first_seen", "type", "title", "severity_label", "account_id", "resource_id", "finding_id")
    ]
    if len(f) and "first_seen" in f:
        f = f.sort_values("first_seen")
    table = html_table(f, cols, long=["title"], table_id="related-findings", long_width="30em")
    return f"<section id='findings'><h2>Related findings ({len(f)})</h2>{table}</section>"


def figures(t: Triage) -> str:
    parts = ["<section id='figures'>"]
    first = True
    names = [n for n in t.figures if n != "graph"] + [n for n in t.figures if n == "graph"]
    for name in names:
        title = "Entity graph" if name == "graph" else name.title()
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(t.figures[name].to_html(full_html=False, include_plotlyjs=first))
        first = False
    return "".join(parts) + "</section>"


def activity(t: Triage) -> str:
    s = t.summary
    apis = s["apis"].rename("count").reset_index() if len(s["apis"]) else pd.DataFrame()
    errors = s["errors"].rename("count").reset_index() if len(s["errors"]) else pd.DataFrame()
    return (
        "<section id='activity'><details><summary>APIs by count and errors</summary>"
        + "<h3>APIs by count</h3>"
        + html_table(apis, [("api", "API"), ("count", "count")])
        + "<h3>Errors</h3>"
        + html_table(errors, [("errorcode", "error"), ("api", "API"), ("count", "count")])
        + "</details></section>"
    )


def render_html(t: Triage) -> str:
    """The page, in the order an analyst reads it (see the module's docstring)."""
    return "\n".join(
        [
            "<!doctype html><html><head><meta charset='utf-8'>",
            f"<title>Triage {html.escape(t.indicator)}</title><style>{STYLE}</style></head><body>",
            f"<h1>Triage of {html.escape(t.indicator)}</h1>",
            verdict(t),
            what_is_new(t),
            window_timeline(t),
            chain(t),
            findings(t),
            figures(t),
            activity(t),
            "</body></html>",
        ]
    )
