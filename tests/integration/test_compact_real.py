"""The Parquet cache on real CloudTrail (tests/data/real): every column of every record comes back unchanged.

Real records carry the shapes generated ones lack (sessionContext variants, webIdFederationData
maps, odd requestParameters, Panther's rule test records); the cache must give exactly the
rows and types the JSON scan gives for each of them.
"""

from __future__ import annotations

import json

import pytest
from conftest import assert_same_result, read_text, real_data
from test_hunts_real import normalize_panther

from orginsight import Lake

QUERIES = [
    "SELECT * FROM cloudtrail",
    "SELECT useridentity.sessioncontext.webidfederationdata.attributes AS attrs, "
    "useridentity.sessioncontext.attributes.mfaauthenticated AS mfa, useridentity.onbehalfof.userid AS obo, "
    "count(*) AS n FROM cloudtrail GROUP BY 1, 2, 3",
    "SELECT eventsource, eventname, json_extract_scalar(requestparameters, '$.roleArn') AS role, "
    "json_extract_scalar(additionaleventdata, '$.MFAUsed') AS mfa_used, count(*) AS n FROM cloudtrail GROUP BY 1, 2, 3, 4",
    "SELECT account, r.accountid, count(*) AS n FROM cloudtrail CROSS JOIN UNNEST(resources) AS t(r) GROUP BY 1, 2",
]


@pytest.fixture(scope="module")
def panther_lake(tmp_path_factory) -> object:
    from orginsight.sources.lake_import import import_files

    records, _ = normalize_panther(
        read_text(real_data("cloudtrail", "panther-labelled", "events.jsonl.gz")).splitlines()
    )
    work = tmp_path_factory.mktemp("panther-compact")
    (work / "records.json").write_text(json.dumps({"Records": records}))
    report = import_files([work / "records.json"], work / "lake")
    assert not report.failures, report.summary()
    return work / "lake"


@pytest.fixture(scope="module", params=["real_lake", "panther_lake"])
def both(request, tmp_path_factory) -> tuple[Lake, Lake]:
    """(plain, cached) over a real lake; the cache goes to a folder of its own, leaving the shared lake as it is."""
    root = request.getfixturevalue(request.param)
    cache = tmp_path_factory.mktemp("cache")
    cached = Lake.local(root, cache_dir=cache)
    result = cached.compact(progress=False)
    assert result["written"] > 0 and not result["failed"] and result["open"] == 0
    return Lake.local(root, cache_dir=cache / "absent"), cached


@pytest.mark.parametrize("sql", QUERIES)
def test_real_records_come_back_unchanged_from_the_cache(both, sql):
    plain, cached = both
    expected, got = plain.sql(sql), cached.sql(sql)
    assert len(expected) > 0
    assert_same_result(expected, got)
    assert got.attrs["stats"]["cached_partitions"] == got.attrs["stats"]["partitions_read"] > 0


@pytest.mark.parametrize(
    "hunt",
    [
        "console_login_without_mfa",
        "cloudtrail_tampering",
        "iam_policy_changes",
        "role_trust_policy_outside_org",
        "lambda_backdoor",
    ],
)
def test_hunts_on_invictus_agree_with_and_without_the_cache(real_lake, tmp_path, hunt):
    window = {"start": "2023-07-10T00:00:00Z", "end": "2023-07-11T00:00:00Z"}
    cached = Lake.local(real_lake, cache_dir=tmp_path / "cache")
    cached.compact(since="2023-07-09", until="2023-07-11", progress=False)
    expected = Lake.local(real_lake, cache_dir=tmp_path / "absent").hunt(hunt, **window)
    got = cached.hunt(hunt, **window)
    assert len(expected) > 0
    assert_same_result(expected, got, sort_lists=True)
    assert got.attrs["stats"]["cached_partitions"] > 0
