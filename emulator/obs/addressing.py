"""Which bucket a path-style S3 request acts on, read exactly as moto reads it.

Strict mode's owner check must look at the bucket moto then acts on: any other reading of
the same request (``urlsplit`` keeps a ``;params`` tail that moto's ``urlparse`` cuts off,
decoding a copy source before splitting it where moto splits first) lets a request pass
the check for one bucket and act on another. So the listener's checks and the store's
dispatch all read requests here. Pure Python (no moto): the listener asks on the event loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

# The names S3 has ever accepted (its legacy rule: letters, digits, ".", "-", "_", up to 255
# characters), without "." and "..": a first path segment like this reads the same in every
# parser on the way to moto (aiohttp, urlparse, werkzeug).
_BUCKET_NAME = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-]{1,255}")
COPY_SOURCE_HEADERS = ("x-amz-copy-source", "x-obs-copy-source")


@dataclass(frozen=True, slots=True)
class Target:
    """What a request's path names."""

    bucket: str  # as moto reads it; "" for none (ListBuckets)
    names_a_key: bool  # moto's key handling answers it, else its bucket handling
    sent_bucket: str  # the first path segment as sent

    @property
    def well_formed(self) -> bool:
        """The first segment as sent is a bucket name, the one moto reads (or none)."""
        if not self.sent_bucket:
            return not self.bucket
        return self.sent_bucket == self.bucket and _BUCKET_NAME.fullmatch(self.bucket) is not None


def target(path_qs: str) -> Target:
    """The target of a request to ``path_qs`` (the path with its query, as aiohttp gives it
    and as the store hands it to moto at ``http://localhost{path_qs}``)."""
    # As moto's bucketpath ``bucket_name_from_url``: urlparse drops ``;params`` from the
    # last segment, then leading slashes are stripped.
    bucket = urlparse(f"http://localhost{path_qs}").path.lstrip("/").split("/")[0]
    segments = path_qs.split("?", 1)[0].lstrip("/").split("/", 1)
    return Target(bucket, len(segments) == 2 and segments[1] != "", segments[0])


def copy_source_bucket(source: str) -> str | None:
    """The bucket a copy source header names, as moto's CopyObject and UploadPartCopy read
    it: the path of ``urlparse`` decoded, then split (a repeated header arrives joined by
    commas, and moto reads the joined value the same way). None when ``urlparse`` cannot
    read it (``//[bucket/key``): then moto cannot either, and refuses the copy."""
    try:
        path = urlparse(source).path
    except ValueError:
        return None
    return unquote(path).lstrip("/").split("/", 1)[0]
