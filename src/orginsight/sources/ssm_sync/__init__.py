"""Systems Manager resource data sync: the organization's node inventory, as tables over one S3 bucket.

A resource data sync of type ``SyncToDestination`` (``SyncFormat`` ``JsonSerDe``, the only one) writes the
inventory of every managed node to one bucket; created for the organization, every account writes there.
Its layout (AWS Systems Manager User Guide, "Walkthrough: Using resource data sync to aggregate inventory
data", and the bucket policy it gives, ``<prefix>/*/accountid=<account>/*``; read 2026-12):

    <prefix>/<type>/accountid=<account>/region=<region>/resourcetype=ManagedInstanceInventory/<node-id>.json

one folder per inventory type (``AWS:InstanceInformation``, ``AWS:PatchSummary``, ... ``Custom:<name>``),
Hive-style partitions, and one uncompressed JSON-lines file per node and type: one object per inventory
item, the type's attributes under their schema names ("Metadata collected by inventory") plus
``resourceId``, ``captureTime`` and ``schemaVersion``. A node with no item of a type may leave an empty file.

AWS documents Athena tables made with ``MSCK REPAIR`` or a Glue crawler; :func:`athena_ddl` writes them by
hand with partition projection instead, like the trail's (``sources.ddl``). Locally each type is a DuckDB
view (:func:`local_views`) over the files that parse, with the same columns: one bad file is reported and
left out, and a folder or file whose name is not the layout's is reported and never read.
"""

from orginsight.sources.ssm_sync.ddl import all_athena_ddl, athena_ddl
from orginsight.sources.ssm_sync.inventory import (
    COMMON_FIELDS,
    INVENTORY_TYPES,
    PARTITION_COLUMNS,
    RESOURCE_TYPE,
    TABLES,
    InventoryType,
    inventory_type,
    table_name,
)
from orginsight.sources.ssm_sync.keys import sync_files, sync_key
from orginsight.sources.ssm_sync.read import (
    LAKE_PREFIXES,
    SyncChecks,
    SyncFile,
    SyncFiles,
    find_files,
    good_files,
    parse_items,
    read_inventory,
)
from orginsight.sources.ssm_sync.views import LocalViews, local_views, referenced_tables, view_sql

__all__ = [
    "COMMON_FIELDS",
    "INVENTORY_TYPES",
    "LAKE_PREFIXES",
    "PARTITION_COLUMNS",
    "RESOURCE_TYPE",
    "TABLES",
    "InventoryType",
    "LocalViews",
    "SyncChecks",
    "SyncFile",
    "SyncFiles",
    "all_athena_ddl",
    "athena_ddl",
    "find_files",
    "good_files",
    "inventory_type",
    "local_views",
    "parse_items",
    "read_inventory",
    "referenced_tables",
    "sync_files",
    "sync_key",
    "table_name",
    "view_sql",
]
