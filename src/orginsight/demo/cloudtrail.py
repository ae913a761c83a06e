"""Organization CloudTrail for the demo: believable background activity, one account-day at a time.

Who acts and how much: people through IAM Identity Center, CI/CD pipelines, EC2 instance roles,
Lambda functions and AWS services through service-linked roles, each following an hour curve.
What they call comes from the weighted tables of ``actions.py``; records are built by ``records.py``.

Speed: a day of one account is one task; records are plain dicts that share their ``userIdentity``,
and each delivered file is serialized with one ``json.dumps`` and compressed once.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orginsight.demo.actions import (
    GET_CALLER_IDENTITY,
    INSTANCE_ACTIONS,
    OPERATOR_ACTIONS,
    PIPELINE_ACTIONS,
    READ_ACTIONS,
    WORKLOAD_ACTIONS,
    Call,
    service_role_action,
)
from orginsight.demo.estate import PERMISSION_SETS, Estate, cached_estate, ci_principal
from orginsight.demo.org import HOME_REGION, Account, Organization
from orginsight.demo.records import (
    HMS,
    Session,
    assume_role_records,
    assumed_role_identity,
    console_login_record,
    ct_time,
    hex_id,
    iam_user_identity,
    saml_records,
)
from orginsight.sources.layout import cloudtrail_key

GZIP_LEVEL = 3
"""gzip level of delivered files: about as fast as level 1 and a little smaller; level 6 is half as fast."""

# Relative activity by UTC hour, for an organization working from Europe and the US east coast.
BUSINESS_HOURS = (
    (0.08, 0.06, 0.05, 0.05, 0.06, 0.12)
    + (0.3, 0.7, 1.2, 1.5, 1.5, 1.3)
    + (1.1, 1.4, 1.5, 1.4, 1.2, 0.9)
    + (0.6, 0.4, 0.3, 0.2, 0.14, 0.1)
)
"""People and the pipelines they start."""
MACHINE_HOURS = (
    (0.8, 0.75, 0.7, 0.7, 0.75, 0.8)
    + (0.9, 1.0, 1.1, 1.2, 1.25, 1.25)
    + (1.2, 1.2, 1.25, 1.25, 1.2, 1.15)
    + (1.1, 1.0, 0.95, 0.9, 0.85, 0.8)
)
"""Applications and AWS services: busy all day, busier while people are."""
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.35, 0.3)
"""Relative volume from Monday to Sunday."""

PEOPLE = [
    (
        "alice.martin",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        "bob.nguyen",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    ("carla.rossi", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (
        "deepak.iyer",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        "emma.schmidt",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    ),
    (
        "farid.haddad",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    (
        "grace.obi",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    ("hiro.tanaka", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"),
    ("ines.silva", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (
        "jonas.berg",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
]
CLI_AGENTS = [
    "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#{cmd}",
    "aws-cli/2.17.52 md/awscrt#0.21.5 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#{cmd}",
]
CONSOLE_AGENT = "AWS Internal"
OFFICE_IPS = ["77.171.20.5", "62.194.1.9", "73.42.190.18"]
"""Corporate egress addresses: offices in the Netherlands and the US (geoip2fast agrees, 2026-11)."""
HOME_IPS = ["81.164.20.11", "92.105.33.201", "86.12.141.97", "24.130.8.66", "145.224.66.10"]
"""People working from home: Belgium, Switzerland, United Kingdom, United States."""
CI_RUNNER_IPS = ["52.4.118.20", "52.4.118.21", "34.230.77.140"]
CI_AGENTS = [
    "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/CodeBuild cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 md/prompt#off md/command#{cmd}",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.76.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.40.0",
]
SDK_AGENTS = [
    "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54",
    "aws-sdk-java/2.28.29 Linux/5.10.227-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard",
]
LAMBDA_AGENT = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-240.890.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145"


# --------------------------------------------------------------------------- one account-day


@dataclass
class DayTask:
    """Generate one account's CloudTrail for one day (a unit of work for a process)."""

    lake: str
    org: Organization
    account_index: int
    day: datetime
    events_per_day: int
    seed: int
    extra: list[tuple[int, str, dict]]
    gap: tuple[str, str, datetime, datetime] | None
    gzip_level: int = GZIP_LEVEL
    delivery_minutes: int = 5


@dataclass
class DayResult:
    account: str
    day: datetime
    events: int
    files: int
    bytes: int


def generate_day(task: DayTask) -> DayResult:
    """All records of one account and day, written in files of one delivery window in the CloudTrail key layout."""
    org = task.org
    account = org.accounts[task.account_index]
    rng = random.Random(f"ct/{task.seed}/{account.id}/{task.day:%Y%m%d}")
    est = cached_estate(org, account, task.seed)
    events: list[tuple[int, str, dict]] = []
    lo = 0
    if account.joined > task.day:
        lo = int((account.joined - task.day).total_seconds())
    if lo < 86400:
        events = _background(rng, task, est, lo)
    events.extend(task.extra)
    return _write_files(rng, task, account, events)


def _hour_counts(rng: random.Random, n: float, curve: tuple[float, ...]) -> list[int]:
    total = sum(curve)
    return [int(n * w / total + rng.random()) for w in curve]


@dataclass
class _Day:
    """An account-day being generated: its one random generator, volume, regions and records so far.

    Every actor draws from ``rng`` in turn, so the actors run in a fixed order (see ``_background``).
    """

    rng: random.Random
    task: DayTask
    est: Estate
    lo: int
    """First second of the day the account exists (it may join the organization that day)."""
    n_day: float
    """The account's background volume today."""
    idp: str
    """The IAM Identity Center instance's id, the same in every account."""
    out: list[tuple[int, str, dict]] = field(default_factory=list)
    prefix: str = field(init=False)
    """eventTime up to the time of day (formatting times is the generator's hottest path)."""

    def __post_init__(self) -> None:
        self.prefix = self.task.day.strftime("%Y-%m-%dT")

    @property
    def account(self) -> Account:
        return self.est.account

    @property
    def regions(self) -> tuple[str, ...]:
        return self.account.regions

    @property
    def region_weights(self) -> list[float]:
        """The first region is the busiest."""
        n = len(self.regions)
        return [0.7, 0.2, 0.1][:n] if n <= 3 else [0.6, 0.2, 0.1, 0.05, 0.05][:n]

    def emit(self, sec: int, region: str, rec: dict) -> None:
        self.out.append((sec, region, rec))

    def when(self, sec: int) -> str:
        return self.prefix + HMS[sec]

    def t_of(self, sec: int) -> datetime:
        return self.task.day + timedelta(seconds=sec)

    def call(self, sess: Session, sec: int, region: str) -> Call:
        return Call(self.rng, self.est, sess, self.when(sec), region)

    def a_region(self) -> str:
        return self.rng.choices(self.regions, self.region_weights)[0]


def _background(rng: random.Random, task: DayTask, est: Estate, lo: int) -> list[tuple[int, str, dict]]:
    org, account = task.org, est.account
    total_w = sum(a.weight for a in org.accounts)
    n_day = (
        task.events_per_day * account.weight / total_w * WEEKDAY[task.day.weekday()] * rng.uniform(0.9, 1.1)
    )
    idp = hex_id(random.Random(f"idp/{task.seed}/{org.id}"), 32)
    day = _Day(rng, task, est, lo, n_day, idp)
    for actor in (_people, _pipelines, _instances, _functions, _service_roles):
        actor(day)
    return day.out


def _people(d: _Day) -> None:
    """People through IAM Identity Center: business hours, console or CLI, read-heavy."""
    rng, account = d.rng, d.account
    for hour, n in enumerate(_hour_counts(rng, d.n_day * 0.22, BUSINESS_HOURS)):
        if n == 0 or hour * 3600 + 3599 < d.lo:
            continue
        sessions = int(n / 30 + rng.random())
        for _ in range(sessions):
            person, browser = rng.choice(PEOPLE)
            console = rng.random() < 0.55
            perm = rng.choices(PERMISSION_SETS, (0.25, 0.55, 0.2))[0]
            if rng.random() < 0.7:
                ip = rng.choice(OFFICE_IPS)
            else:
                ip = HOME_IPS[PEOPLE.index((person, browser)) % len(HOME_IPS)]
            start = max(d.lo, hour * 3600 + rng.randrange(3600))
            role, role_id = d.est.sso_roles[perm]
            recs, key = saml_records(
                rng, account.id, role, role_id, person, ip, browser, d.t_of(start), d.idp
            )
            for r in recs:
                d.emit(start, HOME_REGION, r)
            user = f"{person}@example-corp.com"
            ua = CONSOLE_AGENT if console else rng.choice(CLI_AGENTS).format(cmd="ec2.describe-instances")
            identity = assumed_role_identity(
                account.id,
                "aws-reserved/sso.amazonaws.com/",
                role,
                role_id,
                user,
                key,
                ct_time(d.t_of(start)),
            )
            sess = Session(identity, ip, ua, "sso", account.id, console=console)
            if console:
                login = Session(identity, ip, browser, "sso", account.id)
                d.emit(start, HOME_REGION, console_login_record(rng, login, d.t_of(start), None))
            actions = READ_ACTIONS if perm == "ReadOnlyAccess" else OPERATOR_ACTIONS
            for _ in range(max(1, n // sessions)):
                sec = min(86399, start + int(rng.expovariate(1 / 900)))
                region = d.a_region()
                d.emit(sec, region, actions(d.call(sess, sec, region)))


def _pipelines(d: _Day) -> None:
    """CI/CD: the shared-services CI user assumes cicd-deploy in each member account but the management one."""
    rng, task, org, account = d.rng, d.task, d.task.org, d.account
    shared = org.by_role("shared-services")
    if account.id == shared.id:
        for target in org.accounts:
            if target.id != shared.id and target.role != "management":
                for sec, _region, caller_copy, _target_copy, _sess in _ci_runs(task, target):
                    d.emit(sec, HOME_REGION, caller_copy)
        _, ci_user, ci_uid, ci_key = ci_principal(org, task.seed)
        for hour, n in enumerate(_hour_counts(rng, d.n_day * 0.02, BUSINESS_HOURS)):
            for _ in range(n):
                sec = max(d.lo, hour * 3600 + rng.randrange(3600))
                caller = Session(
                    iam_user_identity(shared.id, ci_user, ci_uid, ci_key),
                    rng.choice(CI_RUNNER_IPS),
                    rng.choice(CI_AGENTS).format(cmd="sts.get-caller-identity", svc="sts"),
                    "ci",
                    shared.id,
                )
                d.emit(sec, HOME_REGION, GET_CALLER_IDENTITY(d.call(caller, sec, HOME_REGION)))
    elif account.role != "management":
        for start, _region, _caller_copy, target_copy, sess in _ci_runs(task, account):
            if start < d.lo:
                continue
            d.emit(start, HOME_REGION, target_copy)
            for _ in range(rng.randint(8, 30)):
                sec = min(86399, start + rng.randrange(900))
                region = d.a_region()
                d.emit(sec, region, PIPELINE_ACTIONS(d.call(sess, sec, region)))


def _service_assumes(
    d: _Day, service: str, start: int, region: str, role: str, role_id: str, session_name: str, duration: int
) -> dict:
    """EC2 or Lambda assumes a role for a session (one record); returns the identity of the session's calls."""
    recs, key = assume_role_records(
        d.rng,
        None,
        d.t_of(start),
        region,
        d.account.id,
        "",
        role,
        role_id,
        session_name,
        duration,
        service=service,
    )
    d.emit(start, region, recs[0])
    created = ct_time(d.t_of(start))
    return assumed_role_identity(
        d.account.id, "", role, role_id, session_name, key, created, ec2=service == "ec2.amazonaws.com"
    )


def _instances(d: _Day) -> None:
    """EC2 instance roles: credentials refreshed every 6 hours per instance, steady application traffic."""
    rng, account, est = d.rng, d.account, d.est
    machine = _hour_counts(rng, d.n_day * 0.38, MACHINE_HOURS)
    sessions: dict[tuple[str, str, int], Session] = {}
    busy = max(1, min(4, round(d.n_day * 0.38 / (len(d.regions) * 150))))
    for region in d.regions:
        for inst in est.instances[region][:busy]:
            role, role_id = est.instance_roles[est.instances[region].index(inst) % len(est.instance_roles)]
            for hour in range(0, 24, 6):
                start = hour * 3600 + rng.randrange(600)
                if start < d.lo:
                    continue
                identity = _service_assumes(d, "ec2.amazonaws.com", start, region, role, role_id, inst, 21600)
                sessions[(region, inst, hour // 6)] = Session(
                    identity,
                    rng.choice(est.nat_ips),
                    rng.choice(SDK_AGENTS),
                    "ec2",
                    account.id,
                    region,
                    start=start,
                    name=inst,
                )
    for hour, n in enumerate(machine):
        if hour * 3600 + 3599 < d.lo:
            continue
        pool = [s for (_r, _i, quarter), s in sessions.items() if quarter == hour // 6]
        if not pool:
            continue
        for _ in range(n):
            sess = rng.choice(pool)
            sec = max(sess.start, hour * 3600 + rng.randrange(3600))
            d.emit(sec, sess.region, INSTANCE_ACTIONS(d.call(sess, sec, sess.region)))


def _functions(d: _Day) -> None:
    """Lambda: the service assumes the execution role for an execution environment (which lives for hours),
    then the function works with those credentials."""
    rng, account, est = d.rng, d.account, d.est
    n_lambda = int(d.n_day * 0.2)
    environments = []
    for _ in range(max(1, min(len(est.functions) * 3, n_lambda // 40))):
        fn, role, role_id = rng.choice(est.functions)
        start = d.lo + rng.randrange(86400 - d.lo)
        region = d.regions[0]
        identity = _service_assumes(d, "lambda.amazonaws.com", start, region, role, role_id, fn, 43200)
        ip = (
            f"{rng.choice([3, 18, 52, 54])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        )
        environments.append((start, Session(identity, ip, LAMBDA_AGENT, "lambda", account.id, region)))
    for _ in range(n_lambda):
        start, sess = rng.choice(environments)
        sec = min(86399, start + rng.randrange(8 * 3600))
        d.emit(sec, sess.region, WORKLOAD_ACTIONS(d.call(sess, sec, sess.region)))


SERVICE_ROLE_SESSIONS = {
    "config.amazonaws.com": "AWSConfig-Describe",
    "inspector2.amazonaws.com": "MandoService{n}",
    "securityhub.amazonaws.com": "securityhub",
}
"""The session name each service gives its service-linked role's sessions."""


def _service_roles(d: _Day) -> None:
    """AWS services through service-linked roles (Config, Inspector, Security Hub): invokedBy, no TLS details."""
    rng, account, est = d.rng, d.account, d.est
    for hour, n in enumerate(_hour_counts(rng, d.n_day * 0.10, MACHINE_HOURS)):
        if n == 0 or hour * 3600 + 3599 < d.lo:
            continue
        for _ in range(n):
            svc = rng.choice(list(est.slr))
            role, role_id = est.slr[svc]
            mando = rng.randrange(10**17, 10**18)  # drawn for every service: the order of draws is data
            sec = max(d.lo, hour * 3600 + rng.randrange(3600))
            region = rng.choice(d.regions)
            identity = assumed_role_identity(
                account.id,
                f"aws-service-role/{svc}/",
                role,
                role_id,
                SERVICE_ROLE_SESSIONS[svc].format(n=mando),
                None,
                ct_time(d.t_of(sec - sec % 3600)),
                invoked_by=svc,
            )
            sess = Session(identity, svc, svc, "slr", account.id, name=svc)
            d.emit(sec, region, service_role_action(d.call(sess, sec, region)))


def _ci_runs(task: DayTask, target: Account) -> list[tuple[int, str, dict, dict, Session]]:
    """The day's pipeline runs into ``target``: both copies of each cross-account AssumeRole.

    Account-days are generated independently (in parallel, deterministically), so both the
    role account's task and shared services' task draw the runs from the same seeded rng:
    the two copies share requestID and sharedEventID as CloudTrail's do.
    """
    org = task.org
    shared = org.by_role("shared-services")
    if target.joined >= task.day + timedelta(days=1):
        return []
    rng = random.Random(f"ci/{task.seed}/{target.id}/{task.day:%Y%m%d}")
    est = cached_estate(org, target, task.seed)
    _, ci_user, ci_uid, ci_key = ci_principal(org, task.seed)
    total_w = sum(a.weight for a in org.accounts)
    runs_per_day = max(
        1.0, task.events_per_day * target.weight / total_w * WEEKDAY[task.day.weekday()] * 0.10 / 19
    )
    lo = max(0, int((target.joined - task.day).total_seconds()))
    out = []
    for hour, n in enumerate(_hour_counts(rng, runs_per_day, BUSINESS_HOURS)):
        for _ in range(n):
            start = max(lo, hour * 3600 + rng.randrange(3600))
            ip = rng.choice(CI_RUNNER_IPS)
            agent = rng.choice(CI_AGENTS)
            caller = Session(
                iam_user_identity(shared.id, ci_user, ci_uid, ci_key),
                ip,
                agent.format(cmd="sts.assume-role", svc="sts"),
                "ci",
                shared.id,
            )
            pipeline = f"pipeline-{target.name}-{hex_id(rng, 6)}"
            t = task.day + timedelta(seconds=start)
            recs, key = assume_role_records(
                rng, caller, t, HOME_REGION, target.id, "", est.cicd_role[0], est.cicd_role[1], pipeline, 3600
            )
            sess = Session(
                assumed_role_identity(
                    target.id, "", est.cicd_role[0], est.cicd_role[1], pipeline, key, ct_time(t)
                ),
                ip,
                agent.format(cmd="deploy", svc="lambda"),
                "ci",
                target.id,
            )
            out.append((start, HOME_REGION, recs[0], recs[1], sess))
    return out


def _write_files(
    rng: random.Random, task: DayTask, account: Account, events: list[tuple[int, str, dict]]
) -> DayResult:
    groups: dict[tuple[str, int], list[tuple[int, dict]]] = defaultdict(list)
    gap = task.gap
    window = task.delivery_minutes * 60
    for sec, region, rec in events:
        if gap and gap[0] == account.id and gap[1] == region:
            t = task.day + timedelta(seconds=sec)
            if gap[2] <= t < gap[3]:
                continue
        groups[(region, sec // window)].append((sec, rec))
    n_events = n_files = n_bytes = 0
    for (region, slot), items in sorted(groups.items(), key=lambda kv: kv[0]):
        items.sort(key=lambda x: (x[0], x[1]["eventTime"]))
        recs = [r for _, r in items]
        delivered = task.day + timedelta(seconds=slot * window)
        suffix = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=16))
        key = cloudtrail_key(account.id, region, delivered, task.org.id, suffix=suffix)
        path = os.path.join(task.lake, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = gzip.compress(
            json.dumps({"Records": recs}, separators=(",", ":")).encode(),
            compresslevel=task.gzip_level,
            mtime=0,
        )
        with open(path, "wb") as f:
            f.write(data)
        n_events += len(recs)
        n_files += 1
        n_bytes += len(data)
    return DayResult(account.id, task.day, n_events, n_files, n_bytes)
