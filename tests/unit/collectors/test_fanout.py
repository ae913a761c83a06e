"""The fan-out keeps per-target failures as outcomes and returns every result, in target order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from orginsight.collectors.fanout import NotEnabled, OutcomeLog, Status, Target, classify, fan_out
from orginsight.collectors.regions import resolve_regions, transform_regions
from orginsight.collectors.session import Connection, assume_role, retry_config
from orginsight.errors import CollectionError


def client_error(code: str, message: str = "m") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "ListDetectors")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (client_error("AccessDeniedException"), Status.ACCESS_DENIED),
        (client_error("UnrecognizedClientException"), Status.REGION_DISABLED),
        (client_error("ThrottlingException"), Status.THROTTLED),
        (client_error("InvalidAccessException"), Status.NOT_ENABLED),
        (client_error("InternalServerErrorException"), Status.ERROR),
        (NotEnabled("NoDetector", "none"), Status.NOT_ENABLED),
        (EndpointConnectionError(endpoint_url="https://guardduty.xx-west-9.amazonaws.com"), Status.ERROR),
    ],
)
def test_classify(error: Exception, status: Status) -> None:
    assert classify(error)[0] is status


def test_fan_out_isolates_failures_and_keeps_order() -> None:
    targets = [Target(f"{i:012d}", r) for i in range(5) for r in ("us-east-1", "eu-west-1")]
    threads = set()
    # The first two targets wait for each other: they can only both pass on two threads at once. (Counting
    # threads alone was flaky on a loaded machine, where one worker could take every instant step.)
    together = threading.Barrier(2, timeout=30)

    def step(t: Target) -> str:
        threads.add(threading.get_ident())
        if t in targets[:2]:
            together.wait()
        if t.account == "000000000003" and t.region == "eu-west-1":
            raise client_error("AccessDenied", "denied in this one")
        return f"{t.account}/{t.region}"

    log = OutcomeLog()
    results = fan_out(step, targets, log, "step", workers=4, progress=False)

    assert [r for _t, r in results] == [
        f"{t.account}/{t.region}"
        for t in targets
        if not (t.account == "000000000003" and t.region == "eu-west-1")
    ]
    assert [o.as_dict() for o in log.failures] == [
        {
            "account": "000000000003",
            "region": "eu-west-1",
            "operation": "step",
            "status": "access_denied",
            "error_code": "AccessDenied",
            "message": "denied in this one",
            "items": None,
        }
    ]
    assert len(threads) > 1


def test_outcome_log_call_records_and_returns_default() -> None:
    log = OutcomeLog()

    def denied():
        raise client_error("AccessDeniedException")

    assert log.call("1", "us-east-1", "op", denied, default=[]) == []
    assert log.call("1", "us-east-1", "op", lambda: 5) == 5
    assert [o.status for o in log.outcomes] == [Status.ACCESS_DENIED]


def test_enabled_regions_skip_regions_not_opted_in() -> None:
    response = {
        "Regions": [
            {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
            {"RegionName": "me-south-1", "OptInStatus": "not-opted-in"},
            {"RegionName": "af-south-1", "OptInStatus": "opted-in"},
        ]
    }
    assert transform_regions(response) == ["af-south-1", "us-east-1"]


def test_resolve_regions_all_uses_describe_regions_and_lists_are_taken_as_given() -> None:
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        connection = Connection(session, retry_config())
        regions = resolve_regions("all", connection, "guardduty")
        assert "us-east-1" in regions and "eu-west-1" in regions and regions == sorted(regions)
        assert resolve_regions("eu-west-1, us-east-1", connection) == ["eu-west-1", "us-east-1"]
        with pytest.raises(CollectionError, match="no regions given"):
            resolve_regions(",", connection)


def test_connection_assumes_the_member_role_for_member_accounts() -> None:
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        connection = Connection(session, retry_config(), member_role="OrgInsightReadOnly")
        home = connection.client("sts", "us-east-1")
        member = connection.client("sts", "us-east-1", account="222222222222")
        assert member is not home
        assert member is connection.client("sts", "us-east-1", account="222222222222")
        arn = member.get_caller_identity()["Arn"]
        assert arn.startswith("arn:aws:sts::222222222222:assumed-role/OrgInsightReadOnly/")


def test_assumed_role_credentials_are_assumed_again_before_they_expire(monkeypatch) -> None:
    with mock_aws():
        base = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        session = assume_role(base, "arn:aws:iam::222222222222:role/OrgInsightReadOnly")
        client = session.client("sts")
        first = session.get_credentials().get_frozen_credentials().access_key
        assert client.get_caller_identity()["Account"] == "222222222222"
        # 55 minutes on, five before STS's one-hour credentials expire: the same client signs
        # with credentials assumed again, still in the member account.
        credentials = session.get_credentials()
        later = datetime.now(UTC) + timedelta(minutes=55)
        monkeypatch.setattr(
            credentials, "_time_fetcher", lambda: later
        )  # botocore's clock for these credentials
        assert credentials.get_frozen_credentials().access_key != first
        assert client.get_caller_identity()["Arn"].startswith(
            "arn:aws:sts::222222222222:assumed-role/OrgInsightReadOnly/"
        )
