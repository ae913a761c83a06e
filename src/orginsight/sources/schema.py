"""The ``cloudtrail`` table: Athena's documented columns, and how DuckDB reads them from raw files.

Column names and types follow AWS's DDL for CloudTrail with partition projection
(Athena User Guide, "Create the table for CloudTrail logs in Athena using
partition projection", as published 2024): lower-case names, ``useridentity`` and
``tlsdetails`` structs, ``resources`` an array of structs, and the free-form
``requestparameters``/``responseelements``/``additionaleventdata``/
``serviceeventdetails`` as JSON strings. ``eventtime`` is a string there, so
queries written for Athena compare it as text or wrap it in
``from_iso8601_timestamp``; the local engine keeps it a string too.

Each column maps to the camelCase key CloudTrail writes. DuckDB's
``json_transform`` matches keys case-sensitively, so the spec below spells the
keys exactly as CloudTrail does (``requestID``, ``resources[].ARN``) and the
view renames them.
"""

from __future__ import annotations

V = "VARCHAR"
J = "JSON"  # kept as the raw JSON text, as Athena's string columns hold it

_SESSION_ISSUER = {"type": V, "principalId": V, "arn": V, "accountId": V, "userName": V}
_USER_IDENTITY = {
    "type": V,
    "principalId": V,
    "arn": V,
    "accountId": V,
    "invokedBy": V,
    "accessKeyId": V,
    "userName": V,
    "identityProvider": V,
    "onBehalfOf": {"userId": V, "identityStoreArn": V},
    "sessionContext": {
        "attributes": {"mfaAuthenticated": V, "creationDate": V},
        "sessionIssuer": _SESSION_ISSUER,
        "sourceIdentity": V,
        "ec2RoleDelivery": V,
        "webIdFederationData": {"federatedProvider": V, "attributes": "MAP(VARCHAR, VARCHAR)"},
    },
}

CLOUDTRAIL_FIELDS: dict[str, tuple[str, object]] = {
    # athena column: (CloudTrail JSON key, json_transform type)
    "eventversion": ("eventVersion", V),
    "useridentity": ("userIdentity", _USER_IDENTITY),
    "eventtime": ("eventTime", V),
    "eventsource": ("eventSource", V),
    "eventname": ("eventName", V),
    "awsregion": ("awsRegion", V),
    "sourceipaddress": ("sourceIPAddress", V),
    "useragent": ("userAgent", V),
    "errorcode": ("errorCode", V),
    "errormessage": ("errorMessage", V),
    "requestparameters": ("requestParameters", J),
    "responseelements": ("responseElements", J),
    "additionaleventdata": ("additionalEventData", J),
    "requestid": ("requestID", V),
    "eventid": ("eventID", V),
    "readonly": ("readOnly", V),
    "resources": ("resources", [{"ARN": V, "accountId": V, "type": V}]),
    "eventtype": ("eventType", V),
    "apiversion": ("apiVersion", V),
    "managementevent": ("managementEvent", V),
    "recipientaccountid": ("recipientAccountId", V),
    "serviceeventdetails": ("serviceEventDetails", J),
    "sharedeventid": ("sharedEventID", V),
    "vpcendpointid": ("vpcEndpointId", V),
    "vpcendpointaccountid": ("vpcEndpointAccountId", V),
    "eventcategory": ("eventCategory", V),
    "addendum": ("addendum", {"reason": V, "updatedFields": V, "originalRequestID": V, "originalEventID": V}),
    "sessioncredentialfromconsole": ("sessionCredentialFromConsole", V),
    "edgedevicedetails": ("edgeDeviceDetails", J),
    "tlsdetails": ("tlsDetails", {"tlsVersion": V, "cipherSuite": V, "clientProvidedHostHeader": V}),
}
"""Every data column of the ``cloudtrail`` table, in Athena's order."""

PARTITION_COLUMNS = ("account", "region", "timestamp")
"""Partition columns of an organization trail table with projection (``timestamp`` is ``yyyy/MM/dd``)."""

COLUMNS = (*CLOUDTRAIL_FIELDS, *PARTITION_COLUMNS)

TABLE = "cloudtrail"
"""The name queries give the organization trail's table (the Athena engine maps it to the real one)."""


def lower_struct_sql(expr: str, spec: object) -> str:
    """SQL that renames a transformed value's struct keys to lower case, recursively (Athena's names);
    JSON-kept values become their text. The trail and the Insights table read with it."""
    if isinstance(spec, dict):
        parts = ", ".join(
            "'" + k.lower() + "': " + lower_struct_sql(expr + '."' + k + '"', v) for k, v in spec.items()
        )
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE {{{parts}}} END"
    if isinstance(spec, list):
        return f"list_transform({expr}, lambda x: {lower_struct_sql('x', spec[0])})"
    if spec == J:
        return f"CAST({expr} AS VARCHAR)"
    return expr


def pruned_spec(spec: object, paths: set[tuple[str, ...]] | None) -> object:
    """``spec`` limited to the struct sub-paths a query reads (all of it for ``None``)."""
    if paths is None or not isinstance(spec, dict):
        return spec
    wanted: dict[str, set[tuple[str, ...]] | None] = {}
    for first, *rest in paths:
        key = next((k for k in spec if k.lower() == first), None)
        if key is None:
            return spec  # an unknown field: keep the whole struct and let the engine name the error
        if not rest:
            wanted[key] = None
        elif key not in wanted:
            wanted[key] = {tuple(rest)}
        elif wanted[key] is not None:
            wanted[key].add(tuple(rest))  # type: ignore[union-attr]
    return {k: pruned_spec(v, wanted[k]) for k, v in spec.items() if k in wanted}


def _specs(columns: dict[str, set[tuple[str, ...]] | None]) -> dict[str, tuple[str, object]]:
    return {c: (CLOUDTRAIL_FIELDS[c][0], pruned_spec(CLOUDTRAIL_FIELDS[c][1], p)) for c, p in columns.items()}


def json_spec(columns: dict[str, set[tuple[str, ...]] | None]) -> dict[str, object]:
    """The ``json_transform`` structure for one CloudTrail file, limited to what the query reads."""
    return {"Records": [{key: spec for key, spec in _specs(columns).values()}]}


def select_list(columns: dict[str, set[tuple[str, ...]] | None], record: str = "r") -> list[str]:
    """The view's select expressions: each data column from the transformed record, lower-cased.

    A struct read only down to plain text fields (``useridentity.arn``) keeps CloudTrail's
    camelCase keys: DuckDB finds fields whatever their case, and no query can see the keys.
    Rebuilding the struct with lower-case keys for every record cost a fifth of the
    entity graph's per-record expressions on a 1-million-event day.
    """
    out = []
    for c, (key, spec) in _specs(columns).items():
        expr = record + '."' + key + '"'
        if not _reads_only_text(CLOUDTRAIL_FIELDS[c][1], columns[c]):
            expr = lower_struct_sql(expr, spec)
        out.append(f'{expr} AS "{c}"')
    return out


def _reads_only_text(spec: object, paths: set[tuple[str, ...]] | None) -> bool:
    """Whether every sub-path a query reads of a struct column ends at a text field (not a struct, list or JSON)."""
    if paths is None or not isinstance(spec, dict):
        return False
    for path in paths:
        node = spec
        for name in path:
            key = next((k for k in node if k.lower() == name), None) if isinstance(node, dict) else None
            if key is None:
                return False
            node = node[key]
        if node != V:
            return False
    return True


ATHENA_TYPES: dict[str, str] = {}
"""Hive DDL type of each data column, derived from the same spec (used by the Athena DDL)."""


def _hive_type(spec: object) -> str:
    if isinstance(spec, dict):
        return "STRUCT<" + ", ".join(f"{k.lower()}: {_hive_type(v)}" for k, v in spec.items()) + ">"
    if isinstance(spec, list):
        return f"ARRAY<{_hive_type(spec[0])}>"
    if spec == "MAP(VARCHAR, VARCHAR)":
        return "MAP<STRING,STRING>"
    return "STRING"


for _col, (_key, _spec) in CLOUDTRAIL_FIELDS.items():
    ATHENA_TYPES[_col] = _hive_type(_spec)
