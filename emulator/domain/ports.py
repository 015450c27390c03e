"""What the domain needs from object storage; the OBS adapter provides it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class StoredObjectInfo(Protocol):
    key: str
    size: int
    last_modified_ms: int


@dataclass(frozen=True)
class StoredObject:
    """What ``list_keys`` reports of one object (the OBS adapter's record of it)."""

    key: str
    size: int
    last_modified_ms: int


class ObjectStorage(Protocol):
    version: int  # changes whenever anything in storage changes

    def create_bucket(
        self, bucket: str, kms_key_id: str | None = None, owner: str | None = None
    ) -> None: ...

    def bucket_exists(self, bucket: str) -> bool: ...

    def bucket_uses_kms(self, bucket: str) -> bool: ...

    def put_object(
        self, bucket: str, key: str, data: bytes, content_type: str = "binary/octet-stream"
    ) -> None: ...

    def get_object(self, bucket: str, key: str) -> bytes | None: ...

    def object_size(self, bucket: str, key: str) -> int | None: ...

    def delete_object(self, bucket: str, key: str) -> None: ...

    def list_keys(self, bucket: str, prefix: str = "") -> list[StoredObjectInfo]: ...

    def prefix_exists(self, bucket: str, prefix: str) -> bool: ...

    def clear(self) -> None: ...


class BucketAccess(Protocol):
    """Which buckets a project's requests may have the service read and write: the OBS
    tenancy of strict authentication, where every bucket has one owning account."""

    restricts: bool  # False when ``allows`` is always True (nothing to ask)

    def allows(self, project_id: str, bucket: str) -> bool: ...


class EveryBucket:
    """Any project uses any bucket (authentication off or permissive)."""

    restricts = False

    def allows(self, project_id: str, bucket: str) -> bool:
        return True
