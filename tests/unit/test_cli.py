"""The command line is a thin, documented layer: every command has help with an example and is in the README,
the shared options mean the same in every command, and the exit code tells a library error (1) from bad usage (2)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest
from conftest import ddl_argv

from orginsight import cli
from orginsight.cli import options
from orginsight.cli.collect import days_since

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for name, child in subs[0].choices.items():
        yield from leaf_commands(child, (*prefix, name))


COMMANDS = list(leaf_commands(cli.build_parser()))
BY_NAME = {" ".join(path): parser for path, parser in COMMANDS}


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings}


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_an_example_and_a_readme_mention(path, parser):
    assert parser.description, f"orginsight {' '.join(path)} has no description"
    assert "example" in (parser.epilog or ""), f"orginsight {' '.join(path)} --help shows no example"
    assert f"orginsight {' '.join(path)}" in README, f"README does not mention 'orginsight {' '.join(path)}'"


@pytest.mark.parametrize("command", ["sql", "hunt run", "hunt eval", "sigma", "triage", "report posture"])
def test_every_command_that_queries_takes_a_local_lake_and_the_athena_options(command):
    athena = {
        "--athena-database",
        "--athena-table",
        "--workgroup",
        "--s3-output",
        "--athena-region",
        "--profile",
    }
    assert {"--lake", *athena, "--allow-full-scan"} <= option_strings(BY_NAME[command])


def test_no_command_keeps_an_inconsistent_spelling():
    retired = {"--accounts", "--regions", "--since-days", "--formats", "--no-png", "--database", "--table"}
    for name, parser in BY_NAME.items():
        assert not option_strings(parser) & retired, (
            f"orginsight {name} still takes {option_strings(parser) & retired}"
        )
        if "--out" in option_strings(parser):
            out = next(a for a in parser._actions if "--out" in a.option_strings)
            assert out.metavar == "DIR", f"orginsight {name} --out is not a folder"


SHARED_OPTIONS = [
    options.LAKE,
    options.CACHE_DIR,
    options.OUT_DIR,
    options.ORG_ID,
    options.PROFILE,
    options.ATHENA_DATABASE,
    options.ATHENA_TABLE,
]


@pytest.mark.parametrize("shared", SHARED_OPTIONS, ids=[o.flag for o in SHARED_OPTIONS])
def test_a_shared_option_takes_the_same_value_in_every_command(shared):
    """Only its help, default and whether it is required may differ from one command to the next."""
    spelled = {k: v for k, v in shared.settings.items() if k not in {"help", "default"}}
    takers = 0
    for name, parser in BY_NAME.items():
        for action in (a for a in parser._actions if shared.flag in a.option_strings):
            takers += 1
            for setting, value in spelled.items():
                assert getattr(action, setting) == value, f"orginsight {name} {shared.flag}: {setting}"
    assert takers >= 2, f"{shared.flag} is taken by one command: declare it there"


def test_account_and_region_are_repeatable_and_take_comma_lists():
    args = cli.build_parser().parse_args(
        [
            "hunt",
            "run",
            "x",
            "--account",
            "111122223333",
            "--account",
            "222233334444,333344445555",
            "--region",
            "eu-west-1,us-east-1",
        ]
    )
    assert args.account == ["111122223333", "222233334444", "333344445555"]
    assert args.region == ["eu-west-1", "us-east-1"]


def test_the_cli_names_the_chart_formats_the_exporter_takes():
    from orginsight.outputs.charts.export import FORMATS

    assert set(options.CHART_FORMATS) == set(FORMATS)


def test_collect_since_is_a_time_like_everywhere_else():
    from datetime import datetime

    now = datetime(2026, 11, 27, 12)
    assert days_since("7d", now) == 7 and days_since("2026-11-26T00:00:00Z", now) == 1.5
    assert days_since("all", now) is None


def test_library_errors_exit_1_with_a_message(tmp_path, capsys):
    code = cli.main(["sql", "SELECT 1", "--lake", str(tmp_path / "missing")])
    assert code == 1
    assert "no lake at" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["report", "posture", "--lake", "x", "--out", "y", "--formats", "png"],
            "unrecognized arguments: --formats",
        ),
        (["lake", "generate", "--lake", "x", "--accounts", "12"], "unrecognized arguments: --accounts"),
        (
            ["hunt", "run", "cloudtrail_tampering", "--lake", "x", "--since", "last week"],
            "cannot read 'last week'",
        ),
        (["report", "posture", "--lake", "x", "--out", "y", "--format", "gif"], "'gif' is not one of"),
        (["sql", "SELECT 1"], "name a lake: --lake DIR (local) or --athena-database DB"),
        (["sql", "SELECT 1", "--lake", "x", "--athena-database", "db"], "name one lake"),
        (["hunt", "eval", "--athena-database", "db"], "on Athena, name the ground truth"),
    ],
)
def test_bad_usage_exits_2_with_the_usage(argv, message, capsys, monkeypatch):
    monkeypatch.setattr(options.Lake, "athena", classmethod(lambda cls, **kw: object()))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "usage: orginsight" in err and message in err


def test_the_athena_options_open_an_athena_lake(monkeypatch):
    opened = {}
    monkeypatch.setattr(options.Lake, "athena", classmethod(lambda cls, **kw: opened.update(kw) or "lake"))
    args = cli.build_parser().parse_args(
        [
            "triage",
            "AKIAEXAMPLE",
            "--out",
            "case",
            "--athena-database",
            "security",
            "--workgroup",
            "wg",
            "--athena-region",
            "eu-west-1",
            "--s3-output",
            "s3://results/",
            "--profile",
            "sec",
            "--trail-location",
            "s3://org-trail/AWSLogs/o-a1b2c3d4e5/",
        ]
    )
    assert options.open_lake(args) == "lake"
    assert opened == {
        "database": "security",
        "table": "cloudtrail",
        "workgroup": "wg",
        "s3_output": "s3://results/",
        "region": "eu-west-1",
        "profile": "sec",
        "allow_full_scan": False,
        "trail_location": "s3://org-trail/AWSLogs/o-a1b2c3d4e5/",
    }


def test_report_posture_on_athena_says_it_reads_a_local_folder(tmp_path, capsys):
    argv = ["report", "posture", "--athena-database", "security", "--out", str(tmp_path / "review")]
    assert cli.main(argv) == 1
    assert "reads a local lake folder" in capsys.readouterr().err


def test_ddl_takes_accounts_and_regions_like_every_command(capsys):
    argv = ddl_argv("111122223333,222233334444", "eu-west-1", "--athena-database", "security")
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "111122223333,222233334444" in out and "'eu-west-1'" in out and "security.cloudtrail" in out


def test_sql_command_prints_results_and_stats(real_lake, capsys):
    code = cli.main(
        [
            "sql",
            "SELECT count(*) AS n FROM cloudtrail WHERE eventname = :e",
            "--param",
            "e=StopLogging",
            "--lake",
            str(real_lake),
            "--format",
            "csv",
        ]
    )
    out = capsys.readouterr()
    assert code == 0 and out.out.strip().splitlines() == ["n", "3"] and "file(s)" in out.err


def test_a_table_goes_to_an_output_file_and_parquet_needs_one(real_lake, tmp_path, capsys):
    query = [
        "sql",
        "SELECT count(*) AS n FROM cloudtrail WHERE eventname = 'StopLogging'",
        "--lake",
        str(real_lake),
    ]
    assert cli.main([*query, "--format", "parquet", "--output-file", str(tmp_path / "n.parquet")]) == 0
    assert pd.read_parquet(tmp_path / "n.parquet")["n"].tolist() == [3]
    assert cli.main([*query, "--format", "parquet"]) == 2
    assert "--format parquet needs --output-file FILE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "regions", "since_days"),
    [
        ([], "all", 30),
        (
            ["--region", "eu-west-1", "--region", "us-east-1,us-west-2", "--since", "7d"],
            ["eu-west-1", "us-east-1", "us-west-2"],
            7,
        ),
        (["--region", "all", "--since", "all"], "all", None),
    ],
)
def test_collect_reads_region_and_since_as_every_command_does(argv, regions, since_days, monkeypatch, capsys):
    import orginsight.collectors.run as run

    seen = {}

    class Result:
        def summary(self) -> str:
            return "collected"

    monkeypatch.setattr(run, "collect", lambda collector, out, **kw: seen.update(kw) or Result())
    assert cli.main(["collect", "guardduty", "--home-region", "eu-west-1", *argv]) == 0
    assert seen["regions"] == regions and seen["region"] == "eu-west-1"
    assert (
        seen["since_days"] == pytest.approx(since_days, abs=1e-3)
        if since_days
        else seen["since_days"] is None
    )


def test_a_commands_help_is_its_docstring_listed_line_description_and_examples():
    from orginsight.cli.command import CommandHelp

    text = CommandHelp(
        """count the files

        Count the lake's files
        by account.

        orginsight lake info --lake demo-lake
        orginsight sql "SELECT 1"
            --lake demo-lake
        """
    )
    assert text.listed == "count the files"
    assert text.description == "Count the lake's files by account."
    assert text.examples == [
        "orginsight lake info --lake demo-lake",
        'orginsight sql "SELECT 1" --lake demo-lake',
    ]
    with pytest.raises(ValueError, match="each starting"):
        CommandHelp("count\n\nCount.\n\nlake info --lake x")
    with pytest.raises(ValueError, match="a line, a description and examples"):
        CommandHelp("Count the lake's files.")
