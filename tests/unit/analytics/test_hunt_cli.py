"""The hunt and sigma commands: thin wrappers that print what the library returns."""

from __future__ import annotations

from pathlib import Path

from orginsight import cli


def test_hunt_list_names_every_hunt(capsys) -> None:
    assert cli.main(["hunt", "list", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hunt,tactic,severity,mitre,title,parameters")
    assert "cloudtrail_tampering,defense-evasion,critical,T1562.008" in out


def test_hunt_show_prints_bound_pasteable_sql(capsys) -> None:
    assert (
        cli.main(
            [
                "hunt",
                "show",
                "access_key_activity",
                "--param",
                "access_key=AKIAEXAMPLE",
                "--param",
                "start=2024-06-01",
                "--param",
                "end=2024-06-02",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "useridentity.accesskeyid = 'AKIAEXAMPLE'" in out
        and ":access_key" not in out
        and out.rstrip().endswith(";")
    )


def test_hunt_show_takes_the_shared_filters(capsys) -> None:
    argv = [
        "hunt",
        "show",
        "access_key_activity",
        "--param",
        "access_key=AKIAEXAMPLE",
        "--since",
        "2024-06-01",
    ]
    assert cli.main([*argv, "--until", "2024-06-02", "--account", "012345678901,111122223333"]) == 0
    out = capsys.readouterr().out
    assert "account IN ('012345678901', '111122223333')" in out and "2024-06-01" in out


def test_hunt_errors_exit_cleanly(capsys, tmp_path: Path) -> None:
    assert cli.main(["hunt", "show", "no_such_hunt"]) == 1  # the library's error
    assert "no hunt named" in capsys.readouterr().err
    assert cli.main(["hunt", "show", "ip_activity", "--param", "colour=red"]) == 1
    assert "no parameter(s) colour" in capsys.readouterr().err
    assert cli.main(["hunt", "run", "--lake", str(tmp_path)]) == 2  # bad usage
    assert "name one hunt, or pass --all" in capsys.readouterr().err


def test_sigma_print_without_a_lake(tmp_path: Path, capsys) -> None:
    rule = tmp_path / "stop.yml"
    rule.write_text(
        "title: Stop\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n"
        "    sel:\n        eventName: StopLogging\n    condition: sel\nlevel: high\n"
    )
    assert cli.main(["sigma", str(rule), "--since", "2024-06-01", "--until", "2024-06-02"]) == 0
    out = capsys.readouterr().out
    assert "-- stop.yml: Stop" in out and "LOWER(eventname) = 'stoplogging'" in out
    assert "CAST('2024-06-01 00:00:00.000' AS TIMESTAMP)" in out
