"""HTML pages: the one way orginsight writes HTML, through Jinja2 templates with autoescaping.

Both the triage page and the posture report show values an attacker shapes (user agents, ARNs, error
messages, finding titles, account and OU names). Every value reaches the page through a template of
``templates/`` rendered with ``autoescape=True``, so nothing needs escaping by hand and a forgotten
``html.escape`` cannot happen. The only markup passed in as-is is plotly's: ``plotly_fragment`` and
``plotly_library`` mark it safe, because plotly escapes ``<``, ``>`` and ``/`` in the figure JSON it
inlines. ``StrictUndefined`` turns a misspelled template variable into an error instead of a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

TEMPLATES = "templates"
"""The package folder holding the templates (shipped in the wheel as package data)."""


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, the full text on hover (``title``), and how it is cut."""

    text: str
    title: str | None = None
    long_width: str | None = None
    """When set, the cell is cut to this width with an ellipsis (the full text stays in ``title``)."""
    mark: bool = False
    """A cell of the "newly observed" column that names what is new."""


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    css_class: str = ""


@dataclass(frozen=True)
class Table:
    """A table as the templates draw it (``macros.html.j2``): plain text only, escaped when rendered."""

    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    table_id: str | None = None
    note: str | None = None
    """A line under the table, such as how many rows were left out."""


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment: autoescaping on for every template, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orginsight.outputs", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)


def plotly_fragment(figure: Any, **to_html: Any) -> Markup:
    """A plotly figure's ``<div>`` and ``<script>``, marked safe: plotly escapes ``<``, ``>`` and ``/`` in
    the figure JSON it inlines, so a value inside a chart cannot close the script."""
    return Markup(figure.to_html(full_html=False, **to_html))


def plotly_library() -> Markup:
    """plotly.js itself, to inline once in a page that opens with no network."""
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs())
