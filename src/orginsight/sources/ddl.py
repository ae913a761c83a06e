"""Athena DDL for the organization trail, with partition projection.

Follows AWS's documented table for an organization trail with partition
projection on account, region and day (Athena User Guide, "Create the table for
CloudTrail logs in Athena using partition projection", 2024): projection spares
Athena a partition catalogue, and a query reads only the days, accounts and
regions it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orginsight.sources.schema import ATHENA_TYPES

ALL_COMMERCIAL_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "sa-east-1",
)
"""Regions an organization trail may deliver from (commercial partition, 2024); pass --region to narrow."""


def cloudtrail_ddl(
    bucket: str,
    org_id: str,
    accounts: Sequence[str],
    regions: Sequence[str] = ALL_COMMERCIAL_REGIONS,
    table: str = "cloudtrail",
    database: str | None = None,
    prefix: str = "",
    first_day: str = "2020/01/01",
) -> str:
    """CREATE EXTERNAL TABLE for the organization trail in ``bucket`` (``prefix`` is the trail's key prefix)."""
    return projected_ddl(
        ATHENA_TYPES, "CloudTrail", bucket, org_id, accounts, regions, table, database, prefix, first_day
    )


def projected_ddl(
    types: Mapping[str, str],
    folder: str,
    bucket: str,
    org_id: str,
    accounts: Sequence[str],
    regions: Sequence[str],
    table: str,
    database: str | None,
    prefix: str,
    first_day: str,
) -> str:
    """CREATE EXTERNAL TABLE over one folder of the organization trail (``CloudTrail``,
    ``CloudTrail-Insight``): the columns ``types``, CloudTrail's SerDe and input format, and partition
    projection on account, region and day, so Athena lists no partition and prunes on all three."""
    if not accounts:
        raise ValueError(
            "partition projection needs the account list: pass accounts or read them from Organizations"
        )
    base = f"s3://{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}AWSLogs/{org_id}"
    name = f"{database}.{table}" if database else table
    columns = ",\n".join(f"  `{c}` {t}" for c, t in types.items())
    return f"""CREATE EXTERNAL TABLE IF NOT EXISTS {name} (
{columns}
)
PARTITIONED BY (`account` STRING, `region` STRING, `timestamp` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{base}/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.account.type'='enum',
  'projection.account.values'='{",".join(sorted(accounts))}',
  'projection.region.type'='enum',
  'projection.region.values'='{",".join(regions)}',
  'projection.timestamp.type'='date',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'projection.timestamp.range'='{first_day},NOW',
  'storage.location.template'='{base}/${{account}}/{folder}/${{region}}/${{timestamp}}'
)"""


def organization_account_ids(profile: str | None = None) -> list[str]:
    """Every account id of the organization (read-only ``organizations:ListAccounts``)."""
    import boto3

    client = boto3.Session(profile_name=profile).client("organizations")
    return [a["Id"] for page in client.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
