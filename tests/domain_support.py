"""Support for domain tests: a dict-backed ``ObjectStorage`` (fast, independent of moto),
a check for the catalog code of a refusal, and a sleeper that does not wait.

The fake keeps the contract the domain relies on (emulator/domain/ports.py): ``version`` changes
on every write, ``list_keys`` answers in key order, a missing bucket lists nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from emulator.errors import ModelArtsError


@contextmanager
def refused_with(code: str) -> Iterator[pytest.ExceptionInfo[ModelArtsError]]:
    """The block raises a ``ModelArtsError`` with exactly this catalog code."""
    with pytest.raises(ModelArtsError) as caught:
        yield caught
    assert caught.value.code == code, str(caught.value)


class RecordingSleeper:
    """A clock's sleeper that returns at once and remembers the seconds it was asked for."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@dataclass(frozen=True)
class FakeObject:
    key: str
    size: int
    last_modified_ms: int
    data: bytes
    content_type: str


class FakeStorage:
    """Buckets of objects in dicts; ``modified_ms`` is the time stamp new objects get."""

    def __init__(self, modified_ms: int = 1_000) -> None:
        self.version = 0
        self.modified_ms = modified_ms
        self.buckets: dict[str, dict[str, FakeObject]] = {}
        self.kms: dict[str, str] = {}

    def create_bucket(
        self, bucket: str, kms_key_id: str | None = None, owner: str | None = None
    ) -> None:
        self.version += 1
        self.buckets.setdefault(bucket, {})
        if kms_key_id is not None:
            self.kms[bucket] = kms_key_id

    def bucket_exists(self, bucket: str) -> bool:
        return bucket in self.buckets

    def bucket_uses_kms(self, bucket: str) -> bool:
        return bucket in self.kms

    def put_object(
        self, bucket: str, key: str, data: bytes, content_type: str = "binary/octet-stream"
    ) -> None:
        self.version += 1
        self.buckets[bucket][key] = FakeObject(key, len(data), self.modified_ms, data, content_type)

    def get_object(self, bucket: str, key: str) -> bytes | None:
        stored = self.buckets.get(bucket, {}).get(key)
        return None if stored is None else stored.data

    def object_size(self, bucket: str, key: str) -> int | None:
        stored = self.buckets.get(bucket, {}).get(key)
        return None if stored is None else stored.size

    def delete_object(self, bucket: str, key: str) -> None:
        self.version += 1
        self.buckets.get(bucket, {}).pop(key, None)

    def list_keys(self, bucket: str, prefix: str = "") -> list[FakeObject]:
        objects = self.buckets.get(bucket, {})
        return [objects[key] for key in sorted(objects) if key.startswith(prefix)]

    def prefix_exists(self, bucket: str, prefix: str) -> bool:
        return any(key.startswith(prefix) for key in self.buckets.get(bucket, {}))

    def clear(self) -> None:
        self.version += 1
        self.buckets.clear()
        self.kms.clear()
