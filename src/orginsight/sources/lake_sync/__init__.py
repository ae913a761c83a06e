"""Bring a window of the organization's bucket home: ``orginsight lake sync``.

Copies the matching objects of the organization trail (log files, digests, Insights events), the
GuardDuty findings export and the Storage Lens export into a local lake laid out exactly as the bucket,
so every engine and reader works on it offline. Its modules follow the data: ``keys`` (the prefixes a
window names, which keys are copied and where they go), ``bucket`` (the read-only S3 calls and the
atomic copy), ``manifest`` (what earlier runs copied, so nothing is copied twice) and ``sync`` (which
drives them, in a thread pool, and checks the copies against their digests).
"""

from orginsight.sources.lake_sync.keys import SyncTarget, parse_s3_uri
from orginsight.sources.lake_sync.manifest import MANIFEST
from orginsight.sources.lake_sync.sync import DEFAULT_WORKERS, SyncReport, sync

__all__ = ["DEFAULT_WORKERS", "MANIFEST", "SyncReport", "SyncTarget", "parse_s3_uri", "sync"]
