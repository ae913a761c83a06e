"""A small generated demo lake: ground truth present, shapes like the real samples, readable by the same readers.

Real samples: Invictus IR aws_dataset (MIT), OTRF Security-Datasets (MIT), panther-analysis (Apache-2.0),
cloud-custodian (Apache-2.0), trailscraper (Apache-2.0), mozilla foxsec-pipeline (MPL-2.0); Storage Lens
schema notes from the AWS S3 User Guide. The field-path and Storage Lens comparisons need every record
and the notes, in ../shared/data (marked ``shared_data``); the GuardDuty keys come from the trimmed
findings in tests/data/real.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import real_data, shared_data_dir

from orginsight.demo import generate_lake
from orginsight.demo.schema import paths_by_event, undocumented_paths
from orginsight.demo.storagelens import REPORT_SCHEMA
from orginsight.errors import LakeError
from orginsight.sources.layout import GUARDDUTY_KEY, STORAGE_LENS_KEY, iter_cloudtrail_files

END = datetime(2026, 11, 27)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-lake")
    generate_lake(
        root, accounts=7, days=4, events_per_day=1200, seed=11, end=END, progress=False, processes=2
    )
    return root


@pytest.fixture(scope="module")
def scenario(lake: Path) -> dict:
    return json.loads((lake / "scenario.json").read_text())


@pytest.fixture(scope="module")
def records(lake: Path) -> list[tuple[str, str, dict]]:
    """(account, region) of the key, and the record, for every record of the lake."""
    out = []
    for f in iter_cloudtrail_files(lake):
        with gzip.open(f.path) as fh:
            out += [(f.account, f.region, r) for r in json.load(fh)["Records"]]
    return out


def _real_cloudtrail_records() -> list[dict]:
    base = shared_data_dir("cloudtrail")
    recs: list[dict] = []
    for f in sorted((base / "invictus-stratus").glob("*.json")):
        recs += json.loads(f.read_text())["Records"]
    for f in ("otrf-ec2-proxy-s3-exfil/records.json", "custodian-eventbridge/records.json"):
        recs += json.loads((base / f).read_text())["Records"]
    for f in (base / "trailscraper").glob("*.json.gz"):
        recs += json.loads(gzip.decompress(f.read_bytes()))["Records"]
    recs += [
        json.loads(line)["record"]
        for line in (base / "panther-labelled" / "events.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return recs


def _tree_digest(root: Path, part: str) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / part).rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- ground truth


def test_every_ground_truth_event_is_in_the_lake_where_scenario_says(records, scenario):
    by_id = {r["eventID"]: (account, region, r) for account, region, r in records}
    assert len(scenario["events"]) > 200
    for e in scenario["events"]:
        account, region, r = by_id[e["eventID"]]
        assert (account, region) == (e["account"], e["region"]), e
        assert (r["recipientAccountId"], r["awsRegion"], r["eventTime"], r["eventName"]) == (
            e["account"],
            e["region"],
            e["eventTime"],
            e["eventName"],
        )
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", e["technique"])


def test_incidents_span_several_accounts_and_cover_the_issue_techniques(scenario):
    incidents = {i["name"]: i for i in scenario["incidents"]}
    assert len(incidents["leaked-ci-access-key"]["accounts"]) >= 3
    assert len(incidents["console-without-mfa"]["accounts"]) >= 2
    names = {e["eventName"] for e in scenario["events"]}
    assert {
        "GetCallerIdentity",
        "ListBuckets",
        "ListUsers",
        "AttachUserPolicy",
        "CreateAccessKey",
        "AssumeRole",
        "StopLogging",
        "DeleteTrail",
        "DeleteDetector",
        "CreateLoginProfile",
        "CreateRole",
        "UpdateAssumeRolePolicy",
        "GetObject",
        "PutBucketPolicy",
        "ModifySnapshotAttribute",
        "ConsoleLogin",
    } <= names
    start = datetime.strptime(scenario["start"], "%Y-%m-%dT%H:%M:%SZ")
    first = min(datetime.strptime(e["eventTime"], "%Y-%m-%dT%H:%M:%SZ") for e in scenario["events"])
    assert first - start >= timedelta(days=1), "a baseline day before the incidents"


def test_the_leaked_key_and_its_sessions_are_followed_across_accounts(records, scenario):
    ind = scenario["indicators"]
    leaked = [
        (a, r) for a, _, r in records if r["userIdentity"].get("accessKeyId") == ind["leaked_access_key_id"]
    ]
    assert ind["attacker_ips"][0] in {r["sourceIPAddress"] for _, r in leaked}
    before = [r for _, r in leaked if r["sourceIPAddress"] not in ind["attacker_ips"]]
    assert before, "the CI user's key has normal history (its baseline) before the leak"
    for key in ind["attacker_session_access_key_ids"]:
        issued = [
            r
            for _, _, r in records
            if r["eventName"] == "AssumeRole"
            and r.get("responseElements")
            and r["responseElements"]["credentials"]["accessKeyId"] == key
        ]
        used = [(a, r) for a, _, r in records if r["userIdentity"].get("accessKeyId") == key]
        assert len(issued) == 2 and len({r["sharedEventID"] for r in issued}) == 1
        role_account = issued[0]["responseElements"]["assumedRoleUser"]["arn"].split(":")[4]
        assert used and {a for a, _ in used} == {role_account}


def test_root_console_sign_in_without_mfa(records, scenario):
    root = scenario["indicators"]["root_account_id"]
    logins = [
        r
        for a, _, r in records
        if a == root and r["eventName"] == "ConsoleLogin" and r["userIdentity"]["type"] == "Root"
    ]
    assert [r["additionalEventData"]["MFAUsed"] for r in logins] == ["No"]
    assert logins[0]["sourceIPAddress"] == scenario["indicators"]["console_ip"]


def test_every_assumed_session_key_was_issued_before_use(records, scenario):
    gap = scenario["coverage"]["cloudtrail_gap"]
    issued = {}
    for _, _, r in records:
        if r["eventName"] in ("AssumeRole", "AssumeRoleWithSAML") and r.get("responseElements"):
            issued[r["responseElements"]["credentials"]["accessKeyId"]] = r["eventTime"]
    used = [
        r
        for _, _, r in records
        if r["userIdentity"].get("type") == "AssumedRole"
        and r["userIdentity"].get("accessKeyId", "").startswith("ASIA")
    ]
    assert len(used) > 1000
    lost = 0
    for r in used:
        k = r["userIdentity"]["accessKeyId"]
        created = r["userIdentity"]["sessionContext"]["attributes"]["creationDate"]
        if k not in issued and gap["start"] <= created < gap["end"]:
            lost += 1  # issued during the delivery gap: the AssumeRole record is what the gap lost
            continue
        assert k in issued and issued[k] <= r["eventTime"], r["eventID"]
    assert lost < len(used) / 100


# --------------------------------------------------------------------------- coverage drift


def test_account_joining_mid_period_has_no_cloudtrail_before_joining(records, scenario):
    joiner = scenario["coverage"]["joined_mid_period"]
    times = sorted(r["eventTime"] for a, _, r in records if a == joiner["account"])
    assert times and times[0] >= joiner["joined"]


def test_cloudtrail_gap_has_no_events_and_is_hours_long(records, scenario):
    gap = scenario["coverage"]["cloudtrail_gap"]
    times = [r["eventTime"] for a, reg, r in records if (a, reg) == (gap["account"], gap["region"])]
    assert not [t for t in times if gap["start"] <= t < gap["end"]]
    assert [t for t in times if t < gap["start"]] and [t for t in times if t >= gap["end"]]
    hours = (
        datetime.fromisoformat(gap["end"][:-1]) - datetime.fromisoformat(gap["start"][:-1])
    ).total_seconds() / 3600
    assert hours >= 4


def test_guardduty_not_enabled_member_is_recorded(lake, scenario):
    missing = scenario["coverage"]["guardduty_not_enabled"]["account"]
    for path in (lake / "api" / "guardduty").glob("*/list_members.json"):
        members = json.loads(path.read_text())[0]["response"]["Members"]
        assert {m["AccountId"]: m["RelationshipStatus"] for m in members}[missing] == "Disabled"


# --------------------------------------------------------------------------- shapes like the real records


@pytest.mark.shared_data
def test_generated_records_use_only_field_paths_of_real_or_documented_records(records):
    real = paths_by_event(_real_cloudtrail_records())
    generated = paths_by_event(r for _, _, r in records)
    assert len(generated) >= 40
    assert undocumented_paths(generated, real) == {}


def test_every_record_has_the_fields_cloudtrail_writes(records):
    for _, _, r in records:
        assert r["eventVersion"] >= "1.08"
        for k in (
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "eventID",
            "eventType",
            "readOnly",
            "managementEvent",
            "recipientAccountId",
            "eventCategory",
        ):
            assert k in r, (k, r["eventName"])
        assert "requestID" in r or r["eventType"] == "AwsConsoleSignIn"
        assert r["userIdentity"]["type"] in (
            "IAMUser",
            "AssumedRole",
            "AWSService",
            "AWSAccount",
            "SAMLUser",
            "Root",
        )


def test_background_is_believable(records):
    idents = defaultdict(int)
    errors = defaultdict(int)
    hours = defaultdict(int)
    for _, _, r in records:
        idents[r["userIdentity"]["type"]] += 1
        errors[r.get("errorCode")] += 1
        hours[int(r["eventTime"][11:13])] += 1
    assert {"AssumedRole", "AWSService", "SAMLUser", "IAMUser", "AWSAccount"} <= set(idents)
    assert any(
        r["userIdentity"].get("arn", "").split("/")[1].startswith("AWSReservedSSO_")
        for _, _, r in records
        if r["userIdentity"]["type"] == "AssumedRole"
    )
    failed = sum(v for k, v in errors.items() if k) / sum(errors.values())
    assert 0.001 < failed < 0.05
    assert {"AccessDenied", "Client.UnauthorizedOperation"} & set(errors)
    assert hours[14] > 1.5 * hours[3], "people work in the day"
    assert len({reg for _, reg, _ in records}) >= 3


# --------------------------------------------------------------------------- GuardDuty export and Storage Lens


def test_guardduty_export_lines_have_the_real_camelcase_keys(lake, scenario):
    real_top, real_service = set(), set()
    for f in real_data("guardduty", "foxsec-eventbridge").glob("*.txt"):
        for line in f.read_text().splitlines():
            d = json.loads(line)["detail"]
            real_top |= set(d)
            real_service |= set(d["service"])
    files = [p for p in lake.rglob("*.jsonl.gz") if GUARDDUTY_KEY.search(str(p.relative_to(lake)))]
    assert files
    findings = []
    for p in files:
        assert (
            GUARDDUTY_KEY.search(str(p.relative_to(lake)))["account"]
            == scenario["guardduty"]["admin_account"]
        )
        findings += [json.loads(line) for line in gzip.decompress(p.read_bytes()).decode().splitlines()]
    for f in findings:
        assert set(f) <= real_top and set(f["service"]) <= real_service | {"featureName"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", f["updatedAt"])
    by_type = {f["type"]: f for f in findings}
    leaked = scenario["indicators"]["leaked_access_key_id"]
    for t in (
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "Policy:IAMUser/RootCredentialUsage",
        "Exfiltration:S3/AnomalousBehavior",
    ):
        assert t in by_type
    assert (
        by_type["UnauthorizedAccess:IAMUser/MaliciousIPCaller"]["resource"]["accessKeyDetails"]["accessKeyId"]
        == leaked
    )
    assert any(f["service"]["archived"] for f in findings)
    missing = scenario["coverage"]["guardduty_not_enabled"]["account"]
    assert missing not in {f["accountId"] for f in findings}


def test_guardduty_export_reads_with_the_findings_normalizer(lake):
    from orginsight.sources.findings import normalize_findings

    lines = [
        json.loads(line)
        for p in lake.rglob("*.jsonl.gz")
        for line in gzip.decompress(p.read_bytes()).splitlines()
    ]
    df = normalize_findings(lines)
    assert df.attrs["errors"] == []
    assert len(df) == len(lines) and df["severity_label"].notna().all()


@pytest.mark.shared_data
def test_storage_lens_columns_and_manifest_follow_the_documented_schema(lake):
    notes = (shared_data_dir("storagelens") / "SCHEMA_NOTES.md").read_text()
    documented = re.search(r"Column order \(exact.*?\):\s*(.*?)\n(?:Parquet|\S)", notes, re.S)[1]
    assert tuple(c.strip() for c in documented.replace("\n", " ").split(",")) == REPORT_SCHEMA
    manifests = sorted(lake.glob("StorageLens/*/*/V_1/manifests/dt=*/manifest.json"))
    assert len(manifests) == 90
    for m in manifests[:3] + manifests[-3:]:
        man = json.loads(m.read_text())
        assert man["reportSchema"] == ",".join(REPORT_SCHEMA)
        (report,) = man["reportFiles"]
        assert STORAGE_LENS_KEY.search(report["key"])
        rows = (lake / report["key"]).read_text().splitlines()
        assert rows[0] == ",".join(REPORT_SCHEMA)
        assert all(len(r.split(",")) == len(REPORT_SCHEMA) for r in rows[1:])
        assert hashlib.md5((lake / report["key"]).read_bytes()).hexdigest() == report["md5Checksum"]


def test_storage_lens_planted_drift(lake, scenario):
    from orginsight.sources.storagelens import read_exports

    df = read_exports(lake)
    assert not df.attrs.get("problems")
    posture = scenario["posture"]
    bucket = df[df["record_type"] == "BUCKET"]

    def series(name: str, metric: str):
        s = bucket[(bucket["bucket_name"] == name) & (bucket["metric_name"] == metric)]
        return s.groupby("report_date")["metric_value"].sum().sort_index()

    drop = posture["encryption_coverage_drop"]
    cover = series(drop["bucket"], "EncryptedStorageBytes") / series(drop["bucket"], "StorageBytes")
    assert cover.iloc[0] == pytest.approx(1.0) and cover.iloc[-1] < 0.9
    off = posture["versioning_disabled"]
    versioning = series(off["bucket"], "VersioningEnabledBucketCount")
    assert versioning.iloc[0] == 1 and versioning.iloc[-1] == 0
    noncurrent = series(off["bucket"], "NonCurrentVersionStorageBytes")
    assert noncurrent.iloc[-1] == noncurrent.iloc[-2] and noncurrent.iloc[0] < noncurrent.iloc[-1]
    new = posture["new_unencrypted_bucket"]
    enc = series(new["bucket"], "EncryptedStorageBytes")
    assert str(enc.index[0])[:10] == new["first_date"] and (enc == 0).all()
    lock = posture["object_lock"]
    assert (
        series(lock["bucket"], "ObjectLockEnabledStorageBytes") == series(lock["bucket"], "StorageBytes")
    ).all()
    prefixes = df[df["record_type"] == "PREFIX"]["record_value"]
    assert len(prefixes) and prefixes.str.endswith("/").all()


# --------------------------------------------------------------------------- determinism, refusal, round trip


def test_same_seed_same_bytes_whatever_the_process_count(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_lake(
        a,
        accounts=6,
        days=3,
        events_per_day=300,
        seed=5,
        end=END,
        progress=False,
        processes=1,
        delivery_minutes=60,
    )
    generate_lake(
        b,
        accounts=6,
        days=3,
        events_per_day=300,
        seed=5,
        end=END,
        progress=False,
        processes=2,
        delivery_minutes=60,
    )
    generate_lake(
        c,
        accounts=6,
        days=3,
        events_per_day=300,
        seed=6,
        end=END,
        progress=False,
        processes=2,
        delivery_minutes=60,
    )
    for part in ("AWSLogs", "StorageLens", "api", "scenario.json"):
        digest_a = (
            _tree_digest(a, part)
            if (a / part).is_dir()
            else {part: hashlib.sha256((a / part).read_bytes()).hexdigest()}
        )
        digest_b = (
            _tree_digest(b, part)
            if (b / part).is_dir()
            else {part: hashlib.sha256((b / part).read_bytes()).hexdigest()}
        )
        assert digest_a == digest_b, part
    assert _tree_digest(a, "AWSLogs") != _tree_digest(c, "AWSLogs")


def test_existing_lake_is_not_overwritten_without_asking(lake):
    with pytest.raises(LakeError, match="already holds a lake"):
        generate_lake(lake, accounts=6, days=3, events_per_day=300, progress=False)


def test_round_trip_through_the_local_engine(lake, scenario):
    from orginsight import Lake

    local = Lake.local(lake)
    n = local.sql("SELECT count(*) n FROM cloudtrail WHERE eventtime >= '2000'")["n"].iloc[0]
    assert n == scenario["cloudtrail"]["events"]
    truth = {e["eventID"]: e for e in scenario["events"]}
    df = local.sql(
        "SELECT eventid, account, region, eventtime, recipientaccountid FROM cloudtrail "
        "WHERE eventtime >= :since AND eventid IN :ids",
        since="2000",
        ids=list(truth),
    )
    assert len(df) == len(truth)
    for row in df.itertuples():
        e = truth[row.eventid]
        assert (row.account, row.region, row.eventtime, row.recipientaccountid) == (
            e["account"],
            e["region"],
            e["eventTime"],
            e["account"],
        )


def test_ensure_lake_keeps_an_existing_lake_and_scenario_lines_tell_the_story(lake, scenario):
    from orginsight.demo import ensure_lake, load_scenario, scenario_lines

    assert ensure_lake(lake) is None
    assert load_scenario(lake) == scenario
    text = "\n".join(scenario_lines(scenario))
    assert scenario["indicators"]["leaked_access_key_id"] in text
    assert scenario["coverage"]["cloudtrail_gap"]["start"] in text
    assert scenario["posture"]["object_lock"]["bucket"] in text


def test_load_scenario_of_a_folder_without_a_lake_says_what_to_do(tmp_path):
    from orginsight.demo import load_scenario

    with pytest.raises(LakeError, match="orginsight lake generate"):
        load_scenario(tmp_path)
