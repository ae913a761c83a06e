"""Incidents as tables of steps, and the player that turns the steps into planted CloudTrail records.

An incident is a setup (who acts, with which credentials, against what) and a tuple of steps run in
order on one clock: an API call a few seconds after the previous one, an AssumeRole into another
account, a bulk download, a console sign-in, a value drawn for later steps (a new key, a role id).
Requests and responses are data, or functions of the ``Play`` when they name something drawn or set up.

The order of random draws is part of the data, as in the background tables: each step draws in a
fixed order, so the same seed plants the same records.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from orginsight.demo.org import HOME_REGION
from orginsight.demo.records import (
    Session,
    assume_role_records,
    assumed_role_identity,
    console_login_record,
    ct_time,
    endpoint,
    hex_id,
    make_record,
    s3_additional,
    s3_object_event,
    s3_request_id,
)


@dataclass
class PlantedEvent:
    """One malicious record and its ground truth."""

    account: str
    region: str
    time: datetime
    record: dict
    technique: str
    incident: str

    def truth(self) -> dict:
        return {
            "eventID": self.record["eventID"],
            "account": self.account,
            "region": self.region,
            "eventTime": self.record["eventTime"],
            "eventName": self.record["eventName"],
            "eventSource": self.record["eventSource"],
            "technique": self.technique,
            "incident": self.incident,
        }


@dataclass
class Scenario:
    """Both incidents: their records, indicators, summaries and the facts other generators need."""

    events: list[PlantedEvent]
    indicators: dict
    incidents: list[dict]
    facts: dict


@dataclass
class Play:
    """An incident being played: its generator, clock, actors, named values and the records it planted."""

    rng: random.Random
    incident: str
    t: datetime
    jitter: int
    """Each step comes up to this many seconds later than its gap says (attackers are not metronomes)."""
    actors: dict[str, Session] = field(default_factory=dict)
    v: SimpleNamespace = field(default_factory=SimpleNamespace)
    """Values the steps name: set up before the play, or drawn by ``Draw`` steps during it."""
    events: list[PlantedEvent] = field(default_factory=list)

    def advance(self, gap: int, jitter: int | None = None) -> datetime:
        jitter = self.jitter if jitter is None else jitter
        self.t = self.t + timedelta(seconds=gap + (self.rng.randrange(jitter) if jitter else 0))
        return self.t

    def plant(self, account: str, region: str, rec: dict, technique: str, when: datetime) -> None:
        self.events.append(PlantedEvent(account, region, when, rec, technique, self.incident))

    def run(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            step.play(self)


Value = Any
"""Data, or a function of the Play that returns it (called when the step plays, before its time step)."""


def _value(x: Value, p: Play) -> Any:
    return x(p) if callable(x) else x


class Step:
    """One step of an incident."""

    def play(self, p: Play) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Call(Step):
    """An API call by one actor, ``gap`` seconds (plus jitter) after the previous step."""

    actor: str
    source: str
    name: str
    technique: str
    """MITRE ATT&CK technique id."""
    gap: int = 4
    request: Value = None
    response: Value = None
    read_only: bool = True
    region: str = HOME_REGION
    s3: tuple[int, int] | None = None
    """(bytes out, bytes in) of an S3 call: it gets additionalEventData and an S3-style request id."""
    host: Value = None
    """The endpoint called, when not the service's own in the region (S3, virtual-hosted buckets)."""
    extra: Callable[[Play], dict] | None = None
    """More fields of the record (``make_record`` keywords: resources, category, error, request_id)."""
    jitter: int | None = None
    """The play's jitter unless given (0: exactly ``gap`` seconds)."""

    def play(self, p: Play) -> None:
        req, resp = _value(self.request, p), _value(self.response, p)
        kw = self.extra(p) if self.extra else {}
        if self.s3:
            kw["additional"] = s3_additional(p.rng, *self.s3)
            kw["request_id"] = s3_request_id(p.rng)
        when = p.advance(self.gap, self.jitter)
        sess = p.actors[self.actor]
        host = _value(self.host, p) or endpoint(self.source, self.region)
        rec = make_record(
            p.rng,
            sess,
            ct_time(when),
            self.region,
            self.source,
            self.name,
            req,
            resp,
            self.read_only,
            host=host,
            **kw,
        )
        p.plant(sess.account, self.region, rec, self.technique, when)


@dataclass(frozen=True)
class Draw(Step):
    """Draw a value later steps name (``p.v.<name>``): a new access key, a role id, a snapshot id."""

    name: str
    draw: Callable[[random.Random], Any]

    def play(self, p: Play) -> None:
        setattr(p.v, self.name, self.draw(p.rng))


@dataclass(frozen=True)
class Actor(Step):
    """A new actor from here on (it may draw, as a session's temporary key)."""

    name: str
    session: Callable[[Play], Session]

    def play(self, p: Play) -> None:
        p.actors[self.name] = self.session(p)


@dataclass(frozen=True)
class ConsoleLogin(Step):
    """A console sign-in without MFA by ``actor``, ``gap`` seconds after the previous step."""

    actor: str
    technique: str
    gap: int = 0
    jitter: int = 0

    def play(self, p: Play) -> None:
        when = p.advance(self.gap, self.jitter) if self.gap else p.t
        sess = p.actors[self.actor]
        p.plant(
            sess.account,
            HOME_REGION,
            console_login_record(p.rng, sess, when, mfa=False),
            self.technique,
            when,
        )


@dataclass(frozen=True)
class AssumeRole(Step):
    """``actor`` assumes a role in another account: both accounts log it, and ``as_actor`` acts there."""

    actor: str
    as_actor: str
    account: Callable[[Play], str]
    role: Callable[[Play], tuple[str, str]]
    """The role's name and id."""
    session_name: str
    source_ip: str
    technique: str
    gap: int

    def play(self, p: Play) -> None:
        caller, account, (role, role_id) = p.actors[self.actor], self.account(p), self.role(p)
        when = p.advance(self.gap)
        recs, key = assume_role_records(
            p.rng, caller, when, HOME_REGION, account, "", role, role_id, self.session_name, 3600
        )
        p.plant(caller.account, HOME_REGION, recs[0], self.technique, when)
        p.plant(account, HOME_REGION, recs[1], self.technique, when)
        p.v.session_keys.append(key)
        identity = assumed_role_identity(account, "", role, role_id, self.session_name, key, ct_time(when))
        p.actors[self.as_actor] = Session(identity, self.source_ip, caller.ua, caller.kind, account)


@dataclass(frozen=True)
class GetObjects(Step):
    """A bulk download: a few hundred GetObject calls, about three a second."""

    actor: str
    bucket: Callable[[Play], str]
    prefix: str
    technique: str

    def play(self, p: Play) -> None:
        sess, bucket = p.actors[self.actor], self.bucket(p)
        p.v.objects = 160 + p.rng.randrange(60)
        for i in range(p.v.objects):
            when = p.advance(0 if i % 3 else 1)
            key = f"{self.prefix}{i:05d}-{hex_id(p.rng, 6)}.json"
            rec = s3_object_event(
                p.rng,
                sess,
                ct_time(when),
                HOME_REGION,
                "GetObject",
                bucket,
                key,
                sess.account,
                p.rng.randrange(20000, 900000),
            )
            p.plant(sess.account, HOME_REGION, rec, self.technique, when)
