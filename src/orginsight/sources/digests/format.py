"""The CloudTrail digest file, exactly as AWS documents it, and the signature over it.

CloudTrail User Guide, "CloudTrail digest file structure" and "Custom implementations of CloudTrail
log file integrity validation" (awsdocs/aws-cloudtrail-user-guide, read 2026-11):

- key: ``[prefix/]AWSLogs/[<org-id>/]<account>/CloudTrail-Digest/<region>/<yyyy>/<mm>/<dd>/``
  ``<account>_CloudTrail-Digest_<region>_<trail>_<trail-home-region>_<YYYYMMDDTHHMMSSZ>.json.gz``
  (the timestamp is the digest's end time);
- body: the ``DIGEST_FIELDS`` below, with ``logFiles`` items of ``LOG_FILE_FIELDS``. A log file's
  ``hashValue`` is the hex SHA-256 of its *uncompressed* content ("Hash the uncompressed contents of the
  log file with the hashing algorithm specified in logFiles.hashAlgorithm");
- signature: hex SHA256withRSA (PKCS#1 v1.5) over ``signing_string``, kept in the digest object's S3
  user metadata ``x-amz-meta-signature`` (``signature-algorithm`` beside it); the key's fingerprint is
  ``digestPublicKeyFingerprint``, the MD5 of the PKCS#1 DER public key ``ListPublicKeys`` returns.

A local lake has no S3 metadata, so it keeps it in a sidecar next to the digest: ``<digest key>.sig``,
the JSON object ``head_object(...)["Metadata"]`` returns (``{"signature": ..., "signature-algorithm":
...}``); ``aws s3api head-object --bucket B --key K --query Metadata > K.sig`` writes one. Without a
sidecar a digest's signature still comes from its successor's ``previousDigestSignature``, as the guide's
offline validation does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orginsight.errors import LakeError
from orginsight.timerange import parse_iso

DIGEST_FOLDER = "CloudTrail-Digest"
SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"
SIDECAR_SUFFIX = ".sig"
"""A local digest's S3 user metadata lives in ``<digest>.sig`` (see the module docstring)."""

DIGEST_FIELDS = (
    "awsAccountId",
    "digestStartTime",
    "digestEndTime",
    "digestS3Bucket",
    "digestS3Object",
    "digestPublicKeyFingerprint",
    "digestSignatureAlgorithm",
    "newestEventTime",
    "oldestEventTime",
    "previousDigestS3Bucket",
    "previousDigestS3Object",
    "previousDigestHashValue",
    "previousDigestHashAlgorithm",
    "previousDigestSignature",
    "logFiles",
)
"""The documented fields of a digest file, in the order AWS's examples write them."""

LOG_FILE_FIELDS = ("s3Bucket", "s3Object", "hashValue", "hashAlgorithm", "newestEventTime", "oldestEventTime")

_R = r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]"
DIGEST_KEY = re.compile(
    rf"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{{10,32}})/)?(?P<account>[0-9]{{12}})/{DIGEST_FOLDER}/"
    rf"(?P<region>{_R})/(?P<yyyy>\d{{4}})/(?P<mm>\d{{2}})/(?P<dd>\d{{2}})/"
    rf"(?P=account)_{DIGEST_FOLDER}_(?P=region)_(?P<trail>.+)_(?P<home>{_R})_(?P<end>\d{{8}}T\d{{6}}Z)\.json\.gz$"
)
"""A digest file's key; ``end`` is the digest end time the name carries."""


def digest_key(
    account: str, region: str, end: datetime, trail: str, home_region: str, org_id: str | None = None
) -> str:
    """The key CloudTrail gives the digest of ``account`` and ``region`` ending at ``end``."""
    prefix = f"AWSLogs/{org_id}/{account}" if org_id else f"AWSLogs/{account}"
    return (
        f"{prefix}/{DIGEST_FOLDER}/{region}/{end:%Y/%m/%d}/"
        f"{account}_{DIGEST_FOLDER}_{region}_{trail}_{home_region}_{end:%Y%m%dT%H%M%SZ}.json.gz"
    )


def lake_relative(s3_object: str) -> str:
    """Where an S3 key recorded in a digest lies in a local lake: from ``AWSLogs/`` on, whatever prefix the
    bucket had (the guide's "path resolution" for offline validation)."""
    at = s3_object.find("AWSLogs/")
    return s3_object[at:] if at >= 0 else s3_object


def utc_text(when: datetime) -> str:
    """UTC extended format, as digests write times (``2015-08-17T15:01:31Z``)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Digest:
    """One parsed digest file: what the chain and the log file checks need from it."""

    key: str
    """The digest's own ``digestS3Object``, from ``AWSLogs/`` on."""
    account: str
    region: str
    start: datetime
    end: datetime
    fingerprint: str
    algorithm: str
    previous_key: str | None
    previous_hash: str | None
    previous_signature: str | None
    log_files: tuple[tuple[str, str, str], ...]
    """(key from ``AWSLogs/`` on, hex hash, hash algorithm) for each listed log file."""


def parse_digest(body: bytes) -> Digest:
    """A digest from its uncompressed JSON; KeyError or ValueError when a required field is absent or wrong."""
    d = json.loads(body)
    where = DIGEST_KEY.search(d["digestS3Object"])
    if where is None:
        raise ValueError(f"digestS3Object {d['digestS3Object']!r} is not a digest key")
    previous = d.get("previousDigestS3Object")
    return Digest(
        key=lake_relative(d["digestS3Object"]),
        account=d["awsAccountId"],
        region=where["region"],
        start=parse_iso(d["digestStartTime"]),
        end=parse_iso(d["digestEndTime"]),
        fingerprint=d["digestPublicKeyFingerprint"],
        algorithm=d["digestSignatureAlgorithm"],
        previous_key=lake_relative(previous) if previous else None,
        previous_hash=d.get("previousDigestHashValue"),
        previous_signature=d.get("previousDigestSignature"),
        log_files=tuple(
            (lake_relative(f["s3Object"]), f["hashValue"], f["hashAlgorithm"]) for f in d["logFiles"]
        ),
    )


def signing_string(body: bytes) -> bytes:
    """The documented data signing string of a digest, from its uncompressed content ``body``:

    digestEndTime, ``digestS3Bucket/digestS3Object``, hex SHA-256 of ``body``, and
    previousDigestSignature (``null`` for the first digest of a chain, as the Java sample and aws-cli
    write it), joined by newlines.
    """
    d = json.loads(body)
    previous = d.get("previousDigestSignature")
    return "\n".join(
        (
            d["digestEndTime"],
            f"{d['digestS3Bucket']}/{d['digestS3Object']}",
            hashlib.sha256(body).hexdigest(),
            "null" if previous is None else previous,
        )
    ).encode()


def fingerprint(pkcs1_der: bytes) -> str:
    """A CloudTrail public key's fingerprint: the MD5 of its PKCS#1 DER bytes (matches ``ListPublicKeys``)."""
    return hashlib.md5(pkcs1_der, usedforsecurity=False).hexdigest()


def verify_signature(public_key: object, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is a SHA256withRSA (PKCS#1 v1.5) signature of ``message`` by ``public_key``."""
    from cryptography.exceptions import InvalidSignature  # loads OpenSSL bindings: only when verifying
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        public_key.verify(bytes.fromhex(signature_hex), message, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[attr-defined]
    except (InvalidSignature, ValueError):
        return False
    return True


def sign(private_key: object, message: bytes) -> str:
    """The hex SHA256withRSA signature CloudTrail would put in ``x-amz-meta-signature`` (demo and tests)."""
    from cryptography.hazmat.primitives import hashes  # reason: OpenSSL bindings only when signing
    from cryptography.hazmat.primitives.asymmetric import padding  # reason: as above

    return private_key.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()  # type: ignore[attr-defined]


def pkcs1_der(public_key: object) -> bytes:
    """The PKCS#1 DER bytes ``ListPublicKeys`` returns as ``Value`` for ``public_key``."""
    from cryptography.hazmat.primitives import serialization  # reason: OpenSSL bindings only when used

    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )


def keys_from_list_public_keys(response: Mapping) -> dict[str, object]:
    """Fingerprint -> public key from one ``ListPublicKeys`` response (``Value`` as bytes, or base64 text as the
    CLI prints it)."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key  # reason: OpenSSL

    out: dict[str, object] = {}
    for item in response["PublicKeyList"]:
        value = item["Value"]
        der = value if isinstance(value, bytes | bytearray) else base64.b64decode(value)
        out[item.get("Fingerprint") or fingerprint(der)] = load_der_public_key(bytes(der))
    return out


def load_public_keys(paths: Iterable[str | os.PathLike[str]]) -> dict[str, object]:
    """Fingerprint -> public key from files and folders: PEM public keys (``*.pem``), ``ListPublicKeys``
    responses (``*.json``: one response, a list of them, or orginsight's recorded ``[{"params",
    "response"}]``). A folder contributes every such file in it."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key  # reason: OpenSSL

    out: dict[str, object] = {}
    for p in _files(paths):
        try:
            if p.suffix == ".pem":
                key = load_pem_public_key(p.read_bytes())
                out[fingerprint(pkcs1_der(key))] = key
            else:
                for response in _responses(json.loads(p.read_text())):
                    out.update(keys_from_list_public_keys(response))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise LakeError(f"cannot read public keys from {p}: {e}") from e
    return out


def lake_public_keys(lake: str | os.PathLike[str]) -> dict[str, object]:
    """The public keys a lake carries: its recorded ``api/cloudtrail/<region>/ListPublicKeys.json`` responses
    (the demo writes its key there; ``orginsight collect`` records real ones)."""
    return load_public_keys(sorted(Path(lake).glob("api/cloudtrail/*/ListPublicKeys.json")))


def read_sidecar(digest_path: str) -> dict | None:
    """The S3 user metadata kept beside a local digest, or None when there is none."""
    try:
        with open(digest_path + SIDECAR_SUFFIX, "rb") as f:
            meta = json.loads(f.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix in (".pem", ".json"))
        else:
            out.append(p)
    return out


def _responses(data: object) -> list[Mapping]:
    if isinstance(data, Mapping):
        return [data]
    if isinstance(data, list):
        return [d.get("response", d) for d in data]
    raise ValueError("neither a ListPublicKeys response nor a list of them")
