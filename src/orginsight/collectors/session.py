"""boto3 sessions and clients for collectors, with adaptive retries and optional member-account roles.

Collectors run from the delegated administrator (or the management account for
Organizations). Where a service has no organization-wide API, a collector can
assume a read-only role by name into each member account; ``Connection`` caches
one client per (account, service, region), because creating boto3 clients is
slow and a boto3 ``Session`` is not thread-safe while clients are.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials

OPERATIONS = frozenset({("sts", "get_caller_identity"), ("sts", "assume_role")})
"""Calls every collector shares: who we are, and member-account roles (``--member-role``)."""

DEFAULT_MAX_ATTEMPTS = 8
"""botocore attempts per call, first try included. Adaptive mode also rate-limits client-side after throttles."""

DEFAULT_POOL = 20
"""HTTP connections per client, at least the fan-out's worker count so threads do not queue on the pool."""


def retry_config(
    max_attempts: int = DEFAULT_MAX_ATTEMPTS, pool: int = DEFAULT_POOL, mode: str = "adaptive"
) -> Config:
    """botocore's adaptive retry mode: exponential back-off plus a client-side token bucket.

    Throttling errors (ThrottlingException, TooManyRequestsException, RequestLimitExceeded ...)
    are retried by botocore itself; only what is still failing after ``max_attempts`` reaches
    the fan-out, which records it as an outcome. ``mode="standard"`` keeps the back-off but not the
    client-side rate limiter (which slows every later call of a client after one throttle).
    """
    return Config(retries={"mode": mode, "max_attempts": max_attempts}, max_pool_connections=pool)


def make_session(
    profile: str | None = None,
    role_arn: str | None = None,
    region: str | None = None,
    session_name: str = "orginsight",
) -> boto3.Session:
    """A session from a named profile, the environment, or (with ``role_arn``) a role assumed from either."""
    base = boto3.Session(profile_name=profile, region_name=region)
    if role_arn is None:
        return base
    return assume_role(base, role_arn, session_name, region=region)


def assume_role(
    base: boto3.Session, role_arn: str, session_name: str = "orginsight", region: str | None = None
) -> boto3.Session:
    """A session holding temporary credentials of ``role_arn``, assumed again before they expire.

    STS hands out credentials for an hour by default, and a collection across hundreds of accounts
    and regions can outlast them: botocore refreshes these (its refreshable credentials, shared by
    every client of the session) shortly before expiry, so clients made early keep working. The
    first AssumeRole happens here, so a role that cannot be assumed fails at once. The credentials
    are never printed.
    """
    sts = base.client("sts", region_name=region or base.region_name or "us-east-1")

    def fetch() -> dict[str, str]:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        fetch(), refresh_using=fetch, method="assume-role"
    )
    core = botocore.session.get_session()
    core.get_component("credential_provider").insert_before("env", _Given(credentials))
    return boto3.Session(botocore_session=core, region_name=region or base.region_name)


class _Given(CredentialProvider):
    """Hands botocore's credential chain the credentials it is built with (ahead of the environment)."""

    METHOD = "orginsight-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


@dataclass
class Connection:
    """Where collectors get their clients: one home account plus, optionally, a role in each member.

    ``member_role`` is a role *name* (e.g. ``OrgInsightReadOnly``) assumed as
    ``arn:<partition>:iam::<account>:role/<member_role>`` when a client for another
    account is asked for. ``use_client`` lets tests hand in stubbed clients.
    """

    session: boto3.Session
    config: Config = field(default_factory=retry_config)
    member_role: str | None = None
    home_region: str = "us-east-1"
    _clients: dict[tuple[str | None, str, str], Any] = field(default_factory=dict, repr=False)
    _sessions: dict[str, boto3.Session] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _account_id: str | None = field(default=None, repr=False)

    @classmethod
    def from_profile(
        cls,
        profile: str | None = None,
        role_arn: str | None = None,
        member_role: str | None = None,
        region: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Connection:
        session = make_session(profile, role_arn, region)
        return cls(
            session,
            retry_config(max_attempts),
            member_role=member_role,
            home_region=region or session.region_name or "us-east-1",
        )

    @property
    def account_id(self) -> str:
        """The account the base credentials belong to (sts:GetCallerIdentity, once)."""
        if self._account_id is None:
            self._account_id = self.client("sts", self.home_region).get_caller_identity()["Account"]
        return self._account_id

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        """A cached client for ``service`` in ``region``, in ``account`` when it is a member account."""
        with self._lock:
            found = self._clients.get((account, service, region))
        if found is not None:
            return found
        key = (self._member(account), service, region)
        session = self._session_for(key[0])
        with self._lock:  # Session.client is not thread-safe.
            found = self._clients.get(key)
            if found is None:
                found = self._clients[key] = session.client(service, region_name=region, config=self.config)
        return found

    def use_client(self, service: str, region: str, client: Any, account: str | None = None) -> None:
        """Serve ``client`` for (account, service, region), e.g. one wrapped in a botocore Stubber."""
        with self._lock:
            self._clients[(account, service, region)] = client

    def _member(self, account: str | None) -> str | None:
        """The member account to assume a role into, or None to use the base credentials."""
        if account is None or self.member_role is None or account == self.account_id:
            return None
        return account

    def _session_for(self, account: str | None) -> boto3.Session:
        if account is None:
            return self.session
        with self._lock:
            found = self._sessions.get(account)
        if found is None:
            partition = self.session.get_partition_for_region(self.home_region)
            arn = f"arn:{partition}:iam::{account}:role/{self.member_role}"
            found = assume_role(self.session, arn, region=self.home_region)
            with self._lock:
                self._sessions[account] = found
        return found
