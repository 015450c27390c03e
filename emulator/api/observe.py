"""Every request's answer, log line and journal entry: the root application's one middleware.

A failure anywhere below becomes its service's error body here (emulator/api/errors.py):
one layer, where error rendering was a second one, as each layer costs every request.
Requests of the sub-app marked ``OFF_THE_RECORD`` (the control API's own calls) stay out
of the journal. It also notes on the request which application holds the shared
services, so the layers below find them in one lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from emulator.api import keys
from emulator.api.errors import answer_for
from emulator.coverage import record_request
from emulator.journal import RecordedRequest, Scripted

log = logging.getLogger("emulator.access")
Middleware = Callable[[web.Request, Callable], Awaitable[web.StreamResponse]]


def observer(services: web.Application) -> Middleware:
    """The root middleware of ``services``, the application holding the shared services
    (bound here: ``request.app`` costs every request a walk to the current app)."""

    @web.middleware
    async def observe(request: web.Request, handler) -> web.StreamResponse:
        started = time.perf_counter()
        notes = request[keys.NOTES] = keys.Notes(services=services)
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            if answer.status < 400:  # a redirect: aiohttp sends it as it is
                _log_access(request, answer.status, None, (time.perf_counter() - started) * 1000)
                raise
            response = answer_for(request, answer)
        except Exception as failure:  # every failure gets its service's error body
            response = answer_for(request, failure)
        elapsed_ms = (time.perf_counter() - started) * 1000
        error_code = notes.error_code
        if log.isEnabledFor(logging.INFO):
            _log_access(request, response.status, error_code, elapsed_ms)
        journal = services[keys.JOURNAL]
        if journal.enabled and not _off_the_record(request, services):
            journal.record(_entry(request, notes, response.status, elapsed_ms), request.raw_headers)
        record_request(request, response.status, error_code, services[keys.COVERAGE])
        return response

    return observe


def _off_the_record(request: web.Request, services: web.Application) -> bool:
    last = request.match_info.apps[-1]  # the (sub-)application whose route answered
    return last is not services and last.get(keys.OFF_THE_RECORD, False)


def _log_access(
    request: web.Request, status: int, error_code: str | None, elapsed_ms: float
) -> None:
    method, path = request.method, request.path
    log.info("%s %s %d %s %.1fms", method, path, status, error_code or "-", elapsed_ms)


def _entry(
    request: web.Request, notes: keys.Notes, status: int, elapsed_ms: float
) -> RecordedRequest:
    assert notes.services is not None
    decision = notes.decision
    scripted = None
    if decision is not None:
        scripted = Scripted(
            decision.scenario,
            decision.rule,
            tuple(str(miss) for miss in decision.near_misses),
            decision.response.fault if decision.response else None,
        )
    return RecordedRequest(
        notes.services[keys.EMULATOR].clock.now_ms(),
        request.method,
        request.path,
        request.query_string,
        request.headers,
        notes.raw_body,
        status,
        notes.error_code,
        elapsed_ms,
        notes.validation,
        scripted,
    )
