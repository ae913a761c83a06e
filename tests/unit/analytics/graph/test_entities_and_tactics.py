"""Entity ids from indicators, and ATT&CK tactics from finding types."""

from __future__ import annotations

import pytest

from orginsight.analytics.graph import entities as E
from orginsight.analytics.graph.groups import tactic_of


@pytest.mark.parametrize(
    ("indicator", "entity"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "access_key:AKIAIOSFODNN7EXAMPLE"),
        ("ASIA5FLZVX4OPVKKVBMX", "access_key:ASIA5FLZVX4OPVKKVBMX"),
        ("arn:aws:iam::111122223333:user/ci", "iam_user:arn:aws:iam::111122223333:user/ci"),
        ("arn:aws:iam::111122223333:role/Admin", "iam_role:arn:aws:iam::111122223333:role/Admin"),
        (
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "role_session:arn:aws:sts::111122223333:assumed-role/Admin/alice",
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com",
            "federated_user:arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com",
        ),
        (
            "arn:aws:sts::111122223333:federated-user/bob",
            "federated_user:arn:aws:sts::111122223333:federated-user/bob",
        ),
        ("arn:aws:iam::111122223333:root", "account:111122223333"),
        ("111122223333", "account:111122223333"),
        ("203.0.113.7", "ip:203.0.113.7"),
        ("2001:db8::1", "ip:2001:db8::1"),
        ("arn:aws:s3:::bucket", "resource:arn:aws:s3:::bucket"),
        ("ip:198.51.100.1", "ip:198.51.100.1"),
        ("5eff9dea85a283e47400b9e8f8f89900", "finding:5eff9dea85a283e47400b9e8f8f89900"),
    ],
)
def test_resolve(indicator: str, entity: str) -> None:
    assert E.resolve(indicator) == entity


def test_split_id_rejects_unknown_kinds() -> None:
    assert E.split_id("access_key:AKIA1") == ("access_key", "AKIA1")
    with pytest.raises(ValueError, match="not an entity id"):
        E.split_id("bucket:x")


def test_role_of_session() -> None:
    assert (
        E.role_of_session("arn:aws:sts::111122223333:assumed-role/Admin/alice")
        == "arn:aws:iam::111122223333:role/Admin"
    )
    assert E.role_of_session("arn:aws:iam::111122223333:user/x") is None


def test_session_of_role_is_what_cloudtrail_calls_the_session() -> None:
    arn = E.session_of_role("arn:aws-us-gov:iam::111122223333:role/ci/deploy/Deployer", "run-7")
    assert arn == "arn:aws-us-gov:sts::111122223333:assumed-role/Deployer/run-7"
    assert E.role_of_session(arn) == "arn:aws-us-gov:iam::111122223333:role/Deployer"
    assert E.session_of_role("arn:aws:iam::111122223333:user/x", "s") is None
    assert E.session_of_role("arn:aws:iam::111122223333:role/R", "") is None


@pytest.mark.parametrize(
    ("finding_type", "tactic"),
    [
        ("UnauthorizedAccess:IAMUser/MaliciousIPCaller", "Initial Access"),
        ("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "Credential Access"),
        ("Stealth:IAMUser/CloudTrailLoggingDisabled", "Defense Evasion"),
        ("Exfiltration:S3/AnomalousBehavior", "Exfiltration"),
        ("PenTest:IAMUser/KaliLinux", "Discovery"),
        ("Recon:EC2/PortProbeUnprotectedPort", "Reconnaissance"),
        ("CryptoCurrency:EC2/BitcoinTool.B!DNS", "Impact"),
        ("Backdoor:EC2/C&CActivity.B", "Command and Control"),
        ("TTPs/Discovery/Some check", "Discovery"),
        ("Software and Configuration Checks/Industry and Regulatory Standards", None),
        (None, None),
    ],
)
def test_tactic_of(finding_type: str | None, tactic: str | None) -> None:
    assert tactic_of(finding_type) == tactic
