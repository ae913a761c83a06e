"""CloudTrail's documented record structure, as field paths, to check generated records against.

A path is dotted keys from the record root, with ``[]`` for "any element of a list":
``resources[].ARN``, ``userIdentity.sessionContext.attributes.mfaAuthenticated``.
The demo generator may use a path when a real record of the same eventName uses it
(``../shared/data/cloudtrail``) or when AWS documents it here.
"""

from __future__ import annotations

from collections.abc import Iterable

RECORD_CONTENTS_URL = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html"
USER_IDENTITY_URL = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"
)

DOCUMENTED_RECORD_PATHS = frozenset(
    {
        # Top-level fields (RECORD_CONTENTS_URL, "CloudTrail record contents for management, data, and network activity events", 2025).
        "eventTime",
        "eventVersion",
        "userIdentity",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "requestID",
        "eventID",
        "eventType",
        "apiVersion",
        "managementEvent",
        "readOnly",
        "resources",
        "resources[].ARN",
        "resources[].accountId",
        "resources[].type",
        "recipientAccountId",
        "serviceEventDetails",
        "sharedEventID",
        "vpcEndpointId",
        "vpcEndpointAccountId",
        "eventCategory",
        "addendum",
        "addendum.reason",
        "addendum.updatedFields",
        "addendum.originalRequestID",
        "addendum.originalEventID",
        "sessionCredentialFromConsole",
        "edgeDeviceDetails",
        "tlsDetails",
        "tlsDetails.tlsVersion",
        "tlsDetails.cipherSuite",
        "tlsDetails.clientProvidedHostHeader",
        "insightDetails",
        # userIdentity (USER_IDENTITY_URL, "CloudTrail userIdentity element", 2025).
        "userIdentity.type",
        "userIdentity.principalId",
        "userIdentity.arn",
        "userIdentity.accountId",
        "userIdentity.accessKeyId",
        "userIdentity.userName",
        "userIdentity.invokedBy",
        "userIdentity.identityProvider",
        "userIdentity.credentialId",
        "userIdentity.sessionContext",
        "userIdentity.sessionContext.sessionIssuer",
        "userIdentity.sessionContext.sessionIssuer.type",
        "userIdentity.sessionContext.sessionIssuer.principalId",
        "userIdentity.sessionContext.sessionIssuer.arn",
        "userIdentity.sessionContext.sessionIssuer.accountId",
        "userIdentity.sessionContext.sessionIssuer.userName",
        "userIdentity.sessionContext.webIdFederationData",
        "userIdentity.sessionContext.webIdFederationData.federatedProvider",
        "userIdentity.sessionContext.webIdFederationData.attributes",
        "userIdentity.sessionContext.attributes",
        "userIdentity.sessionContext.attributes.creationDate",
        "userIdentity.sessionContext.attributes.mfaAuthenticated",
        "userIdentity.sessionContext.sourceIdentity",
        "userIdentity.sessionContext.ec2RoleDelivery",
        "userIdentity.sessionContext.assumedRoot",
        "userIdentity.onBehalfOf",
        "userIdentity.onBehalfOf.userId",
        "userIdentity.onBehalfOf.identityStoreArn",
        "userIdentity.inScopeOf",
    }
)
"""Paths AWS documents for every CloudTrail record, whatever the event."""

DOCUMENTED_EVENT_PATHS: dict[str, frozenset[str]] = {
    # IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail", example AssumeRoleWithSAML
    # event: https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html (2025).
    "AssumeRoleWithSAML": frozenset(
        {
            "requestParameters.sAMLAssertionID",
            "requestParameters.roleSessionName",
            "requestParameters.principalTags",
            "requestParameters.transitiveTagKeys",
            "requestParameters.roleArn",
            "requestParameters.principalArn",
            "requestParameters.durationSeconds",
            "responseElements.subjectType",
            "responseElements.issuer",
            "responseElements.credentials",
            "responseElements.credentials.accessKeyId",
            "responseElements.credentials.sessionToken",
            "responseElements.credentials.expiration",
            "responseElements.nameQualifier",
            "responseElements.assumedRoleUser",
            "responseElements.assumedRoleUser.assumedRoleId",
            "responseElements.assumedRoleUser.arn",
            "responseElements.subject",
            "responseElements.audience",
        }
    ),
    # CloudTrail logs an API's request members under requestParameters; DeleteDetector has one, detectorId:
    # https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DeleteDetector.html (2025).
    "DeleteDetector": frozenset({"requestParameters.detectorId"}),
}
"""Event-specific paths from AWS's documented example records, for events absent from the real samples."""


def field_paths(obj: object, prefix: str = "") -> set[str]:
    """Every field path of a JSON value (objects' keys, lists as ``[]``)."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else k
            out.add(p)
            out |= field_paths(v, p)
    elif isinstance(obj, list):
        for v in obj:
            out |= field_paths(v, prefix + "[]")
    return out


def paths_by_event(records: Iterable[dict]) -> dict[str, set[str]]:
    """Union of field paths per eventName."""
    out: dict[str, set[str]] = {}
    for r in records:
        out.setdefault(r.get("eventName"), set()).update(field_paths(r))
    return out


def undocumented_paths(generated: dict[str, set[str]], real: dict[str, set[str]]) -> dict[str, set[str]]:
    """Paths the generator used that no real record of that eventName nor AWS's documentation has."""
    bad = {}
    for name, paths in generated.items():
        allowed = (
            real.get(name, set()) | DOCUMENTED_RECORD_PATHS | DOCUMENTED_EVENT_PATHS.get(name, frozenset())
        )
        # Parents of a documented path are documented too (requestParameters for requestParameters.x).
        allowed |= {p.rsplit(".", 1)[0] for p in allowed if "." in p}
        extra = paths - allowed
        if extra:
            bad[name] = extra
    return bad
