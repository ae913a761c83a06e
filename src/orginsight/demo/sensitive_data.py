"""Amazon Macie in the demo organization: bucket statistics, sensitive-data and policy findings, jobs.

Macie is on for every account in every region (``org.service_responses``: the delegated admin's
members); the demo details its home-region inventory, every account's home-region buckets, the same
buckets Storage Lens reports (``storagelens.org_buckets``). Customer-data buckets hold personal data; the story's bucket
is found to hold it on ``Exposure.pii_found`` and becomes shared outside on ``Exposure.shared``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.exposure import Calls, Exposure, present, recorded, uid
from orginsight.demo.org import HOME_REGION, Organization, iso
from orginsight.demo.storagelens import HISTORY_DAYS, Bucket, org_buckets

SERVICE = "macie2"
UNCLASSIFIED_SCORE = 50
"""Macie's sensitivity score of a bucket it has not yet found sensitive data in (User Guide, 2024)."""


@dataclass(frozen=True)
class MacieState:
    org: Organization
    story: Exposure
    buckets: tuple[Bucket, ...]
    scores: dict[str, int]
    job_id: str
    ids: dict[str, str]

    def responses(self, t: datetime) -> Calls:
        first_day = self.org.end - timedelta(days=HISTORY_DAYS)
        live = [
            b
            for b in self.buckets
            if present(b.account, t) and first_day + timedelta(days=b.created_day) <= t
        ]
        findings = [f for b in live for f in self._findings(b, t)]
        ids = [f["id"] for f in findings]
        sec = self.org.by_role("security")
        return {
            (SERVICE, HOME_REGION): {
                "get_macie_session": [
                    recorded(
                        {},
                        {
                            "createdAt": iso(sec.joined + timedelta(days=7)),
                            "findingPublishingFrequency": "FIFTEEN_MINUTES",
                            "serviceRole": f"arn:aws:iam::{sec.id}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie",
                            "status": "ENABLED",
                            "updatedAt": iso(sec.joined + timedelta(days=7)),
                        },
                    )
                ],
                "describe_buckets": [recorded({}, {"buckets": [self._bucket(b, t) for b in live]})],
                "list_classification_jobs": [recorded({}, {"items": self._jobs(t)})],
                "list_findings": [
                    recorded(
                        {"findingCriteria": {"criterion": {"archived": {"eq": ["false"]}}}},
                        {"findingIds": ids},
                    )
                ],
                "get_findings": [recorded({"findingIds": ids}, {"findings": findings})] if ids else [],
            }
        }

    def _shared(self, b: Bucket, t: datetime) -> str:
        if b.name == self.story.bucket and t >= self.story.shared:
            return "EXTERNAL"
        return "INTERNAL" if b.account.role == "log-archive" and "controltower" in b.name else "NOT_SHARED"

    def _score(self, b: Bucket, t: datetime) -> int:
        if b.name == self.story.bucket and t < self.story.pii_found:
            return UNCLASSIFIED_SCORE
        return self.scores[b.name]

    def _bucket(self, b: Bucket, t: datetime) -> dict:
        first_day = self.org.end - timedelta(days=HISTORY_DAYS)
        age = max(0, (t - first_day).days - b.created_day)
        size = int(b.size0 * (1 + b.growth) ** age)
        objects = max(1, size // b.avg_object)
        unencrypted = 0
        if b.unencrypted_from_day is not None and (t - first_day).days >= b.unencrypted_from_day:
            unencrypted = objects // 5
        kms = f"arn:aws:kms:{HOME_REGION}:{b.account.id}:key/{self.ids[b.name]}"
        return {
            "accountId": b.account.id,
            "allowsUnencryptedObjectUploads": "TRUE" if unencrypted or not b.kms else "FALSE",
            "automatedDiscoveryMonitoringStatus": "MONITORED",
            "bucketArn": f"arn:aws:s3:::{b.name}",
            "bucketCreatedAt": iso(
                first_day + timedelta(days=b.created_day) - timedelta(days=400 if not b.created_day else 0)
            ),
            "bucketName": b.name,
            "classifiableObjectCount": int(objects * 0.93),
            "classifiableSizeInBytes": int(size * 0.9),
            "jobDetails": self._job_details(b, t),
            "lastAutomatedDiscoveryTime": iso(t - timedelta(hours=9)),
            "lastUpdated": iso(t - timedelta(hours=4)),
            "objectCount": objects,
            "objectCountByEncryptionType": {
                "customerManaged": 0,
                "kmsManaged": objects - unencrypted if b.kms else 0,
                "s3Managed": 0 if b.kms else objects - unencrypted,
                "unencrypted": unencrypted,
                "unknown": 0,
            },
            "publicAccess": {"effectivePermission": "NOT_PUBLIC"},
            "region": b.region,
            "replicationDetails": {
                "replicated": False,
                "replicatedExternally": False,
                "replicationAccounts": [],
            },
            "sensitivityScore": self._score(b, t),
            "serverSideEncryption": {"kmsMasterKeyId": kms, "type": "aws:kms"}
            if b.kms
            else {"type": "AES256"},
            "sharedAccess": self._shared(b, t),
            "sizeInBytes": size,
            "sizeInBytesCompressed": 0,
            "tags": [
                {
                    "key": "data-classification",
                    "value": "confidential" if "customer" in b.name else "internal",
                }
            ],
            "versioning": b.versioned,
        }

    def _job_details(self, b: Bucket, t: datetime) -> dict:
        if "customer-data" not in b.name:
            return {"isDefinedInJob": "FALSE", "isMonitoredByJob": "FALSE"}
        return {
            "isDefinedInJob": "TRUE",
            "isMonitoredByJob": "TRUE",
            "lastJobId": self.job_id,
            "lastJobRunTime": iso(t - timedelta(days=t.weekday() + 1, hours=-2)),
        }

    def _jobs(self, t: datetime) -> list[dict]:
        prod = [a for a in self.org.accounts if a.role == "prod" and present(a, t)]
        return [
            {
                "bucketDefinitions": [
                    {
                        "accountId": a.id,
                        "buckets": [
                            b.name for b in self.buckets if b.account is a and "customer-data" in b.name
                        ],
                    }
                    for a in prod
                ],
                "createdAt": iso(self.org.end - timedelta(days=200)),
                "jobId": self.job_id,
                "jobStatus": "IDLE",
                "jobType": "SCHEDULED",
                "lastRunErrorStatus": {"code": "NONE"},
                "name": "weekly-customer-data-pii-scan",
            }
        ]

    def _findings(self, b: Bucket, t: datetime) -> list[dict]:
        out = []
        if "customer-data" in b.name and (b.name != self.story.bucket or t >= self.story.pii_found):
            personal = b.name == self.story.bucket or b.account.role == "prod"
            created = (
                self.story.pii_found if b.name == self.story.bucket else self.org.end - timedelta(days=120)
            )
            out.append(self._sensitive(b, t, created, "Personal" if personal else "Multiple"))
        if self._shared(b, t) == "EXTERNAL":
            out.append(self._policy(b, self.story.shared))
        return out

    def _sensitive(self, b: Bucket, t: datetime, created: datetime, kind: str) -> dict:
        key = f"customers/2026/export-{self.ids[b.name][:8]}.csv"
        detections = [
            {"count": 1841, "type": "NAME"},
            {"count": 1790, "type": "ADDRESS"},
            {"count": 1322, "type": "USA_SOCIAL_SECURITY_NUMBER"},
            {"count": 1841, "type": "EMAIL_ADDRESS"},
        ]
        return {
            **self._base(b, f"SensitiveData:S3Object/{kind}", "CLASSIFICATION", created, t, "High", 3),
            "title": "The S3 object contains personal information.",
            "description": "The object contains personal information such as full names, mailing addresses and SSNs.",
            "classificationDetails": {
                "jobArn": f"arn:aws:macie2:{HOME_REGION}:{self.org.by_role('security').id}:classification-job/{self.job_id}",
                "jobId": self.job_id,
                "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
                "result": {
                    "additionalOccurrences": True,
                    "mimeType": "text/csv",
                    "sensitiveData": [
                        {
                            "category": "PERSONAL_INFORMATION",
                            "detections": detections,
                            "totalCount": sum(d["count"] for d in detections),
                        }
                    ],
                    "sizeClassified": 1_402_112,
                    "status": {"code": "COMPLETE"},
                },
            },
            "resourcesAffected": {
                "s3Bucket": self._s3_bucket(b),
                "s3Object": {
                    "bucketArn": f"arn:aws:s3:::{b.name}",
                    "extension": "csv",
                    "key": key,
                    "path": f"{b.name}/{key}",
                    "publicAccess": False,
                    "size": 1_402_112,
                    "storageClass": "STANDARD",
                },
            },
        }

    def _policy(self, b: Bucket, created: datetime) -> dict:
        return {
            **self._base(b, "Policy:IAMUser/S3BucketSharedExternally", "POLICY", created, created, "High", 3),
            "title": "The S3 bucket is shared with an external AWS account.",
            "description": f"The bucket policy of {b.name} grants access to an AWS account outside the organization.",
            "policyDetails": {
                "action": {
                    "actionType": "AWS_API_CALL",
                    "apiCallDetails": {"api": "PutBucketPolicy", "apiServiceName": "s3.amazonaws.com"},
                },
                "actor": {
                    "userIdentity": {
                        "type": "AssumedRole",
                        "assumedRole": {
                            "accountId": b.account.id,
                            "arn": f"arn:aws:sts::{b.account.id}:assumed-role/cicd-deploy/terraform",
                            "principalId": f"AROA{self.ids[b.name][:17].upper()}:terraform",
                        },
                    }
                },
            },
            "resourcesAffected": {"s3Bucket": self._s3_bucket(b)},
        }

    def _base(
        self, b: Bucket, kind: str, category: str, created: datetime, t: datetime, sev: str, score: int
    ) -> dict:
        rng = random.Random(f"{kind}/{b.name}")
        return {
            "accountId": b.account.id,
            "archived": False,
            "category": category,
            "count": 1 + max(0, (t - created).days // 7),
            "createdAt": iso(created),
            "id": uid(rng),
            "partition": "aws",
            "region": HOME_REGION,
            "sample": False,
            "schemaVersion": "1.0",
            "severity": {"description": sev, "score": score},
            "type": kind,
            "updatedAt": iso(max(created, t - timedelta(days=t.weekday() + 1))),
        }

    def _s3_bucket(self, b: Bucket) -> dict:
        return {
            "arn": f"arn:aws:s3:::{b.name}",
            "name": b.name,
            "owner": {"displayName": b.account.name, "id": uid(random.Random(b.account.id), 64)},
            "defaultServerSideEncryption": {"encryptionType": "aws:kms" if b.kms else "AES256"},
            "publicAccess": {"effectivePermission": "NOT_PUBLIC"},
        }


def build_macie(org: Organization, seed: int, story: Exposure) -> MacieState:
    """The buckets Macie sees and their scores, drawn from the seed."""
    rng = random.Random(f"macie/{seed}")
    buckets, _ = org_buckets(org, random.Random(f"storagelens/{seed}"))
    mine = tuple(b for b in buckets if b.region == HOME_REGION)
    scores = {
        b.name: 87
        if b.name == story.bucket
        else rng.randint(62, 80)
        if "customer-data" in b.name
        else rng.randint(1, 18)
        for b in mine
    }
    return MacieState(org, story, mine, scores, uid(rng), {b.name: uid(rng, 36) for b in mine})
