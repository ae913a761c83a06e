"""Record builders of the demo CloudTrail: ids, times, AssumeRole as CloudTrail logs it."""

from __future__ import annotations

import random
import re
from datetime import datetime

from orginsight.demo import records as ct

T = datetime(2026, 11, 20, 13, 5, 9)


def test_uuid_is_version_4_and_deterministic():
    a = [ct.new_uuid(random.Random(1)) for _ in range(2)]
    assert a[0] == a[1]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", a[0])


def test_time_formats_follow_cloudtrail():
    assert ct.ct_time(T) == "2026-11-20T13:05:09Z"
    assert ct.sts_expiration(T) == "Nov 20, 2026, 1:05:09 PM"
    assert ct.iam_create_date(datetime(2026, 1, 2, 0, 4, 5)) == "Jan 2, 2026 12:04:05 AM"
    assert ct.HMS[13 * 3600 + 5 * 60 + 9] == "13:05:09Z"


def test_cross_account_assume_role_is_logged_in_both_accounts():
    rng = random.Random(5)
    caller = ct.Session(
        ct.iam_user_identity("111111111111", "ci", "AIDAEXAMPLE", "AKIAEXAMPLE"),
        "52.4.118.20",
        "cli",
        "ci",
        "111111111111",
    )
    recs, key = ct.assume_role_records(
        rng, caller, T, "us-east-1", "222222222222", "", "deploy", "AROAEXAMPLE", "run-1", 3600
    )
    assert key.startswith("ASIA") and len(key) == 20
    mine, theirs = recs
    assert mine["recipientAccountId"] == "111111111111" and theirs["recipientAccountId"] == "222222222222"
    assert mine["sharedEventID"] == theirs["sharedEventID"]
    assert mine["requestID"] == theirs["requestID"]
    assert mine["eventID"] != theirs["eventID"]
    assert theirs["userIdentity"] == {
        "type": "AWSAccount",
        "principalId": "AIDAEXAMPLE",
        "accountId": "111111111111",
    }
    for r in recs:
        assert r["responseElements"]["credentials"]["accessKeyId"] == key
        assert (
            r["responseElements"]["assumedRoleUser"]["arn"]
            == "arn:aws:sts::222222222222:assumed-role/deploy/run-1"
        )
        assert r["tlsDetails"]["clientProvidedHostHeader"] == "sts.us-east-1.amazonaws.com"


def test_service_assume_role_has_no_tls_details_and_a_shared_event_id():
    recs, key = ct.assume_role_records(
        random.Random(2),
        None,
        T,
        "eu-west-1",
        "222222222222",
        "",
        "api-role",
        "AROAX",
        "i-0abc",
        21600,
        service="ec2.amazonaws.com",
    )
    (r,) = recs
    assert r["userIdentity"] == {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    assert r["sourceIPAddress"] == "ec2.amazonaws.com"
    assert "tlsDetails" not in r and r["sharedEventID"]
    assert r["responseElements"]["credentials"]["accessKeyId"] == key


def test_record_key_order_and_error_fields():
    sess = ct.Session(ct.root_identity("333333333333"), "89.187.161.10", "Mozilla", "x", "333333333333")
    r = ct.make_record(
        random.Random(0),
        sess,
        "2026-11-20T13:05:09Z",
        "us-east-1",
        "iam.amazonaws.com",
        "ListUsers",
        None,
        {"ignored": 1},
        True,
        error=("AccessDenied", "no"),
        host="iam.amazonaws.com",
    )
    assert list(r)[:10] == [
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
    ]
    assert r["responseElements"] is None
    assert r["managementEvent"] is True and r["eventCategory"] == "Management"


def test_s3_object_event_is_a_data_event():
    sess = ct.Session({"type": "AssumedRole"}, "3.3.3.3", "sdk", "ec2", "444444444444")
    r = ct.s3_object_event(
        random.Random(0),
        sess,
        "2026-11-20T13:05:09Z",
        "us-east-1",
        "GetObject",
        "b",
        "k/1.json",
        "444444444444",
        1234,
    )
    assert (r["eventCategory"], r["managementEvent"], r["readOnly"]) == ("Data", False, True)
    assert r["resources"][0]["ARN"] == "arn:aws:s3:::b/k/1.json"
    assert r["additionalEventData"]["bytesTransferredOut"] == 1234
    assert re.fullmatch(r"[0-9A-F]{16}", r["requestID"])
