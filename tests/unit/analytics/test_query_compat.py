"""Published Athena queries mapped onto the cloudtrail table by one documented mapping."""

from __future__ import annotations

import pytest

from orginsight.analytics import query_compat as qc
from orginsight.errors import OrgInsightError


def test_table_name_is_mapped_and_alias_kept() -> None:
    sql = qc.adapt("SELECT ct.eventname FROM cloudtrail_logs ct WHERE ct.eventname = 'X'")
    assert sql == "SELECT ct.eventname FROM cloudtrail AS ct WHERE ct.eventname = 'X'"


def test_bootstrap_partition_columns_become_ours() -> None:
    sql = qc.adapt(
        "SELECT region_partition, count(*) FROM cloudtrail WHERE account_partition = '111122223333' "
        "AND date_partition >= '2021/07/01' GROUP BY region_partition"
    )
    assert (
        '"region"' in sql and "\"account\" = '123837392027'" in sql and "\"timestamp\" >= '2021/07/01'" in sql
    )


def test_dotted_access_into_json_string_columns_becomes_json_extraction() -> None:
    sql = qc.adapt(
        "SELECT ct.requestParameters.key FROM cloudtrail_logs ct "
        "WHERE requestParameters.bucketName = 'b' AND additionalEventData.bytesTransferredOut > 1"
    )
    assert "JSON_EXTRACT_SCALAR(ct.requestparameters, '$.key')" in sql
    assert "JSON_EXTRACT_SCALAR(requestparameters, '$.bucketName') = 'b'" in sql
    assert "JSON_EXTRACT_SCALAR(additionaleventdata, '$.bytesTransferredOut')" in sql


def test_placeholders_are_replaced_also_inside_like_patterns() -> None:
    sql = qc.adapt(
        "SELECT 1 FROM cloudtrail_logs WHERE eventTime BETWEEN 'START_TIME' AND 'END_TIME' "
        "AND userIdentity.arn LIKE '%SUSPECTED_PRINCIPAL%'",
        {"SUSPECTED_PRINCIPAL": "user/eve"},
    )
    assert "BETWEEN '2023-07-10T00:00:00Z' AND '2023-07-11T00:00:00Z'" in sql
    assert "LIKE '%user/eve%'" in sql


def test_like_pattern_is_filled_in_one_pass_on_the_literal() -> None:
    sql = qc.adapt(
        "SELECT 1 FROM cloudtrail_logs WHERE userIdentity.arn LIKE '%SUSPECTED_PRINCIPAL%'",
        {"SUSPECTED_PRINCIPAL": "arn:aws:iam::111122223333:user/o'brien"},
    )
    # the account id inside the given value is not itself a placeholder to fill, and the quote is escaped
    assert "LIKE '%arn:aws:iam::111122223333:user/o''brien%'" in sql
    assert (
        qc.fill_like_pattern(
            "%SUSPECT_PRINCIPAL%SUSPECTED_PRINCIPAL%", {"SUSPECT_PRINCIPAL": "a", "SUSPECTED_PRINCIPAL": "b"}
        )
        == "%a%b%"
    )


def test_statement_kinds() -> None:
    assert qc.statement_kind("SELECT 1") == "query"
    assert qc.statement_kind("CREATE TABLE t WITH (format = 'ORC') AS SELECT 1") == "ddl"
    assert qc.statement_kind("INSERT INTO t SELECT 1") == "dml"


def test_unparseable_sql_says_so() -> None:
    with pytest.raises(OrgInsightError, match="cannot parse"):
        qc.adapt("SELECT FROM WHERE (")
