"""Turn every failure, ours or aiohttp's, into the error body of the service that failed."""

from __future__ import annotations

import logging

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.codes import (
    API_MISSING,
    BODY_TIMEOUT,
    BODY_TOO_LARGE,
    EMPTY_REQUEST,
    INTERNAL_ERROR,
    INVALID_REQUEST,
    MALFORMED_JSON,
)
from emulator.errors import ModelArtsError, ServiceError

log = logging.getLogger("emulator")
refusals = logging.getLogger("emulator.validation")
# What a client sent that the emulator refuses; logged with the reasons, so a CI log
# shows why a request failed without a look at the journal. At INFO, beside the access
# line: a client's mistake is not a warning about the server (and under load a warning
# per refusal cost a sixth of the refusal path even at --log-level warning).
REQUEST_REFUSALS = frozenset(
    {BODY_TOO_LARGE, MALFORMED_JSON, INVALID_REQUEST, EMPTY_REQUEST, BODY_TIMEOUT}
)


def error_response(request: web.Request, error: ServiceError) -> web.Response:
    status, body = error.render(keys.shared(request, keys.CONTRACT).catalog)
    if isinstance(error, ModelArtsError):
        keys.notes(request).error_code = error.code
        if error.code in REQUEST_REFUSALS and not _scripted(request):
            refusals.info("%s %s refused: %s %s", request.method, request.path, *body.values())
    response = json_response(body, status=status, headers=error.headers)
    if status in (408, 413):
        response.force_close()  # the rest of the body is never read
    return response


def _scripted(request: web.Request) -> bool:
    decision = keys.notes(request).decision
    return decision is not None and decision.response is not None


def _from_http_exception(request: web.Request, exception: web.HTTPException) -> ModelArtsError:
    route = f"{request.method} {request.path}"
    if isinstance(exception, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exception.allowed_methods))
        return ModelArtsError(
            API_MISSING, status=404, http_status=405, params=(route,), headers={"Allow": allowed}
        )
    if isinstance(exception, web.HTTPRequestEntityTooLarge):
        return ModelArtsError(BODY_TOO_LARGE, status=413)
    if isinstance(exception, web.HTTPNotFound):
        return ModelArtsError(API_MISSING, status=404, params=(route,))
    return ModelArtsError(INTERNAL_ERROR, http_status=exception.status)


def answer_for(request: web.Request, failure: Exception) -> web.Response:
    """The error answer of the service that failed, for an error a handler raised
    (redirects, HTTP exceptions below 400, are the caller's to send)."""
    if isinstance(failure, ServiceError):
        return error_response(request, failure)
    if isinstance(failure, web.HTTPException):
        return error_response(request, _from_http_exception(request, failure))
    log.error("unexpected error answering %s %s", request.method, request.path, exc_info=failure)
    return error_response(request, ModelArtsError(INTERNAL_ERROR))
