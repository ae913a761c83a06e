"""The report's layout file (``templates/report_sections.toml``): every entry drawn by one section, and a
wrong name failing when the section is declared, not as a blank in a report."""

import pytest

from orginsight.outputs.report import SECTIONS
from orginsight.outputs.report.model import ReviewFigures, _layout, declared


def _build(review):
    return None


def test_every_layout_entry_is_one_section_of_the_report():
    names = [s.name for s in SECTIONS]
    assert len(names) == len(set(names))
    assert set(_layout()) <= set(names)


def test_every_figure_drawn_is_a_field_of_the_review_figures():
    fields = set(ReviewFigures.__dataclass_fields__)
    assert {f for s in SECTIONS for f in s.figures} <= fields


def test_a_section_the_layout_lacks_fails_when_declared():
    with pytest.raises(KeyError, match="no section 'nothing'"):
        declared("nothing", _build)


def test_a_figure_that_is_not_a_review_figure_fails_when_declared():
    with pytest.raises(ValueError, match="finding_trnd"):
        declared("config", _build, figures=("finding_trnd",))


def test_figures_named_by_the_build_and_the_layout_both_fail():
    with pytest.raises(ValueError, match="figures twice"):
        declared("findings", _build, figures=("finding_trend",))
