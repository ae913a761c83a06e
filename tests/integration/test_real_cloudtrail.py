"""The foundation on real CloudTrail written by AWS.

The trimmed real records in tests/data/real/cloudtrail (Invictus IR aws_dataset, MIT; OTRF Security-Datasets,
MIT; trailscraper, Apache-2.0: sources and what was kept in each folder's SOURCE.md) run in any clone; the
full sets in ../shared/data (see its README) run where they are present, as on CI.
"""

from __future__ import annotations

import pytest
from conftest import REAL_CLOUDTRAIL, count_source_records, read_records, real_data, shared_data_dir

from orginsight import Lake

FULL_SETS = pytest.param("shared_real_lake", marks=pytest.mark.shared_data, id="full")


@pytest.fixture(params=[pytest.param("real_lake", id="trimmed"), FULL_SETS])
def lake_and_sources(request: pytest.FixtureRequest) -> tuple[Lake, dict[str, list[dict]]]:
    """A real lake and the source records it was imported from, by set."""
    where = real_data if request.param == "real_lake" else shared_data_dir
    lake = Lake.local(request.getfixturevalue(request.param))
    return lake, {name: read_records(where("cloudtrail", name)) for name in REAL_CLOUDTRAIL}


def test_every_real_record_is_counted(lake_and_sources) -> None:
    lake, sources = lake_and_sources
    df = lake.sql("SELECT count(*) n FROM cloudtrail")
    assert df["n"][0] == sum(len(records) for records in sources.values())
    assert len(sources["trailscraper"]) == 2 and len(sources["otrf-ec2-proxy-s3-exfil"]) == 103


@pytest.mark.shared_data
def test_the_full_sets_hold_3005_records() -> None:
    assert sum(count_source_records(shared_data_dir("cloudtrail", name)) for name in REAL_CLOUDTRAIL) == 3005


def test_invictus_stop_logging_events(real_lake) -> None:
    """Stratus Red Team's cloudtrail-stop technique: three StopLogging calls by bert-jan (Invictus IR dataset)."""
    df = Lake.local(real_lake).sql(
        "SELECT eventtime, useridentity.arn AS arn, sourceipaddress FROM cloudtrail "
        "WHERE eventname = 'StopLogging' AND timestamp = '2023/07/10' ORDER BY eventtime"
    )
    assert df.to_dict("records") == [
        {"eventtime": t, "arn": "arn:aws:iam::123837392027:user/bert-jan", "sourceipaddress": "192.168.10.20"}
        for t in ("2023-07-10T12:00:42Z", "2023-07-10T12:01:23Z", "2023-07-10T12:01:27Z")
    ]


def test_real_records_keep_athena_column_shapes(lake_and_sources) -> None:
    """Struct, array and nested fields come back as Athena's columns, as often as the records hold them."""
    lake, sources = lake_and_sources
    invictus = sources["invictus-stratus"]
    df = lake.sql(
        "SELECT count(*) n, count(useridentity.arn) arns, count_if(resources IS NOT NULL) with_resources, "
        "count(tlsdetails.tlsversion) tls FROM cloudtrail WHERE account = '123837392027'"
    )
    assert df.iloc[0].to_dict() == {
        "n": len(invictus),
        "arns": sum(1 for r in invictus if r["userIdentity"].get("arn")),
        "with_resources": sum(1 for r in invictus if r.get("resources") is not None),
        "tls": sum(1 for r in invictus if (r.get("tlsDetails") or {}).get("tlsVersion")),
    }
    assert min(df.iloc[0]) > 0
