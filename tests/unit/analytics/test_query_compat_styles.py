"""Each table, partition and placeholder style of CloudTrail Athena queries, from the documented formats.

The styles come from AWS's documentation ("Querying AWS CloudTrail logs": the ``cloudtrail_logs`` table,
its manual partitions ``region``/``year``/``month``/``day``, the partition projection example
``cloudtrail_logs_pp`` over ``timestamp`` 'yyyy/MM/dd'; the CloudTrail console's "Create Athena table",
named ``cloudtrail_logs_<bucket>``), Hive's ``dt``, and AWS's documented example values
(``AKIAIOSFODNN7EXAMPLE``, account ``111122223333``), not from any one published set of queries.
"""

from __future__ import annotations

import pytest
from sqlglot import exp, parse_one

from orginsight.analytics import query_compat as qc
from orginsight.engines import pruning
from orginsight.errors import QueryError

# --- tables ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        "cloudtrail_logs",  # AWS's documentation
        "cloudtrail_logs_pp",  # the documentation's partition projection example
        "cloudtrail_logs_amzn_s3_demo_bucket",  # the console's cloudtrail_logs_<bucket>
        "cloudtrail_111122223333",  # a table per account
        "security.cloudtrail_logs",  # db.table
        '"awsdatacatalog"."default"."cloudtrail_logs"',  # catalog.db.table, quoted
        "security.cloudtrail",  # our own table, qualified
    ],
)
def test_known_table_forms_run_on_cloudtrail(table: str) -> None:
    prepared = qc.prepare(f"SELECT eventname FROM {table} t WHERE t.eventsource = 's3.amazonaws.com'")
    assert prepared.sql == "SELECT eventname FROM cloudtrail AS t WHERE t.eventsource = 's3.amazonaws.com'"
    if table != "cloudtrail":
        assert any("ran as cloudtrail" in n for n in prepared.notes)


def test_one_unknown_table_over_cloudtrail_columns_runs_on_cloudtrail_with_a_note() -> None:
    prepared = qc.prepare(
        "SELECT useridentity.arn, count(*) AS n FROM ir_case_42 WHERE eventname = 'ConsoleLogin' "
        "AND errormessage IS NOT NULL GROUP BY useridentity.arn ORDER BY n DESC"
    )
    assert "FROM cloudtrail WHERE" in prepared.sql
    assert prepared.notes == ("unknown table ir_case_42 reads CloudTrail's columns: ran on cloudtrail",)


def test_unknown_tables_that_are_not_cloudtrail_are_left_alone() -> None:
    # columns CloudTrail does not have, and two unknown tables: nothing to guess
    assert "FROM inventory" in qc.prepare("SELECT instance_id FROM inventory").sql
    two = qc.prepare("SELECT a.eventname FROM t1 AS a JOIN t2 AS b ON a.eventid = b.eventid")
    assert "t1" in two.sql and "t2" in two.sql and not two.notes
    # the lake's own tables and CTEs keep their names
    assert "FROM cloudtrail_insights" in qc.prepare("SELECT eventname FROM cloudtrail_insights").sql
    cte = qc.prepare("WITH logins AS (SELECT eventname FROM cloudtrail) SELECT * FROM logins")
    assert "FROM logins" in cte.sql and not cte.notes


def test_tables_maps_names_explicitly() -> None:
    prepared = qc.prepare(
        "SELECT count(*) FROM forensics.trail_copy", tables={"forensics.trail_copy": "cloudtrail"}
    )
    assert prepared.sql == "SELECT COUNT(*) FROM cloudtrail"
    assert prepared.notes == ("table forensics.trail_copy ran as cloudtrail",)


# --- partitions -----------------------------------------------------------------------------------------


def partition_filter(sql: str) -> pruning.PartitionFilter:
    """What partition pruning reads from the prepared query (engines/pruning.py)."""
    tree = parse_one(sql, read="athena")
    return pruning.partition_filter(pruning.table_refs(tree)[0])


@pytest.mark.parametrize(
    "where",
    [
        "year = '2024' AND month = '06' AND day = '01'",  # the documentation's manual partitions (strings)
        "year = 2024 AND month = 6 AND day = 1",  # integer partitions (Glue)
        "year = '2024' AND month = '6' AND day = '1'",  # unpadded strings
        "dt = '2024-06-01'",  # Hive's dt, yyyy-MM-dd
        "dt = '20240601'",  # dt, yyyyMMdd
        "\"date\" = DATE '2024-06-01'",  # a date partition
        "date_partition = '2024/06/01'",  # the security-analytics-bootstrap
    ],
)
def test_day_partition_styles_prune_to_that_day(where: str) -> None:
    from datetime import date

    sql = qc.prepare(f"SELECT eventname FROM cloudtrail_logs WHERE {where}").sql
    pf = partition_filter(sql)
    assert (pf.first_day, pf.last_day) == (date(2024, 6, 1), date(2024, 6, 1)), sql
    assert pf.has_partition_predicate


def test_year_and_month_prune_to_that_month_and_keep_their_meaning() -> None:
    from datetime import date

    sql = qc.prepare(
        "SELECT year, month, count(*) FROM cloudtrail_logs WHERE year = 2024 AND month = 2 GROUP BY 1, 2"
    ).sql
    assert 'SUBSTR("timestamp", 1, 4) AS year' in sql and "SUBSTR(\"timestamp\", 6, 2) = '02'" in sql
    pf = partition_filter(sql)
    assert (pf.first_day, pf.last_day) == (date(2024, 2, 1), date(2024, 2, 29))


def test_year_ranges_and_lists_prune_to_those_years() -> None:
    from datetime import date

    for where in ("year BETWEEN 2023 AND 2024", "year >= '2023' AND year <= '2024'", "year IN (2024, 2023)"):
        pf = partition_filter(qc.prepare(f"SELECT 1 FROM cloudtrail_logs WHERE {where}").sql)
        assert (pf.first_day, pf.last_day) == (date(2023, 1, 1), date(2024, 12, 31)), where


def test_dt_ranges_become_timestamp_ranges() -> None:
    from datetime import date

    sql = qc.prepare("SELECT 1 FROM cloudtrail_logs WHERE dt BETWEEN '2024-06-01' AND '2024-06-07'").sql
    assert "\"timestamp\" BETWEEN '2024/06/01' AND '2024/06/07'" in sql
    pf = partition_filter(sql)
    assert (pf.first_day, pf.last_day) == (date(2024, 6, 1), date(2024, 6, 7))


def test_dt_compared_with_a_computed_day_reads_it_as_yyyy_mm_dd() -> None:
    sql = qc.prepare("SELECT 1 FROM cloudtrail_logs WHERE dt >= date_format(current_date, '%Y-%m-%d')").sql
    assert "REPLACE(\"timestamp\", '/', '-') >=" in sql


def test_a_dt_value_that_is_no_day_is_an_error() -> None:
    with pytest.raises(QueryError, match="dt = '2024-06-01-05'"):
        qc.prepare("SELECT 1 FROM cloudtrail_logs WHERE dt = '2024-06-01-05'")


@pytest.mark.parametrize(
    ("column", "ours"),
    [
        ("account_partition", "account"),
        ("accountid", "account"),
        ("account_id", "account"),
        ("region_partition", "region"),
        ("aws_region", "region"),
    ],
)
def test_account_and_region_partitions_under_other_names(column: str, ours: str) -> None:
    value = "111122223333" if ours == "account" else "eu-west-1"
    sql = qc.prepare(
        f"SELECT {column}, count(*) FROM cloudtrail_logs WHERE {column} = '{value}' GROUP BY {column}",
        placeholders={"111122223333": "123837392027"},
    ).sql
    pf = partition_filter(sql)
    members = pf.accounts if ours == "account" else pf.regions
    assert members == {"123837392027" if ours == "account" else value}
    assert f'"{ours}" AS {column}' in sql


def test_struct_fields_and_real_columns_named_like_partitions_are_not_partitions() -> None:
    # userIdentity.accountId is the caller's account, awsRegion a column of its own; a select alias 'day' too
    sql = qc.prepare(
        "SELECT useridentity.accountid, awsregion, date_trunc('day', from_iso8601_timestamp(eventtime)) AS day "
        "FROM cloudtrail_logs WHERE useridentity.accountid = '123837392027' ORDER BY day"
    ).sql
    assert "useridentity.accountid = '123837392027'" in sql and "awsregion" in sql
    assert '"account"' not in sql and "SUBSTR" not in sql


# --- placeholders and lenient parses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "kind"),
    [
        ("####", "hash marks"),
        ("AKIAxxxxxxxxxxxxxxxx", "x-ed out access key"),
        ("x.x.x.x", "x-ed out IP address"),
        ("arn:aws:iam::xxxxxxxxxxxx:role/admin", "run of x"),
        ("<ACCOUNT_ID>", "name in angle brackets"),
        ("${bucket}", "template variable"),
        ("YOUR_BUCKET", "YOUR_ name"),
        ("START_TIME", "upper-case placeholder name"),
        ("%BUCKET_NAME%", "upper-case placeholder name"),
        ("AKIAIOSFODNN7EXAMPLE", "AWS documentation example"),
        ("111122223333", "AWS documentation example"),
        ("amzn-s3-demo-bucket", "AWS documentation example"),
    ],
)
def test_unfilled_placeholders_are_refused_with_their_position(literal: str, kind: str) -> None:
    sql = f"SELECT eventname\nFROM cloudtrail_logs\nWHERE eventname = 'GetObject' AND x = '{literal}'"
    with pytest.raises(qc.UnfilledPlaceholders) as caught:
        qc.prepare(sql)
    (found,) = caught.value.placeholders
    assert (found.value, found.line, found.column, found.kind) == (literal, 3, 39, kind)
    assert f"line 3, column 39: '{literal}'" in str(caught.value)


def test_every_unfilled_placeholder_is_named() -> None:
    with pytest.raises(qc.UnfilledPlaceholders) as caught:
        qc.prepare(
            "SELECT 1 FROM cloudtrail WHERE sourceipaddress = 'x.x.x.x' OR recipientaccountid = '####'"
        )
    assert [p.value for p in caught.value.placeholders] == ["x.x.x.x", "####"]


def test_given_values_fill_placeholders_and_real_values_pass() -> None:
    sql = qc.prepare(
        "SELECT 1 FROM cloudtrail WHERE sourceipaddress = 'x.x.x.x' AND useridentity.arn LIKE '%<USER>%'",
        placeholders={"x.x.x.x": "203.0.113.9", "<USER>": "alice"},
    ).sql
    assert "'203.0.113.9'" in sql and "LIKE '%alice%'" in sql
    # values that are no placeholders: enum-like upper case, ids, IPs, key specs
    qc.prepare(
        "SELECT 1 FROM cloudtrail WHERE eventname = 'ConsoleLogin' AND errorcode = 'AccessDenied' "
        "AND json_extract_scalar(requestparameters, '$.keySpec') = 'SYMMETRIC_DEFAULT' "
        "AND sourceipaddress = '198.51.100.7' AND recipientaccountid = '123837392027'"
    )


def test_a_missing_comma_in_an_in_list_is_an_error() -> None:
    with pytest.raises(QueryError, match=r"line 2, column \d+: string literals side by side .*missing comma"):
        qc.prepare(
            "SELECT eventname FROM cloudtrail\nWHERE eventname IN ('StopLogging' 'DeleteTrail', 'UpdateTrail')"
        )


def test_statements_of_a_file_keep_their_lines() -> None:
    text = (
        "-- a; comment\nCREATE EXTERNAL TABLE t (eventname string);\n\nSELECT ';' AS s\nFROM t;\n  -- end\n"
    )
    assert [(s.sql, s.line) for s in qc.statements(text)] == [
        ("CREATE EXTERNAL TABLE t (eventname string)", 2),
        ("SELECT ';' AS s\nFROM t", 4),
    ]
    assert isinstance(parse_one(qc.prepare("SELECT 1 FROM cloudtrail").sql, read="athena"), exp.Select)
