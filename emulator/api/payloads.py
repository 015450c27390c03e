"""Read and check request payloads: size, JSON syntax, then the operation's schema."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from emulator.contract import Operation
from emulator.errors import ModelArtsError

log = logging.getLogger("emulator.validation")

MAX_BODY_BYTES = 12 * 1024 * 1024
STRICT_HEADER = "X-Emulator-Strict"

BODY_TOO_LARGE = "ModelArts.4104"
MALFORMED_JSON = "ModelArts.4105"
INVALID_REQUEST = "ModelArts.4200"
EMPTY_REQUEST = "ModelArts.4202"

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def is_strict(request: web.Request, default: bool) -> bool:
    """The server's mode, unless this request chooses one with ``X-Emulator-Strict``."""
    value = request.headers.get(STRICT_HEADER)
    if value is None:
        return default
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ModelArtsError(
        INVALID_REQUEST, detail=f"{STRICT_HEADER}: expected true or false, got {value!r}"
    )


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


async def read_json(request: web.Request) -> object:
    """The body as JSON; refuses oversized, empty, non-UTF-8 and malformed bodies."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ModelArtsError(BODY_TOO_LARGE, status=413)
    raw = await request.read()  # aiohttp stops reading past client_max_size (413)
    if not raw.strip():
        raise ModelArtsError(EMPTY_REQUEST)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ModelArtsError(MALFORMED_JSON, detail="The body is not UTF-8.") from None
    except RecursionError:
        raise ModelArtsError(MALFORMED_JSON, detail="The body is nested too deeply.") from None
    except ValueError as error:
        raise ModelArtsError(MALFORMED_JSON, detail=f"({error})") from None


async def validated_body(request: web.Request, operation: Operation, strict: bool) -> dict:
    """The request body, checked against the operation's documented request schema."""
    body = await read_json(request)
    validator = operation.validator("request")
    if validator is not None:
        violations = validator.validate(body, strict=strict)
        if violations:
            detail = "; ".join(str(v) for v in violations)
            log.warning("%s %s refused: %s", request.method, request.path, detail)
            raise ModelArtsError(INVALID_REQUEST, detail=detail)
    return body
