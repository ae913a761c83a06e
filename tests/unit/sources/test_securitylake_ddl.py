"""``orginsight ddl --security-lake``: the view that presents Security Lake's CloudTrail as ``cloudtrail``."""

from __future__ import annotations

import sqlglot

from orginsight.cli import main
from orginsight.sources import securitylake


def test_the_view_is_printed_for_a_region_and_parses_as_athena_sql(capsys) -> None:
    assert main(["ddl", "--security-lake", "eu-west-1"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(
        'CREATE OR REPLACE VIEW "amazon_security_lake_glue_db_eu_west_1"."cloudtrail" AS'
    )
    assert securitylake.glue_table("eu-west-1") in printed
    view = sqlglot.parse_one(printed.rstrip().rstrip(";"), read="athena")
    select = view.find(sqlglot.exp.Select)
    assert {c.alias_or_name for c in select.expressions} >= {
        "eventtime",
        "eventname",
        "useridentity",
        "account",
    }


def test_without_security_lake_the_trail_needs_its_bucket_and_org_id(capsys) -> None:
    assert main(["ddl", "--org-id", "o-a1b2c3d4e5", "--account", "111122223333"]) == 2
    assert "--bucket" in capsys.readouterr().err
