"""CloudTrail digests: the AWS-written examples parse, and a digest set built exactly as the CloudTrail User
Guide documents it ("CloudTrail digest file structure", "Custom implementations of CloudTrail log file
integrity validation") verifies, so a change to a documented field or to the signing string fails here.

The builder below spells every field and the signing string out itself, from the guide, instead of
calling ``orginsight.sources.digests``: it is the reference the library is held to.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import real_data
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from orginsight.sources.digests import load_public_keys, verify
from orginsight.sources.digests.format import (
    DIGEST_FIELDS,
    DIGEST_KEY,
    LOG_FILE_FIELDS,
    keys_from_list_public_keys,
    parse_digest,
)

BUCKET = "org-trail-bucket"
ORG = "o-aa11bb22cc"
ACCOUNT = "111122223333"
REGION = "us-east-2"
TRAIL = "org-trail"
START = datetime(2026, 3, 1, 0, 1, 31, tzinfo=UTC)
HOURS = 6
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def list_public_keys(key) -> dict:
    """A ``ListPublicKeys`` response for ``key``: ``Value`` is the PKCS#1 DER public key, base64 as the CLI prints."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return {
        "PublicKeyList": [
            {
                "Value": der,
                "ValidityStartTime": START - timedelta(days=1),
                "ValidityEndTime": START + timedelta(days=30),
                "Fingerprint": hashlib.md5(der).hexdigest(),
            }
        ]
    }


def utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_log(root: Path, when: datetime, n: int) -> dict:
    """A log file named for ``when`` and its ``logFiles`` item (SHA-256 of the uncompressed content)."""
    key = (
        f"AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/{REGION}/{when:%Y/%m/%d}/"
        f"{ACCOUNT}_CloudTrail_{REGION}_{when:%Y%m%dT%H%MZ}_{n:016d}.json.gz"
    )
    body = json.dumps({"Records": [{"eventTime": utc(when), "eventID": str(n)}]}).encode()
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    (root / key).write_bytes(gzip.compress(body))
    return {
        "s3Bucket": BUCKET,
        "s3Object": key,
        "hashValue": hashlib.sha256(body).hexdigest(),
        "hashAlgorithm": "SHA-256",
        "newestEventTime": utc(when),
        "oldestEventTime": utc(when),
    }


def digest_object(end: datetime) -> str:
    return (
        f"AWSLogs/{ORG}/{ACCOUNT}/CloudTrail-Digest/{REGION}/{end:%Y/%m/%d}/"
        f"{ACCOUNT}_CloudTrail-Digest_{REGION}_{TRAIL}_{REGION}_{end:%Y%m%dT%H%M%SZ}.json.gz"
    )


def build_lake(root: Path, hours: int = HOURS, key=KEY) -> list[str]:
    """An hourly chain of signed digests, two log files an hour, the signature in ``<digest>.sig``."""
    previous = None
    digests = []
    for h in range(hours):
        start, end = START + timedelta(hours=h), START + timedelta(hours=h + 1)
        logs = [write_log(root, start + timedelta(minutes=10 + 20 * i), h * 10 + i) for i in range(2)]
        obj = digest_object(end)
        digest = {
            "awsAccountId": ACCOUNT,
            "digestStartTime": utc(start),
            "digestEndTime": utc(end),
            "digestS3Bucket": BUCKET,
            "digestS3Object": obj,
            "digestPublicKeyFingerprint": list_public_keys(key)["PublicKeyList"][0]["Fingerprint"],
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": logs[-1]["newestEventTime"],
            "oldestEventTime": logs[0]["oldestEventTime"],
            "previousDigestS3Bucket": BUCKET if previous else None,
            "previousDigestS3Object": previous[0] if previous else None,
            "previousDigestHashValue": previous[1] if previous else None,
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": previous[2] if previous else None,
            "logFiles": logs,
        }
        body = json.dumps(digest, indent=2).encode()
        # The guide's Data_To_Sign_String: end time, bucket/object, hex SHA-256 of the digest, previous signature.
        to_sign = "\n".join(
            [
                utc(end),
                f"{BUCKET}/{obj}",
                hashlib.sha256(body).hexdigest(),
                previous[2] if previous else "null",
            ]
        )
        signature = key.sign(to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()
        (root / obj).parent.mkdir(parents=True, exist_ok=True)
        (root / obj).write_bytes(gzip.compress(body))
        Path(f"{root / obj}.sig").write_text(
            json.dumps({"signature": signature, "signature-algorithm": "SHA256withRSA"})
        )
        previous = (obj, hashlib.sha256(body).hexdigest(), signature)
        digests.append(obj)
    return digests


def keys(key=KEY) -> dict:
    return keys_from_list_public_keys(list_public_keys(key))


def kinds(result) -> list[tuple[str, str | None, str | None]]:
    return sorted(
        zip(result.problems["kind"], result.problems["digest"], result.problems["log_file"], strict=True),
        key=str,
    )


def logs_of(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob("AWSLogs/**/CloudTrail/**/*.json.gz"))


@pytest.mark.parametrize("name", ["digest-file-structure.1.json", "digest-file-structure.2.json"])
def test_the_aws_written_examples_have_the_documented_fields_and_parse(name):
    body = real_data("cloudtrail-digest", "awsdocs", name).read_bytes()
    raw = json.loads(body)
    assert tuple(raw) == DIGEST_FIELDS
    assert all(tuple(f) == LOG_FILE_FIELDS for f in raw["logFiles"])
    assert DIGEST_KEY.search(raw["digestS3Object"])["trail"] in ("your-trail-name", "example-trail-name")
    d = parse_digest(body)
    assert (d.account, d.region, d.end - d.start) == ("111122223333", "us-east-2", timedelta(hours=1))
    assert d.previous_key.endswith(raw["previousDigestS3Object"][-20:])
    assert [f[1] for f in d.log_files] == [f["hashValue"] for f in raw["logFiles"]]


def test_the_fingerprint_of_the_aws_cli_public_key_is_the_md5_of_its_der(tmp_path):
    path = real_data("cloudtrail-digest", "awscli-public-key", "cloudtrail_list-public-keys.1.json")
    assert list(load_public_keys([path])) == ["7f3f401420072e50a65a141430817ab3"]
    # Without the Fingerprint, the key's own MD5 names it the same.
    response = json.loads(path.read_text())
    del response["PublicKeyList"][0]["Fingerprint"]
    assert list(keys_from_list_public_keys(response)) == ["7f3f401420072e50a65a141430817ab3"]


def test_a_digest_set_built_as_documented_verifies_clean(tmp_path):
    build_lake(tmp_path)
    result = verify(tmp_path, public_keys=keys())
    assert result.problems.empty
    assert result.summary["signatures"] == f"{HOURS} verified"
    assert result.summary["log_files_verified"] == 2 * HOURS


def test_pem_public_keys_verify_too(tmp_path):
    build_lake(tmp_path / "lake")
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert verify(tmp_path / "lake", public_keys=load_public_keys([pem])).problems.empty


def test_a_changed_signed_field_breaks_the_signature(tmp_path):
    digests = build_lake(tmp_path)
    path = tmp_path / digests[2]
    d = json.loads(gzip.decompress(path.read_bytes()))
    d["digestEndTime"] = utc(START + timedelta(hours=9))
    path.write_bytes(gzip.compress(json.dumps(d, indent=2).encode()))
    result = verify(tmp_path, public_keys=keys())
    rows = result.problems[result.problems["kind"] == "digest_invalid"]
    assert list(rows["digest"]) == [digests[2]]
    # Its successor recorded the old hash: the link says so even before the signature is checked.
    assert "next digest" in rows["detail"].iloc[0]


def test_each_problem_kind_is_found(tmp_path):
    digests = build_lake(tmp_path)
    logs = logs_of(tmp_path)
    modified, deleted = logs[1], logs[4]
    with gzip.open(tmp_path / modified, "wb") as f:
        f.write(b'{"Records": []}')
    (tmp_path / deleted).unlink()
    added = write_log(tmp_path, START + timedelta(hours=2, minutes=40), 999)["s3Object"]
    late = write_log(tmp_path, START + timedelta(hours=HOURS + 2), 998)["s3Object"]
    sig = Path(f"{tmp_path / digests[5]}.sig")
    sig.write_text(json.dumps({"signature": "00" * 256, "signature-algorithm": "SHA256withRSA"}))
    result = verify(tmp_path, public_keys=keys())
    assert kinds(result) == sorted(
        [
            ("log_modified", digests[0], modified),
            ("log_deleted", digests[2], deleted),
            ("log_not_listed", None, added),
            ("digest_invalid", digests[5], None),
            ("hour_without_digest", None, None),
        ],
        key=str,
    )
    assert result.problems.set_index("kind").loc["hour_without_digest", "hour"] == START.replace(
        minute=0, second=0
    ) + timedelta(hours=HOURS + 2)
    assert late not in set(result.problems["log_file"])
    assert result.summary["accounts_with_problems"] == [ACCOUNT]


def test_an_unknown_key_and_an_unreadable_digest_are_invalid(tmp_path):
    digests = build_lake(tmp_path)
    (tmp_path / digests[0]).write_bytes(b"not gzip")
    result = verify(tmp_path, public_keys=keys(OTHER_KEY))
    details = dict(zip(result.problems["digest"], result.problems["detail"], strict=True))
    # The unreadable digest vouches for nothing: its hour's log files have no digest.
    assert sorted(set(result.problems["kind"])) == ["digest_invalid", "hour_without_digest"]
    assert list(result.problems.query("kind == 'hour_without_digest'")["hour"]) == [
        START.replace(minute=0, second=0)
    ]
    assert details[digests[0]].startswith("unreadable digest")
    assert all(details[d].startswith("unknown public key fingerprint") for d in digests[1:])


def test_two_consecutive_deleted_digests_are_both_reported(tmp_path):
    """aws-cli issue 7054: validate-logs reported one of several consecutive deleted digests."""
    digests = build_lake(tmp_path)
    for d in digests[2:4]:
        (tmp_path / d).unlink()
        Path(f"{tmp_path / d}.sig").unlink()
    result = verify(tmp_path, public_keys=keys())
    assert kinds(result) == [("digest_missing", digests[2], None), ("digest_missing", digests[3], None)]
    # Their log files are not blamed as added: the missing digests already say those hours are unvouched for.
    assert result.summary["log_files_unverified"] == 4


def test_without_a_sidecar_the_successor_vouches_for_the_signature(tmp_path):
    digests = build_lake(tmp_path)
    for d in digests[:-1]:
        Path(f"{tmp_path / d}.sig").unlink()
    result = verify(tmp_path, public_keys=keys())
    assert result.problems.empty
    assert result.summary["signatures"] == f"{HOURS} verified"


def test_a_second_run_reads_only_what_changed(tmp_path):
    build_lake(tmp_path)
    first = verify(tmp_path, public_keys=keys())
    assert first.summary["digests_hashed"] == HOURS
    again = verify(tmp_path, public_keys=keys())
    assert (again.summary["digests_hashed"], again.summary["bytes_hashed"]) == (0, 0)
    assert again.problems.empty
    changed = tmp_path / logs_of(tmp_path)[7]
    with gzip.open(changed, "wb") as f:
        f.write(b'{"Records": [{"eventID": "x"}]}')
    os.utime(changed, ns=(1, 1))
    third = verify(tmp_path, public_keys=keys())
    assert third.summary["digests_hashed"] == 1
    assert list(third.problems["kind"]) == ["log_modified"]
    # A different key set needs no hashing: signatures are checked on every run.
    fourth = verify(tmp_path, public_keys=keys(OTHER_KEY))
    assert fourth.summary["digests_hashed"] == 0
    assert (fourth.problems["kind"] == "digest_invalid").sum() == HOURS


def test_the_window_and_the_account_filter_narrow_what_is_checked(tmp_path):
    digests = build_lake(tmp_path)
    (tmp_path / digests[0]).unlink()
    result = verify(tmp_path, since=START + timedelta(hours=3), public_keys=keys())
    assert result.problems.empty
    assert result.summary["digests"] == HOURS - 2
    assert verify(tmp_path, accounts={"222233334444"}, public_keys=keys()).summary["digests"] == 0


def test_without_public_keys_the_summary_says_signatures_were_not_checked(tmp_path):
    build_lake(tmp_path)
    result = verify(tmp_path)
    assert result.problems.empty
    assert result.summary["signatures"].startswith("not checked")
