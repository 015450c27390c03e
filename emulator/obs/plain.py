"""Which S3 requests are plain object PUT, GET or HEAD: those the listener answers directly.

A plain request names one object by path (no query string, so no sub-resource, version or
presigned signature) and carries only headers whose effect on moto's answer the direct
path reproduces: the ones moto ignores for these methods, the object's metadata fields,
and boto3's checksum. Anything else (Range, conditions, copy, ACL, tagging, storage
class, encryption, CORS, ...) goes through moto's whole S3 request handling as before.

Pure Python (no moto): the listener asks this on the event loop for every request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Headers moto does not read when it stores or answers a plain object PUT, GET or HEAD.
PASSIVE_HEADERS = frozenset(
    {
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "keep-alive",
        "content-length",
        "expect",
        "date",
        "authorization",
        "x-amz-date",
        "x-obs-date",
        "x-amz-security-token",
        "x-obs-security-token",
        "x-amz-user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    }
)
# Headers a PUT keeps as object metadata under moto's spelling (werkzeug's Title-Case),
# and GET/HEAD ignore; moto's other metadata fields take the full path.
METADATA_HEADERS = frozenset(
    {
        "content-type",
        "content-md5",
        "content-language",
        "content-encoding",
        "cache-control",
        "expires",
        "content-disposition",
        "x-robots-tag",
        "x-amz-content-sha256",
    }
)
CHECKSUM_ALGORITHM = "x-amz-sdk-checksum-algorithm"
CHECKSUM_PREFIX = "x-amz-checksum-"
CHECKSUM_MODE = "x-amz-checksum-mode"
CONTENT_SHA256 = "x-amz-content-sha256"
# moto decodes aws-chunked bodies for the STREAMING-* values: only these take the plain path.
_PLAIN_SHA256 = re.compile(r"[0-9a-f]{64}|UNSIGNED-PAYLOAD")
_USER_METADATA = re.compile(r"x-amz-meta-[a-z0-9.-]+")
# Characters that aiohttp, werkzeug and moto all leave as they are in a path, so the
# bucket and key read here are the ones moto reads.
_OBJECT_PATH = re.compile(r"/([A-Za-z0-9._-]+)/([A-Za-z0-9._~!$'()*,;=:@+/-]+)")
METHODS = frozenset({"PUT", "GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class PlainRequest:
    """An object PUT, GET or HEAD whose whole effect the direct path knows."""

    method: str
    bucket: str
    key: str
    # PUT: the object's metadata as moto reads it from the headers: names of user metadata
    # in lower case, the others as werkzeug spells them; in the order moto reads them.
    metadata: tuple[tuple[str, str], ...] = ()
    # PUT: boto3's flexible checksum, (algorithm, value) as sent.
    checksum: tuple[str, str] | None = None
    # GET/HEAD: the checksum is asked for (x-amz-checksum-mode: ENABLED).
    checksum_mode: bool = False


def plain_request(
    method: str, raw_path: str, headers: Iterable[tuple[str, str]]
) -> PlainRequest | None:
    """The request as a plain object request, or None when moto must handle it whole.

    ``raw_path`` is the request target as sent (with any query); ``headers`` the header
    pairs in the order received.
    """
    if method not in METHODS:
        return None
    found = _OBJECT_PATH.fullmatch(raw_path)
    if found is None:
        return None
    bucket, key = found.groups()
    segments = f"/{key}/"
    if "//" in segments[:-1] or "/./" in segments or "/../" in segments:
        return None  # empty or dot segments: moto and aiohttp might each read the path anew
    seen: set[str] = set()
    content_type: list[tuple[str, str]] = []
    metadata: list[tuple[str, str]] = []
    algorithm: str | None = None
    checksums: dict[str, str] = {}
    checksum_mode = False
    for name, value in headers:
        lower = name.lower()
        if lower in seen or "_" in lower or not value.isascii():
            return None  # moto's environ would merge or rename these
        seen.add(lower)
        if lower == CONTENT_SHA256 and _PLAIN_SHA256.fullmatch(value) is None:
            return None
        if lower in PASSIVE_HEADERS:
            continue
        if lower in METADATA_HEADERS:
            # werkzeug lists Content-Type before the other headers, as moto then reads them.
            target = content_type if lower == "content-type" else metadata
            target.append((lower.title(), value))
        elif method != "PUT":
            if lower != CHECKSUM_MODE:
                return None
            checksum_mode = value == "ENABLED"
        elif _USER_METADATA.fullmatch(lower):
            metadata.append((lower, value))
        elif lower == CHECKSUM_ALGORITHM:
            algorithm = value
        elif lower.startswith(CHECKSUM_PREFIX):
            checksums[lower] = value
        else:
            return None
    checksum = None
    if algorithm is not None or checksums:
        # Only the checksum sent with its algorithm (moto computes a missing one itself).
        if algorithm is None or set(checksums) != {CHECKSUM_PREFIX + algorithm.lower()}:
            return None
        checksum = (algorithm, checksums[CHECKSUM_PREFIX + algorithm.lower()])
        if not checksum[1]:
            return None
    if method != "PUT":
        return PlainRequest(method, bucket, key, checksum_mode=checksum_mode)
    return PlainRequest(method, bucket, key, tuple(content_type + metadata), checksum)
