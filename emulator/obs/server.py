"""The S3-compatible OBS listener: auth per ``--auth``, then moto answers the request.

- off: anonymous requests may do anything;
- permissive (default): signed requests pass whatever the key; anonymous ones get what a
  private bucket answers them, 403 AccessDenied, and nothing is read or written;
- strict: V2, V4 and OBS signatures are verified against the seed's access keys, and a
  bucket belongs to one domain (``emulator.obs.tenancy``): another domain's keys are refused
  before anything is read or written, and ListBuckets lists the signer's own buckets.

A plain object PUT, GET or HEAD (``emulator.obs.plain``) is answered with moto's backend
calls alone (``emulator.obs.direct``), the same answer moto's S3 request layer gives at a
fraction of its cost; everything else goes whole to moto. Checking a signature (hashing
the body) and moto's work run on a small pool of worker threads, so storing a large upload
never holds up the event loop the API shares; only plain requests with bodies and objects
up to ``INLINE_BYTES`` are answered on the loop itself, where a thread hop would cost more
than the work.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape

from aiohttp import web

from emulator.auth.identity import Credential
from emulator.auth.s3_signature import S3Error, S3Request, is_signed, verify
from emulator.obs import Answer, listing, tenancy
from emulator.obs.plain import PlainRequest, plain_request

if TYPE_CHECKING:  # importing moto is left to emulator/obs/deferred.py, off the start path
    from emulator.obs.store import ObjectStore

log = logging.getLogger("emulator.obs")
STORE: web.AppKey[ObjectStore] = web.AppKey("object_store")
WORKERS = 4
# Plain object requests with bodies and objects up to this size are answered on the event
# loop (a few tens of microseconds of moto's work); larger ones on a worker thread.
INLINE_BYTES = 64 * 1024
MAX_DELETED_KEYS = 1000  # S3's limit for one DeleteObjects request
# An <Object> element's start tag, however written (a namespace prefix, blanks, empty).
_OBJECT_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?Object[\s/>]")
# Hop-by-hop or recomputed by aiohttp; moto's values would conflict with the real ones.
_DROPPED_HEADERS = {"content-length", "transfer-encoding", "connection", "server", "date"}
# A strict-mode check's outcome: the refusal, or None and the signer's domain id (None when
# the mode checks nothing).
Admission = tuple[Answer | None, str | None]


@dataclass(frozen=True)
class ObsGate:
    """Who may use the listener: the ``--auth`` mode and the seed's access keys."""

    mode: str
    credential_for: Callable[[str], Credential | None]


GATE = web.AppKey("obs_gate", ObsGate)
EXECUTOR = web.AppKey("obs_executor", ThreadPoolExecutor)
BODY_TIMEOUT = web.AppKey("obs_body_timeout", float)
MAX_BODY_BYTES = web.AppKey("obs_max_body_bytes", int)
PLAIN_PATH = web.AppKey("obs_plain_path", bool)


def create_obs_app(
    store: ObjectStore,
    max_body_bytes: int,
    *,
    auth: str,
    credential_for: Callable[[str], Credential | None],
    body_timeout: float,
    plain_path: bool = True,
) -> web.Application:
    """An application answering the S3 protocol on its own port.

    ``auth`` is the ``--auth`` mode; ``credential_for`` finds an access key's credential
    (it is called on worker threads and the event loop, so it must only read); a body must
    arrive within ``body_timeout`` seconds (``--body-timeout``). ``plain_path``: plain
    object requests are answered without moto's request layer (tests turn it off to
    compare the answers).
    """
    app = web.Application(client_max_size=max_body_bytes)
    app[STORE] = store
    app[GATE] = ObsGate(auth, credential_for)
    app[BODY_TIMEOUT] = body_timeout
    app[MAX_BODY_BYTES] = max_body_bytes
    app[PLAIN_PATH] = plain_path
    app[EXECUTOR] = ThreadPoolExecutor(WORKERS, thread_name_prefix="obs")
    app.router.add_route("*", "/{tail:.*}", _serve)

    async def stop_workers(_app: web.Application) -> None:
        app[EXECUTOR].shutdown(wait=True, cancel_futures=True)

    app.on_cleanup.append(stop_workers)
    return app


async def _serve(request: web.Request) -> web.Response:
    started = time.perf_counter()
    app = request.app
    gate = app[GATE]
    s3_request = _s3_request(request, b"")
    refusal = _permissive_refusal(s3_request) if gate.mode == "permissive" else None
    if refusal is None:
        body, refusal = await _read_body(request, app[BODY_TIMEOUT])
    if refusal is not None:
        answer = _error(refusal)
    else:
        s3_request = S3Request(
            s3_request.method, s3_request.raw_path, s3_request.raw_query, s3_request.headers, body
        )
        plain = _plain(request) if app[PLAIN_PATH] else None
        answer, admitted = None, None
        if plain is not None and len(body) <= INLINE_BYTES and app[STORE].loaded:
            # Small and plain: answered here, cheaper than a hop to a worker and back (but
            # storage still loading is waited for on a worker, never on the event loop).
            admitted = _admit(gate, app[STORE], s3_request, request.path_qs)
            answer = admitted[0]
            if answer is None:
                guard = _guard(app[STORE], admitted[1], s3_request, request.path_qs)
                answer = _direct_answer(app[STORE], s3_request, plain, INLINE_BYTES, guard)
        if answer is None:
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(
                app[EXECUTOR],
                _answer,
                app[STORE],
                gate,
                s3_request,
                plain,
                request.path_qs,
                list(request.headers.items()),
                admitted,
            )
    status, headers, payload = answer
    response = web.Response(
        status=status,
        body=b"" if request.method == "HEAD" else payload,
        headers={k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
    )
    if status == 408:
        response.force_close()  # no keep-alive after a body that never arrived
    if request.method == "HEAD" and "content-length" in {k.lower() for k in headers}:
        response.headers["Content-Length"] = next(
            v for k, v in headers.items() if k.lower() == "content-length"
        )
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.path,
            status,
            (time.perf_counter() - started) * 1000,
        )
    return response


def _plain(request: web.Request) -> PlainRequest | None:
    """The request as a plain object PUT/GET/HEAD (``emulator.obs.plain``), or None."""
    raw_path = request.raw_path
    if raw_path != request.path:  # percent-escapes or a path aiohttp normalised
        return None
    return plain_request(request.method, raw_path, request.headers.items())


async def _read_body(request: web.Request, timeout: float) -> tuple[bytes, S3Error | None]:
    """The whole body, or the refusal S3 gives a body too slow or too large."""
    try:
        if request.content.is_eof():  # all of it has arrived: no timer to arm
            return await request.read(), None
        async with asyncio.timeout(timeout):
            return await request.read(), None
    except TimeoutError:
        message = (
            "Your socket connection to the server was not read from or written to within "
            "the timeout period."
        )
        return b"", S3Error("RequestTimeout", message, 408)
    except web.HTTPRequestEntityTooLarge:
        message = "Your proposed upload exceeds the maximum allowed size."
        details = {"MaxSizeAllowed": str(request.app[MAX_BODY_BYTES])}
        return b"", S3Error("EntityTooLarge", message, 400, details)


def _permissive_refusal(s3_request: S3Request) -> S3Error | None:
    """Anonymous requests are refused as a private bucket refuses them; nothing is read."""
    try:
        signed = is_signed(s3_request)
    except S3Error as malformed:
        return malformed
    return None if signed else S3Error("AccessDenied", "Access Denied")


def _s3_request(request: web.Request, body: bytes) -> S3Request:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        # A repeated header's values joined by ",", in the order they came.
        headers[lower] = f"{headers[lower]},{value.strip()}" if lower in headers else value.strip()
    path, _, query = request.raw_path.partition("?")
    return S3Request(request.method, path, query, headers, body)


def _answer(
    store: ObjectStore,
    gate: ObsGate,
    s3_request: S3Request,
    plain: PlainRequest | None,
    path_qs: str,
    headers: list[tuple[str, str]],
    admitted: Admission | None,
) -> Answer:
    """On a worker thread: the strict-mode checks (unless the event loop has made them),
    then answer directly if the request is plain, else let moto answer it whole."""
    refusal, domain_id = admitted or _admit(gate, store, s3_request, path_qs)
    if refusal is not None:
        return refusal
    if plain is not None:
        guard = _guard(store, domain_id, s3_request, path_qs)
        answer = _direct_answer(store, s3_request, plain, None, guard)
        if answer is not None:
            return answer  # an object's PUT, GET or HEAD: no owner changes
    try:
        _check_delete_size(s3_request.method, path_qs, s3_request.body)
        path_qs, body, limit = listing.for_moto(
            s3_request.method, path_qs, s3_request.body, own_buckets=domain_id is not None
        )
        guard = _guard(store, domain_id, s3_request, path_qs, limit)
        return store.handle(s3_request.method, path_qs, headers, body, guard)
    except S3Error as refused:  # max-buckets, or by the guard under the store's lock
        return _error(refused)
    except Exception as error:  # moto's own failure on input it did not expect
        return _moto_failure(s3_request.method, path_qs, error)


def _guard(
    store: ObjectStore,
    domain_id: str | None,
    s3_request: S3Request,
    path_qs: str,
    limit: int | None = None,
) -> tenancy.Guard | None:
    """Strict mode's owner rules for the store to apply with moto's act (None otherwise)."""
    if domain_id is None:
        return None
    return tenancy.Guard(
        store.owners,
        domain_id,
        s3_request.method,
        path_qs,
        s3_request.headers,
        limit,
    )


def _admit(gate: ObsGate, store: ObjectStore, s3_request: S3Request, path_qs: str) -> Admission:
    """In strict mode, the refusal of a request whose signature does not verify or that
    names another domain's bucket; else the signer's domain."""
    if gate.mode != "strict":
        return None, None
    try:
        credential = verify(s3_request, gate.credential_for)
        domain_id = credential.user.domain.domain_id
        tenancy.check(store.owners, domain_id, s3_request.method, path_qs, s3_request.headers)
    except S3Error as refusal:
        return _error(refusal), None
    return None, domain_id


def _check_delete_size(method: str, path_qs: str, body: bytes) -> None:
    """S3 deletes at most 1,000 keys per request (DeleteObjects, ``POST /bucket?delete``);
    moto takes any number, and 300,000 held a worker thread for 20 s."""
    if method != "POST" or "delete" not in parse_qs(path_qs.partition("?")[2], True):
        return
    if len(_OBJECT_ELEMENT.findall(body)) > MAX_DELETED_KEYS:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            f"published schema (at most {MAX_DELETED_KEYS} objects per request).",
            400,
        )


def _direct_answer(
    store: ObjectStore,
    s3_request: S3Request,
    plain: PlainRequest,
    inline_limit: int | None,
    guard: tenancy.Guard | None,
) -> Answer | None:
    """The store's answer to a plain request without moto's request layer, or None."""
    try:
        return store.answer_plain(plain, s3_request.body, inline_limit, guard)
    except S3Error as refused:  # by the guard, under the store's lock
        return _error(refused)
    except Exception as error:  # as in _answer: a refusal, never a 500
        return _moto_failure(s3_request.method, s3_request.raw_path, error)


def _moto_failure(method: str, path: str, error: Exception) -> Answer:
    log.warning("%s %s: refused, moto raised %r", method, path, error)
    if isinstance(error, ExpatError):
        refusal = S3Error("MalformedXML", "The XML you provided was not well-formed.", 400)
    else:
        refusal = S3Error("InvalidRequest", "The emulator cannot process this request.", 400)
    return _error(refusal)


def _error(refusal: S3Error) -> Answer:
    """The S3/OBS error document, with the request id in both vendors' headers."""
    request_id = secrets.token_hex(8).upper()
    fields = {"Code": refusal.code, "Message": refusal.message} | refusal.details
    fields |= {"RequestId": request_id, "HostId": "modelarts-emulator"}
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    # Echoed header values may hold bytes that were not UTF-8: replace them, do not fail.
    document = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'
    body = document.encode("utf-8", errors="replace")
    headers = {
        "Content-Type": "application/xml",
        "x-amz-request-id": request_id,
        "x-obs-request-id": request_id,
        "x-obs-error-code": refusal.code,
    }
    return refusal.status, headers, body
