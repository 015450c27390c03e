"""Bucket ownership for ``--auth strict``: a bucket belongs to one domain (account).

As in the real cloud, another domain's keys get 403 AccessDenied on it, its name is taken
for everyone (creating it again elsewhere is 409 BucketAlreadyExists), and ListBuckets
shows the caller only its own buckets. A bucket nobody owns (the seed declares every
bucket's owner; only code that creates buckets directly leaves one unowned) is open to all.

``BucketOwners`` is kept outside moto so the stand-in store (emulator/obs/deferred.py) and
the loaded store share one table: owners recorded from the seed hold before and after moto
loads. Pure Python: the listener asks it on the event loop and on worker threads; each
change is one dict operation, atomic under the GIL. The listener's own changes (a create's
claim, a delete's release) are made by a ``Guard`` under the store's lock, together with
moto's act and a fresh check, so no two requests ever both pass for one name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import unescape

from emulator.auth.s3_signature import S3Error
from emulator.obs import Answer
from emulator.obs.addressing import COPY_SOURCE_HEADERS, copy_source_bucket, target

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


def check(
    owners: BucketOwners,
    domain_id: str,
    method: str,
    path_qs: str,
    headers: dict[str, str],
) -> None:
    """Raise the refusal of a request that names another domain's bucket (as its target or
    as a copy source), or whose path does not name a bucket plainly (its first segment
    might be read as another bucket on the way to moto); ``headers`` by lower-case name."""
    named = target(path_qs)
    if not named.well_formed:
        details = {"BucketName": named.sent_bucket}
        raise S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, details)
    bucket = named.bucket
    owner = owners.owner(bucket) if bucket else None
    if owner is not None and owner != domain_id:
        if method == "PUT" and not named.names_a_key and "?" not in path_qs:
            raise S3Error(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared "
                "by all users of the system. Please select a different name and try again.",
                409,
                {"BucketName": bucket},
            )
        raise S3Error("AccessDenied", "Access Denied")
    for header in COPY_SOURCE_HEADERS:  # moto reads S3's; OBS's is checked all the same
        source = headers.get(header)
        if source:
            bucket = copy_source_bucket(source)
            source_owner = owners.owner(bucket) if bucket is not None else None
            if source_owner is not None and source_owner != domain_id:
                raise S3Error("AccessDenied", "Access Denied")


class Buckets(Protocol):
    """The store's buckets, as the guard reads and mends them under the store's lock."""

    def bucket_exists(self, bucket: str) -> bool: ...

    def discard_bucket(self, bucket: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Guard:
    """One strict-mode request's ownership rules, applied by the store under the lock its
    listener requests take turns on, around moto's act (``respond``).

    The listener checks owners as soon as the signature verifies, but another request may
    create, claim or delete a bucket between that check and moto's act. Under the lock
    nothing comes between: the check is made again, then moto acts, and the owners follow
    what moto did, whatever the request looked like (moto creates a bucket for a PUT with
    a query it does not know, such as ``?x-id=CreateBucket``): a bucket that did not exist
    before and does now is the signer's if the request succeeded, and is removed if it
    failed (moto may make the bucket before it refuses the rest of a create), so no bucket
    is ever left without an owner; a bucket that existed and is gone loses its owner. So of
    two domains creating one new name at once, one gets it and the other 409
    BucketAlreadyExists, as a later create would. A bucket that existed keeps its owner (or
    its lack of one: a PUT on a bucket nobody owns leaves it open to all). ListBuckets is
    filtered to the signer's own buckets (``limit``: its ``max-buckets``).
    """

    owners: BucketOwners
    domain_id: str
    method: str
    path_qs: str
    headers: Mapping[str, str]
    limit: int | None = None

    def __call__(self, respond: Callable[[], Answer | None], buckets: Buckets) -> Answer | None:
        """moto's answer (None if it declined), or raise the refusal (``S3Error``)."""
        check(self.owners, self.domain_id, self.method, self.path_qs, self.headers)
        bucket = target(self.path_qs).bucket
        if not bucket:
            answer = respond()
            if self.method == "GET" and answer is not None and _succeeded(answer):
                status, headers, payload = answer
                listing = _own_buckets(self.owners, self.domain_id, payload, self.limit)
                return status, headers, listing
            return answer
        existed = buckets.bucket_exists(bucket)
        answer = None
        try:
            answer = respond()
        finally:
            exists = buckets.bucket_exists(bucket)
            if existed and not exists:
                self.owners.forget(bucket)
            elif exists and not existed and self.owners.owner(bucket) is None:
                if _succeeded(answer):
                    self.owners.claim(bucket, self.domain_id)
                else:  # a create that failed after moto made the bucket: undo it
                    buckets.discard_bucket(bucket)
        return answer


def _succeeded(answer: Answer | None) -> bool:
    return answer is not None and 200 <= answer[0] < 300


def _own_buckets(owners: BucketOwners, domain_id: str, listing: bytes, limit: int | None) -> bytes:
    """moto's ListAllMyBucketsResult without the buckets another domain owns, and with at
    most ``limit`` of the others."""
    shown = 0

    def kept(found: re.Match[bytes]) -> bytes:
        nonlocal shown
        name = unescape(found.group(1).decode("utf-8", errors="replace"))
        owner = owners.owner(name)
        if owner not in (None, domain_id) or (limit is not None and shown >= limit):
            return b""
        shown += 1
        return found.group(0)

    return _LISTED_BUCKET.sub(kept, listing)
