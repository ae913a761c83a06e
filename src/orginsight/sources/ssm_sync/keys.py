"""What the sync writes: each node's key and the JSON lines in it (a demo lake writes them with these)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from orginsight.errors import ParameterError
from orginsight.sources.layout import is_account_id, is_region
from orginsight.sources.ssm_sync.inventory import RESOURCE_TYPE, inventory_type, table_name

RESOURCE_ID = re.compile(r"(i-([A-Za-z0-9]{8}|[A-Za-z0-9]{17}))|(mi-[A-Za-z0-9]{17})")
"""A managed node id (``ListInventoryEntries`` ``InstanceId`` pattern, SSM API Reference)."""


def sync_key(type_name: str, account: str, region: str, resource_id: str, prefix: str = "") -> str:
    """The key the sync gives one node's file of one type. Every part is checked: none can name a folder."""
    table_name(type_name)
    if not is_account_id(account):
        raise ParameterError(f"not an account id: {account!r}")
    if not is_region(region):
        raise ParameterError(f"not a region: {region!r}")
    if not isinstance(resource_id, str) or RESOURCE_ID.fullmatch(resource_id) is None:
        raise ParameterError(f"not a managed node id: {resource_id!r}")
    base = "/".join(p for p in prefix.strip("/").split("/") if p)
    if any(p in (".", "..") for p in base.split("/")):
        raise ParameterError(f"a sync prefix cannot hold '.' or '..': {prefix!r}")
    return (
        f"{base + '/' if base else ''}{type_name}/accountid={account}/region={region}/"
        f"resourcetype={RESOURCE_TYPE}/{resource_id}.json"
    )


def sync_files(type_name: str, rows: Iterable[Mapping[str, Any]], prefix: str = "") -> dict[str, bytes]:
    """Rows of one inventory type -> the sync's files: ``{key: JSON lines}``, one file per node.

    Each row is one item: the type's attributes plus ``accountid``, ``region``, ``resourceId`` and
    ``captureTime`` (``schemaVersion`` defaults to the type's). Pure, for a demo lake that writes the keys
    under its folder; the keys are checked (``sync_key``), so a row never names a path.
    """
    kind = inventory_type(type_name)
    files: dict[str, list[str]] = {}
    for row in rows:
        item = {k: v for k, v in row.items() if k not in ("accountid", "region")}
        item.setdefault("schemaVersion", kind.version)
        for required in ("resourceId", "captureTime"):
            if required not in item:
                raise ParameterError(f"an inventory row needs {required!r}: {row!r}")
        key = sync_key(type_name, row["accountid"], row["region"], item["resourceId"], prefix)
        files.setdefault(key, []).append(json.dumps(item, separators=(",", ":"), sort_keys=False))
    return {k: ("\n".join(lines) + "\n").encode() for k, lines in files.items()}
