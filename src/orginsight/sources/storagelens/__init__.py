"""S3 Storage Lens daily metrics exports: read, pivot, derive, query.

One module per step, in the order data flows: ``manifests`` (the export's key layout, and which
files each day's manifest says belong to it), ``read`` (the files into one long frame, pivoted
wide), ``metrics`` (the derived data-protection metrics, per bucket and per account), ``ddl`` (the
same data as an Athena table, and as a DuckDB view over a local lake so one SQL runs in both
places). The organization's Storage Lens configurations, read live from s3control, are a collector
(``orginsight.collectors.storagelens``).
"""

from orginsight.errors import LakeError, ParameterError
from orginsight.sources.storagelens.ddl import (
    BUCKET_PROTECTION_SQL,
    athena_ddl,
    create_local_view,
)
from orginsight.sources.storagelens.manifests import (
    CSV_SCHEMA,
    EXPORT_COLUMNS,
    MANIFEST_KEYS,
    PARQUET_SCHEMA,
    RECORD_TYPES,
    ExportDay,
    ExportProblem,
    export_day,
    iter_export_days,
    read_manifest,
)
from orginsight.sources.storagelens.metrics import (
    BUCKET_COUNT_METRICS,
    DERIVED_METRICS,
    PROTECTION_SUMS,
    account_protection,
    add_derived_metrics,
    bucket_protection,
    read_bucket_protection,
)
from orginsight.sources.storagelens.read import (
    KEYS,
    decode_record_value,
    pivot_wide,
    problems_frame,
    read_export_day,
    read_exports,
    read_report_file,
)

__all__ = [
    "BUCKET_COUNT_METRICS",
    "BUCKET_PROTECTION_SQL",
    "CSV_SCHEMA",
    "DERIVED_METRICS",
    "EXPORT_COLUMNS",
    "KEYS",
    "MANIFEST_KEYS",
    "PARQUET_SCHEMA",
    "PROTECTION_SUMS",
    "RECORD_TYPES",
    "ExportDay",
    "ExportProblem",
    "LakeError",
    "ParameterError",
    "account_protection",
    "add_derived_metrics",
    "athena_ddl",
    "bucket_protection",
    "create_local_view",
    "decode_record_value",
    "export_day",
    "iter_export_days",
    "pivot_wide",
    "problems_frame",
    "read_bucket_protection",
    "read_export_day",
    "read_exports",
    "read_manifest",
    "read_report_file",
]
