"""The six service sections of the posture review over a lake of collector snapshots.

Each snapshot is the collector's own tables (``SERVICE.frames``) over recorded boto3-shaped responses from
tests/data/aws, written with ``write_snapshot`` at three times, with the drift between them made on the
responses or the rows: a rule fixed, a critical CVE opened, a bucket shared outside, a check in error.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pandas as pd
import pytest
from data.aws import accessanalyzer as aa_data
from data.aws import config as config_data
from data.aws import inspector as inspector_data
from data.aws import macie as macie_data
from data.aws import ssm as ssm_data
from data.aws import trustedadvisor as ta_data

from orginsight.collectors.accessanalyzer import ACCESSANALYZER
from orginsight.collectors.config import CONFIG
from orginsight.collectors.inspector import INSPECTOR
from orginsight.collectors.macie import MACIE
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.snapshots import write_snapshot
from orginsight.collectors.ssm import SSM
from orginsight.collectors.trustedadvisor import TRUSTEDADVISOR
from orginsight.outputs.report import SECTIONS, build_posture_review, render_html
from orginsight.outputs.report import services as service_sections

TIMES = [
    datetime(2026, 10, 15, tzinfo=UTC),
    datetime(2026, 11, 5, tzinfo=UTC),
    datetime(2026, 11, 20, tzinfo=UTC),
]
END = "2026-11-30T00:00:00Z"
ACCOUNT = "222222222222"
REGION = "us-east-1"
BUCKET1 = "arn:aws:s3:::amzn-s3-demo-bucket1"


def config_frames(step: int) -> dict[str, pd.DataFrame]:
    details = config_data.details_by_target(config_data.real_evaluation_results())
    if step > 0:  # custodian-dev fixed everywhere after the first snapshot
        details = {k: v for k, v in details.items() if k[0] != "custodian-dev"}
    recording = ApiRecording()
    for page in config_data.describe_aggregate_compliance_by_config_rules(details):
        recording.add(
            "config",
            REGION,
            "describe_aggregate_compliance_by_config_rules",
            {"ConfigurationAggregatorName": config_data.AGGREGATOR},
            page,
        )
    return CONFIG.frames(recording, None)


def inspector_frames(step: int) -> dict[str, pd.DataFrame]:
    recording = ApiRecording()
    for page in inspector_data.real_list_findings():
        recording.add("inspector2", REGION, "list_findings", {}, page)
    if step > 0:  # an exploitable critical CVE on an EC2 instance from the second snapshot on
        recording.add(
            "inspector2",
            REGION,
            "list_findings",
            {},
            {"findings": [inspector_data.model_finding("AWS_EC2_INSTANCE")]},
        )
    coverage = copy.deepcopy(inspector_data.real_list_coverage())
    if step == 2:  # the instance stops being scanned
        coverage[0]["coveredResources"][0]["scanStatus"] = {
            "statusCode": "INACTIVE",
            "reason": "NO_INVENTORY",
        }
    for page in coverage:
        recording.add("inspector2", REGION, "list_coverage", {}, page)
    return INSPECTOR.frames(recording, None)


def accessanalyzer_frames(step: int) -> dict[str, pd.DataFrame]:
    recording = ApiRecording()
    analyzer = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/org"
    findings = copy.deepcopy(aa_data.LIST_FINDINGS_ROLES["findings"][:1])
    if step > 0:  # the bucket is shared with an account outside the organization from the second snapshot on
        shared = copy.deepcopy(findings[0])
        shared.update(
            id="bucket-finding",
            resource=BUCKET1,
            resourceType="AWS::S3::Bucket",
            principal={"AWS": "999999999999"},
            action=["s3:GetObject"],
            status="ACTIVE",
            resourceOwnerAccount="123456789012",
        )
        findings.append(shared)
    recording.add(
        "accessanalyzer", REGION, "list_findings", {"analyzerArn": analyzer}, {"findings": findings}
    )
    org = pd.DataFrame({"account_id": [ACCOUNT, "644160558196", "123456789012"]})
    return ACCESSANALYZER.frames(recording, org)


def macie_frames(step: int) -> dict[str, pd.DataFrame]:
    response = copy.deepcopy(macie_data.DESCRIBE_BUCKETS)
    bucket1 = response["buckets"][0]
    bucket1["serverSideEncryption"] = {"type": "AES256"}  # encrypted: exposed only once shared outside
    bucket1["objectCountByEncryptionType"]["unencrypted"] = 0
    recording = ApiRecording()
    recording.add("macie2", REGION, "describe_buckets", {}, response)
    return MACIE.frames(recording, None)


def ssm_frames(step: int) -> dict[str, pd.DataFrame]:
    recording = ApiRecording()
    for operation, response in (
        ("describe_instance_information", ssm_data.DESCRIBE_INSTANCE_INFORMATION),
        ("list_resource_compliance_summaries", ssm_data.LIST_RESOURCE_COMPLIANCE_SUMMARIES),
        ("describe_instance_patch_states", ssm_data.DESCRIBE_INSTANCE_PATCH_STATES),
    ):
        recording.add("ssm", REGION, operation, {}, response, account=ACCOUNT)
    instances = [{"InstanceId": f"i-0unmanaged{n}", "State": {"Name": "running"}} for n in range(step + 1)]
    recording.add(
        "ec2", REGION, "describe_instances", {}, {"Reservations": [{"Instances": instances}]}, account=ACCOUNT
    )
    return SSM.frames(recording, None)


def trustedadvisor_frames(step: int) -> dict[str, pd.DataFrame]:
    result = copy.deepcopy(ta_data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT)
    if step == 2:
        result["result"]["status"] = "error"
    recording = ApiRecording()
    recording.add(
        "support",
        "us-east-1",
        "describe_trusted_advisor_checks",
        {"language": "en"},
        ta_data.DESCRIBE_TRUSTED_ADVISOR_CHECKS,
        account=ACCOUNT,
    )
    recording.add(
        "support", "us-east-1", "describe_trusted_advisor_check_result", {}, result, account=ACCOUNT
    )
    return TRUSTEDADVISOR.frames(recording, None)


BUILDERS = {
    "config": config_frames,
    "inspector": inspector_frames,
    "accessanalyzer": accessanalyzer_frames,
    "macie": macie_frames,
    "ssm": ssm_frames,
    "trustedadvisor": trustedadvisor_frames,
}


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    for name, frames in BUILDERS.items():
        for step, at in enumerate(TIMES):
            write_snapshot(lake, name, frames(step), [], collected_at=at)
    return build_posture_review(lake, since="90d", end=END)


def test_the_service_sections_follow_coverage_in_the_report():
    names = [s.name for s in SECTIONS]
    first = names.index("config")
    assert names.index("service coverage") < first
    assert names[first : first + 6] == [s.name for s in service_sections.SECTIONS]


def test_config_section_counts_noncompliant_resources_per_rule(review):
    by_rule = review.frames["config_noncompliant_by_rule"]
    dev = by_rule[by_rule["rule"] == "custodian-dev"]["non_compliant_resources"].tolist()
    assert dev == [4, 0, 0]
    assert "Config rule custodian-dev: non-compliant resources went from 4 to 0." in review.changes
    assert "config_noncompliant" in review.figures


def test_inspector_section_shows_the_new_exploitable_critical_cve(review):
    by_ou = review.frames["inspector_open_by_ou"]
    critical = by_ou[by_ou["severity"] == "CRITICAL"].groupby("collected_at")["open"].sum()
    assert critical.tolist() == [0, 1, 1]
    assert review.numbers["inspector_critical_open"] == 1
    assert f"1 exploitable critical CVE opened in {ACCOUNT} (first on 2026-11-01)." in review.changes
    unscanned = review.frames["inspector_unscanned"].groupby("collected_at")["resources"].sum()
    assert unscanned.tolist() == [0, 0, 1]
    assert review.frames["inspector_unscanned_resources"]["scan_status_reason"].tolist() == ["NO_INVENTORY"]
    assert {"inspector_open", "inspector_unscanned"} <= set(review.figures)


def test_accessanalyzer_and_macie_sections_show_the_bucket_shared_outside(review):
    trend = review.frames["accessanalyzer_external"]
    buckets = trend[trend["resource_type"] == "AWS::S3::Bucket"]["resources"].tolist()
    assert buckets == [0, 1, 1]
    assert f"{BUCKET1} (123456789012) became shared outside the organization on 2026-11-05." in review.changes
    exposed = review.frames["macie_exposed_buckets"].set_index("bucket_name")
    assert exposed.loc["amzn-s3-demo-bucket1", "shared_by"] == "Access Analyzer"
    assert exposed.loc["amzn-s3-demo-bucket2", "shared_by"] == "Macie"
    assert (
        "Bucket amzn-s3-demo-bucket1 (123456789012) holds sensitive data and became shared outside the "
        "organization on 2026-11-05." in review.changes
    )
    assert {"accessanalyzer_external", "macie_sensitive_buckets"} <= set(review.figures)


def test_ssm_and_trustedadvisor_sections(review):
    assert review.frames["ssm_patch_trend"]["non_compliant"].tolist() == [2, 2, 2]
    assert review.numbers["ssm_unmanaged_instances"] == 3
    assert "Running EC2 instances not managed by Systems Manager went from 1 to 3." in review.changes
    checks = review.frames["trustedadvisor_checks"]
    assert checks[checks["status"] == "error"]["checks"].tolist() == [0, 0, 1]
    assert f"Trusted Advisor: IAM Use went to error in {ACCOUNT} on 2026-11-20." in review.changes
    assert {"ssm_patch_compliance", "ssm_unmanaged", "trustedadvisor_checks"} <= set(review.figures)


def test_render_html_shows_every_service_heading(review):
    html = render_html(review)
    for section in service_sections.SECTIONS:
        assert section.title in html
        for figure in section.figures:
            if figure in review.figures:
                assert f'id="fig-{figure}"' in html


def test_a_lake_without_service_snapshots_still_builds(tmp_path):
    (tmp_path / "lake").mkdir()
    review = build_posture_review(tmp_path / "lake", since="30d", end=END)
    assert not any(n.startswith(("config", "inspector", "macie")) and "left out" in n for n in review.notes)
    assert "config: no snapshots (run 'orginsight collect config" in " ".join(review.notes)
    for section in service_sections.SECTIONS:
        assert not set(section.figures) & set(review.figures)
    assert "Vulnerabilities (Inspector)" not in render_html(review)


def test_snapshots_outside_the_period_are_a_note_not_a_section(review, tmp_path):
    lake = tmp_path / "lake"
    write_snapshot(lake, "config", config_frames(0), [], collected_at=TIMES[0])
    old = build_posture_review(lake, since="7d", end=END)
    assert "config_noncompliant" not in old.figures
    assert any(n.startswith("config: no snapshot taken between") for n in old.notes)


def test_snapshots_with_empty_tables_build_every_section(tmp_path):
    lake = tmp_path / "lake"
    for name, frames in BUILDERS.items():
        for step, at in enumerate(TIMES):
            write_snapshot(lake, name, {k: v.iloc[:0] for k, v in frames(step).items()}, [], collected_at=at)
    review = build_posture_review(lake, since="90d", end=END)
    assert not [n for n in review.notes if "left out" in n]
    assert review.numbers["accessanalyzer_shared_resources"] == 0
    assert review.frames["macie_exposure_trend"]["buckets"].tolist() == [0, 0, 0]
    render_html(review)
