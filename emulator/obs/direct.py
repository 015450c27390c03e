"""Plain object PUT, GET and HEAD answered straight from moto's S3 backend.

moto answers an S3 request by building a werkzeug request and an ``S3Response`` (about a
millisecond for a small object). For a plain request (``emulator.obs.plain``) this module
makes the same backend calls moto's ``S3Response`` makes, in the same order, and builds
the same answer: the object is a moto ``FakeKey`` in the instance's backend either way,
so moto's listing, copy, multipart, versioning and ACL handling see it as before.

Whatever the direct path does not reproduce (a bucket with a policy, access logging or
object lock; an archived object; moto's IAM checks switched on; a missing bucket or key,
whose error documents moto writes) makes it decline before changing anything, and moto
answers the request whole. Imported with the backend, like ``emulator.obs.store``.
"""

from __future__ import annotations

import os
import string

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.s3.models import FakeKey, S3Backend
from moto.s3.utils import ARCHIVE_STORAGE_CLASSES, CaseInsensitiveDict

from emulator.obs import Answer
from emulator.obs.plain import PlainRequest

_APP_XML = "application/xml"  # what moto labels a body without a Content-Type
_ID_ALPHABET = string.ascii_letters + string.digits  # of moto's 52-character request ids
_ID_TABLE = bytes(ord(_ID_ALPHABET[byte % len(_ID_ALPHABET)]) for byte in range(256))


def answer(
    backend: S3Backend, plain: PlainRequest, body: bytes, size_limit: int | None
) -> Answer | None:
    """moto's answer to ``plain``, or None to let moto handle the request whole.

    With ``size_limit``, objects larger than that are declined too (the caller is on the
    event loop and keeps large objects for its worker threads).
    """
    bucket = backend.buckets.get(plain.bucket)
    if (
        bucket is None
        or bucket.policy is not None
        or bucket.logging
        or ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
    ):
        return None
    if plain.method == "PUT":
        if bucket.object_lock_enabled:
            return None
        return _put(backend, plain, body)
    stored = bucket.keys.get(plain.key)
    if not isinstance(stored, FakeKey) or (size_limit is not None and stored.size > size_limit):
        return None
    if plain.method == "GET" and stored.storage_class in ARCHIVE_STORAGE_CLASSES:
        return None
    return _get(backend, plain) if plain.method == "GET" else _head(backend, plain)


def _put(backend: S3Backend, plain: PlainRequest, body: bytes) -> Answer:
    """As S3Response.key_response -> _key_response_put -> put_object."""
    backend.get_object(plain.bucket, plain.key)  # moto's look-up before any key request
    ActionAuthenticatorMixin.request_count += 1  # moto's count of unauthenticated actions
    headers: dict[str, str] = {}
    algorithm, checksum_value = plain.checksum or ("", None)
    if checksum_value:
        headers[f"x-amz-checksum-{algorithm.lower()}"] = checksum_value
    stored = backend.put_object(
        plain.bucket,
        plain.key,
        body,
        storage="STANDARD",
        encryption=None,
        kms_key_id=None,
        bucket_key_enabled=None,
        lock_mode=None,
        lock_legal_status=None,
        lock_until=None,
        checksum_value=checksum_value,
    )
    stored.set_metadata(CaseInsensitiveDict(plain.metadata))  # as metadata_from_headers
    stored.set_acl(backend.get_bucket(plain.bucket).acl)
    stored.website_redirect_location = None
    if algorithm:
        stored.checksum_algorithm = algorithm
    backend.put_object_tagging(stored, {})
    headers.update(stored.response_dict)
    headers.pop("content-length", None)
    return _sent(200, headers, b"")


def _get(backend: S3Backend, plain: PlainRequest) -> Answer:
    """As S3Response.key_response -> _key_response_get -> get_object."""
    backend.get_object(plain.bucket, plain.key)
    ActionAuthenticatorMixin.request_count += 1
    stored = backend.get_object(plain.bucket, plain.key)
    headers: dict[str, str] = {}
    if stored.version_id != "null":
        headers["x-amz-version-id"] = stored.version_id
    headers.update(stored.response_dict)
    if plain.checksum_mode and stored.checksum_algorithm:
        checksum = stored.checksum_value
        if stored.checksum_type == "COMPOSITE":
            checksum = f"{stored.checksum_value}-{stored.checksum_parts}"
        headers[f"x-amz-checksum-{stored.checksum_algorithm.lower()}"] = checksum
        if stored.checksum_type:
            headers["x-amz-checksum-type"] = stored.checksum_type
    headers.update(stored.metadata)
    headers.update({"Accept-Ranges": "bytes"})
    return _sent(200, headers, stored.value)


def _head(backend: S3Backend, plain: PlainRequest) -> Answer:
    """As S3Response.key_response -> head_object."""
    backend.get_object(plain.bucket, plain.key)
    ActionAuthenticatorMixin.request_count += 1
    stored = backend.head_object(plain.bucket, plain.key)
    headers: dict[str, str] = {}
    headers.update(stored.metadata)
    headers.update(stored.response_dict)
    headers.update({"Accept-Ranges": "bytes"})
    if plain.checksum_mode and stored.checksum_algorithm:
        headers[f"x-amz-checksum-{stored.checksum_algorithm.lower()}"] = stored.checksum_value
    return _sent(200, headers, b"")


def _sent(status: int, headers: dict[str, str], payload: bytes) -> Answer:
    """As S3Response._send_response and ObjectStore.handle finish every answer."""
    headers["x-amzn-requestid"] = _request_id()
    if payload and "content-type" not in (name.lower() for name in headers):
        headers["content-type"] = _APP_XML
    return status, {str(k): str(v) for k, v in headers.items()}, payload


def _request_id() -> str:
    """A request id as moto makes them (52 letters and digits), for a fraction of the cost of
    moto's 52 ``random.choice`` calls; random bytes read modulo 62 (a slight bias, which an id
    does not mind)."""
    return os.urandom(52).translate(_ID_TABLE).decode("ascii")
