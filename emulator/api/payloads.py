"""Read and check request payloads: size, JSON syntax, then the operation's schema."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.codes import (
    BODY_TIMEOUT,
    BODY_TOO_LARGE,
    EMPTY_REQUEST,
    INVALID_REQUEST,
    MALFORMED_JSON,
)
from emulator.contract import Operation, PayloadValidator, Violation
from emulator.errors import ModelArtsError

MAX_BODY_BYTES = 12 * 1024 * 1024
# Bodies larger than this are parsed and checked on a worker thread: a megabyte of small
# objects costs the fast path a tenth of a second, an explanation of a refusal seconds.
OFF_LOOP_BYTES = 256 * 1024
STRICT_HEADER = "X-Emulator-Strict"
UNMODELLED = "The schemas folder admits this, but the emulator cannot model it: "

JSON_TYPES = ("application/json", "application/merge-patch+json")


def is_strict(request: web.Request, default: bool) -> bool:
    """The server's mode, unless this request chooses one with ``X-Emulator-Strict``."""
    value = request.headers.get(STRICT_HEADER)
    if value is None:
        return default
    value = value.strip()
    if value == "true":  # (only the values /openapi.json lists for the header)
        return True
    if value == "false":
        return False
    raise ModelArtsError(
        INVALID_REQUEST, detail=f"{STRICT_HEADER}: expected true or false, got {value!r}"
    )


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    document = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key!r}")
        document[key] = value
    return document


# Built once: ``json.loads`` with options builds a decoder per call.
_LENIENT_JSON = json.JSONDecoder(parse_constant=_refuse_constant)
_STRICT_JSON = json.JSONDecoder(
    parse_constant=_refuse_constant, object_pairs_hook=_reject_duplicate_keys
)


def _refuse_declared_oversize(request: web.Request) -> None:
    length = request.content_length  # parsed from the header at each reading
    if length is not None and length > MAX_BODY_BYTES:
        raise ModelArtsError(BODY_TOO_LARGE, status=413)


async def read_body(request: web.Request) -> bytes:
    """The request body, read once for every reader (signature, scenarios, handler).

    Every path that reads a body goes through here, so each one refuses a body over
    ``MAX_BODY_BYTES`` (413 ModelArts.4104, declared or streamed) and a body that does not
    arrive within ``--body-timeout`` (408 ModelArts.4205, also when the client leaves
    mid-body); both close the connection.
    """
    _refuse_declared_oversize(request)
    return await _read(request)


async def _read(request: web.Request) -> bytes:
    """``read_body`` once the declared size is known to be acceptable."""
    notes = keys.notes(request)
    if notes.raw_body is not None:
        return notes.raw_body
    if not request.can_read_body:
        return b""
    try:
        if request.content.is_eof():
            # Already all here (a small body comes with the headers): nothing to wait for.
            raw = await request.read()
        else:
            # aiohttp stops reading past client_max_size; a sender that trickles its body
            # is cut off instead of holding the connection forever.
            raw = await asyncio.wait_for(
                request.read(), keys.shared(request, keys.CONFIG).body_timeout
            )
    except TimeoutError:
        raise ModelArtsError(BODY_TIMEOUT, status=408, headers={"Connection": "close"}) from None
    except web.HTTPRequestEntityTooLarge:
        raise ModelArtsError(BODY_TOO_LARGE, status=413) from None
    except ConnectionError:
        # The client left (or the server is stopping) mid-body: an ordinary refusal, answered
        # to nobody, rather than an "unexpected error" traceback.
        raise ModelArtsError(
            BODY_TIMEOUT,
            status=408,
            detail="(the connection closed before the body arrived)",
            headers={"Connection": "close"},
        ) from None
    notes.raw_body = raw
    return raw


async def read_json(request: web.Request, *, strict: bool = False) -> object:
    """The body as JSON; refuses oversized, slow, empty, non-UTF-8 and malformed bodies.

    Strict mode also refuses duplicate keys (lenient keeps the last, as the service's
    parser does) and a Content-Type other than JSON.
    """
    return _parsed(await _received(request, strict), strict)


async def _received(request: web.Request, strict: bool) -> bytes:
    """The raw body, once its size and (strict) Content-Type are acceptable."""
    _refuse_declared_oversize(request)
    if strict and request.content_type not in JSON_TYPES:
        raise ModelArtsError(
            INVALID_REQUEST,
            detail=f"Content-Type: expected application/json, got {request.content_type!r}",
        )
    return await _read(request)


def _parsed(raw: bytes, strict: bool) -> object:
    if not raw.strip():
        raise ModelArtsError(EMPTY_REQUEST)
    try:
        text = raw.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("Unexpected UTF-8 BOM")
        return (_STRICT_JSON if strict else _LENIENT_JSON).decode(text)
    except UnicodeDecodeError:
        raise ModelArtsError(MALFORMED_JSON, detail="The body is not UTF-8.") from None
    except RecursionError:
        raise ModelArtsError(MALFORMED_JSON, detail="The body is nested too deeply.") from None
    except ValueError as error:
        raise ModelArtsError(MALFORMED_JSON, detail=f"({error})") from None


def operation_of(request: web.Request) -> Operation:
    """The documented operation whose route answered (emulator/api/modelarts/routes.py)."""
    operation = keys.notes(request).operation
    if operation is None:
        raise LookupError(f"{request.method} {request.path} is not a documented operation")
    return operation


def documented_response(request: web.Request, body: object, status: int = 200) -> web.Response:
    """The answer of a documented operation, with every field its response table lists."""
    return json_response(operation_of(request).complete_response(status, body), status=status)


def _refuse(request: web.Request, violations: list, *, preface: str = "") -> None:
    detail = preface + "; ".join(str(v) for v in violations)
    keys.notes(request).validation = detail
    raise ModelArtsError(INVALID_REQUEST, detail=detail)


def _shapes_check(operation: Operation, part: str) -> Callable[[object], list[Violation]] | None:
    """What of a payload a schemas folder of one's own admits but the domain cannot take
    (emulator/contract/model_shapes.py); an accepted payload is completed as lenient mode
    completes one of the bundled contract (defaults, strings and ``5.0`` as numbers). None
    for the bundled contract."""
    shapes = operation.shapes
    return None if shapes is None else functools.partial(shapes.violations, part)


def _refuse_unmodelled(request: web.Request, check: Callable | None, payload: object) -> None:
    violations = [] if check is None else check(payload)
    if violations:
        _refuse(request, violations, preface=UNMODELLED)


async def request_body(request: web.Request, *, objects: tuple[str, ...] = ()) -> dict:
    """The body, checked against the operation's request schema in the request's mode.

    ``objects`` name fields the service treats as an empty object when absent, so their
    documented defaults apply as if the client had sent ``{}``.
    """
    strict = is_strict(request, keys.shared(request, keys.CONFIG).strict)
    raw = await _received(request, strict)
    operation = operation_of(request)
    validator = operation.validator("request")
    # The same raw body (with the same absent objects) gets the same answer, known
    # before it is parsed again: the same refusal, or the same body as it was accepted.
    source = (objects, raw)
    if validator is not None:
        known = validator.remembered(source, strict=strict)
        if known is not None:
            violations, accepted = known
            if violations:
                _refuse(request, violations)
            if operation.shapes is not None:  # (at most 4 KiB: on the loop)
                _refuse_unmodelled(request, _shapes_check(operation, "request"), accepted)
            return accepted
    check = (raw, strict, objects, validator, source, _shapes_check(operation, "request"))
    if len(raw) > OFF_LOOP_BYTES:  # parsing and checking take a while: let others be served
        body, violations, preface = await asyncio.to_thread(_checked, *check)
    else:
        body, violations, preface = _checked(*check)
    if violations:
        _refuse(request, violations, preface=preface)
    return body


def _checked(
    raw: bytes,
    strict: bool,
    objects: tuple[str, ...],
    validator: PayloadValidator | None,
    source: tuple,
    shapes_check: Callable[[object], list[Violation]] | None,
) -> tuple[object, list[Violation], str]:
    """The parsed body (absent ``objects`` added), its violations and what to preface
    them with."""
    body = _parsed(raw, strict)
    if isinstance(body, dict):
        for name in objects:
            body.setdefault(name, {})
    if validator is not None:
        violations = validator.validate(body, strict=strict, source=source)
        if violations:
            return body, violations, ""
    unmodelled = [] if shapes_check is None else shapes_check(body)
    return body, unmodelled, UNMODELLED


def request_query(request: web.Request) -> dict:
    """Query parameters converted to their documented types, with documented defaults.

    Query values are always text, so numbers and booleans are converted in both modes;
    strict mode also refuses parameters the page does not list.
    """
    strict = is_strict(request, keys.shared(request, keys.CONFIG).strict)
    operation = operation_of(request)
    validator = operation.validator("query")
    query = {name: request.query.getone(name) for name in request.query}
    shapes_check = _shapes_check(operation, "query")
    if validator is None:
        _refuse_unmodelled(request, shapes_check, query)
        return query
    violations = validator.validate(query, strict=False)
    documented = validator.schema.get("properties", {})
    if strict:
        violations += [
            Violation(f"$.{name}", "unknown query parameter")
            for name in query
            if name not in documented
        ]
    if violations:
        _refuse(request, violations)
    for name, schema in documented.items():
        if name not in query and "default" in schema:
            query[name] = schema["default"]
    _refuse_unmodelled(request, shapes_check, query)
    return query
