"""Write a figure to HTML, PNG, SVG or PDF, with no network.

HTML is self-contained (plotly.js inlined, about 4.6 MB), so it opens offline. Static
formats go through kaleido 1.x, which drives a Chromium: kaleido looks for it through
``BROWSER_PATH``; Debian's ``chromium`` package works (DESIGN.md), so when
``BROWSER_PATH`` is unset and ``/usr/bin/chromium`` exists it is used. MathJax, which
kaleido would fetch from a CDN, is turned off: orginsight's charts use no LaTeX.

Asking for a static format with no browser is an error (ChartExportError, saying how to
install one). A caller for whom images are optional, like ``orginsight demo``, asks
:func:`find_browser` first and skips the static formats with one note
(:func:`missing_browser_note`).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import plotly.graph_objects as go

from orginsight.errors import OrgInsightError

STATIC_FORMATS = ("png", "svg", "pdf", "jpeg", "webp")
FORMATS = ("html", *STATIC_FORMATS)
DEFAULT_WIDTH = 1200
"""Pixel width of static exports (16:9 slides at scale 1 with DEFAULT_HEIGHT)."""
DEFAULT_HEIGHT = 675
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

INSTALL_CHROMIUM = (
    "static chart export (PNG, SVG, PDF) needs a Chromium for kaleido: install one with "
    "'sudo apt-get install chromium' (Debian/Ubuntu) and, if it is not at /usr/bin/chromium, "
    "set BROWSER_PATH=/path/to/chromium; or run 'plotly_get_chrome' to download Chrome for Testing. "
    "HTML export needs no browser."
)


class _UndecodedBrowserMessage(logging.Filter):
    """Drops choreographer's log of a browser message it could not decode and skipped.

    choreographer (kaleido's browser driver) logs such a message with a full traceback,
    then carries on; seen once here when two notebooks exported charts at the same time
    (2026-11-28). Every file is checked after the export, so a real failure still shows as
    a ChartExportError, while the log line made a successful export look like a failed cell.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("JSONError decoding message")


class ChartExportError(OrgInsightError):
    """A figure could not be written (unknown format, no Chromium for static export, kaleido failure)."""


def format_of(path: str | Path) -> str:
    """The export format named by a file's suffix; raises ChartExportError on an unknown one."""
    suffix = Path(path).suffix.lower().lstrip(".")
    fmt = {"htm": "html", "jpg": "jpeg"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ChartExportError(
            f"cannot export a chart to {Path(path).name!r}: use one of .{', .'.join(FORMATS)}"
        )
    return fmt


def downloaded_chrome() -> str | None:
    """The Chrome for Testing that ``plotly_get_chrome`` (or ``kaleido_get_chrome``) downloaded, if any.

    kaleido's browser driver (choreographer) starts that copy before any other, so it counts as a
    browser even when none is installed on the system.
    """
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return None
    try:
        return Chromium.find_browser(skip_local=False, verify_local=True)
    except (RuntimeError, ValueError):  # verify_local: no downloaded copy
        return None


def find_browser() -> str | None:
    """The Chromium kaleido would start for a static export, or None when there is none.

    ``BROWSER_PATH`` decides when it is set: a path that is not a file means no browser (apart from
    a downloaded Chrome, which kaleido prefers anyway), so a wrong setting is reported rather than
    quietly replaced. Unset, the first of ``CHROMIUM_CANDIDATES``, then a Chromium or Chrome on
    ``PATH``, then the downloaded Chrome. Looks only: changes nothing.
    """
    current = os.environ.get("BROWSER_PATH")
    if current:
        return current if Path(current).is_file() else downloaded_chrome()
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chrome")
    return found or downloaded_chrome()


def why_no_browser() -> str:
    """Why :func:`find_browser` found nothing, in a few words."""
    current = os.environ.get("BROWSER_PATH")
    return (
        f"BROWSER_PATH={current} is not a file"
        if current and not Path(current).is_file()
        else "no Chromium found"
    )


def missing_browser_advice() -> str:
    """Why no browser was found and how to get one (the message of ChartExportError)."""
    current = os.environ.get("BROWSER_PATH")
    if current and not Path(current).is_file():
        return f"{why_no_browser()}: point it at a Chromium or unset it. {INSTALL_CHROMIUM}"
    return INSTALL_CHROMIUM


def missing_browser_note(skipped: str = "static chart images (PNG, SVG)") -> str:
    """One line for a caller that skips static images because no browser is found."""
    return (
        f"Skipped {skipped}: {why_no_browser()}. To get them, install Chromium ('make browser' in a clone "
        "of orginsight, or 'sudo apt-get install chromium') or set BROWSER_PATH, and run again; the HTML "
        "needs no browser."
    )


def ensure_browser() -> str:
    """The Chromium kaleido will use; sets BROWSER_PATH to it when unset.

    Raises ChartExportError saying how to install Chromium when none is found.
    """
    found = find_browser()
    if found is None:
        raise ChartExportError(missing_browser_advice())
    if not os.environ.get("BROWSER_PATH"):
        os.environ["BROWSER_PATH"] = found
    return found


def write_html(fig: go.Figure, path: str | Path, *, include_plotlyjs: bool | str = True) -> Path:
    """A full HTML page for ``fig`` with plotly.js inlined (no CDN), so it opens offline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(
        path,
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        full_html=True,
        config={"displaylogo": False, "responsive": True},
    )
    return path


def export(
    fig: go.Figure,
    path: str | Path,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
) -> Path:
    """Write ``fig`` to ``path``; the suffix (.html, .png, .svg, .pdf) picks the format.

    Static images are ``width`` x ``height`` CSS pixels times ``scale`` (default 1200 x 675).
    """
    fmt = format_of(path)
    if fmt == "html":
        return write_html(fig, path)
    return export_many([(fig, Path(path))], width=width, height=height, scale=scale)[0]


def export_many(
    items: Iterable[tuple[go.Figure, str | Path]],
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
    progress: bool = False,
) -> list[Path]:
    """Write several figures with one Chromium start (kaleido's start-up dominates a single export)."""
    pairs = [(fig, Path(p)) for fig, p in items]
    html = [(f, p) for f, p in pairs if format_of(p) == "html"]
    static = [(f, p) for f, p in pairs if format_of(p) != "html"]
    for f, p in html:
        write_html(f, p)
    if static:
        _write_static(static, width=width, height=height, scale=scale, progress=progress)
    return [p for _, p in pairs]


def _write_static(
    pairs: Sequence[tuple[go.Figure, Path]],
    *,
    width: int | None,
    height: int | None,
    scale: float,
    progress: bool,
) -> None:
    ensure_browser()
    import kaleido
    import logistro  # choreographer's logging: its loggers are of logistro's class
    from kaleido.errors import ChromeNotFoundError

    pipe_log = logistro.getLogger("choreographer.channels.pipe")
    if not any(isinstance(f, _UndecodedBrowserMessage) for f in pipe_log.filters):
        pipe_log.addFilter(_UndecodedBrowserMessage())

    specs = []
    for fig, path in pairs:
        path.parent.mkdir(parents=True, exist_ok=True)
        layout = fig.layout
        specs.append(
            {
                "fig": fig.to_plotly_json(),
                "path": path,
                "opts": {
                    "format": format_of(path),
                    "width": width or layout.width or DEFAULT_WIDTH,
                    "height": height or layout.height or DEFAULT_HEIGHT,
                    "scale": scale,
                },
            }
        )
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), desc="Exporting charts", unit="file")

        def tracked():
            for spec in specs:
                yield spec
                bar.update(1)

        source: Iterable[dict] = tracked()
    else:
        source = specs
    try:
        kaleido.write_fig_from_object_sync(source, kopts={"mathjax": False})
    except ChromeNotFoundError as e:
        raise ChartExportError(missing_browser_advice()) from e
    except Exception as e:  # kaleido raises plain exceptions for a crashed or missing browser
        raise ChartExportError(
            f"kaleido could not write {', '.join(p.name for _, p in pairs[:3])}{' ...' if len(pairs) > 3 else ''}: "
            f"{type(e).__name__}: {e}. {INSTALL_CHROMIUM}"
        ) from e
    finally:
        if progress:
            bar.close()
    missing = [str(p) for _, p in pairs if not p.is_file() or p.stat().st_size == 0]
    if missing:
        raise ChartExportError(f"kaleido wrote nothing to {', '.join(missing)}")
