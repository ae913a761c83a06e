"""Parameter binding and the partition predicates read from Athena SQL."""

from datetime import date, datetime

import pytest

from orginsight.engines import pruning, translate
from orginsight.errors import ParameterError, QueryError


def bound_sql(sql, **params):
    return translate.bind(translate.parse(sql), params).sql(dialect="athena")


def test_values_are_bound_as_typed_literals_never_as_sql():
    sql = bound_sql("SELECT * FROM cloudtrail WHERE eventname = :n AND errorcode IS NULL", n="x' OR '1'='1")
    assert "eventname = 'x'' OR ''1''=''1'" in sql
    assert bound_sql("SELECT :a, :b, :c, :d", a=3, b=2.5, c=True, d=None) == "SELECT 3, 2.5, TRUE, NULL"
    ts = bound_sql("SELECT :t", t=datetime(2024, 6, 1, 12, 30))
    assert ts == "SELECT CAST('2024-06-01 12:30:00.000' AS TIMESTAMP)"
    assert bound_sql("SELECT :d", d=date(2024, 6, 1)) == "SELECT CAST('2024-06-01' AS DATE)"


def test_lists_expand_inside_in_and_an_empty_list_matches_nothing():
    assert (
        bound_sql("SELECT 1 FROM t WHERE a IN (:xs)", xs=["1", "2"])
        == "SELECT 1 FROM t WHERE a IN ('1', '2')"
    )
    assert bound_sql("SELECT 1 FROM t WHERE a IN (:xs)", xs=[]) == "SELECT 1 FROM t WHERE FALSE"
    assert bound_sql("SELECT cardinality(:xs)", xs=["a"]) == "SELECT CARDINALITY(ARRAY['a'])"


def test_missing_and_unsupported_parameters_are_named():
    with pytest.raises(ParameterError, match="start"):
        bound_sql("SELECT 1 FROM t WHERE x > :start")
    with pytest.raises(ParameterError, match="object"):
        bound_sql("SELECT :o", o=object())


def test_syntax_errors_and_several_statements_are_refused():
    with pytest.raises(QueryError):
        translate.parse("SELEC 1 FROM")
    with pytest.raises(QueryError, match="one SQL statement"):
        translate.parse("SELECT 1; SELECT 2")


def pf(sql, **params):
    tree = translate.bind(translate.parse(sql), params)
    (ref,) = translate.table_refs(tree)
    return pruning.partition_filter(ref)


def test_partition_predicates_on_partition_columns():
    f = pf(
        "SELECT * FROM cloudtrail WHERE account = '111122223333' AND region IN ('eu-west-1', 'us-east-1') "
        "AND timestamp BETWEEN '2024/06/01' AND '2024/06/03'"
    )
    assert f.accounts == {"111122223333"} and f.regions == {"eu-west-1", "us-east-1"}
    assert (f.first_day, f.last_day) == (date(2024, 6, 1), date(2024, 6, 3))
    assert f.has_partition_predicate


@pytest.mark.parametrize(
    "where",
    [
        "eventtime >= '2024-06-10T00:00:00Z' AND eventtime < '2024-06-11T00:00:00Z'",
        "from_iso8601_timestamp(eventtime) BETWEEN :s AND :e",
        "'2024-06-10' <= eventtime AND eventtime <= '2024-06-11'",
    ],
)
def test_eventtime_ranges_prune_with_a_day_of_slack(where):
    f = pf(f"SELECT * FROM cloudtrail WHERE {where}", s=datetime(2024, 6, 10), e=datetime(2024, 6, 11))
    assert (f.first_day, f.last_day) == (date(2024, 6, 9), date(2024, 6, 12))
    assert f.has_eventtime_range and not f.has_partition_predicate


def test_or_and_subquery_predicates_do_not_prune():
    f = pf("SELECT * FROM cloudtrail WHERE account = '1' OR eventtime > '2024-06-01'")
    assert f.accounts is None and f.first_day is None


def test_each_reference_gets_its_own_filter():
    tree = translate.parse(
        "SELECT a.eventname FROM cloudtrail a WHERE a.timestamp = '2024/06/10' AND a.sourceipaddress NOT IN "
        "(SELECT b.sourceipaddress FROM cloudtrail b WHERE b.timestamp BETWEEN '2024/05/01' AND '2024/06/09')"
    )
    filters = [pruning.partition_filter(r) for r in translate.table_refs(tree)]
    assert [(f.first_day, f.last_day) for f in filters] == [
        (date(2024, 6, 10), date(2024, 6, 10)),
        (date(2024, 5, 1), date(2024, 6, 9)),
    ]


def test_partition_conjuncts_are_the_conditions_on_partition_columns_alone():
    tree = translate.parse(
        "SELECT t.eventname FROM cloudtrail AS t WHERE t.\"timestamp\" BETWEEN '2024/06/01' AND '2024/06/03' "
        "AND (account = '1' OR region LIKE 'eu-%') AND t.eventname = 'x' AND (account = '1' OR eventname = 'y') "
        "AND region IN (SELECT region FROM regions) AND t.sourceipaddress NOT IN "
        "(SELECT c.sourceipaddress FROM cloudtrail c JOIN other o ON c.eventid = o.id WHERE c.account = '2')"
    )
    outer, inner = translate.table_refs(tree)
    found = pruning.partition_conjuncts(outer)
    assert [c.sql() for c in found] == [
        "t.\"timestamp\" BETWEEN '2024/06/01' AND '2024/06/03'",
        "account = '1' OR region LIKE 'eu-%'",
    ]
    assert pruning.conjunction_sql(found) == (
        "\"timestamp\" BETWEEN '2024/06/01' AND '2024/06/03' AND (account = '1' OR region LIKE 'eu-%')"
    )
    assert pruning.partition_conjuncts(inner) == []  # joined: kept as written
    pruning.drop_conjuncts(found)
    assert "BETWEEN" not in tree.sql() and "t.eventname = 'x'" in tree.sql()


def test_cost_guard_adds_timestamp_predicates_and_names_full_scans():
    tree = translate.parse(
        "SELECT count(*) FROM cloudtrail WHERE eventtime BETWEEN '2024-06-10' AND '2024-06-11'"
    )
    guarded, notes, unbounded = translate.add_timestamp_predicates(tree)
    assert "\"timestamp\" >= '2024/06/09' AND \"timestamp\" <= '2024/06/12'" in guarded.sql(dialect="athena")
    assert notes and not unbounded
    _, _, unbounded = translate.add_timestamp_predicates(translate.parse("SELECT count(*) FROM cloudtrail"))
    assert unbounded == ["cloudtrail"]


def test_columns_used_limits_what_is_transformed():
    cols = translate.columns_used(
        translate.parse("SELECT useridentity.arn, count(*) FROM cloudtrail WHERE eventname = 'X' GROUP BY 1")
    )
    assert cols == {"useridentity": {("arn",)}, "eventname": None}
    assert translate.columns_used(translate.parse("SELECT * FROM cloudtrail")) is None


def test_struct_paths_prune_the_transform():
    from orginsight.sources.schema import json_spec

    cols = translate.columns_used(
        translate.parse(
            "SELECT c.useridentity.sessioncontext.sessionissuer.arn, useridentity.type, tlsdetails FROM cloudtrail c"
        )
    )
    assert cols == {
        "useridentity": {("sessioncontext", "sessionissuer", "arn"), ("type",)},
        "tlsdetails": None,
    }
    (record,) = json_spec(cols)["Records"]
    assert record["userIdentity"] == {
        "type": "VARCHAR",
        "sessionContext": {"sessionIssuer": {"arn": "VARCHAR"}},
    }
    assert set(record["tlsDetails"]) == {"tlsVersion", "cipherSuite", "clientProvidedHostHeader"}
