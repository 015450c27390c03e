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

from aiohttp import web

from emulator.api import keys
from emulator.api.errors import answer_for
from emulator.coverage import record_request
from emulator.journal import RecordedRequest, Scripted

log = logging.getLogger("emulator.access")


@web.middleware
async def observe(request: web.Request, handler) -> web.StreamResponse:
    started = time.perf_counter()
    services = request.app  # the app this middleware belongs to holds the services
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
    _log_access(request, response.status, error_code, elapsed_ms)
    journal = services[keys.JOURNAL]
    if journal.enabled and not request.match_info.apps[-1].get(keys.OFF_THE_RECORD, False):
        journal.record(_entry(request, notes, response.status, elapsed_ms), request.raw_headers)
    record_request(request, response.status, error_code, services[keys.COVERAGE])
    return response


def _log_access(
    request: web.Request, status: int, error_code: str | None, elapsed_ms: float
) -> None:
    if log.isEnabledFor(logging.INFO):
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
