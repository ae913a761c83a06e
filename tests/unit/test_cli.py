"""The command line is a thin, documented layer: every command has help with an example and is in the README."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from orginsight import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for name, child in subs[0].choices.items():
        yield from leaf_commands(child, (*prefix, name))


COMMANDS = list(leaf_commands(cli.build_parser()))


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_an_example_and_a_readme_mention(path, parser):
    assert parser.description, f"orginsight {' '.join(path)} has no description"
    assert "example" in (parser.epilog or ""), f"orginsight {' '.join(path)} --help shows no example"
    assert f"orginsight {' '.join(path)}" in README, f"README does not mention 'orginsight {' '.join(path)}'"


def test_library_errors_exit_cleanly_with_a_message(tmp_path, capsys):
    code = cli.main(["sql", "SELECT 1", "--lake", str(tmp_path / "missing")])
    assert code == 2
    assert "no lake at" in capsys.readouterr().err


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
