"""Trino's regexp_replace on the local engine: every match replaced, groups written ``$n``.

The expected values are Trino's, worked out by hand from its documentation (Regular expression
functions) and its implementation (``JoniRegexpFunctions.appendReplacement``); the two marked
"Trino docs" are the documentation's own examples. Each query runs in a real DuckDB after translation.
"""

from __future__ import annotations

import duckdb
import pytest

from orginsight.engines import dialect, translate
from orginsight.errors import QueryError


def run_local(sql: str) -> str:
    """The Athena query translated as the local engine runs it, run in DuckDB; its one value."""
    return duckdb.connect().execute(translate.to_sql(translate.parse(sql), "duckdb")).fetchall()[0][0]


@pytest.mark.parametrize(
    ("call", "trino"),
    [
        (r"regexp_replace('1a 2b 14m', '(\d+)([ab]) ', '3c$2 ')", "3ca 3cb 14m"),  # Trino docs
        (r"regexp_replace('1a 2b 14m', '\d+[ab] ')", "14m"),  # Trino docs: two arguments remove every match
        ("regexp_replace('xabyab', 'a(b)', '$1')", "xbyb"),  # every match, not the first
        ("regexp_replace('abc', '(a)(b)(c)', '$3$2$1')", "cba"),
        ("regexp_replace('ab', 'b', '[$0]')", "a[b]"),  # $0: the whole match
        ("regexp_replace('ab', '(a)', '$12')", "a2b"),  # one group: group 1, then a literal 2
        ("regexp_replace('ac', 'a(b)?c', '[$1]')", "[]"),  # a group that did not take part: empty
        (r"regexp_replace('a1', '(\d)', '\$$1')", "a$1"),  # \$ is a dollar
        (r"regexp_replace('a-b', '-', '\\')", "a\\b"),  # \\ is a backslash
        (r"regexp_replace('a-b', '-', '\t')", "atb"),  # any other escaped character is itself
        ("regexp_replace('a(b)', '[(]([a-z])[)]', '<$1>')", "a<b>"),  # '(' in a class is no group
        (r"regexp_replace('john smith', '(?<first>\w+) (?<last>\w+)', '${last}, ${first}')", "smith, john"),
        ("regexp_replace('price: 5', 'price', 'cost')", "cost: 5"),  # nothing to rewrite
    ],
)
def test_local_engine_gives_trinos_result(call: str, trino: str) -> None:
    assert run_local(f"SELECT {call}") == trino


def test_what_sqlglot_emits_and_what_is_rewritten() -> None:
    tree = translate.parse("SELECT regexp_replace(x, 'a(b)', '$1'), regexp_replace(x, 'a')")
    # sqlglot 30 asks DuckDB for every match and fills the empty replacement, but keeps Trino's '$1'.
    assert tree.sql(dialect="duckdb") == (
        "SELECT REGEXP_REPLACE(x, 'a(b)', '$1', 'g'), REGEXP_REPLACE(x, 'a', '', 'g')"
    )
    assert translate.to_sql(tree, "duckdb") == (
        "SELECT REGEXP_REPLACE(x, 'a(b)', '\\1', 'g'), REGEXP_REPLACE(x, 'a', '', 'g')"
    )
    # Athena keeps Trino's spelling (sqlglot writes the empty replacement out), and the tree is not modified.
    assert translate.to_sql(tree, "athena") == (
        "SELECT REGEXP_REPLACE(x, 'a(b)', '$1'), REGEXP_REPLACE(x, 'a', '')"
    )
    assert tree.sql(dialect="duckdb").startswith("SELECT REGEXP_REPLACE(x, 'a(b)', '$1', 'g')")


def test_a_replacement_that_is_not_a_literal_is_left_alone() -> None:
    sql = "SELECT regexp_replace(x, 'a(b)', y), regexp_replace(x, '(\\w)', v -> upper(v[1]))"
    out = translate.to_sql(translate.parse(sql), "duckdb")
    assert out.startswith("SELECT REGEXP_REPLACE(x, 'a(b)', y, 'g'), ")
    assert "LAMBDA v : UPPER(" in out  # Trino's lambda form: no DuckDB equivalent, passed on as it is


def test_a_pattern_that_is_not_a_literal_takes_one_digit_groups() -> None:
    assert dialect.trino_replacement_to_re2("$12", None) == "\\12"  # RE2: group 1, then "2"
    assert run_local("SELECT regexp_replace('ab', p, '<$1>') FROM (SELECT '(a)' AS p)") == "<a>b"
    with pytest.raises(QueryError, match="only when the pattern is a literal"):
        dialect.trino_replacement_to_re2("${name}", None)


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("a$", "at the end"),
        ("$x", "must be followed by a group number"),
        ("$2", "unknown group 2"),
        ("${nope}", "unknown group"),
        ("a\\", "trailing backslash"),
    ],
)
def test_what_trino_refuses_is_refused(replacement: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        dialect.trino_replacement_to_re2(replacement, [None])


def test_groups_above_nine_cannot_be_written_for_duckdb() -> None:
    pattern = "".join(f"({c})" for c in "abcdefghijkl")
    assert dialect.capture_groups(pattern) == [None] * 12
    with pytest.raises(QueryError, match="groups 0 to 9"):
        dialect.trino_replacement_to_re2("$12", dialect.capture_groups(pattern))
    # With eleven groups, $12 is group 1 then "2", as in Trino.
    assert dialect.trino_replacement_to_re2("$12", [None] * 11) == "\\12"


def test_capture_groups_skip_escapes_classes_quotes_and_non_capturing_groups() -> None:
    pattern = r"(a)(?:b)(?<n>c)[(]\((?=d)(?<=e)\Q(\E(?P<m>f)(?i)(g)"
    assert dialect.capture_groups(pattern) == [None, "n", "m", None]
    assert dialect.re2_pattern(r"(?<n>a)(?<=b)\(?<x>") == r"(?P<n>a)(?<=b)\(?<x>"


def test_the_local_engine_applies_the_rewrite(tmp_path) -> None:
    """Through ``Lake.local``: a hunt's ``$n`` groups come back filled in, not as the text ``$1``."""
    from orginsight.lake import Lake

    (tmp_path / "AWSLogs").mkdir()
    lake = Lake.local(tmp_path)
    got = lake.sql(
        "SELECT regexp_replace('arn:aws:iam::111122223333:user/ci', "
        "'^arn:aws:iam::(\\d+):user/(.*)$', '$2@$1') AS who"
    )
    assert got["who"].tolist() == ["ci@111122223333"]
