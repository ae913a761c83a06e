"""Put loose CloudTrail files into a lake's S3 key layout.

Analysts receive CloudTrail as a customer exported it: ``{"Records": [...]}``
objects, JSON lines, EventBridge events, directory trees, zip or tar archives.
Importing places every record under the key CloudTrail itself would have used
(account, region and day taken from the record), gzip-compressed, one file per
account, region and five minutes. Insights events (``eventCategory`` Insight) go to
``CloudTrail-Insight/``, their own table, as CloudTrail delivers them.

Those inputs are shaped by whoever handed them over, so import is a trust boundary:

- A record decides nothing about the filesystem. Account, region and time are checked
  against the layout's rules (``orginsight.sources.layout``) before they name a folder, and
  every folder written to is checked to lie inside the lake. Archive member names
  only ever appear in messages.
- One bad item loses only itself. A record that cannot be placed is reported with its
  input and record number; a broken input keeps the records read before the break.
- Memory stays bounded. Inputs are read as streams, records go to the lake in batches,
  and no input member (a file, a zip or tar member, a gzip stream) may decompress to
  more than ``max_member_bytes``: a compression bomb is refused after that many bytes.
- Nothing is placed twice. A record whose eventID (or, without one, its content) is
  already in its partition (account, region, day folder) is skipped, so importing a
  folder again after it grew, or two overlapping exports, adds only what is new; a
  damaged file met in a partition is repaired (its readable records kept, the
  original moved to ``.orginsight/damaged/``).
- Concurrent imports count exactly. Each partition is locked while its existing ids are
  read and its new file written (``.orginsight/locks/``); files are written under a
  unique temporary name, fsynced and renamed into place.

Its modules follow the data: ``inputs`` (files, folders, archives, the size cap), ``records``
(streamed JSON parsing and where each record goes), ``partitions`` (the lake's day folders: locks,
durable writes, repair), ``importer`` (``import_files``, which drives the others) and ``report``
(what an import tells, and how it quotes what came from outside).
"""

from orginsight.sources.lake_import.importer import DEFAULT_ORG_ID, import_files, parse_byte_size
from orginsight.sources.lake_import.inputs import DEFAULT_MAX_MEMBER_BYTES
from orginsight.sources.lake_import.records import parse_records
from orginsight.sources.lake_import.report import (
    MAX_LISTED_FAILURES,
    ImportFailure,
    ImportReport,
    LakeRepair,
)

__all__ = [
    "DEFAULT_MAX_MEMBER_BYTES",
    "DEFAULT_ORG_ID",
    "MAX_LISTED_FAILURES",
    "ImportFailure",
    "ImportReport",
    "LakeRepair",
    "import_files",
    "parse_byte_size",
    "parse_records",
]
