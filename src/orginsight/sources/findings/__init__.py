"""One normalized findings frame for every source: GuardDuty (API, S3 export, EventBridge), Security Hub
(ASFF, and OCSF from GetFindingsV2), Inspector, Macie and IAM Access Analyzer.

GuardDuty finding keys are camelCase in the raw API, EventBridge events and S3
exports, and PascalCase in boto3 responses; ASFF is PascalCase everywhere. Every
record first goes through one key normalizer (``pascal_keys``), then through one
extractor per format, so there is a single code path per product.

Where each part lives: ``records`` (key case, envelopes, scores, times and counts), one extractor per
product (``guardduty`` with ``guardduty_entities``, ``securityhub`` for ASFF, ``ocsf`` for Security
Hub's OCSF, ``inspector``, ``macie``, ``accessanalyzer``), ``files`` (gzip and JSON lines), ``frame``
(the frame, which extractor reads a record, and what was rejected or left empty). Account names and
OU paths come from ``sources.accounts``. OCSF records keep their snake_case keys; every other record
goes through ``pascal_keys`` first. The product is told from the record (``read_finding``), so one
``normalize_findings`` call takes pages of any of them.

Every finding names its resource (``resource_type``, ``resource_id``) by its product's resource type,
for every type of the product's botocore model, and the entities it names (``user_name`` ...
``remote_account``, ``sequence_*``) as columns left empty where it names none.

Severity labels follow each product's documented scale:
- GuardDuty (User Guide, "Severity levels for findings"; Critical added in 2023):
  9.0-10.0 Critical, 7.0-8.9 High, 4.0-6.9 Medium, 1.0-3.9 Low.
- ASFF ``Severity.Label`` when present, else ``Severity.Normalized`` (ASFF syntax, 2024):
  0 Informational, 1-39 Low, 40-69 Medium, 70-89 High, 90-100 Critical.
- OCSF ``severity_id``, Inspector ``inspectorScore``/``severity``, Macie ``severity.score`` 1-3 and
  Access Analyzer (no severity of its own): see each module's docstring.
``severity`` keeps the product's own score; ``severity_normalized`` puts all on ASFF's 0-100.

Findings are read from what others can shape (exports, files handed over, EventBridge lines), so
one bad item loses only itself (DESIGN.md, "Trust boundaries"):

- a record that is not a finding (neither an id nor a type), or a finding that cannot be read, is
  rejected: it is left out and described in ``df.attrs["errors"]`` (where, finding id, reason);
- a finding whose severity is outside its product's scale, or whose time is not a time, is kept with
  that value left empty and described in ``df.attrs["warnings"]``;
- a file line that is not JSON (a truncated upload) is rejected as ``file:line``; a truncated gzip
  keeps every complete line it decompressed to.

Each list entry is a dict: ``origin`` (file or source), ``record`` (line number in a file, position
in an iterable of records), ``finding`` (position in a page of several), ``finding_id``, ``where``
(``file:line`` and the like) and ``error`` (or ``warning``). One Python warning summarizes them.
"""

from orginsight.sources.accounts import with_org
from orginsight.sources.findings.accessanalyzer import extract_accessanalyzer
from orginsight.sources.findings.files import MAX_DECOMPRESSED_BYTES, gunzip_partial, split_json_records
from orginsight.sources.findings.frame import (
    FINDING_COLUMNS,
    READ_ERRORS,
    SEVERITY_LABELS,
    TIME_COLUMNS,
    FindingsBatch,
    describe,
    finding_id,
    findings_frame,
    latest_findings,
    normalize_finding,
    normalize_findings,
    read_finding,
    read_findings_files,
)
from orginsight.sources.findings.guardduty import (
    GUARDDUTY_RESOURCE_IDS,
    GUARDDUTY_RESOURCE_TYPES,
    GUARDDUTY_SEVERITY_RANGE,
    extract_guardduty,
    guardduty_label,
    guardduty_resource_id,
)
from orginsight.sources.findings.guardduty_entities import GUARDDUTY_ENTITY_COLUMNS, SEQUENCE_COLUMNS
from orginsight.sources.findings.inspector import INSPECTOR_RESOURCE_DETAILS, extract_inspector
from orginsight.sources.findings.macie import extract_macie
from orginsight.sources.findings.ocsf import extract_ocsf, is_ocsf
from orginsight.sources.findings.records import (
    LIST_SEPARATOR,
    PLAUSIBLE_YEARS,
    FindingError,
    is_asff,
    pascal_keys,
    to_utc,
    unwrap,
)
from orginsight.sources.findings.securityhub import (
    ASFF_LABEL_SCORE,
    ASFF_LABELS,
    ASFF_NORMALIZED_RANGE,
    ASFF_PRINCIPAL_TYPES,
    AWS_PRODUCTS,
    asff_label,
    asff_resource_id,
    extract_asff,
    product_from_arn,
)

__all__ = [
    "GUARDDUTY_ENTITY_COLUMNS",
    "GUARDDUTY_RESOURCE_IDS",
    "GUARDDUTY_RESOURCE_TYPES",
    "INSPECTOR_RESOURCE_DETAILS",
    "LIST_SEPARATOR",
    "SEQUENCE_COLUMNS",
    "asff_resource_id",
    "extract_accessanalyzer",
    "extract_inspector",
    "extract_macie",
    "extract_ocsf",
    "guardduty_resource_id",
    "is_ocsf",
    "ASFF_LABELS",
    "ASFF_LABEL_SCORE",
    "ASFF_NORMALIZED_RANGE",
    "ASFF_PRINCIPAL_TYPES",
    "AWS_PRODUCTS",
    "FINDING_COLUMNS",
    "GUARDDUTY_SEVERITY_RANGE",
    "MAX_DECOMPRESSED_BYTES",
    "PLAUSIBLE_YEARS",
    "READ_ERRORS",
    "SEVERITY_LABELS",
    "TIME_COLUMNS",
    "FindingError",
    "FindingsBatch",
    "asff_label",
    "describe",
    "extract_asff",
    "extract_guardduty",
    "finding_id",
    "findings_frame",
    "latest_findings",
    "guardduty_label",
    "gunzip_partial",
    "is_asff",
    "normalize_finding",
    "normalize_findings",
    "pascal_keys",
    "product_from_arn",
    "read_finding",
    "read_findings_files",
    "split_json_records",
    "to_utc",
    "unwrap",
    "with_org",
]
