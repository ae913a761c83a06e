"""CloudTrail log file integrity: the digest format (``format``) and the lake's verification (``verify``).

``format`` knows one digest file and its signature exactly as the CloudTrail User Guide documents them;
``verify`` checks a local lake's digests and log files, in parallel, and reports what was modified,
deleted, added or left without a digest; ``walk`` finds the digests and ``cache`` keeps each one's result.
"""

from orginsight.sources.digests.format import lake_public_keys, load_public_keys
from orginsight.sources.digests.verify import PROBLEM_KINDS, VerifyResult, verify

__all__ = ["PROBLEM_KINDS", "VerifyResult", "lake_public_keys", "load_public_keys", "verify"]
