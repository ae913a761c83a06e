"""``lake sync`` against moto's S3: what is selected, resumed, re-copied, refused, reported and verified."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from orginsight import Lake, cli
from orginsight.errors import ParameterError
from orginsight.sources.digests.format import digest_key as trail_digest_key
from orginsight.sources.lake_sync import MANIFEST, parse_s3_uri, sync
from orginsight.sources.lake_sync.keys import local_path, unexpected
from orginsight.sources.layout import INSIGHT_FOLDER, cloudtrail_key, insight_key

BUCKET = "org-trail-bucket"
ORG = "o-aa11bb22cc"
A, B = "111122223333", "444455556666"
REGIONS = ("us-east-1", "eu-west-1")
DAYS = (26, 27, 28, 29, 30)
URI = f"s3://{BUCKET}/AWSLogs/{ORG}"
WINDOW = {"since": "2026-11-28", "until": "2026-11-29"}
TRAIL = "org-trail"


def trail_key(account: str, region: str, day: int, n: int = 0, folder: str = "CloudTrail") -> str:
    """The key of the ``n``-th log file (``folder`` CloudTrail-Insight: Insights file) of a November day."""
    key_of = insight_key if folder == INSIGHT_FOLDER else cloudtrail_key
    return key_of(account, region, datetime(2026, 11, day, 10, n, tzinfo=UTC), ORG, f"{n:016d}")


def digest_key(account: str, region: str, day: int) -> str:
    return trail_digest_key(account, region, datetime(2026, 11, day, 11, tzinfo=UTC), TRAIL, region, ORG)


def records(account: str, region: str, day: int, n: int) -> bytes:
    when = f"2026-11-{day:02d}T10:{n:02d}:00Z"
    events = [
        {"eventTime": when, "eventID": f"{account}-{region}-{day}-{n}-{i}", "eventName": "GetObject",
         "eventSource": "s3.amazonaws.com", "recipientAccountId": account, "awsRegion": region}
        for i in range(3)
    ]  # fmt: skip
    return json.dumps({"Records": events}).encode()


def digest_body(account: str, region: str, day: int, logs: dict[str, bytes]) -> bytes:
    """A digest as CloudTrail writes it, listing ``logs`` (key -> uncompressed content) with their SHA-256."""
    return json.dumps(
        {
            "awsAccountId": account,
            "digestStartTime": f"2026-11-{day:02d}T10:00:00Z",
            "digestEndTime": f"2026-11-{day:02d}T11:00:00Z",
            "digestS3Bucket": BUCKET,
            "digestS3Object": digest_key(account, region, day),
            "digestPublicKeyFingerprint": "0" * 32,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": f"2026-11-{day:02d}T10:59:00Z",
            "oldestEventTime": f"2026-11-{day:02d}T10:00:00Z",
            "previousDigestS3Bucket": None,
            "previousDigestS3Object": None,
            "previousDigestHashValue": None,
            "previousDigestHashAlgorithm": None,
            "previousDigestSignature": None,
            "logFiles": [
                {
                    "s3Bucket": BUCKET,
                    "s3Object": key,
                    "hashValue": hashlib.sha256(body).hexdigest(),
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": f"2026-11-{day:02d}T10:59:00Z",
                    "oldestEventTime": f"2026-11-{day:02d}T10:00:00Z",
                }
                for key, body in logs.items()
            ],
        }
    ).encode()


def fill_bucket(s3) -> dict[str, bytes]:
    """Two accounts, two regions, five days: two log files a day, an Insights file, a digest listing the
    day's log files, a GuardDuty export object; a Storage Lens export of account A. Returns key -> bytes."""
    s3.create_bucket(Bucket=BUCKET)
    objects: dict[str, bytes] = {}
    for account in (A, B):
        for region in REGIONS:
            for day in DAYS:
                logs = {trail_key(account, region, day, n): records(account, region, day, n) for n in (1, 2)}
                objects.update({k: gzip.compress(v) for k, v in logs.items()})
                objects[trail_key(account, region, day, 3, "CloudTrail-Insight")] = gzip.compress(
                    b'{"Records":[]}'
                )
                objects[digest_key(account, region, day)] = gzip.compress(
                    digest_body(account, region, day, logs)
                )
                gd = f"AWSLogs/{account}/GuardDuty/{region}/2026/11/{day:02d}/{account}{region}{day}.jsonl.gz"
                objects[gd] = gzip.compress(b'{"id": "finding"}\n')
    for day in DAYS:
        root = f"StorageLens/{A}/org-config/V_1"
        objects[f"{root}/reports/dt=2026-11-{day:02d}/part-0.csv"] = b"version_number,configuration_id\n"
        objects[f"{root}/manifests/dt=2026-11-{day:02d}/manifest.json"] = b"{}"
    for key, body in objects.items():
        metadata = {"signature": "ab" * 8, "signature-algorithm": "SHA256withRSA"} if "Digest" in key else {}
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata)
    return objects


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.objects = fill_bucket(client)
        yield client


def lake_keys(lake: Path) -> set[str]:
    return {
        p.relative_to(lake).as_posix()
        for p in lake.rglob("*")
        if p.is_file() and ".orginsight" not in p.parts
    }


def expected(objects: dict[str, bytes], accounts, regions, days) -> set[str]:
    def wanted(key: str) -> bool:
        if key.startswith("StorageLens/"):
            return A in accounts and any(f"dt=2026-11-{d:02d}" in key for d in days)
        return (
            any(f"/{a}/" in key for a in accounts)
            and any(f"/{r}/" in key for r in regions)
            and any(f"/2026/11/{d:02d}/" in key for d in days)
        )

    keys = {k for k in objects if wanted(k)}
    return keys | {f"{k}.sig" for k in keys if "CloudTrail-Digest" in k}


def listed_prefixes(s3) -> list[str]:
    seen: list[str] = []
    s3.meta.events.register(
        "before-parameter-build.s3.ListObjectsV2", lambda params, **_: seen.append(params.get("Prefix", ""))
    )
    return seen


def test_only_the_window_account_and_region_are_listed_and_copied(s3, tmp_path):
    seen = listed_prefixes(s3)
    report = sync(URI, tmp_path, **WINDOW, accounts=[A], regions=["us-east-1"], client=s3)

    want = expected(s3.objects, [A], ["us-east-1"], (28, 29))
    assert lake_keys(tmp_path) == want
    assert report.copied == len([k for k in want if not k.endswith(".sig")]) and not report.failed
    assert all(tmp_path.joinpath(k).read_bytes() == s3.objects[k] for k in want if not k.endswith(".sig"))
    # Only the account's own day folders (and its Storage Lens folder) are listed, never the bucket.
    assert seen and all(
        p.startswith((f"AWSLogs/{ORG}/{A}/", f"AWSLogs/{A}/", f"StorageLens/{A}/")) for p in seen
    )
    assert all("/2026/11/2" in p or "dt=2026-11-2" in p or p == f"StorageLens/{A}/" for p in seen)
    # The lake is a lake: the engine reads the copied trail.
    events = Lake.local(tmp_path).sql("SELECT count(*) AS n FROM cloudtrail")["n"][0]
    assert events == 2 * 2 * 3


def test_without_accounts_and_regions_every_one_in_the_bucket_is_copied(s3, tmp_path):
    report = sync(URI, tmp_path, since="2026-11-30", until="2026-11-30", client=s3)
    assert lake_keys(tmp_path) == expected(s3.objects, [A, B], REGIONS, (30,))
    assert not report.failed and not report.unexpected


class Interrupted:
    """An S3 client whose GetObject, after ``after`` objects, hands a body that breaks off half-way
    through with KeyboardInterrupt: the person at the keyboard pressed Ctrl-C mid-copy."""

    def __init__(self, client, after: int) -> None:
        self.client, self.after, self.calls = client, after, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def get_object(self, **kw):
        self.calls += 1
        response = self.client.get_object(**kw)
        if self.calls > self.after:
            body = response["Body"].read()
            response["Body"] = Breaking(body[: len(body) // 2])
        return response


class Breaking:
    def __init__(self, head: bytes) -> None:
        self.head = head

    def read(self, _n: int = -1) -> bytes:
        if self.head:
            head, self.head = self.head, b""
            return head
        raise KeyboardInterrupt


def test_an_interrupted_sync_leaves_no_partial_file_and_a_rerun_copies_only_the_rest(s3, tmp_path):
    interrupted = Interrupted(s3, after=5)
    with pytest.raises(KeyboardInterrupt):
        sync(URI, tmp_path, **WINDOW, accounts=[A], regions=["us-east-1"], client=interrupted, workers=1)
    first = {k for k in lake_keys(tmp_path) if not k.endswith(".sig")}
    assert len(first) == 5
    assert all(tmp_path.joinpath(k).read_bytes() == s3.objects[k] for k in first)  # no file is partial
    assert not list(tmp_path.rglob("*.part"))

    counting = Interrupted(s3, after=10**6)
    report = sync(URI, tmp_path, **WINDOW, accounts=[A], regions=["us-east-1"], client=counting)
    want = expected(s3.objects, [A], ["us-east-1"], (28, 29))
    assert lake_keys(tmp_path) == want
    total = len([k for k in want if not k.endswith(".sig")])
    assert (report.skipped, report.copied, counting.calls) == (5, total - 5, total - 5)


def test_a_second_run_copies_nothing_and_an_object_that_changed_is_copied_again(s3, tmp_path):
    args = dict(**WINDOW, accounts=[A], regions=["us-east-1"], client=s3)
    first = sync(URI, tmp_path, **args)
    again = sync(URI, tmp_path, **args)
    assert (again.copied, again.skipped) == (0, first.copied)

    changed = trail_key(A, "us-east-1", 29, 1)
    s3.put_object(Bucket=BUCKET, Key=changed, Body=gzip.compress(b'{"Records": []}'))
    third = sync(URI, tmp_path, **args)
    assert (third.copied, third.skipped) == (1, first.copied - 1)
    assert gzip.decompress(tmp_path.joinpath(changed).read_bytes()) == b'{"Records": []}'
    # The digest still lists the old content: the changed file is reported, not silently accepted.
    assert [k for k, why in third.failed] == [changed] and "SHA-256" in third.failed[0][1]
    assert (tmp_path / MANIFEST).is_file()


def test_a_file_deleted_from_the_lake_is_copied_again(s3, tmp_path):
    args = dict(**WINDOW, accounts=[A], regions=["us-east-1"], client=s3)
    sync(URI, tmp_path, **args)
    gone = trail_key(A, "us-east-1", 28, 2)
    tmp_path.joinpath(gone).unlink()
    assert sync(URI, tmp_path, **args).copied == 1 and tmp_path.joinpath(gone).is_file()


HOSTILE = [
    f"AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/11/29/../../../../../../../../../escaped.json.gz",
    f"AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/11/29//etc/{A}_CloudTrail_us-east-1_20261129T1000Z_x.json.gz",
    f"AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/11/29/notes.txt",
]


def test_hostile_and_unexpected_keys_are_reported_and_skipped(s3, tmp_path):
    for key in HOSTILE:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    lake = tmp_path / "lake"
    report = sync(URI, lake, **WINDOW, accounts=[A], regions=["us-east-1"], client=s3)
    assert sorted(k for k, _ in report.unexpected) == sorted(HOSTILE)
    assert not (tmp_path / "escaped.json.gz").exists() and not list(tmp_path.rglob("escaped*"))
    assert lake_keys(lake) == expected(s3.objects, [A], ["us-east-1"], (28, 29))
    assert any("notes.txt" in line for line in report.lines())


def test_a_key_never_names_a_path_outside_the_lake(tmp_path):
    target = parse_s3_uri(f"s3://{BUCKET}/logs/AWSLogs/{ORG}")
    assert target.base == "logs/" and target.org == ORG
    inside = local_path(tmp_path, target, f"logs/{trail_key(A, 'us-east-1', 29)}")
    assert inside == tmp_path / trail_key(A, "us-east-1", 29)
    for key in ("/etc/passwd", "logs//etc/passwd", "logs/AWSLogs/../../x", "logs/a\\..\\b", "logs/"):
        assert local_path(tmp_path, target, key) is None, key
    prefix = f"AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/11/29/"
    assert unexpected("cloudtrail", "/" + trail_key(A, "us-east-1", 29), prefix, parse_s3_uri(URI))
    assert unexpected("cloudtrail", trail_key(A, "us-east-1", 29), prefix, parse_s3_uri(URI)) is None


@pytest.mark.parametrize(
    "uri",
    ["s3://b/AWSLogs/o-aa11bb22cc", "s3://bucket/AWSLogs/../x", "s3://bucket/logs", "https://x/AWSLogs"],
)
def test_a_uri_that_does_not_name_a_trail_folder_is_refused(uri):
    with pytest.raises(ParameterError):
        parse_s3_uri(uri)


class Response:
    status_code = 403
    headers: dict = {}


def test_access_denied_on_one_prefix_is_reported_and_the_rest_is_copied(s3, tmp_path):
    def deny(params, **_):  # before-call sees the request: the prefix is in its query string
        if f"/{B}/" in params["query_string"].get("prefix", ""):
            return Response(), {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        return None

    s3.meta.events.register("before-call.s3.ListObjectsV2", deny)
    report = sync(URI, tmp_path, **WINDOW, accounts=[A, B], regions=["us-east-1"], client=s3)
    assert report.failed and all(f"/{B}/" in where and "AccessDenied" in why for where, why in report.failed)
    assert lake_keys(tmp_path) == expected(s3.objects, [A], ["us-east-1"], (28, 29))  # and nothing of B
    assert any("AccessDenied" in line for line in report.lines())


def test_copied_log_files_are_verified_against_their_digests(s3, tmp_path):
    report = sync(URI, tmp_path, **WINDOW, accounts=[A], regions=["us-east-1"], client=s3)
    assert report.verified == 2 * 2 and not report.failed  # two log files a day, two days
    digest = tmp_path / digest_key(A, "us-east-1", 29)
    sidecar = json.loads(Path(f"{digest}.sig").read_text())
    assert sidecar == {"signature": "ab" * 8, "signature-algorithm": "SHA256withRSA"}


def test_a_log_file_whose_content_is_not_the_digests_fails_verification(s3, tmp_path):
    forged = trail_key(A, "us-east-1", 28, 2)
    s3.put_object(Bucket=BUCKET, Key=forged, Body=gzip.compress(records(A, "us-east-1", 28, 9)))
    report = sync(URI, tmp_path, **WINDOW, accounts=[A], regions=["us-east-1"], client=s3)
    assert [k for k, _ in report.failed] == [forged] and "digest recorded" in report.failed[0][1]
    assert report.verified == 3


def test_the_window_is_whole_utc_days(s3, tmp_path):
    since = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    sync(URI, tmp_path, since=since, until=since, accounts=[B], regions=["eu-west-1"], client=s3)
    assert lake_keys(tmp_path) == {k for k in expected(s3.objects, [B], ["eu-west-1"], (30,))}


def test_the_command_line_copies_and_prints_the_summary(s3, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    argv = ["lake", "sync", URI, "--since", "2026-11-29", "--until", "2026-11-29", "--account", A]
    assert cli.main([*argv, "--region", "us-east-1", "--lake", str(tmp_path)]) == 0
    assert lake_keys(tmp_path) == expected(s3.objects, [A], ["us-east-1"], (29,))
    assert "copied      7 objects" in capsys.readouterr().out
    s3.put_object(Bucket=BUCKET, Key=trail_key(A, "us-east-1", 29, 1), Body=gzip.compress(b'{"Records": []}'))
    assert cli.main([*argv, "--region", "us-east-1", "--lake", str(tmp_path)]) == 1  # the digest disagrees
