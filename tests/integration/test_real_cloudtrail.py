"""The foundation on real CloudTrail written by AWS (../shared/data/cloudtrail, see its README)."""

from __future__ import annotations

from conftest import count_source_records, shared_data_dir

from orginsight import Lake


def test_every_real_record_is_counted(real_lake):
    expected = (
        count_source_records(shared_data_dir("cloudtrail", "invictus-stratus"))
        + count_source_records(shared_data_dir("cloudtrail", "otrf-ec2-proxy-s3-exfil", "records.json"))
        + 2  # trailscraper: one gzip file of 2 records
    )
    df = Lake.local(real_lake).sql("SELECT count(*) n FROM cloudtrail")
    assert df["n"][0] == expected == 3005


def test_invictus_stop_logging_events(real_lake):
    """Stratus Red Team's cloudtrail-stop technique: three StopLogging calls by bert-jan (Invictus IR dataset)."""
    df = Lake.local(real_lake).sql(
        "SELECT eventtime, useridentity.arn AS arn, sourceipaddress FROM cloudtrail "
        "WHERE eventname = 'StopLogging' AND timestamp = '2023/07/10' ORDER BY eventtime")
    assert df.to_dict("records") == [
        {"eventtime": t, "arn": "arn:aws:iam::123837392027:user/bert-jan", "sourceipaddress": "192.168.10.20"}
        for t in ("2023-07-10T12:00:42Z", "2023-07-10T12:01:23Z", "2023-07-10T12:01:27Z")
    ]


def test_real_records_keep_athena_column_shapes(real_lake):
    df = Lake.local(real_lake).sql(
        "SELECT count(*) n, count(useridentity.arn) arns, count_if(resources IS NOT NULL) with_resources, "
        "count(tlsdetails.tlsversion) tls FROM cloudtrail WHERE account = '123837392027'")
    row = df.iloc[0]
    assert row["n"] == 2900 and row["arns"] > 2000 and row["with_resources"] > 500 and row["tls"] > 1000
