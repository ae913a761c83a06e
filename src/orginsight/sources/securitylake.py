"""Amazon Security Lake's CloudTrail management events (source version 2, OCSF 1.1 API Activity) as ``cloudtrail``.

Security Lake writes each CloudTrail management event as one OCSF "API Activity" row (class_uid 6003)
in Parquet, under ``aws/CLOUD_TRAIL_MGMT/2.0/region=<r>/accountId=<a>/eventDay=<yyyymmdd>/`` of an
``aws-security-data-lake-<region>-<hash>`` bucket, catalogued in Glue as
``amazon_security_lake_table_<region>_cloud_trail_mgmt_2_0`` (Security Lake User Guide, "CloudTrail
event logs", source version 2, 2024). The field mapping followed here is AWS's own event dossier for
CloudTrail API Activity at OCSF 1.1.0 (aws-samples/amazon-security-lake-ocsf-validation, 2024): a
CloudTrail key the dossier does not map lands in ``unmapped``, a ``map<string,string>`` keyed by the
key's dotted path (lists as ``key[]``, their values joined by commas).

``VIEW_COLUMNS`` undoes that mapping, one CloudTrail column at a time, in Athena SQL that sqlglot
translates to DuckDB, so one text serves Athena (``view_ddl``) and the local engine
(``engines.securitylake``). What each column loses against the raw trail is said beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

SOURCE_PREFIX = ("aws", "CLOUD_TRAIL_MGMT", "2.0")
"""Where Security Lake keeps CloudTrail management events of source version 2 in its bucket."""

PARTITION_KEYS = ("region", "accountId", "eventDay")
"""Hive partition folders under ``SOURCE_PREFIX``, in order (``eventDay`` is ``yyyymmdd``)."""

_PARTITION_RE = re.compile(r"^region=([a-z0-9-]+)$|^accountId=(\d{12})$|^eventDay=(\d{8})$")


def glue_table(region: str) -> str:
    """The Glue table Security Lake creates for CloudTrail management events of source version 2 in ``region``."""
    return f"amazon_security_lake_table_{region.replace('-', '_')}_cloud_trail_mgmt_2_0"


def glue_database(region: str) -> str:
    """The Glue database Security Lake creates in its rollup ``region``."""
    return f"amazon_security_lake_glue_db_{region.replace('-', '_')}"


def _u(key: str) -> str:
    """A value of ``unmapped`` by its CloudTrail path (NULL when absent: ``element_at``, not ``[]``, which fails)."""
    return f"element_at(unmapped, '{key}')"


def _u_json(prefix: str) -> str:
    """The JSON object of ``unmapped``'s keys under ``prefix``, the prefix stripped; NULL when none.

    Security Lake flattens an unmapped object, so nesting below the first level stays as dotted keys
    and every value is text: ``json_extract_scalar(x, '$.MFAUsed')`` works, deeper paths do not.
    """
    keys = f"filter(map_keys(unmapped), k -> k LIKE '{prefix}.%')"
    return (
        f"NULLIF(json_format(CAST(MAP(transform({keys}, k -> substr(k, {len(prefix) + 2})), "
        f"transform({keys}, k -> element_at(unmapped, k))) AS JSON)), '{{}}')"
    )


_ISO = "'%Y-%m-%dT%H:%i:%sZ'"
_FEDERATED_TYPES = "('SAMLUser', 'WebIdentityUser')"

_USER_IDENTITY = f"""CAST(ROW(
    actor.user.type,
    CASE WHEN actor.user.type = 'IdentityCenterUser' THEN NULL ELSE actor.user.uid_alt END,
    actor.user.uid,
    actor.user.account.uid,
    actor.invoked_by,
    CASE WHEN actor.user.type = 'IdentityCenterUser' THEN NULL ELSE actor.user.credential_uid END,
    actor.user.name,
    CASE WHEN actor.user.type IN {_FEDERATED_TYPES} THEN actor.idp.name END,
    ROW(CASE WHEN actor.user.type = 'IdentityCenterUser' THEN actor.user.uid_alt END, actor.idp.uid),
    ROW(
        ROW(CAST(actor.session.is_mfa AS VARCHAR), date_format(actor.session.created_time_dt, {_ISO})),
        ROW({_u("userIdentity.sessionContext.sessionIssuer.type")},
            {_u("userIdentity.sessionContext.sessionIssuer.principalId")},
            actor.session.issuer,
            {_u("userIdentity.sessionContext.sessionIssuer.accountId")},
            {_u("userIdentity.sessionContext.sessionIssuer.userName")}),
        {_u("userIdentity.sessionContext.sourceIdentity")},
        {_u("userIdentity.sessionContext.ec2RoleDelivery")},
        ROW(CASE WHEN actor.user.type NOT IN {_FEDERATED_TYPES} THEN actor.idp.name END,
            CAST(NULL AS MAP(VARCHAR, VARCHAR))))
) AS ROW(
    type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR,
    accesskeyid VARCHAR, username VARCHAR, identityprovider VARCHAR,
    onbehalfof ROW(userid VARCHAR, identitystorearn VARCHAR),
    sessioncontext ROW(
        attributes ROW(mfaauthenticated VARCHAR, creationdate VARCHAR),
        sessionissuer ROW(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, username VARCHAR),
        sourceidentity VARCHAR, ec2roledelivery VARCHAR,
        webidfederationdata ROW(federatedprovider VARCHAR, attributes MAP(VARCHAR, VARCHAR)))))"""

VIEW_COLUMNS: dict[str, tuple[str, str]] = {
    # cloudtrail column: (Athena expression over the OCSF row, what is lost against the raw trail)
    "eventversion": ("metadata.product.version", ""),
    "useridentity": (
        _USER_IDENTITY,
        "principalId is actor.user.uid_alt, which holds onBehalfOf.userId for IdentityCenterUser; "
        "accessKeyId shares actor.user.credential_uid with credentialId, so an IdentityCenterUser's (its bearer token's credentialId, not a key) is not read back as a key; userName shares actor.user.name "
        "with additionalEventData.UserName (so a nameless identity gets that name); identityProvider and "
        "webIdFederationData.federatedProvider share actor.idp.name (told apart by userIdentity.type); "
        "webIdFederationData.attributes are flattened in unmapped and not rebuilt; mfaAuthenticated and "
        "creationDate come back from a boolean and a timestamp",
    ),
    "eventtime": (
        f"date_format(from_unixtime(time / 1000), {_ISO})",
        "sub-second digits (CloudTrail has none)",
    ),
    "eventsource": ("api.service.name", ""),
    "eventname": ("api.operation", ""),
    "awsregion": ("cloud.region", ""),
    "sourceipaddress": (
        "COALESCE(src_endpoint.ip, src_endpoint.domain)",
        "none: an address goes to src_endpoint.ip, a service name to src_endpoint.domain",
    ),
    "useragent": ("http_request.user_agent", ""),
    "errorcode": ("api.response.error", ""),
    "errormessage": ("api.response.message", ""),
    "requestparameters": ("api.request.data", ""),
    "responseelements": ("api.response.data", ""),
    "additionaleventdata": (
        _u_json("additionalEventData"),
        "flattened in unmapped: rebuilt one level deep, every value text, nested objects as dotted keys",
    ),
    "requestid": ("api.request.uid", ""),
    "eventid": ("metadata.uid", ""),
    "readonly": (_u("readOnly"), ""),
    "resources": (
        "transform(resources, r -> CAST(ROW(r.uid, r.owner.account.uid, r.type) "
        "AS ROW(arn VARCHAR, accountid VARCHAR, type VARCHAR)))",
        "",
    ),
    "eventtype": ("metadata.event_code", ""),
    "apiversion": ("api.version", ""),
    "managementevent": (_u("managementEvent"), ""),
    "recipientaccountid": ("cloud.account.uid", ""),
    "serviceeventdetails": (_u_json("serviceEventDetails"), "as additionaleventdata"),
    "sharedeventid": (_u("sharedEventID"), ""),
    "vpcendpointid": ("src_endpoint.uid", ""),
    "vpcendpointaccountid": (_u("vpcEndpointAccountId"), ""),
    "eventcategory": ("metadata.product.feature.name", ""),
    "addendum": (
        f"CAST(ROW({_u('addendum.reason')}, {_u('addendum.updatedFields')}, {_u('addendum.originalRequestID')}, "
        f"{_u('addendum.originalEventID')}) AS ROW(reason VARCHAR, updatedfields VARCHAR, "
        "originalrequestid VARCHAR, originaleventid VARCHAR))",
        "",
    ),
    "sessioncredentialfromconsole": (_u("sessionCredentialFromConsole"), ""),
    "edgedevicedetails": (_u_json("edgeDeviceDetails"), "as additionaleventdata"),
    "tlsdetails": (
        f"CAST(ROW({_u('tlsDetails.tlsVersion')}, {_u('tlsDetails.cipherSuite')}, "
        f"{_u('tlsDetails.clientProvidedHostHeader')}) AS ROW(tlsversion VARCHAR, ciphersuite VARCHAR, "
        "clientprovidedhostheader VARCHAR))",
        "",
    ),
    "account": ("accountid", "partition: Security Lake's accountId folder"),
    "region": ("region", "partition"),
    "timestamp": (
        "substr(eventday, 1, 4) || '/' || substr(eventday, 5, 2) || '/' || substr(eventday, 7, 2)",
        "partition: eventDay yyyymmdd as the trail's yyyy/MM/dd",
    ),
}
"""Every column of ``cloudtrail`` (``sources.schema.COLUMNS``, same order) from Security Lake's OCSF row."""


def view_sql(source: str) -> str:
    """The Athena SELECT presenting the Security Lake table ``source`` as ``cloudtrail``."""
    cols = ",\n  ".join(f'{expr} AS "{name}"' for name, (expr, _) in VIEW_COLUMNS.items())
    return f"SELECT\n  {cols}\nFROM {source}"


def view_ddl(region: str, database: str | None = None, view: str = "cloudtrail") -> str:
    """CREATE OR REPLACE VIEW ``view`` over Security Lake's CloudTrail table of source version 2 in ``region``."""
    db = database or glue_database(region)
    source = f'"{db}"."{glue_table(region)}"'
    return f'CREATE OR REPLACE VIEW "{db}"."{view}" AS\n{view_sql(source)}\n'


@dataclass(frozen=True)
class Partition:
    """One ``region=/accountId=/eventDay=`` folder of Security Lake's CloudTrail source."""

    region: str
    account: str
    day: date
    path: Path

    def files(self) -> list[Path]:
        """The Parquet objects of this partition, sorted."""
        return sorted(p for p in self.path.iterdir() if p.is_file() and p.name.endswith(".parquet"))


def source_dir(root: Path) -> Path:
    """The folder of CloudTrail source version 2 in a local copy of a Security Lake bucket."""
    return root.joinpath(*SOURCE_PREFIX)


def is_security_lake(root: Path) -> bool:
    """Whether ``root`` holds Security Lake's CloudTrail source version 2 layout."""
    return source_dir(root).is_dir()


def _values(path: Path, key: str) -> Iterator[tuple[str, Path]]:
    """The ``key=value`` subfolders of ``path``; folders that do not match the layout are not read."""
    if not path.is_dir():
        return
    for child in sorted(path.iterdir()):
        name, _, value = child.name.partition("=")
        if name == key and child.is_dir() and _PARTITION_RE.match(child.name):
            yield value, child


def partitions(root: Path) -> Iterator[Partition]:
    """Every partition folder of the CloudTrail source under ``root``, folder names only, no file read."""
    for region, rdir in _values(source_dir(root), "region"):
        for account, adir in _values(rdir, "accountId"):
            for day, ddir in _values(adir, "eventDay"):
                yield Partition(region, account, datetime.strptime(day, "%Y%m%d").date(), ddir)
