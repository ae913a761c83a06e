"""Where VPC Flow Logs and Route 53 Resolver query logs land in S3, and how a local lake is walked for them.

VPC Flow Logs to S3 (Amazon VPC User Guide, "Flow log files", 2024), one of four folder forms under the
bucket and optional prefix; files ``<account>_vpcflowlogs_<region>_<flow-log-id>_<yyyymmddThhmmZ>_<hash>``
with ``.log.gz`` (text) or ``.log.parquet`` (Parquet):
    AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/[<HH>/]
    AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<mm>/day=<dd>/[hour=<HH>/]

Resolver query logs to S3 (Route 53 Developer Guide, "Resolver query logging", 2024): per VPC, not per
region (the region is in each record):
    AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/<yyyy>/<mm>/<dd>/<account>_vpcdnsquerylogs_<vpc-id>_<yyyymmddThhmmZ>_<hash>.log.gz

Both tables are partitioned like ``cloudtrail`` (account, then region or VPC, then ``timestamp`` as
``yyyy/MM/dd``), so ``engines.pruning.partition_filter`` reads their predicates unchanged.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from orginsight.sources.layout import ACCOUNT_PATTERN, REGION_PATTERN, PartitionSelector

FLOW_SERVICE = "vpcflowlogs"
DNS_SERVICE = "vpcdnsquerylogs"
"""The service folder of each kind under ``AWSLogs/<account>/``."""

VPC_PATTERN = r"vpc-[0-9a-z]{1,32}"
"""A VPC id as a key folder: ``vpc-`` and 8 or 17 hex digits in AWS (EC2 API reference, 2024), loosened to
lower-case letters and digits so AWS's own examples (``vpc-7example``) place too; it only has to be one
safe folder name."""

FLOW_SUFFIXES = (".log.gz", ".log", ".log.parquet", ".parquet")
DNS_SUFFIXES = (".log.gz", ".log")
"""File names a walk takes as logs of each kind; anything else in the folders is left alone."""

_ACCOUNT = re.compile(ACCOUNT_PATTERN)
_REGION = re.compile(REGION_PATTERN)
_VPC = re.compile(VPC_PATTERN)
_NUM = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class NetworkFile:
    """One flow-log or resolver-log file of a lake, with the partition values its folders carry.

    ``place`` is the region (flow logs) or the VPC id (resolver logs): the second partition of its table.
    """

    path: str
    account: str
    place: str
    day: date
    size: int
    mtime_ns: int

    @property
    def timestamp(self) -> str:
        """The partition value Athena's projection uses (``yyyy/MM/dd``)."""
        return self.day.strftime("%Y/%m/%d")

    @property
    def is_parquet(self) -> bool:
        return self.path.endswith(".parquet")


def iter_network_files(
    root: str | Path, service: str, partitions: PartitionSelector | None = None, by_region: bool = True
) -> Iterator[NetworkFile]:
    """Every file of ``service`` below ``root``'s ``AWSLogs/`` the selector may want, in key order.

    Accounts, regions (``by_region``; resolver logs are foldered by VPC, so their region prunes
    nothing) and days outside the selector are not even listed. Links are not followed: a link in a
    lake handed over by someone else could point the engine at any file of the machine.
    """
    base = os.path.join(os.fspath(root), "AWSLogs")
    suffixes = FLOW_SUFFIXES if service == FLOW_SERVICE else DNS_SUFFIXES
    place_ok = _REGION if by_region else _VPC
    for name, account_path in _dirs(base):
        account = name.removeprefix("aws-account-id=")
        if not _ACCOUNT.fullmatch(account):
            continue
        if partitions is not None and partitions.accounts is not None and account not in partitions.accounts:
            continue
        for svc, svc_path in _dirs(account_path):
            if svc not in (service, f"aws-service={service}"):
                continue
            for pname, place_path in _dirs(svc_path):
                place = pname.removeprefix("aws-region=")
                if not place_ok.fullmatch(place):
                    continue
                regions = partitions.regions if by_region and partitions is not None else None
                if regions is not None and place not in regions:
                    continue
                yield from _day_files(place_path, account, place, partitions, suffixes)


def _day_files(
    path: str, account: str, place: str, p: PartitionSelector | None, suffixes: tuple[str, ...]
) -> Iterator[NetworkFile]:
    for y, ypath in _dirs(path):
        for m, mpath in _dirs(ypath):
            for d, dpath in _dirs(mpath):
                day = _day(y.removeprefix("year="), m.removeprefix("month="), d.removeprefix("day="))
                if day is None or (p is not None and not _wanted(day, p)):
                    continue
                yield from _files(dpath, account, place, day, suffixes)
                for h, hpath in _dirs(dpath):  # per-hour partitions: <dd>/<HH>/ or day=<dd>/hour=<HH>/
                    if _NUM.fullmatch(h.removeprefix("hour=")):
                        yield from _files(hpath, account, place, day, suffixes)


def _files(
    path: str, account: str, place: str, day: date, suffixes: tuple[str, ...]
) -> Iterator[NetworkFile]:
    try:
        with os.scandir(path) as it:
            entries = sorted(
                (e for e in it if e.name.endswith(suffixes) and e.is_file(follow_symlinks=False)),
                key=lambda e: e.name,
            )
        for e in entries:
            st = e.stat(follow_symlinks=False)
            yield NetworkFile(e.path, account, place, day, st.st_size, st.st_mtime_ns)
    except OSError:
        return


def _dirs(path: str) -> list[tuple[str, str]]:
    try:
        with os.scandir(path) as it:
            found = [(e.name, e.path) for e in it if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    return sorted(found)


def _day(y: str, m: str, d: str) -> date | None:
    if not (len(y) == 4 and _NUM.fullmatch(y) and _NUM.fullmatch(m) and _NUM.fullmatch(d)):
        return None
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _wanted(day: date, p: PartitionSelector) -> bool:
    return not (
        (p.first_day is not None and day < p.first_day) or (p.last_day is not None and day > p.last_day)
    )


def flow_log_key(
    account: str, region: str, when: datetime, flow_log_id: str = "fl-orginsight", digest: str | None = None
) -> str:
    """The key VPC Flow Logs gives a text log file delivered for ``account`` and ``region`` at ``when``.

    ``digest`` is the name's last part (8 hex digits; random unless given, as the demo gives it to stay
    the same for a seed)."""
    tail = digest if digest is not None else secrets.token_hex(4)
    return (
        f"AWSLogs/{account}/{FLOW_SERVICE}/{region}/{when:%Y/%m/%d}/"
        f"{account}_{FLOW_SERVICE}_{region}_{flow_log_id}_{when:%Y%m%dT%H%MZ}_{tail}.log.gz"
    )


def dns_log_key(account: str, vpc_id: str, when: datetime) -> str:
    """The key Resolver query logging gives a log file for ``account``'s VPC ``vpc_id`` at ``when``."""
    return (
        f"AWSLogs/{account}/{DNS_SERVICE}/{vpc_id}/{when:%Y/%m/%d}/"
        f"{account}_{DNS_SERVICE}_{vpc_id}_{when:%Y%m%dT%H%MZ}_{secrets.token_hex(4)}.log.gz"
    )
