"""Answer requests as the selected scenarios script them: respond, fail, fault or delay.

Scenarios apply when they are active, or when the request names them in
``X-Emulator-Scenario`` (then only those apply, so parallel tests do not meet each
other's scripts). With none selected this middleware costs one header lookup.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.api.payloads import OFF_LOOP_BYTES, read_body
from emulator.codes import BODY_TOO_LARGE
from emulator.errors import ModelArtsError
from emulator.scenarios.engine import Decision
from emulator.scenarios.matcher import RequestView, body_failures_of
from emulator.scenarios.model import Response
from emulator.scenarios.templates import TemplateContext, TemplateError, render, uses_body

SCENARIO_HEADER = "X-Emulator-Scenario"
NEAR_MISS_HEADER = "X-Emulator-Near-Miss"
MATCHED_HEADER = "X-Emulator-Rule"
log = logging.getLogger("emulator.scenarios")


@web.middleware
async def apply_scenarios(request: web.Request, handler) -> web.StreamResponse:
    book = keys.shared(request, keys.SCENARIOS)
    header = request.headers.get(SCENARIO_HEADER)
    if header is None and not book.active:
        return await handler(request)
    names, named = book.selection(header)
    view = await _view(request, book.needs_body(names))
    if view.body_is_json and len(keys.notes(request).raw_body or b"") > OFF_LOOP_BYTES:
        # The rules' body conditions, checked on a worker thread; the decision (which
        # changes the scenarios' counters and states) stays on the loop.
        matches = book.body_matches(view, names, explain=named)
        view.known_body_failures = await asyncio.to_thread(body_failures_of, matches, view)
    # Again: scenarios may have been removed while the body was read or checked.
    names, named = book.selection(header)
    decision = book.decide(view, names, explain=named)
    keys.notes(request).decision = decision
    if decision.response is None:
        if not decision.near_misses:
            return await handler(request)
        return await _with_near_misses(request, handler, decision)
    if decision.delay_ms:
        await keys.shared(request, keys.EMULATOR).clock.sleep(decision.delay_ms)
    return await _answer(request, handler, decision, view)


async def _view(request: web.Request, with_body: bool) -> RequestView:
    view = RequestView(
        method=request.method,
        path=request.path,
        query={name: request.query.getone(name) for name in request.query},
        headers={name.lower(): value for name, value in request.headers.items()},
    )
    if with_body and request.can_read_body:
        view.take_body(await read_body(request))
    return view


async def _with_near_misses(request: web.Request, handler, decision: Decision):
    """Let the emulator answer, and say which rules came closest and why they missed."""
    log.info(
        "%s %s matched no rule; closest %s",
        request.method,
        request.path,
        " | ".join(str(miss) for miss in decision.near_misses),
    )
    header = _header_safe(str(decision.near_misses[0]))
    try:
        response = await handler(request)
    except ModelArtsError as error:
        error.headers[NEAR_MISS_HEADER] = header
        raise
    if not response.prepared:
        response.headers[NEAR_MISS_HEADER] = header
    return response


def _header_safe(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)[:1000]


async def _answer(
    request: web.Request, handler, decision: Decision, view: RequestView
) -> web.StreamResponse:
    scripted = decision.response
    if view.body is None and request.can_read_body and uses_body([scripted.body, scripted.headers]):
        view.take_body(await read_body(request))  # no condition of the rule read it
    context = TemplateContext(
        path=decision.path_params,
        query=view.query,
        headers=view.headers,
        body=view.body,
        now_ms=keys.shared(request, keys.EMULATOR).clock.now_ms,
    )
    headers = {
        name: _header_safe(str(value))
        for name, value in _filled(scripted.headers, context, decision).items()
    }
    headers[MATCHED_HEADER] = _header_safe(f"{decision.scenario}/{decision.rule}")
    if scripted.fault is not None:
        return await _fault(request, scripted)
    if scripted.passthrough:
        if scripted.timeline is not None:
            keys.notes(request).timeline = scripted.timeline
        response = await handler(request)
        if not response.prepared:
            response.headers.update(headers)
        return response
    if scripted.error is not None:
        raise ModelArtsError(
            scripted.error, status=scripted.status, message=scripted.error_msg, headers=headers
        )
    status = scripted.status or 200
    if not scripted.has_body:
        return web.Response(status=status, headers=headers)
    body = _filled(scripted.body, context, decision)
    if isinstance(body, str):
        return web.Response(status=status, text=body, headers=headers)
    return json_response(body, status=status, headers=headers)


def _filled(value: object, context: TemplateContext, decision: Decision) -> object:
    """``value`` rendered, or 413 when this request's values make the answer too large."""
    try:
        return render(value, context)
    except TemplateError as error:
        raise ModelArtsError(
            BODY_TOO_LARGE,
            status=413,
            detail=f"(the answer of {decision.scenario}/{decision.rule}: {error})",
        ) from None


async def _fault(request: web.Request, scripted: Response) -> web.StreamResponse:
    """Break the connection the way the fault names; the client sees a network error."""
    fault = scripted.fault
    status = scripted.status or 200
    if fault == "malformed_body":
        return web.Response(status=status, text='{"task_id": "', content_type="application/json")
    transport = request.transport
    if fault == "connection_reset":
        if transport is not None:
            transport.abort()
        return web.Response(status=status)  # never reaches the client
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.content_length = 64
    await response.prepare(request)
    if fault == "truncated_body":
        await response.write(b'{"task_id": "')
    if transport is not None:
        transport.abort()
    return response
