"""Bytecodes the accept path executes per request: a measure that a busy machine does not move.

Throughput on a shared 2-core machine drifts by more than most changes to the accept path
are worth, so this counts the Python bytecodes one request runs through the application
(routing, middlewares, handler, domain, rendering; not the socket and HTTP parsing, the
same for every server) for bare aiohttp, a validated task start and a refused one, and
names the files they run in. The same count on two versions says which is cheaper.

Run: ``python benchmarks/accept_path_bytecodes.py [requests]`` in the project's environment;
``PYTHONPATH=<another checkout>`` counts that version instead.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys

from aiohttp import streams, web
from aiohttp.test_utils import make_mocked_request

from emulator import app as emulator_app
from emulator.config import Config
from emulator.demo import DEMO_TASKS_PATH

START_BODY = json.dumps(
    {"task_type": "auto-label", "collect_key_sample": True, "config": {"algorithm_type": "fast"}}
).encode()
INVALID_BODY = b'{"task_type": 7, "config": []}'


def _new_start_body(number: int) -> bytes:
    """A task start whose bytes no earlier request sent (validation remembers bodies)."""
    config = {"algorithm_type": "fast", "description": f"start {number:08d}"}
    body = {"task_type": "auto-label", "collect_key_sample": True, "config": config}
    return json.dumps(body).encode()


WARM_UP = 200
SHOWN_FILES = 12


class _Protocol:
    """What a request's body stream asks of its connection, and nothing more (a mock would
    add its own bytecodes to every count)."""

    _reading_paused = False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


def _request(app: web.Application, body: bytes) -> web.Request:
    payload = streams.StreamReader(_Protocol(), 2**16, loop=asyncio.get_running_loop())
    payload.feed_data(body)
    payload.feed_eof()
    headers = {
        "Content-Type": "application/json",
        "X-Auth-Token": "any-token",
        "Content-Length": str(len(body)),
        "Host": "127.0.0.1",
    }
    return make_mocked_request("POST", DEMO_TASKS_PATH, headers=headers, app=app, payload=payload)


async def _bare_start(request: web.Request) -> web.Response:
    json.loads(await request.read())
    return web.json_response({"task_id": os.urandom(10).hex()[:19]})


def _bare_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/v2/{project_id}/datasets/{dataset_id}/tasks", _bare_start)
    return app


def _emulator_app() -> web.Application:
    emulator_app.FINISH_STARTING_AFTER = 10**6  # no background start-up work while counting
    config = Config(
        auth="off", max_running_tasks=10**9, task_duration=3600, obs_port=None, log_level="warning"
    )
    return emulator_app.create_app(config)


async def _count(app: web.Application, body, requests: int) -> collections.Counter:
    """Bytecodes per file over ``requests`` requests, after a warm-up; ``body`` is the
    same bytes for each request, or a function of the request's number."""
    make = body if callable(body) else lambda _number: body
    for number in range(WARM_UP):
        await app._handle(_request(app, make(number)))
    prepared = [_request(app, make(WARM_UP + number)) for number in range(requests)]
    counts: collections.Counter = collections.Counter()

    def trace(frame, event, _arg):
        if event == "call":
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
        elif event == "opcode":
            counts[frame.f_code.co_filename] += 1
        return trace

    sys.settrace(trace)
    try:
        for request in prepared:
            await app._handle(request)
    finally:
        sys.settrace(None)
    return counts


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/emulator/", "/lib/python"):
        if marker in filename:
            kept = filename.split(marker, 1)[1]
            return ("emulator/" + kept) if marker == "/emulator/" else kept
    return filename


async def main(requests: int) -> None:
    runs = {}
    for name, make, body in (
        ("bare aiohttp", _bare_app, START_BODY),
        ("validated task start", _emulator_app, START_BODY),
        ("validated task start, a body not sent before", _emulator_app, _new_start_body),
        ("invalid body (400)", _emulator_app, INVALID_BODY),
    ):
        app = make()
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            runs[name] = await _count(app, body, requests)
        finally:
            await runner.cleanup()
    print(f"| request | bytecodes per request ({requests} requests) |")
    print("|---|---:|")
    for name, counts in runs.items():
        print(f"| {name} | {sum(counts.values()) / requests:,.0f} |")
    print(f"\nvalidated task start, by file (top {SHOWN_FILES}):")
    for filename, count in runs["validated task start"].most_common(SHOWN_FILES):
        print(f"{count / requests:8,.0f}  {_short(filename)}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
