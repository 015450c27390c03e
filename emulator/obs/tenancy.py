"""Bucket ownership for ``--auth strict``: a bucket belongs to one domain (account).

As in the real cloud, another domain's keys get 403 AccessDenied on it, its name is taken
for everyone (creating it again elsewhere is 409 BucketAlreadyExists), and ListBuckets
shows the caller only its own buckets. A bucket nobody owns (the seed declares every
bucket's owner; only code that creates buckets directly leaves one unowned) is open to all.

``BucketOwners`` is kept outside moto so the stand-in store (emulator/obs/deferred.py) and
the loaded store share one table: owners recorded from the seed hold before and after moto
loads. Pure Python: the listener asks it on the event loop and on worker threads; each
change is one dict operation, atomic under the GIL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import unescape

from emulator.auth.s3_signature import S3Error

Answer = tuple[int, dict[str, str], bytes]
_LISTED_BUCKET = re.compile(rb"<Bucket>\s*<Name>([^<]*)</Name>.*?</Bucket>\s*", re.DOTALL)


class BucketOwners:
    """Bucket name -> the id of the domain that owns it."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}

    def owner(self, bucket: str) -> str | None:
        return self._owners.get(bucket)

    def claim(self, bucket: str, domain_id: str) -> None:
        """The bucket becomes ``domain_id``'s unless it already has an owner."""
        self._owners.setdefault(bucket, domain_id)

    def forget(self, bucket: str) -> None:
        self._owners.pop(bucket, None)

    def clear(self) -> None:
        self._owners.clear()


def bucket_of(path_qs: str) -> str:
    """The bucket a path-style request names, read as moto reads it ("" for none)."""
    return urlsplit(f"http://localhost{path_qs}").path.lstrip("/").split("/", 1)[0]


def _names_a_key(path_qs: str) -> bool:
    parts = urlsplit(f"http://localhost{path_qs}").path.lstrip("/").split("/", 1)
    return len(parts) == 2 and parts[1] != ""


def check(
    owners: BucketOwners,
    domain_id: str,
    method: str,
    path_qs: str,
    headers: dict[str, str],
) -> None:
    """Raise the refusal of a request that names another domain's bucket (as its target or
    as a copy source); ``headers`` by lower-case name."""
    bucket = bucket_of(path_qs)
    owner = owners.owner(bucket) if bucket else None
    if owner is not None and owner != domain_id:
        if method == "PUT" and not _names_a_key(path_qs) and "?" not in path_qs:
            raise S3Error(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared "
                "by all users of the system. Please select a different name and try again.",
                409,
                {"BucketName": bucket},
            )
        raise S3Error("AccessDenied", "Access Denied")
    source = headers.get("x-amz-copy-source")
    if source:
        source_bucket = urlsplit(unquote(source)).path.lstrip("/").split("/", 1)[0]
        source_owner = owners.owner(source_bucket)
        if source_owner is not None and source_owner != domain_id:
            raise S3Error("AccessDenied", "Access Denied")


def claim_before_creating(
    owners: BucketOwners, domain_id: str, method: str, path_qs: str
) -> str | None:
    """Claim a bucket a create request names before moto makes it, so another domain never
    sees it ownerless; returns the name claimed (to ``forget`` if the create fails)."""
    bucket = bucket_of(path_qs)
    if method != "PUT" or not bucket or _names_a_key(path_qs) or "?" in path_qs:
        return None
    if owners.owner(bucket) is not None:
        return None
    owners.claim(bucket, domain_id)
    return bucket


def settle(
    owners: BucketOwners,
    bucket_exists: Callable[[str], bool],
    domain_id: str,
    method: str,
    path_qs: str,
    answer: Answer,
) -> Answer:
    """After moto answered: a bucket the signer created becomes its domain's, a deleted one
    loses its owner, and ListBuckets keeps only the buckets the signer's domain may see."""
    status, headers, payload = answer
    if not 200 <= status < 300:
        return answer
    bucket = bucket_of(path_qs)
    if not bucket:
        if method == "GET":
            return status, headers, _own_buckets(owners, domain_id, payload)
        return answer
    if _names_a_key(path_qs):
        return answer
    if method == "PUT" and bucket_exists(bucket):
        owners.claim(bucket, domain_id)
    elif method == "DELETE" and not bucket_exists(bucket):
        owners.forget(bucket)
    return answer


def _own_buckets(owners: BucketOwners, domain_id: str, listing: bytes) -> bytes:
    """moto's ListAllMyBucketsResult without the buckets another domain owns."""

    def kept(found: re.Match[bytes]) -> bytes:
        name = unescape(found.group(1).decode("utf-8", errors="replace"))
        owner = owners.owner(name)
        return found.group(0) if owner is None or owner == domain_id else b""

    return _LISTED_BUCKET.sub(kept, listing)
