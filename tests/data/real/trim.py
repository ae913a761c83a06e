"""Rebuild the trimmed real fixtures in tests/data/real from the full public sets in ../shared/data.

The tests that prove behaviour on real records read these fixtures, so they run in a plain clone; the
full sets stay in ../shared/data for the tests marked ``shared_data``. What is kept, and why, is said
here once and in each folder's SOURCE.md. Run from the repository root::

    .venv/bin/python tests/data/real/trim.py [--shared ../shared/data]

The output is deterministic (sorted inputs, gzip without a timestamp), so running it again changes
nothing unless the selection below changes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parents[3] / "shared" / "data"

INVICTUS_TECHNIQUE_CALLS = frozenset(
    {
        "ConsoleLogin",
        "CreateAccessKey",
        "CreateLoginProfile",
        "CreateUser",
        "UpdateAssumeRolePolicy",
        "CreateTrustAnchor",
        "CreateProfile",
        "UpdateFunctionCode20150331v2",
        "AddPermission20150331v2",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "StopLogging",
        "DeleteTrail",
        "PutEventSelectors",
        "UpdateTrail",
        "LeaveOrganization",
        "DeleteFlowLogs",
        "AuthorizeSecurityGroupIngress",
        "ModifyImageAttribute",
        "ModifySnapshotAttribute",
        "ModifyDBSnapshotAttribute",
        "PutBucketLifecycle",
        "GetPasswordData",
        "GetSecretValue",
        "GetParameters",
        "DescribeInstanceAttribute",
        "SendCommand",
        "GetCallerIdentity",
    }
)
"""Every record of these calls is kept: the Stratus Red Team techniques the hunts and Sigma rules name,
with the bursts whole (GetPasswordData, GetSecretValue) so that thresholds see what they saw upstream."""

INVICTUS_WARMUP_PRINCIPAL = "arn:aws:iam::123837392027:user/bert-jan"
INVICTUS_WARMUP_HOUR = "2023-07-10T11"
"""The operator's enumeration before the detonations: one record of each read-only API they called in that
hour is kept, enough (39 distinct APIs) for the enumeration-burst hunt's 30."""

PANTHER_RULES = frozenset(
    {
        "AWS.Console.RootLogin",
        "AWS.Root.Activity",
        "AWS.Console.LoginWithoutMFA",
        "AWS.CloudTrail.PasswordSpraying",
        "Standard.BruteForceByIP",
        "AWS.IAM.Backdoor.User.Keys",
        "AWS.User.Login.Profile.Modified",
        "AWS.CloudTrail.RootPasswordChanged",
        "AWS.IAM.CreateUser",
        "AWS.IAM.BackdoorRole",
        "AWS.Suspicious.SAML.Activity",
        "AWS.Lambda.UpdateFunctionCode",
        "AWS.Lambda.UpdateFunctionConfiguration",
        "AWS.EC2.Startup.Script.Change",
        "AWS.IAM.AttachAdminUserPolicy",
        "AWS.IAM.AttachAdminRolePolicy",
        "AWS.IAM.PolicyModified",
        "AWS.CloudTrail.Stopped",
        "AWS.CloudTrail.EventSelectorsDisabled",
        "AWS.SecurityHub.Finding.Evasion",
        "AWS.ConfigService.DisabledDeleted",
        "AWS.Macie.Evasion",
        "AWS.VPCFlow.LogsDeleted",
        "AWS.CloudTrail.DNSLogsDeleted",
        "AWS.CloudTrail.AttemptToLeaveOrg",
        "AWS.CloudTrail.NetworkACLPermissiveEntry",
        "AWS.EC2.EBS.Encryption.Disabled",
        "AWS.S3.DeletePublicAccessBlock",
        "AWS.S3.DeleteBucketEncryption",
        "AWS.S3.SuspendVersioning",
        "AWS.S3.DisableBucketLogging",
        "AWS.S3.DeleteBucketReplication",
        "AWS.CloudTrail.ShortLifecycle",
        "AWS.CloudTrail.ResourceMadePublic",
        "AWS.CloudTrail.AMIModifiedForPublicAccess",
        "AWS.KMS.CustomerManagedKeyLoss",
        "AWS.CloudTrail.SnapshotMadePublic",
        "AWS.RDS.SnapshotShared",
        "AWS.EC2.ManyPasswordReadAttempts",
        "AWS.SecretsManager.BatchRetrieveSecrets",
        "AWS.SecretsManager.RetrieveSecrets",
        "AWS.SSM.DecryptSSMParams",
        "AWS.EC2.DownloadInstanceUserData",
        "AWS.CloudTrail.IMDSCredentialExfiltration",
        "AWS.SSM.DistributedCommand",
        "AWS.SSM.MultipleSessions",
        "AWS.STS.GetCallerIdentity.TruffleHog",
        "AWS.CloudTrail.SES.CheckSendQuota",
        "AWS.UnusedRegion",
    }
)
"""The Panther detection rules whose labelled records the hunts are checked against (hits and misses)."""

GUARDDUTY_FOXSEC_TYPES = (
    "Stealth:IAMUser/LoggingConfigurationModified",
    "Policy:IAMUser/RootCredentialUsage",
    "Recon:IAMUser/MaliciousIPCaller",
    "Behavior:EC2/NetworkPortUnusual",
    "Trojan:EC2/DropPoint!DNS",
    "Recon:EC2/PortProbeEMRUnprotectedPort",
    "UnauthorizedAccess:EC2/TorIPCaller",
    "Backdoor:EC2/DenialOfService.Tcp",
)
"""One finding of each: every action type (AWS API call, network connection, DNS request, port probe) on
both resource types (access key, instance)."""

SECURITYHUB_ASR_FILES = (
    "simtest_simdata_afsbp-cloudtrail.1.json",
    "simtest_simdata_afsbp-ec2.1.json",
    "simtest_simdata_afsbp-iam.8-nodetails.json",
    "simtest_simdata_cis-15.json",
    "simtest_simdata_cis23.json",
    "simtest_simdata_pci-cloudtrail.1.json",
    "simtest_simdata_pci-s3.1.json",
    "source_layer_test_test_json_data_CIS_1-6-multi-select.json",
    "source_playbooks_AFSBP_test_test_data_AFSBP-iam.6.json",
    "source_Orchestrator_test_test_data_notifier.json",
)
"""Plain ASFF and EventBridge envelopes (one with two findings), the three standards (FSBP, CIS, PCI), a
finding trimmed by hand upstream (-nodetails) and one that is not a control check (notifier)."""

SECURITYHUB_CUSTODIAN_FILES = (
    "test_security_hub_mode_action_insight__securityhub.GetFindings_1.json",
    "test_ecr_image_filter_security_finding__securityhub.GetFindings_1.json",
    "test_security_hub_bucket__securityhub.GetFindings_1.json",
    "test_security_hub_rds__securityhub.GetFindings_1.json",
)
"""GetFindings pages of GuardDuty, Inspector, Security Hub and a custom product's findings."""

SIGMA_RULES = (
    "aws_cloudtrail_disable_logging.yml",
    "aws_cloudtrail_console_login_success_without_mfa.yml",
    "aws_cloudtrail_vpc_flow_logs_deleted.yml",
    "aws_snapshot_backup_exfiltration.yml",
    "aws_iam_backdoor_users_keys.yml",
    "aws_root_account_usage.yml",
    "aws_cloudtrail_guardduty_detector_deleted_or_updated.yml",
)
"""The SigmaHQ rules whose hits on the real records the tests compare with the records themselves."""


UNCHANGED_FILES = (
    "cloudtrail-digest/awscli-public-key/LICENSE",
    "cloudtrail-digest/awscli-public-key/cloudtrail_list-public-keys.1.json",
    "cloudtrail-digest/awsdocs/LICENSE",
    "cloudtrail-digest/awsdocs/LICENSE-SAMPLECODE",
    "cloudtrail-digest/awsdocs/LICENSE-SUMMARY",
    "cloudtrail-digest/awsdocs/digest-file-structure.1.json",
    "cloudtrail-digest/awsdocs/digest-file-structure.2.json",
    "cloudtrail-insights/awsdocs/LICENSE",
    "cloudtrail-insights/awsdocs/LICENSE-SAMPLECODE",
    "cloudtrail-insights/awsdocs/LICENSE-SUMMARY",
    "cloudtrail-insights/awsdocs/cloudtrail-log-file-examples_insights-records.json",
    "cloudtrail-insights/awsdocs/view-insights-events-cli_lookup-events-response.json",
    "accessanalyzer/awscli-examples/LICENSE",
    "accessanalyzer/awscli-examples/accessanalyzer_get-finding-v2.1.json",
    "accessanalyzer/awscli-examples/accessanalyzer_list-analyzers.1.json",
    "accessanalyzer/awscli-examples/accessanalyzer_list-findings-v2.1.json",
    "accessanalyzer/custodian-listfindings/LICENSE",
    "accessanalyzer/custodian-listfindings/test_access_analyzer_finding__access-analyzer.ListFindings_1.json",
    "accessanalyzer/custodian-listfindings/test_access_analyzer_finding_org_analyzer__access-analyzer.ListAnalyzers_1.json",
    "accessanalyzer/custodian-listfindings/test_sqs_analyzer_finding__access-analyzer.ListFindings_1.json",
    "config/custodian/LICENSE",
    "config/custodian/test_config_compliance__config.GetComplianceDetailsByConfigRule_1.json",
    "config/custodian/test_config_compliance_iam_role__config.GetComplianceDetailsByConfigRule_1.json",
    "config/custodian/test_config_inconsistent_hub_rule__config.GetComplianceDetailsByConfigRule_1.json",
    "config/custodian/test_rest_stage_config_id__config.GetComplianceDetailsByConfigRule_1.json",
    "inspector2/awscli-examples/LICENSE",
    "inspector2/awscli-examples/inspector2_list-coverage.1.json",
    "inspector2/awscli-examples/inspector2_list-coverage.2.json",
    "inspector2/custodian-listfindings/LICENSE",
    "inspector2/custodian-listfindings/test_inspector2_finding_query_filter__inspector2.ListFindings_1.json",
    "macie/awscli-examples/LICENSE",
    "macie/awscli-examples/macie2_describe-buckets.1.json",
    "macie/custodian-session/LICENSE",
    "macie/custodian-session/test_account_check_macie__macie2.GetAdministratorAccount_1.json",
    "macie/custodian-session/test_account_check_macie__macie2.GetMacieSession_1.json",
    "macie/custodian-session/test_account_check_macie_disabled__macie2.GetAdministratorAccount_1.json",
    "ssm/awscli-examples/LICENSE",
    "ssm/awscli-examples/ssm_describe-instance-patch-states.1.json",
    "ssm/custodian/LICENSE",
    "ssm/custodian/test_ec2_ssm_compliance_filter__ssm.ListResourceComplianceSummaries_1.json",
    "ssm/custodian/test_ec2_ssm_filter__ssm.DescribeInstanceInformation_1.json",
    "trustedadvisor/awscli-examples/LICENSE",
    "trustedadvisor/awscli-examples/support_describe-trusted-advisor-check-result.1.json",
    "trustedadvisor/awscli-examples/support_describe-trusted-advisor-checks.1.json",
    "trustedadvisor/awscli-examples/trustedadvisor_list-organization-recommendation-accounts.1.json",
    "trustedadvisor/awscli-examples/trustedadvisor_list-organization-recommendations.1.json",
    "trustedadvisor/awscli-examples/trustedadvisor_list-organization-recommendations.2.json",
    "trustedadvisor/awscli-examples/trustedadvisor_list-recommendation-resources.1.json",
    "trustedadvisor/custodian-support/LICENSE",
    "trustedadvisor/custodian-support/test_account_service_limit__support.DescribeTrustedAdvisorCheckResult_1.json",
    "trustedadvisor/custodian-support/test_account_service_limit__support.DescribeTrustedAdvisorChecks_1.json",
    "trustedadvisor/custodian-support/test_ebs_fault_tolerant__support.DescribeTrustedAdvisorCheckResult_1.json",
)
"""Responses of the organization-security services (issue 17), copied unchanged with their LICENSE files."""


def write_gzip(path: Path, data: bytes) -> None:
    """gzip with no name and no timestamp in the header, so the same content gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(data)


def copy_license(source_dir: Path, target_dir: Path) -> None:
    target_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_dir / "LICENSE", target_dir / "LICENSE")


def invictus_keeps(records: list[dict]) -> Callable[[dict], bool]:
    """Which Invictus records to keep: the techniques, stolen instance credentials, AWS services' own
    calls (they issue the sessions the graph follows), the operator's warm-up, and the first AWS service
    event of each kind."""
    warmup: set[tuple[str, str]] = set()
    first_of_api: set[str] = set()
    service_events: set[tuple[str, str]] = set()
    for r in records:
        if (
            r.get("eventType") == "AwsServiceEvent"
            and (r["eventSource"], r["eventName"]) not in service_events
        ):
            service_events.add((r["eventSource"], r["eventName"]))
            first_of_api.add(r["eventID"])
        ident = r["userIdentity"]
        if (
            ident.get("arn") == INVICTUS_WARMUP_PRINCIPAL
            and r["eventTime"].startswith(INVICTUS_WARMUP_HOUR)
            and r["eventName"].startswith(("List", "Describe", "Get"))
            and not ident.get("invokedBy")
            and r.get("sessionCredentialFromConsole") != "true"
            and (r["eventSource"], r["eventName"]) not in warmup
        ):
            warmup.add((r["eventSource"], r["eventName"]))
            first_of_api.add(r["eventID"])

    def keep(r: dict) -> bool:
        ident = r.get("userIdentity") or {}
        return (
            r["eventName"] in INVICTUS_TECHNIQUE_CALLS
            or ":i-" in (ident.get("principalId") or "")
            or ident.get("type") == "AWSService"
            or r["eventID"] in first_of_api
        )

    return keep


def trim_invictus(shared: Path, out: Path) -> int:
    source = shared / "cloudtrail" / "invictus-stratus"
    files = sorted(source.glob("*.json"))
    by_file = {f: json.loads(f.read_text())["Records"] for f in files}
    keep = invictus_keeps([r for recs in by_file.values() for r in recs])
    target = out / "cloudtrail" / "invictus-stratus"
    kept = 0
    for f, recs in by_file.items():
        chosen = [r for r in recs if keep(r)]
        if chosen:
            write_gzip(
                target / f"{f.name}.gz", json.dumps({"Records": chosen}, separators=(",", ":")).encode()
            )
            kept += len(chosen)
    copy_license(source, target)
    return kept


def copy_folder(source: Path, target: Path) -> None:
    """Every file of ``source`` as it is (copyfile: the shared copies are read-only, the fixtures are not)."""
    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(source.iterdir()):
        if f.is_file():
            shutil.copyfile(f, target / f.name)


def copy_gzipped(source: Path, target: Path) -> None:
    write_gzip(target, source.read_bytes())
    copy_license(source.parent, target.parent)


def trim_panther_cloudtrail(shared: Path, out: Path) -> int:
    source = shared / "cloudtrail" / "panther-labelled" / "events.jsonl"
    lines = [line for line in source.read_text().splitlines() if json.loads(line)["rule"] in PANTHER_RULES]
    write_gzip(
        out / "cloudtrail" / "panther-labelled" / "events.jsonl.gz", ("\n".join(lines) + "\n").encode()
    )
    copy_license(source.parent, out / "cloudtrail" / "panther-labelled")
    return len(lines)


def first_of_each(lines: Iterable[str], types: tuple[str, ...]) -> list[str]:
    chosen: dict[str, str] = {}
    for line in lines:
        kind = json.loads(line)["detail"]["type"]
        if kind in types and kind not in chosen:
            chosen[kind] = line
    return [chosen[t] for t in types]


def trim_guardduty(shared: Path, out: Path) -> None:
    fox = shared / "guardduty" / "foxsec-eventbridge"
    target = out / "guardduty" / "foxsec-eventbridge"
    target.mkdir(parents=True, exist_ok=True)
    kept: dict[str, Callable[[list[str]], list[str]]] = {
        "guardduty-sample-findings-default.txt": lambda lines: first_of_each(lines, GUARDDUTY_FOXSEC_TYPES),
        "guardduty-sample-findings-with-duplicates.txt": lambda lines: lines[:2],  # one finding, twice
        "guardduty-sample-findings.txt": lambda lines: lines[
            :2
        ],  # the first in a 9-digit account (999999999)
    }
    for name, choose in kept.items():
        (target / name).write_text("\n".join(choose((fox / name).read_text().splitlines())) + "\n")
    copy_license(fox, target)
    for folder in ("panther", "custodian"):
        copy_folder(shared / "guardduty" / folder, out / "guardduty" / folder)


def trim_securityhub(shared: Path, out: Path) -> None:
    for folder, names in (
        ("asr-asff", SECURITYHUB_ASR_FILES),
        ("custodian-getfindings", SECURITYHUB_CUSTODIAN_FILES),
    ):
        source, target = shared / "securityhub" / folder, out / "securityhub" / folder
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(source / name, target / name)
        copy_license(source, target)


def trim_sigma(shared: Path, out: Path) -> None:
    rules = Path("rules", "cloud", "aws", "cloudtrail")
    target = out / "sigma" / rules
    target.mkdir(parents=True, exist_ok=True)
    for name in SIGMA_RULES:
        shutil.copyfile(shared / "sigma" / rules / name, target / name)
    shutil.copyfile(shared / "sigma" / "LICENSE", out / "sigma" / "LICENSE")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the full sets (../shared/data)")
    parser.add_argument("--out", type=Path, default=HERE, help="where the fixtures go (tests/data/real)")
    args = parser.parse_args(argv)
    shared, out = args.shared.resolve(), args.out.resolve()
    print(f"invictus-stratus: {trim_invictus(shared, out)} records kept")
    otrf = shared / "cloudtrail" / "otrf-ec2-proxy-s3-exfil" / "records.json"
    copy_gzipped(otrf, out / "cloudtrail" / "otrf-ec2-proxy-s3-exfil" / "records.json.gz")
    copy_folder(shared / "cloudtrail" / "trailscraper", out / "cloudtrail" / "trailscraper")
    print(f"panther-labelled: {trim_panther_cloudtrail(shared, out)} records kept")
    trim_guardduty(shared, out)
    trim_securityhub(shared, out)
    trim_sigma(shared, out)
    for name in UNCHANGED_FILES:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / name, out / name)


if __name__ == "__main__":
    main()
