"""The hunt library: headers follow the schema, parameters bind safely, optional filters fold away."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot

from orginsight.analytics import hunts
from orginsight.analytics.hunts import HuntError
from orginsight.errors import ParameterError
from orginsight.lake import Lake

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)

HEADER = """-- ---
-- name: {name}
-- title: A test hunt
-- description: Finds test events for the unit tests.
-- mitre: [T1078.004]
-- severity: low
-- tables: [cloudtrail]
-- parameters:
--   principal: {{type: string, default: null, description: ARN substring}}
-- ---
"""

BODY = """SELECT eventtime, account, eventid FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (:principal IS NULL OR strpos(useridentity.arn, :principal) > 0)
"""


def make(name: str = "test_hunt", body: str = BODY) -> hunts.Hunt:
    return hunts.parse(HEADER.format(name=name) + body, tactic="discovery")


# --- the library as shipped ----------------------------------------------------------------------

ISSUE_COVERAGE = {
    "root user activity": "root_activity",
    "console sign-in without MFA": "console_login_without_mfa",
    "console sign-in failures burst": "console_login_failure_burst",
    "MFA device deactivated or deleted": "mfa_device_deactivated",
    "access key created for another user": "access_key_created_for_other_user",
    "login profile created or changed": "login_profile_created_or_changed",
    "IAM policy granting admin": "admin_policy_granted",
    "UpdateAssumeRolePolicy to an outside account": "role_trust_policy_outside_org",
    "new role trusting an outside account": "new_role_trusting_outside_org",
    "SAML/OIDC provider changes": "identity_provider_changes",
    "CloudTrail tampering": "cloudtrail_tampering",
    "GuardDuty tampering": "guardduty_tampering",
    "Security Hub disabled": "securityhub_disabled",
    "Config disabled": "config_disabled",
    "Macie disabled": "macie_disabled",
    "Access Analyzer disabled": "access_analyzer_or_detective_disabled",
    "VPC flow logs deleted": "vpc_flow_logs_deleted",
    "LeaveOrganization and SCP changes": "organization_tampering",
    "KMS key deletion or policy change": "kms_key_deletion_or_policy_change",
    "S3 bucket made public": "s3_bucket_made_public",
    "S3 public access block removed": "s3_public_access_block_removed",
    "S3 encryption removed": "s3_data_protection_weakened",
    "S3 lifecycle deleting data": "s3_lifecycle_deletion",
    "EBS snapshot shared outside": "ebs_snapshot_shared_outside_org",
    "AMI shared outside": "ami_shared_outside_org",
    "RDS snapshot shared outside": "rds_snapshot_shared_outside_org",
    "EC2 user data changed": "ec2_user_data_modified",
    "GetPasswordData bursts": "get_password_data_burst",
    "SSM SendCommand / StartSession": "ssm_command_or_session",
    "Secrets Manager bulk reads": "secrets_bulk_read",
    "SSM Parameter Store bulk reads": "ssm_parameters_bulk_read",
    "security group opened to 0.0.0.0/0": "security_group_open_to_world",
    "AccessDenied spike": "access_denied_spike",
    "enumeration bursts": "enumeration_burst",
    "never-seen IP for a principal": "new_source_ip_for_principal",
    "never-seen user agent for a principal": "new_user_agent_for_principal",
    "unused regions": "unused_region_activity",
    "instance credentials used outside": "instance_credentials_used_outside",
    "AssumeRole chains across accounts": "cross_account_assume_role_chain",
    "an access key's full activity": "access_key_activity",
    "an IP's full activity": "ip_activity",
}


def test_library_has_forty_valid_hunts_covering_the_issue() -> None:
    library = hunts.list()
    names = {h.name for h in library}
    assert len(library) >= 40
    missing = {what: name for what, name in ISSUE_COVERAGE.items() if name not in names}
    assert not missing


@pytest.mark.parametrize("hunt", hunts.list_hunts(), ids=lambda h: h.name)
def test_every_hunt_is_pasteable_athena_sql(hunt: hunts.Hunt) -> None:
    assert hunt.path.parent.name == hunt.tactic and hunt.path.stem == hunt.name
    sql = hunts.athena_sql(hunt, now=NOW)
    assert ":" + "start" not in sql and "cardinality(ARRAY[])" not in sql.lower()
    sqlglot.parse_one(sql, read="athena")  # what hunt show prints parses back as Athena SQL
    assert re.search(
        r"\"timestamp\" (BETWEEN|>=) '20\d\d/\d\d/\d\d'", sql
    )  # the partition predicate Athena needs


@pytest.mark.parametrize("hunt", hunts.list_hunts(), ids=lambda h: h.name)
def test_every_reference_to_the_trail_is_time_bounded_so_athena_runs_it(hunt: hunts.Hunt) -> None:
    """Athena's cost guard refuses a cloudtrail reference with neither partition nor eventtime range."""
    from orginsight.engines import translate
    from orginsight.lake import Lake

    values = hunts.resolve(hunt, now=NOW)
    bound = translate.bind(hunts.prepare(hunt, values), values)
    _tree, _notes, unbounded = translate.add_timestamp_predicates(bound)
    assert not unbounded
    sql, _ = Lake.athena(s3_output="s3://results/").engine.prepare(hunts.prepare(hunt, values), values)
    assert sql.count("FROM cloudtrail") == len(translate.table_refs(bound))


def test_every_hunt_returns_events_or_groups_of_events(tmp_path: Path) -> None:
    """The output contract ``hunt run --all`` and ``hunt eval`` rely on, checked on an empty lake."""
    lake = Lake.local(tmp_path)
    for hunt in hunts.list_hunts():
        cols = set(hunts.run(lake, hunt, now=NOW).columns)
        events = {"eventtime", "account", "eventid"} <= cols
        groups = {"first_seen", "last_seen", "account", "eventids"} <= cols
        assert events or groups, f"{hunt.name} returns {sorted(cols)}"


def test_queries_folder_is_found_from_the_checkout_and_by_environment(monkeypatch, tmp_path: Path) -> None:
    assert (hunts.queries_dir() / "defense-evasion" / "cloudtrail_tampering.sql").is_file()
    monkeypatch.setenv("ORGINSIGHT_QUERIES", str(tmp_path))
    assert hunts.queries_dir() == tmp_path
    assert hunts.list_hunts() == []


# --- header schema ------------------------------------------------------------------------------


def test_valid_header_parses_into_a_hunt_with_common_parameters() -> None:
    h = make()
    assert (h.name, h.severity, h.mitre, h.tactic) == ("test_hunt", "low", ("T1078.004",), "discovery")
    assert set(h.parameters) == {"start", "end", "accounts", "principal"}  # regions unused, so not listed
    assert h.parameters["principal"].default is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"title": "x" * 5}, "missing required key 'name'"),
        ({"name": "Bad-Name"}, "does not match"),
        ({"severity": "urgent"}, "is not one of"),
        ({"mitre": ["TA0001"]}, "does not match"),
        ({"tables": []}, "at least 1"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"parameters": {"n": {"type": "number", "description": "abc"}}}, "is not one of"),
        ({"parameters": {"n": {"type": "int"}}}, "missing required key 'description'"),
    ],
)
def test_schema_violations_are_named(header: dict, message: str) -> None:
    base = {
        "name": "ok",
        "title": "Title",
        "description": "A description long enough.",
        "mitre": ["T1078"],
        "severity": "low",
        "tables": ["cloudtrail"],
    }
    if "title" in header and "name" not in header:
        base.pop("name")
    errors = hunts.validate({**base, **header})
    assert any(message in e for e in errors), errors


def test_valid_header_has_no_errors() -> None:
    assert (
        hunts.validate(
            {
                "name": "ok",
                "title": "Title",
                "description": "A description long enough.",
                "mitre": ["T1078"],
                "severity": "low",
                "tables": ["cloudtrail"],
            }
        )
        == []
    )


def test_header_schema_is_a_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(hunts.HEADER_SCHEMA)
    assert hunts.HEADER_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_schema_violation_is_reported_at_its_path() -> None:
    header = {
        "name": "ok",
        "title": "Title",
        "description": "A description long enough.",
        "mitre": ["T1078", "TA0001", 7],
        "severity": "low",
        "tables": ["cloudtrail"],
        "parameters": {"n": {"type": "number", "description": "abc"}},
    }
    assert hunts.validate(header) == [
        "header.mitre[1]: 'TA0001' does not match ^T\\d{4}(\\.\\d{3})?$",
        "header.mitre[2]: expected string, got int 7",
        "header.parameters.n.type: 'number' is not one of timestamp, string, int, float, bool, list[string]",
    ]


def test_a_header_that_is_not_a_mapping_names_the_file() -> None:
    with pytest.raises(HuntError, match=r"x\.sql: invalid header:\n  header: missing required key 'name'"):
        hunts.parse("-- ---\n-- - just\n-- - a list\n-- ---\n" + BODY, Path("x.sql"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BODY.replace(":principal", ":who"), "undeclared parameter(s): who"),
        (
            BODY.replace("  AND (:principal IS NULL OR strpos(useridentity.arn, :principal) > 0)\n", ""),
            "never uses: principal",
        ),
        (BODY.replace("BETWEEN :start AND :end", "> '2024-01-01'"), "BETWEEN :start AND :end"),
    ],
)
def test_header_and_sql_must_agree(body: str, message: str) -> None:
    with pytest.raises(HuntError, match=re.escape(message)):
        make(body=body)


def test_missing_header_and_bad_yaml_say_which_file() -> None:
    with pytest.raises(HuntError, match="no metadata header"):
        hunts.parse(BODY, Path("queries/discovery/x.sql"))
    with pytest.raises(HuntError, match="not valid YAML"):
        hunts.parse("-- ---\n-- name: [unclosed\n-- ---\n" + BODY, Path("x.sql"))


def test_file_name_must_match_hunt_name() -> None:
    with pytest.raises(HuntError, match="differs from the file name"):
        hunts.parse(HEADER.format(name="one") + BODY, Path("queries/discovery/two.sql"))


def test_unknown_hunt_suggests_close_names() -> None:
    with pytest.raises(HuntError, match="Did you mean: root_activity"):
        hunts.get("root_activty")


# --- parameters ---------------------------------------------------------------------------------


def test_defaults_resolve_relative_to_now() -> None:
    values = hunts.resolve(make(), now=NOW)
    assert values["start"] == datetime(2024, 5, 25, 12, 0, tzinfo=UTC) and values["end"] == NOW
    assert values["accounts"] == [] and values["principal"] is None


def test_command_line_strings_are_converted_to_typed_values() -> None:
    values = hunts.resolve(
        make(),
        {
            "start": "2024-05-01T00:00:00Z",
            "end": "1h",
            "accounts": "111122223333, 444455556666",
            "principal": "user/alice",
        },
        now=NOW,
    )
    assert values["start"] == datetime(2024, 5, 1, tzinfo=UTC) and values["end"] == datetime(
        2024, 6, 1, 11, 0, tzinfo=UTC
    )
    assert values["accounts"] == ["111122223333", "444455556666"]
    p = hunts.Parameter("n", "int", 5, "a number")
    assert hunts.coerce(p, "7") == 7
    with pytest.raises(ParameterError, match="'n' \\(int\\)"):
        hunts.coerce(p, "seven")
    assert hunts.coerce(hunts.Parameter("b", "bool", False, "flag"), "yes") is True


def test_unknown_parameter_and_reversed_window_are_refused() -> None:
    with pytest.raises(ParameterError, match="no parameter\\(s\\) colour"):
        hunts.resolve(make(), {"colour": "red"}, now=NOW)
    with pytest.raises(ParameterError, match="is after end"):
        hunts.resolve(make(), {"start": "1d", "end": "2d"}, now=NOW)
    with pytest.raises(ParameterError, match="cannot read"):
        hunts.resolve(make(), {"start": "last tuesday"}, now=NOW)


# --- SQL as run ---------------------------------------------------------------------------------


def test_empty_optional_filters_disappear_from_the_sql() -> None:
    sql = hunts.athena_sql(make(), now=NOW)
    assert "cardinality" not in sql.lower() and "IS NULL" not in sql and "strpos" not in sql.lower()
    assert "FROM_ISO8601_TIMESTAMP(eventtime) BETWEEN CAST('2024-05-25 12:00:00.000' AS TIMESTAMP)" in sql


def test_given_filters_become_plain_predicates_with_escaped_literals() -> None:
    sql = hunts.athena_sql(make(), {"accounts": ["111122223333"], "principal": "o'brien"}, now=NOW)
    assert "account IN ('111122223333')" in sql
    assert "STRPOS(useridentity.arn, 'o''brien') > 0" in sql
    assert "cardinality" not in sql.lower()


def test_folding_keeps_the_sql_equivalent(tmp_path: Path) -> None:
    """The same hunt with and without folding returns the same rows (here on an empty lake: same columns)."""
    from orginsight.engines import translate

    hunt = make()
    values = hunts.resolve(hunt, {"accounts": ["111122223333"]}, now=NOW)
    folded = translate.bind(hunts.prepare(hunt, values), values).sql("athena")
    unfolded = translate.bind(translate.parse(hunt.sql), values).sql("athena")
    assert "CARDINALITY" in unfolded and "CARDINALITY" not in folded
    lake = Lake.local(tmp_path)
    assert list(lake.sql(folded).columns) == list(lake.sql(unfolded).columns)


def test_ground_truth_shapes_are_read(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(
        '{"events": [{"eventID": "a", "technique": "T1078.004"}, {"event_id": "b", "techniques": ["T1530"]}],'
        ' "start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"}'
    )
    truth = hunts.load_ground_truth(path)
    assert truth.techniques == {"a": ("T1078.004",), "b": ("T1530",)}
    assert truth.start == datetime(2024, 5, 1, tzinfo=UTC)
    path.write_text('{"steps": [{"technique": "T1098", "event_ids": ["c", "d"]}]}')
    assert hunts.load_ground_truth(path).techniques == {"c": ("T1098",), "d": ("T1098",)}


def test_bool_parameters_used_as_conditions_fold_too() -> None:
    hunt = hunts.get("new_source_ip_for_principal")
    assert "aws-reserved/sso" in hunts.athena_sql(hunt, now=NOW)
    assert "aws-reserved/sso" not in hunts.athena_sql(hunt, {"include_sso": "true"}, now=NOW)


def test_anchored_time_defaults_follow_the_start() -> None:
    values = hunts.resolve(
        hunts.get("lambda_backdoor"), {"start": "2023-07-10", "end": "2023-07-11"}, now=NOW
    )
    assert values["baseline_start"] == datetime(2023, 6, 10, tzinfo=UTC)
