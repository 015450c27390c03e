"""OBS storage that loads moto off the start path.

Importing moto (with boto3 and botocore) costs more than the rest of the emulator's start
together, and the emulator's own questions about OBS need none of it at first: OBS holds
what the seed put there. So ``DeferredStore`` stands in for the moto-backed
``ObjectStore`` (emulator/obs/store.py) from the start:

- until the loaded store takes over it records every change the domain makes (new
  buckets and objects, deleted objects, a reset's clearing): the seed's (``create_app``
  applies it) and any made while moto loads, so no change waits for moto on the event loop;
- reads (bucket exists, KMS, list, get) are answered from that record until the store is
  loaded, with the answers the loaded store gives: same keys, sizes and times;
- loading makes the ``ObjectStore`` and replays the record into it, then, under the lock,
  what was recorded meanwhile, and takes over: ``load`` in the calling thread,
  ``begin_loading`` in a thread of its own;
- every OBS request needs the loaded store: it loads it where it is asked for, or waits
  while it loads (on a worker thread, so the event loop keeps answering);
- once loaded, each call goes straight to the ``ObjectStore``.

``state`` says where it is; health answers only once the store is loaded (or failed).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.domain.ports import StoredObject
from emulator.obs import Answer
from emulator.obs.tenancy import BucketOwners, Guard

if TYPE_CHECKING:
    from emulator.obs.store import ObjectStore

log = logging.getLogger("emulator.obs")
STORE_MODULE = "emulator.obs.store"
NOT_LOADED, LOADING, LOADED, FAILED = "not loaded", "loading", "loaded", "failed"
CLOSED = "closed"  # closed before loading began: loading never begins after that
CLOSE_WAIT_SECONDS = 30  # a store still loading by then is left to the process's end
# The ObjectStore's own methods, bound onto this object once it is loaded (an instance
# attribute shadows a method), so a loaded store costs its callers nothing extra.
_FORWARDED = (
    "create_bucket",
    "bucket_names",
    "bucket_exists",
    "bucket_uses_kms",
    "put_object",
    "get_object",
    "delete_object",
    "list_keys",
    "prefix_exists",
    "clear",
    "close",
    "handle",
)


@dataclass(frozen=True)
class _Recorded:
    data: bytes
    content_type: str
    modified: datetime  # naive UTC, as moto keeps it


def _new_store(region: str) -> ObjectStore:
    """The moto-backed store (importing moto on first use); tests replace this."""
    from emulator.obs.store import ObjectStore

    return ObjectStore(region)


def moto_imported() -> bool:
    """Whether loading is quick: the store's module (and moto) is imported already."""
    return STORE_MODULE in sys.modules


def _stamp(store: ObjectStore, bucket: str, key: str, modified: datetime) -> None:
    """Give a replayed object the time it was recorded at, so no answer changes on load."""
    store._backend.get_object(bucket, key).last_modified = modified


class DeferredStore:
    """The domain's ``ObjectStorage`` and the OBS listener's store; see the module text."""

    def __init__(self, region: str = "eu-de") -> None:
        self.region = region
        self.state = NOT_LOADED
        self._real: ObjectStore | None = None
        self._failure: BaseException | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._version = 0
        self._buckets: dict[str, str | None] = {}  # name -> KMS key id
        self._objects: dict[str, dict[str, _Recorded]] = {}
        self._replay: list[tuple[str, tuple]] = []
        # Bucket owners (strict mode's tenancy), claimed as buckets are recorded; the loaded
        # store takes this table over, so the listener reads one table before and after.
        self.owners = BucketOwners()

    # --- loading --------------------------------------------------------------------

    def begin_loading(self) -> None:
        """Load the store in a thread of its own, unless loading has begun."""
        if self._claim():
            threading.Thread(target=self._load, name="obs-store-load", daemon=True).start()

    def load(self) -> None:
        """Load the store in this thread, or wait while it loads elsewhere."""
        self._store()

    def _claim(self) -> bool:
        with self._lock:
            if self.state != NOT_LOADED:
                return False
            self.state = LOADING
            return True

    @property
    def loaded(self) -> bool:
        return self.state == LOADED

    async def wait_loaded(self, timeout: float) -> bool:
        """Whether the store is loaded, loading it and waiting up to ``timeout`` seconds
        (off the event loop)."""
        self.begin_loading()
        if not self._done.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self._done.wait, timeout)
        return self.loaded

    def _load(self) -> None:
        try:
            real = _new_store(self.region)
            real.owners = self.owners
            replayed = 0
            while True:
                with self._lock:  # changes keep being recorded until the store takes over
                    pending = self._replay[replayed:]
                    if not pending:
                        # The loaded store first, then every method at once: a write must
                        # never reach it while reads still answer from the record.
                        self._real = real
                        self.__dict__.update({name: getattr(real, name) for name in _FORWARDED})
                        self._replay.clear()
                        self.state = LOADED
                        break
                for name, arguments, modified in pending:
                    getattr(real, name)(*arguments)
                    if modified is not None:
                        _stamp(real, arguments[0], arguments[1], modified)
                replayed += len(pending)
        except Exception as error:  # every waiter hears of it, and health says so
            log.error("OBS storage could not be loaded: %r", error)
            self._failure = error
            self.state = FAILED
        finally:
            self._done.set()

    def _store(self) -> ObjectStore:
        """The loaded store, waiting for it (loading it here when loading has not begun)."""
        real = self._real
        if real is not None:
            return real
        if self._claim():
            self._load()
        else:
            self._done.wait()
        if self._real is None:
            raise RuntimeError(f"OBS storage could not be loaded: {self._failure!r}")
        return self._real

    def __getattr__(self, name: str) -> Any:
        # Anything else the ObjectStore offers (tests reach its moto backend), once loaded;
        # a method is bound onto this object, so asking again costs nothing extra.
        if name.startswith("__"):
            raise AttributeError(name)
        found = getattr(self._store(), name)
        if callable(found) and not name.startswith("_"):
            self.__dict__[name] = found
        return found

    # --- changes: recorded while seeding, else made in the loaded store -----------------

    @property
    def version(self) -> int:
        real = self._real
        return self._version if real is None else real.version

    def _recording(self) -> bool:
        """Whether changes are recorded (under ``_lock``): until the loaded store takes over,
        so no change made on the event loop ever waits for moto to load."""
        return self._real is None and self.state in (NOT_LOADED, LOADING)

    def create_bucket(
        self, bucket: str, kms_key_id: str | None = None, owner: str | None = None
    ) -> None:
        with self._lock:
            recorded = self._recording()
            if recorded:
                self._replay.append(("create_bucket", (bucket, kms_key_id, owner), None))
                if owner is not None:
                    self.owners.claim(bucket, owner)
                self._objects.setdefault(bucket, {})
                if kms_key_id is not None:
                    self._buckets[bucket] = kms_key_id
                else:
                    self._buckets.setdefault(bucket, None)
                self._version += 1
        if not recorded:
            self._store().create_bucket(bucket, kms_key_id, owner)

    def put_object(
        self, bucket: str, key: str, data: bytes, content_type: str = "binary/octet-stream"
    ) -> None:
        with self._lock:  # recorded into a bucket the record holds
            recorded = self._recording() and bucket in self._buckets
            if recorded:
                modified = datetime.now(UTC).replace(tzinfo=None)
                arguments = (bucket, key, bytes(data), content_type)
                self._replay.append(("put_object", arguments, modified))
                self._objects[bucket][key] = _Recorded(arguments[2], content_type, modified)
                self._version += 1
        if not recorded:
            self._store().put_object(bucket, key, data, content_type)

    def delete_object(self, bucket: str, key: str) -> None:
        with self._lock:
            recorded = self._recording()
            if recorded:
                self._replay.append(("delete_object", (bucket, key), None))
                self._objects.get(bucket, {}).pop(key, None)
                self._version += 1
        if not recorded:
            self._store().delete_object(bucket, key)

    def clear(self) -> None:
        with self._lock:
            recorded = self._recording()
            if recorded:
                self._replay.append(("clear", (), None))
                self._buckets.clear()
                self._objects.clear()
                self.owners.clear()
                self._version += 1
        if not recorded:
            self._store().clear()

    def handle(
        self,
        method: str,
        path_qs: str,
        headers: list[tuple[str, str]],
        body: bytes,
        guard: Guard | None = None,
    ) -> Answer:
        return self._store().handle(method, path_qs, headers, body, guard)

    def close(self) -> None:
        """Nothing to close before loading began (and loading cannot begin afterwards);
        else close the store once it is loaded."""
        with self._lock:
            if self.state in (NOT_LOADED, CLOSED):
                self.state = CLOSED
                self._done.set()  # anyone who asks for the store now hears it is gone
                return
        if self._done.wait(CLOSE_WAIT_SECONDS) and self._real is not None:
            self._real.close()

    # --- reads: from the record until the store is loaded ---------------------------

    def bucket_names(self) -> list[str]:
        real = self._real
        return sorted(self._buckets) if real is None else real.bucket_names()

    def bucket_exists(self, bucket: str) -> bool:
        real = self._real
        return bucket in self._buckets if real is None else real.bucket_exists(bucket)

    def bucket_uses_kms(self, bucket: str) -> bool:
        real = self._real
        if real is None:
            return self._buckets.get(bucket) is not None
        return real.bucket_uses_kms(bucket)

    def get_object(self, bucket: str, key: str) -> bytes | None:
        real = self._real
        if real is not None:
            return real.get_object(bucket, key)
        found = self._objects.get(bucket, {}).get(key)
        return None if found is None else found.data

    def object_size(self, bucket: str, key: str) -> int | None:
        real = self._real
        if real is not None:
            return real.object_size(bucket, key)
        found = self._objects.get(bucket, {}).get(key)
        return None if found is None else len(found.data)

    def list_keys(self, bucket: str, prefix: str = "") -> list[StoredObject]:
        real = self._real
        if real is not None:
            return real.list_keys(bucket, prefix)
        return [
            StoredObject(key, len(found.data), int(found.modified.timestamp() * 1000))
            for key, found in sorted(self._objects.get(bucket, {}).items())
            if key.startswith(prefix)
        ]

    def prefix_exists(self, bucket: str, prefix: str) -> bool:
        real = self._real
        if real is not None:
            return real.prefix_exists(bucket, prefix)
        return any(key.startswith(prefix) for key in self._objects.get(bucket, {}))
