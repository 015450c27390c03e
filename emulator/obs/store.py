"""OBS storage backed by moto's in-memory S3: with ``direct``, which it loads, the only
module that imports moto or botocore.

One ``ObjectStore`` owns one moto account, so every emulator instance has its own buckets
and objects. The ModelArts side calls the plain methods (``put_object``, ``list_keys``...);
the S3 listener hands whole HTTP requests to ``handle``, which lets moto answer them with
the S3 protocol the SDKs expect, or, for a plain object PUT/GET/HEAD, to ``answer_plain``,
which answers as moto does with moto's backend calls alone (``emulator.obs.direct``).

``handle`` runs on the listener's worker threads, so a large upload is stored while the
event loop keeps answering. Listener requests take turns under one lock (so do the rare
bucket-level changes: create, clear). The ModelArts side's object writes and reads do not
wait for it, so no ModelArts request (nor a finishing task writing its results) is stuck
behind an upload being stored: a key table change is one dict operation, atomic under the
GIL, and whoever iterates a key table (moto, and ``_snapshot`` here) copies it first in one
C-level call.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from typing import cast

from botocore.compat import HTTPHeaders
from moto.core.exceptions import HTTPException
from moto.core.model_instances import model_data
from moto.core.request import Request
from moto.s3.exceptions import BucketAlreadyExists, MissingBucket, MissingKey
from moto.s3.models import FakeBucket, FakeKey, S3Backend, s3_backends
from moto.s3.responses import S3Response
from werkzeug.datastructures import ImmutableMultiDict

from emulator.domain.ports import StoredObject
from emulator.obs import Answer
from emulator.obs.addressing import target
from emulator.obs.plain import PlainRequest
from emulator.obs.tenancy import BucketOwners, Guard

_PARTITION = "aws"
_NEUTRAL_REGION = "us-east-1"
_account_numbers = itertools.count(100000000001)
_account_lock = threading.Lock()
_AUTHORIZED = "AWS emulator:authorized"


class _InstanceBackend(S3Backend):
    """moto's S3 backend with a bucket namespace of its own.

    moto keeps one bucket namespace for all accounts in the process (as AWS does), so two
    emulators in one process (two tests, or a test suite that also uses moto) would refuse
    each other's bucket names and see each other's buckets. Each emulator is its own OBS.
    """

    def create_bucket(
        self, bucket_name: str, region_name: str, bucket_namespace: str | None = None
    ) -> FakeBucket:
        if bucket_name in self.buckets:
            raise BucketAlreadyExists(bucket=bucket_name)
        claimed = s3_backends.bucket_accounts.pop(bucket_name, None)
        try:
            return super().create_bucket(bucket_name, region_name, bucket_namespace)
        finally:
            if claimed is not None and claimed[1] != self.account_id:
                s3_backends.bucket_accounts[bucket_name] = claimed

    def get_bucket(self, bucket_name: str) -> FakeBucket:
        bucket = self.buckets.get(bucket_name) or self.table_buckets.get(bucket_name)
        if bucket is None:
            raise MissingBucket(bucket=bucket_name)
        return bucket


class _ObsRequest(Request):
    """A request as moto reads it, except that a PUT's body is never read as a form.

    werkzeug parses ``application/x-www-form-urlencoded`` and ``multipart/form-data``
    bodies into fields and leaves no raw bytes; moto would then store an empty object (and
    read the fields as query parameters). A PUT's body is always the object's bytes.
    """

    @property
    def form(self) -> ImmutableMultiDict:
        return ImmutableMultiDict() if self.method == "PUT" else super().form

    @property
    def files(self) -> ImmutableMultiDict:
        return ImmutableMultiDict() if self.method == "PUT" else super().files

    @property
    def data(self) -> bytes:
        return self.get_data() if self.method == "PUT" else super().data


def _next_account_id() -> str:
    with _account_lock:
        return f"{next(_account_numbers):012d}"


class _Untracked(list):
    """A class-level instance list that keeps nothing.

    moto appends every model it makes (each bucket, each version of each key, deleted or
    overwritten ones too) to a list on its class, for moto_server's dashboard only: an
    emulator under OBS load would keep every object body it was ever sent.
    """

    def append(self, _instance: object) -> None:
        pass


def _stop_tracking() -> None:
    """Make moto's S3 models keep no list of their instances (again after a ``mock_aws``
    in the same process reset them)."""
    for model in model_data["s3"].values():
        if not isinstance(model.instances_tracked, _Untracked):  # type: ignore[attr-defined]
            model.instances_tracked = _Untracked()  # type: ignore[attr-defined]


class ObjectStore:
    """Buckets and objects of one emulator instance."""

    loaded = True  # as the stand-in that loads it (emulator/obs/deferred.py) says once it has

    def __init__(self, region: str = "eu-de") -> None:
        _stop_tracking()
        self.account_id = _next_account_id()
        self.region = region
        self._backend = s3_backends[self.account_id][_PARTITION]
        self._backend.__class__ = _InstanceBackend  # same state, own bucket namespace
        account_id = self.account_id

        class _AccountResponse(S3Response):
            def get_current_account(self) -> str:
                return account_id

            def setup_class(self, request, full_url=None, headers=None) -> None:
                super().setup_class(request, full_url, headers)
                # OBS creates a bucket without a location constraint in any region; moto
                # allows that only for requests it believes were sent to us-east-1.
                self.region = _NEUTRAL_REGION

        self._response_class = _AccountResponse
        self._lock = threading.RLock()
        # Changed after every change, so readers can tell that nothing changed since they
        # looked; ``next`` on a count is atomic, so two threads never write the same number.
        self._changes = itertools.count(1)
        self.version = 0
        # Who owns each bucket (strict mode's tenancy); cleared with the buckets. The
        # stand-in store hands its own table over when it loads this one.
        self.owners = BucketOwners()
        # The owners the ModelArts side declared (the seed's): a clear keeps them, so in a
        # reset, between emptying storage and applying the seed again, another domain
        # cannot create (and own) a seed bucket's name.
        self._declared: dict[str, str] = {}

    # --- used by the ModelArts side -------------------------------------------------

    def create_bucket(
        self, bucket: str, kms_key_id: str | None = None, owner: str | None = None
    ) -> None:
        """``owner``: the id of the domain the bucket belongs to, unless it has an owner."""
        with self._lock:
            if not self.bucket_exists(bucket):
                self._backend.create_bucket(bucket, self.region)
            if owner is not None:
                self.owners.claim(bucket, owner)
                self._declared.setdefault(bucket, owner)
            if kms_key_id is not None:
                rule = {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": kms_key_id,
                    }
                }
                self._backend.put_bucket_encryption(bucket, {"Rule": rule})  # as moto parses XML
            self.version = next(self._changes)

    def bucket_names(self) -> list[str]:
        """Every bucket, by name (the console lists them)."""
        return sorted(self._backend.buckets)

    def bucket_exists(self, bucket: str) -> bool:
        return bucket in self._backend.buckets

    def bucket_uses_kms(self, bucket: str) -> bool:
        """Whether the bucket's default encryption is KMS (set through the S3 API or the seed)."""
        try:
            encryption = self._backend.get_bucket_encryption(bucket) or {}
        except MissingBucket:
            return False
        rules = encryption.get("Rule", [])
        rules = rules if isinstance(rules, list) else [rules]
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
                return True
        return False

    def put_object(
        self, bucket: str, key: str, data: bytes, content_type: str = "binary/octet-stream"
    ) -> None:
        stored = self._backend.put_object(bucket, key, data)  # not waiting for the lock
        stored.set_metadata({"Content-Type": content_type}, replace=False)
        self.version = next(self._changes)

    def get_object(self, bucket: str, key: str) -> bytes | None:
        stored = self._stored(bucket, key)
        return None if stored is None else stored.value

    def object_size(self, bucket: str, key: str) -> int | None:
        stored = self._stored(bucket, key)
        return None if stored is None else stored.size

    def _stored(self, bucket: str, key: str) -> FakeKey | None:
        """moto's record of the object (not a delete marker), if there is one."""
        try:
            stored = self._backend.get_object(bucket, key)
        except (MissingBucket, MissingKey):
            return None
        return stored if isinstance(stored, FakeKey) else None

    def delete_object(self, bucket: str, key: str) -> None:
        with contextlib.suppress(MissingBucket):  # not waiting for the lock, as put_object
            self._backend.delete_object(bucket, key)
        self.version = next(self._changes)

    def list_keys(self, bucket: str, prefix: str = "") -> list[StoredObject]:
        """Objects under ``prefix`` in key order; empty when the bucket does not exist."""
        found = []
        for name, versions in sorted(self._snapshot(bucket)):
            if not name.startswith(prefix) or not versions:
                continue
            stored = versions[-1]
            if isinstance(stored, FakeKey):
                modified = int(stored.last_modified.timestamp() * 1000)
                found.append(StoredObject(name, stored.size, modified))
        return found

    def prefix_exists(self, bucket: str, prefix: str) -> bool:
        """An object is at ``prefix`` or below it (OBS folders exist through their objects)."""
        return any(name.startswith(prefix) for name, _ in self._snapshot(bucket))

    def _snapshot(self, bucket: str) -> list[tuple[str, list]]:
        """The bucket's keys and their versions, copied at once (``list`` of a dict view is
        one C call, atomic under the GIL) so that a worker's change cannot break iteration."""
        found = self._backend.buckets.get(bucket)
        return [] if found is None else list(dict.items(found.keys))

    def clear(self) -> None:
        """Remove every bucket and object of this instance, and every owner but those the
        ModelArts side declared (the seed's, whose buckets a reset makes again)."""
        with self._lock:
            for name in list(self._backend.buckets):
                self._remove_bucket(name)
            self.owners.clear()
            for bucket, owner in self._declared.items():
                self.owners.claim(bucket, owner)
            self.version = next(self._changes)

    def discard_bucket(self, bucket: str) -> None:
        """Remove a bucket and its objects, if it exists (strict mode's guard removes one a
        failed create left behind)."""
        with self._lock:
            if self.bucket_exists(bucket):
                self._remove_bucket(bucket)
                self.version = next(self._changes)

    def _remove_bucket(self, name: str) -> None:
        bucket = self._backend.buckets.pop(name)
        for stored in bucket.keys.values():
            if isinstance(stored, FakeKey):
                stored.dispose()
        if s3_backends.bucket_accounts.get(name, ("", ""))[1] == self.account_id:
            del s3_backends.bucket_accounts[name]

    def close(self) -> None:
        self.clear()
        s3_backends.pop(self.account_id, None)

    # --- used by the S3 listener ----------------------------------------------------

    def handle(
        self,
        method: str,
        path_qs: str,
        headers: list[tuple[str, str]],
        body: bytes,
        guard: Guard | None = None,
    ) -> Answer:
        """Answer one S3 request (path-style addressing) as moto does; call it off the loop.

        ``guard`` (strict mode's ``tenancy.Guard``) wraps moto's act under the lock: it may
        refuse (raising ``S3Error``), claim or release the bucket, or filter the answer.
        """
        prepared_headers = HTTPHeaders()
        for name, value in headers:
            if name.lower() != "host":
                prepared_headers[name] = value
        prepared_headers["Host"] = "localhost"
        if "Authorization" not in prepared_headers:
            # The listener has already applied --auth: whoever gets here may act, and moto
            # must not answer an unsigned request as an anonymous one.
            prepared_headers["Authorization"] = _AUTHORIZED
        url = f"http://localhost{path_qs}"
        request = _ObsRequest.from_primitives(method, url, prepared_headers, body)
        responder = self._response_class()
        named = target(path_qs)  # as strict mode's owner check reads it
        respond = responder.key_response if named.names_a_key else responder.bucket_response

        def act() -> Answer:
            try:
                status, response_headers, payload = respond(request, url, request.headers)
            except HTTPException as error:
                status, response_headers = error.code, dict(error.get_headers())
                payload = error.get_body()
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
            answered = {str(k): str(v) for k, v in response_headers.items()}
            return status, answered, payload or b""

        with self._lock:
            answer = act() if guard is None else guard(act, self)
            if method not in ("GET", "HEAD"):
                self.version = next(self._changes)
        return cast(Answer, answer)  # moto always answers; only the direct path declines

    def answer_plain(
        self,
        plain: PlainRequest,
        body: bytes,
        inline_limit: int | None = None,
        guard: Guard | None = None,
    ) -> Answer | None:
        """What ``handle`` answers to a plain object request, without moto's request layer;
        None when moto must handle it whole (nothing has changed then). ``guard`` as for
        ``handle``.

        On a worker thread (``inline_limit`` None) it waits its turn like ``handle``. On the
        event loop (``inline_limit``: the largest object it may copy there) it never waits:
        None when a worker holds the turn or the object is larger.
        """
        from emulator.obs import direct  # loaded with moto, on the first request

        if not self._lock.acquire(blocking=inline_limit is None):
            return None
        try:

            def act() -> Answer | None:
                return direct.answer(self._backend, plain, body, inline_limit)

            answer = act() if guard is None else guard(act, self)
            if answer is not None and plain.method == "PUT":
                self.version = next(self._changes)
            return answer
        finally:
            self._lock.release()
