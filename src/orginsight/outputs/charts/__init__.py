"""Plotly charts with one theme, and export to HTML, PNG, SVG and PDF.

Every figure function returns a ``plotly.graph_objects.Figure`` and never shows it.
"""

from __future__ import annotations

from orginsight.outputs.charts.export import export
from orginsight.outputs.charts.theme import register

register()

__all__ = ["export", "register"]
