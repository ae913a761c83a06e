"""Collector: the organization's Storage Lens configurations (s3control, read-only), and where each
exports to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from orginsight.collectors.recording import dig


def get_storage_lens_configurations(client: Any, account_id: str) -> tuple[list[dict], list[dict]]:
    """Pages of list_storage_lens_configurations and each configuration's get_ response."""
    pages: list[dict] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"AccountId": account_id}
        if token:
            kwargs["NextToken"] = token
        page = client.list_storage_lens_configurations(**kwargs)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    details = []
    for page in pages:
        for entry in page.get("StorageLensConfigurationList", []):
            resp = client.get_storage_lens_configuration(ConfigId=entry["Id"], AccountId=account_id)
            resp.pop("ResponseMetadata", None)
            details.append(resp)
    return pages, details


def transform_storage_lens_configurations(
    pages: list[Mapping[str, Any]], details: list[Mapping[str, Any]], account_id: str
) -> pd.DataFrame:
    """One row per configuration: id, arn, home region, enabled, scope, export destination and format."""
    by_id = {d["StorageLensConfiguration"]["Id"]: d["StorageLensConfiguration"] for d in details}
    rows = []
    for page in pages:
        for entry in page.get("StorageLensConfigurationList", []):
            cfg = by_id.get(entry["Id"], {})
            export = dig(cfg, "DataExport", "S3BucketDestination") or {}
            rows.append(
                {
                    "account_id": account_id,
                    "config_id": entry["Id"],
                    "arn": entry.get("StorageLensArn"),
                    "home_region": entry.get("HomeRegion"),
                    "enabled": bool(entry["IsEnabled"]),
                    "organization_arn": dig(cfg, "AwsOrg", "Arn"),
                    "prefix_level": "PrefixLevel" in (dig(cfg, "AccountLevel", "BucketLevel") or {}),
                    "export_bucket_arn": export.get("Arn"),
                    "export_prefix": export.get("Prefix"),
                    "export_format": export.get("Format"),
                    "export_account_id": export.get("AccountId"),
                    "export_schema_version": export.get("OutputSchemaVersion"),
                }
            )
    cols = [
        "account_id",
        "config_id",
        "arn",
        "home_region",
        "enabled",
        "organization_arn",
        "prefix_level",
        "export_bucket_arn",
        "export_prefix",
        "export_format",
        "export_account_id",
        "export_schema_version",
    ]
    df = pd.DataFrame(rows, columns=cols, dtype=object)  # object keeps missing values None (pandas 3 strings)
    return df.astype({"enabled": bool, "prefix_level": bool})


def list_storage_lens_configurations(client: Any, account_id: str) -> pd.DataFrame:
    """The Storage Lens configurations of ``account_id`` (an s3control client in the home region)."""
    pages, details = get_storage_lens_configurations(client, account_id)
    return transform_storage_lens_configurations(pages, details, account_id)


def export_location(config_row: Mapping[str, Any]) -> str | None:
    """The ``reports/`` S3 prefix of a configuration's export (for ``athena_ddl``)."""
    arn = config_row.get("export_bucket_arn")
    if not arn:
        return None
    bucket = arn.split(":::")[-1]
    prefix = (config_row.get("export_prefix") or "").strip("/")
    base = f"s3://{bucket}/" + (f"{prefix}/" if prefix else "")
    return f"{base}StorageLens/{config_row['account_id']}/{config_row['config_id']}/V_1/reports/"
