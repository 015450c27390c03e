"""Turn every failure, ours or aiohttp's, into the service's error body."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from emulator.api import keys
from emulator.api.iam import IamError
from emulator.errors import ModelArtsError

log = logging.getLogger("emulator")

API_MISSING = "ModelArts.4204"
BODY_TOO_LARGE = "ModelArts.4104"
INTERNAL_ERROR = "ModelArts.0010"


def error_response(request: web.Request, error: ModelArtsError) -> web.Response:
    status, body = request.app[keys.CONTRACT].catalog.render(error)
    request[keys.ERROR_CODE] = error.code
    response = web.json_response(body, status=status, headers=error.headers)
    if status in (408, 413):
        response.force_close()  # the rest of the body is never read
    return response


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


@web.middleware
async def render_errors(request: web.Request, handler) -> web.StreamResponse:
    """Every answer that is not a success has the ``error_code``/``error_msg`` shape."""
    try:
        return await handler(request)
    except ModelArtsError as error:
        return error_response(request, error)
    except IamError as error:  # IAM is another service, with Keystone's error format
        return error.response()
    except web.HTTPException as exception:
        if exception.status < 400:
            raise
        return error_response(request, _from_http_exception(request, exception))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return error_response(request, ModelArtsError(INTERNAL_ERROR))
