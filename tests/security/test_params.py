"""Hostile case: ``--param`` typing. A value keeps the meaning the analyst typed, and non-finite numbers are refused.

Before, ``orginsight sql --param`` turned anything that read as a number into a number, so account
``012345678901`` was bound as ``12345678901`` and matched nothing, silently; ``nan``, ``inf`` and
``1e999`` (which overflows to ``inf``) reached the SQL as numbers no comparison means. Here:

- ``NAME=VALUE`` is text, on ``orginsight sql`` and on hunts alike; only ``NAME:TYPE=VALUE`` (sql) or
  the hunt header's declared type converts it;
- a leading zero survives the command line's parse path and a hunt run on a small local lake whose
  only account is ``012345678901``;
- ``nan``, ``inf``, ``-inf`` and ``1e999`` are refused for every numeric type, with an error that
  names the parameter, and nothing runs.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from orginsight import cli
from orginsight.analytics import hunts
from orginsight.errors import ParameterError
from orginsight.sources.layout import cloudtrail_key

ACCOUNT = "012345678901"
"""An account id with a leading zero: as a number it would be 12345678901, another (impossible) id."""
REGION = "eu-west-1"
DAY = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
WINDOW = ["--since", "2026-01-10", "--until", "2026-01-11"]
NON_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999"]


def record(i: int) -> dict:
    """One CloudTrail record of ``ACCOUNT``'s user alice, ``i`` minutes into ``DAY``."""
    return {
        "eventVersion": "1.08",
        "eventTime": (DAY + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.10",
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEALICE0001",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAEXAMPLEALICE0001",
            "userName": "alice",
        },
        "eventID": str(uuid.UUID(int=i + 1)),
        "eventType": "AwsApiCall",
        "readOnly": True,
        "recipientAccountId": ACCOUNT,
        "managementEvent": True,
        "eventCategory": "Management",
    }


@pytest.fixture(scope="module")
def zero_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake whose one account is ``012345678901``: three records, written in the trail's own key layout."""
    root = tmp_path_factory.mktemp("zero-lake")
    path = root / cloudtrail_key(ACCOUNT, REGION, DAY, suffix="ZEROTEST")
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": [record(i) for i in range(3)]}).encode()))
    return root


# --- orginsight sql: the parse path ----------------------------------------------------------------


@pytest.mark.parametrize("value", [ACCOUNT, "5", "1.5", "1e3", "nan", "inf", "true", "a,b", "2026-01-01"])
def test_untyped_values_stay_exactly_the_text_typed(value: str) -> None:
    assert cli.parse_params([f"v={value}"]) == {"v": value}


def test_explicit_types_convert() -> None:
    params = cli.parse_params(
        [
            f"account:string={ACCOUNT}",
            "n:int=5",
            "x:float=2.5",
            "flag:bool=yes",
            "t:timestamp=2026-01-01T02:00:00+02:00",
            "naive:timestamp=2026-01-01T00:00:00",
            "d:date=2026-01-31",
            "ids:list=a, b,,c",
            "ns:list[int]=1,2",
            "expr=a=b:c",
        ]
    )
    assert params == {
        "account": ACCOUNT,
        "n": 5,
        "x": 2.5,
        "flag": True,
        "t": datetime(2026, 1, 1, tzinfo=UTC),
        "naive": datetime(2026, 1, 1, tzinfo=UTC),
        "d": date(2026, 1, 31),
        "ids": ["a", "b", "c"],
        "ns": [1, 2],
        "expr": "a=b:c",
    }
    assert params["t"].tzinfo is UTC and type(params["n"]) is int


@pytest.mark.parametrize("kind", ["int", "float", "list[float]", "list[int]"])
@pytest.mark.parametrize("value", NON_FINITE)
def test_non_finite_numbers_are_refused_naming_the_parameter(kind: str, value: str) -> None:
    with pytest.raises(ParameterError, match="parameter 'threshold'"):
        cli.parse_params([f"threshold:{kind}={value}"])


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("n:int=5.5", "not a whole number"),
        ("n:int=99999999999999999999", "64-bit"),
        ("n:bool=maybe", "n:bool"),
        ("n:date=tomorrow", "n:date"),
        ("n:timestamp=last tuesday", "n:timestamp"),
        ("n:number=5", "unknown type"),
        ("n:=5", "no type after"),
        ("=5", "names no parameter"),
        ("n", "NAME=VALUE"),
    ],
)
def test_bad_typed_values_are_refused_with_what_to_write(pair: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        cli.parse_params([pair])


def test_sql_keeps_the_leading_zero_end_to_end(zero_lake: Path, capsys) -> None:
    sql = "SELECT account, count(*) AS n FROM cloudtrail WHERE account = :account GROUP BY 1"
    code = cli.main(
        ["sql", sql, "--param", f"account={ACCOUNT}", "--lake", str(zero_lake), "--format", "csv"]
    )
    assert code == 0
    assert capsys.readouterr().out.split() == ["account,n", f"{ACCOUNT},3"]


def test_sql_typed_parameters_run_end_to_end(zero_lake: Path, capsys) -> None:
    sql = (
        "SELECT count(*) AS n FROM cloudtrail WHERE account IN (:accounts) "
        "AND from_iso8601_timestamp(eventtime) >= :t HAVING count(*) >= :at_least"
    )
    args = ["--param", f"accounts:list={ACCOUNT}", "--param", "t:timestamp=2026-01-10T09:01:00Z"]
    code = cli.main(
        ["sql", sql, *args, "--param", "at_least:int=2", "--lake", str(zero_lake), "--format", "csv"]
    )
    assert code == 0 and capsys.readouterr().out.split() == ["n", "2"]


def test_sql_refuses_a_non_finite_parameter_and_runs_nothing(zero_lake: Path, capsys) -> None:
    code = cli.main(["sql", "SELECT :limit AS x", "--param", "limit:float=1e999", "--lake", str(zero_lake)])
    captured = capsys.readouterr()
    assert code == 1 and "parameter 'limit'" in captured.err and "finite" in captured.err
    assert captured.out == ""


# --- hunts: typed by their header ------------------------------------------------------------------


def test_hunt_run_keeps_the_leading_zero_of_a_string_and_a_list_parameter(zero_lake: Path, capsys) -> None:
    args = ["hunt", "run", "principal_activity", "--lake", str(zero_lake), *WINDOW, "--format", "csv"]
    code = cli.main([*args, "--param", f"principal={ACCOUNT}", "--param", f"accounts={ACCOUNT}"])
    out = capsys.readouterr().out
    assert code == 0
    rows = out.strip().splitlines()[1:]
    assert len(rows) == 3 and all(f"arn:aws:iam::{ACCOUNT}:user/alice" in r for r in rows)


def test_hunt_show_binds_a_string_parameter_as_text() -> None:
    sql = hunts.athena_sql(
        hunts.get("principal_activity"),
        cli.parse_hunt_params([f"principal={ACCOUNT}", f"accounts={ACCOUNT}"]),
    )
    assert f"STRPOS(useridentity.arn, '{ACCOUNT}') > 0" in sql and f"account IN ('{ACCOUNT}')" in sql


def test_a_string_parameter_refuses_a_number_that_lost_its_zero() -> None:
    hunt = hunts.get("principal_activity")
    with pytest.raises(ParameterError, match="parameter 'principal' \\(string\\) takes text"):
        hunts.resolve(hunt, {"principal": 12345678901})
    with pytest.raises(ParameterError, match="parameter 'accounts' \\(list\\[string\\]\\) takes text"):
        hunts.resolve(hunt, {"principal": "alice", "accounts": [12345678901]})


def test_a_hunt_header_whose_string_default_yaml_reads_as_a_number_is_refused() -> None:
    text = (
        "-- ---\n-- name: zero_default\n-- title: Zero default\n-- description: A default YAML reads as octal.\n"
        "-- mitre: [T1078]\n-- severity: low\n-- tables: [cloudtrail]\n-- parameters:\n"
        "--   principal: {type: string, default: 0123, description: principal}\n-- ---\n"
        "SELECT eventtime, account, eventid FROM cloudtrail\n"
        "WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end AND strpos(useridentity.arn, :principal) > 0"
    )
    with pytest.raises(hunts.HuntError, match="default of parameter 'principal' is invalid.*takes text"):
        hunts.parse(text, tactic="discovery")


@pytest.mark.parametrize("value", NON_FINITE)
def test_hunt_int_parameter_refuses_non_finite_values(value: str) -> None:
    hunt = hunts.get("get_password_data_burst")
    with pytest.raises(ParameterError, match="parameter 'min_calls' \\(int\\)"):
        hunts.resolve(hunt, {"min_calls": value})


@pytest.mark.parametrize("value", [*NON_FINITE, float("nan"), float("inf"), float("-inf")])
def test_hunt_float_parameter_refuses_non_finite_values(value: object) -> None:
    p = hunts.Parameter("ratio", "float", 0.5, "a ratio")
    with pytest.raises(ParameterError, match="parameter 'ratio' \\(float\\)"):
        hunts.coerce(p, value)
    assert hunts.coerce(p, "0.25") == 0.25


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2.5, True])
def test_hunt_int_parameter_refuses_python_values_that_are_not_whole_numbers(value: object) -> None:
    with pytest.raises(ParameterError, match="parameter 'n' \\(int\\)"):
        hunts.coerce(hunts.Parameter("n", "int", 5, "a number"), value)


def test_hunt_run_refuses_a_non_finite_parameter_on_the_command_line(zero_lake: Path, capsys) -> None:
    args = ["hunt", "run", "get_password_data_burst", "--lake", str(zero_lake), *WINDOW]
    assert cli.main([*args, "--param", "min_calls=inf"]) == 1
    assert "parameter 'min_calls' (int)" in capsys.readouterr().err


def test_hunt_parameters_take_no_command_line_type(capsys) -> None:
    assert cli.main(["hunt", "show", "principal_activity", "--param", "principal:int=5"]) == 1
    assert "typed by its header" in capsys.readouterr().err


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_the_python_api_refuses_a_non_finite_number_instead_of_writing_a_bare_word(
    zero_lake: Path, value
) -> None:
    # sqlglot writes nan/inf as bare words, which SQL reads as column names (a table with such a column
    # would have been compared against it).
    from orginsight import Lake

    with pytest.raises(ParameterError, match="non-finite"):
        Lake.local(zero_lake).sql("SELECT count(*) AS n FROM cloudtrail WHERE eventversion > :x", x=value)
