"""OBS path syntax and the service's rules for it, in pure Python.

Paths arrive as ``/bucket/dir/`` or ``obs://bucket/dir/`` (``s3://`` is read the same way,
as manifests use it). The checks here are the ones that need no storage: characters,
``//`` inside, bucket-only paths; existence is checked by the domain against the store.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from emulator.codes import DOUBLE_SLASH, INVALID_PATH, SUBDIRECTORY_REQUIRED
from emulator.errors import ModelArtsError

_SCHEMES = ("obs://", "s3://")
# The catalog's rule: letters, digits, hyphens, underscores and slashes; dots are allowed
# too because object names (a manifest file) and bucket names contain them.
_ALLOWED = re.compile(r"^[\w\-./]*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class ObsPath:
    """A bucket and the key (or key prefix) inside it."""

    bucket: str
    key: str

    @property
    def is_directory(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    def child(self, name: str) -> ObsPath:
        prefix = self.key if self.is_directory else self.key + "/"
        return ObsPath(self.bucket, prefix + name)

    def as_directory(self) -> ObsPath:
        return self if self.is_directory else ObsPath(self.bucket, self.key + "/")

    def __str__(self) -> str:
        return f"/{self.bucket}/{self.key}"

    @property
    def uri(self) -> str:
        return f"obs://{self.bucket}/{self.key}"

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@functools.lru_cache(maxsize=4096)
def parse_obs_path(text: str, field: str, *, subdirectory: bool = True) -> ObsPath:
    """Check ``text`` as the OBS path given in ``field``; raise the catalog's error if bad."""
    rest = text
    for scheme in _SCHEMES:
        if rest.startswith(scheme):
            rest = rest[len(scheme) :]
            break
    else:
        if not rest.startswith("/"):
            raise ModelArtsError(INVALID_PATH, detail=f"({field}: {text!r} is not /bucket/path)")
        rest = rest[1:]
    if not _ALLOWED.match(rest) or any(part in (".", "..") for part in rest.split("/")):
        raise ModelArtsError(INVALID_PATH, detail=f"({field}: {text!r})")
    if "//" in rest:
        raise ModelArtsError(DOUBLE_SLASH, detail=f"({field}: {text!r})")
    bucket, _, key = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise ModelArtsError(INVALID_PATH, detail=f"({field}: bucket name {bucket!r})")
    if subdirectory and key == "":
        raise ModelArtsError(SUBDIRECTORY_REQUIRED, status=400, detail=f"({field}: {text!r})")
    return ObsPath(bucket, key)


def stored_path(uri: str) -> ObsPath:
    """A source the domain stored (``obs://bucket/key``) back into bucket and key.

    No rules apply: object keys in OBS are free text (spaces, ``..``), which the rules
    for paths in requests would refuse.
    """
    bucket, _, key = uri.removeprefix("obs://").partition("/")
    return ObsPath(bucket, key)
