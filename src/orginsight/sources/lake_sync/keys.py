"""Which keys of the bucket a sync wants, and where each goes in the lake: pure functions of text.

A sync never lists the whole bucket: ``day_prefixes`` names the account, region and day folders of
each source (``sources.layout`` and ``sources.digests.format`` document the layouts), so two days of
one account and region cost a handful of ListObjectsV2 calls whatever the bucket holds.

Keys come from the bucket and anyone who can write to it chooses them, so a key is copied only when
it has the exact shape its prefix promises (``KEY_SHAPES``), no empty, ``.`` or ``..`` segment, no
backslash or control character, and its path resolves inside the lake (``layout.path_inside``).
Everything else is reported as unexpected and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from orginsight.errors import ParameterError
from orginsight.sources.digests.format import DIGEST_FOLDER, DIGEST_KEY, SIDECAR_SUFFIX
from orginsight.sources.layout import (
    CLOUDTRAIL_KEY,
    GUARDDUTY_KEY,
    INSIGHT_FOLDER,
    INSIGHT_KEY,
    STORAGE_LENS_KEY,
    TRAIL_FOLDER,
    is_account_id,
    is_org_id,
    is_region,
    path_inside,
)

STORAGE_LENS_MANIFEST_KEY = re.compile(
    r"(?:^|/)StorageLens/(?P<account>\d{12})/(?P<config>[^/]+)/V_1/manifests/dt=(?P<dt>\d{4}-\d{2}-\d{2})/"
    r"manifest\.json$"
)
"""A Storage Lens export day's manifest (S3 User Guide, "Storage Lens export schema", 2024)."""

KEY_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    "cloudtrail": (CLOUDTRAIL_KEY,),
    "digest": (DIGEST_KEY,),
    "insight": (INSIGHT_KEY,),
    "guardduty": (GUARDDUTY_KEY,),
    "storagelens": (STORAGE_LENS_KEY, STORAGE_LENS_MANIFEST_KEY),
}
"""What a key listed under each source's prefix must look like to be copied."""

TRAIL_SOURCES = {"cloudtrail": TRAIL_FOLDER, "digest": DIGEST_FOLDER, "insight": INSIGHT_FOLDER}
"""The trail's folders under an account: its log files, their digests, its Insights events."""

_BAD_KEY = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|[\\\x00-\x1f\x7f]")
"""A key with an empty, ``.`` or ``..`` segment (``//``, a leading ``/``), a backslash or a control character."""


@dataclass(frozen=True)
class SyncTarget:
    """Where the trail is: ``s3://<bucket>/<base>AWSLogs[/<org>]``; the exports are looked for beside it."""

    bucket: str
    base: str
    org: str | None

    @property
    def awslogs(self) -> str:
        return f"{self.base}AWSLogs/"

    def account_prefix(self, account: str) -> str:
        """The trail's folder of one account (the organization's, or a single-account trail's)."""
        return f"{self.awslogs}{self.org}/{account}/" if self.org else f"{self.awslogs}{account}/"

    def accounts_prefix(self) -> str:
        """The folder whose subfolders are the trail's accounts."""
        return f"{self.awslogs}{self.org}/" if self.org else self.awslogs


def parse_s3_uri(uri: str) -> SyncTarget:
    """``s3://BUCKET/[prefix/]AWSLogs/o-xxxx`` (or ``.../AWSLogs`` for a single-account trail) as a target."""
    m = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)", uri.strip())
    if m is None:
        raise ParameterError(f"{uri!r} is not s3://BUCKET/.../AWSLogs/o-xxxx")
    bucket, path = m[1], m[2].strip("/")
    parts = path.split("/")
    if "AWSLogs" not in parts:
        raise ParameterError(f"{uri!r} does not name the trail's AWSLogs/ folder")
    i = parts.index("AWSLogs")
    rest = parts[i + 1 :]
    if len(rest) > 1 or (rest and not is_org_id(rest[0])) or any(not p for p in parts[:i]):
        raise ParameterError(f"{uri!r}: after AWSLogs/ only an organization id (o-...) may follow")
    base = "".join(f"{p}/" for p in parts[:i])
    if base and bad_key(base[:-1]):
        raise ParameterError(f"{uri!r} has a prefix that cannot name a folder")
    return SyncTarget(bucket, base, rest[0] if rest else None)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_prefixes(
    target: SyncTarget, accounts: Iterable[str], regions: Iterable[str], days: Iterable[date]
) -> list[tuple[str, str]]:
    """(source, prefix) of every trail, digest, Insights and GuardDuty export day folder the window names."""
    days, regions = list(days), list(regions)
    out = []
    for account in accounts:
        check_account(account)
        for region in regions:
            if not is_region(region):
                raise ParameterError(f"{region!r} is not a region name")
            for day in days:
                ymd = f"{day:%Y/%m/%d}/"
                for source, folder in TRAIL_SOURCES.items():
                    out.append((source, f"{target.account_prefix(account)}{folder}/{region}/{ymd}"))
                out.append(("guardduty", f"{target.awslogs}{account}/GuardDuty/{region}/{ymd}"))
    return out


def storage_lens_prefixes(target: SyncTarget, account: str, config: str, days: Iterable[date]) -> list[str]:
    """The report and manifest folders of one Storage Lens configuration's export, one per day."""
    root = f"{target.base}StorageLens/{account}/{config}/V_1/"
    return [f"{root}{kind}/dt={day:%Y-%m-%d}/" for day in days for kind in ("reports", "manifests")]


def check_account(account: str) -> str:
    if not is_account_id(account):
        raise ParameterError(f"{account!r} is not an account id (12 digits)")
    return account


def bad_key(key: str) -> bool:
    """Whether ``key`` could name something other than a file below the lake (see the module docstring)."""
    return _BAD_KEY.search(key) is not None


def unexpected(source: str, key: str, prefix: str, target: SyncTarget) -> str | None:
    """Why ``key``, listed under ``prefix`` for ``source``, is not copied; None when it is one of the source's
    objects. The whole key below the destination prefix must have the shape: one found further in does not
    count (``.../30/../../x/AWSLogs/...`` is refused, not matched from its second ``AWSLogs``)."""
    if not key.startswith(prefix):
        return "outside the prefix it was listed under"
    if bad_key(key):
        return "a path segment that is empty, '.' or '..', or a backslash or control character"
    if key.endswith(SIDECAR_SUFFIX):
        return "a name the lake keeps for digest signatures"
    rel = key[len(target.base) :]
    if not any(p.match(rel) for p in KEY_SHAPES[source]):
        return f"not the {source} key layout"
    return None


def local_path(lake: Path, target: SyncTarget, key: str) -> Path | None:
    """Where ``key`` goes in the lake (the destination prefix dropped, so the lake starts at ``AWSLogs/`` or
    ``StorageLens/``), or None when that path would not lie inside the lake."""
    rel = key[len(target.base) :] if key.startswith(target.base) else key
    if not rel or bad_key(rel) or rel.startswith("/"):
        return None
    path = lake / rel
    return path if path_inside(lake, path) else None
