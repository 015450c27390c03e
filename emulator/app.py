"""``create_app(config)``: wire the contract, the domain, OBS and the HTTP layer into one app.

The root application owns what every request meets (error rendering, the access log and
the journal: one middleware), the shared services and the ModelArts routes under ``/v2``
(each behind authentication, then scenarios: emulator/api/modelarts/routes.py); the other
surfaces are sub-apps with the one middleware each needs: ``/v3`` IAM (scenarios) and
``/_emulator`` the control API (its guard). The S3-compatible OBS listener, the task
ticker and the rest of the start-up work (below) start and stop with the application, so
the CLI, tests and embedders all get the same server.

Start-up work that no first request needs is left until just after start, in one
background thread: loading moto's OBS store (emulator/obs/deferred.py; an OBS request, a
change to OBS or a health check that comes earlier loads it at once) and compiling the
validation fast paths (each also compiles on first use). Both are CPU work that would
share the interpreter with the first requests, which get it to themselves instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

from aiohttp import web

from emulator import __version__
from emulator.api import keys
from emulator.api.control.routes import PREFIX as CONTROL_PREFIX
from emulator.api.control.routes import ROUTES as CONTROL_ROUTES
from emulator.api.control.routes import create_control_app
from emulator.api.iam import discovery
from emulator.api.iam.routes import PREFIX as IAM_PREFIX
from emulator.api.iam.routes import ROUTES as IAM_ROUTES
from emulator.api.iam.routes import create_iam_app
from emulator.api.json_body import json_response
from emulator.api.modelarts.routes import DOCUMENTED, add_modelarts_routes
from emulator.api.observe import observer
from emulator.api.payloads import MAX_BODY_BYTES
from emulator.api.routing import OBJECT, RouteTable, add_routes, published, route
from emulator.auth.bucket_access import AccountBuckets
from emulator.codes import INVALID_REQUEST
from emulator.config import Config, bundled_schemas_dir
from emulator.contract import Contract, load_contract
from emulator.contract.loader import ContractError
from emulator.contract.model_shapes import attach_shapes
from emulator.contract.openapi import DocumentMode, build_openapi
from emulator.coverage import CoverageRecorder
from emulator.domain.clock import Clock, ManualClock, SystemClock
from emulator.domain.service import Emulator
from emulator.domain.tasks import TaskSettings
from emulator.errors import ModelArtsError
from emulator.journal import Journal
from emulator.obs.deferred import DeferredStore, moto_imported
from emulator.obs.server import create_obs_app
from emulator.record.proxy import install_proxy, proxy_configured
from emulator.scenarios.engine import ScenarioBook
from emulator.scenarios.loader import ScenarioLoader
from emulator.seed import SEED_SCHEMA, load_seed

log = logging.getLogger("emulator")
TICK_SECONDS = 0.1
MAX_OBJECT_BYTES = 256 * 1024 * 1024
# In-flight requests get this long to finish when the server stops.
SHUTDOWN_SECONDS = 0.8
# Seconds after start when the background start-up work begins (see the module text).
FINISH_STARTING_AFTER = 0.5


async def _openapi(request: web.Request) -> web.Response:
    """GET /openapi.json: the contract strict mode enforces; ``?mode=lenient``: lenient mode's."""
    mode = request.query.get("mode", "strict")
    if mode not in ("strict", "lenient"):
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"mode: expected strict or lenient, got {mode!r}"
        )
    return json_response(openapi_document(request.app[keys.CONTRACT], cast(DocumentMode, mode)))


ROOT_ROUTES: RouteTable = [
    (route("GET", "/openapi.json", "This document", response=OBJECT), _openapi),
    (
        route("GET", "/", "IAM: identity API versions (discovery)", success=300, response=OBJECT),
        discovery.versions,
    ),
]


def _attach_shapes(contract: Contract, schemas_dir: Path) -> None:
    """What the domain can take, when ``schemas_dir`` is a folder of one's own."""
    bundled = bundled_schemas_dir()
    if schemas_dir.resolve() == bundled.resolve():
        return
    try:
        attach_shapes(contract, load_contract(bundled))
    except ContractError as error:
        log.warning("no check of bodies against what the emulator models: %s", error)


def create_app(config: Config, *, clock: Clock | None = None) -> web.Application:
    """A ready application; raises a ``StartupError`` naming what is wrong and where.

    ``clock`` replaces the one ``config.clock`` names (tests inject one with an instant
    sleeper).
    """
    config = config.with_defaults_resolved()
    contract = load_contract(config.schemas_dir)
    seed, identities = load_seed(config.seed, contract.schema(SEED_SCHEMA))
    loader = ScenarioLoader(contract)
    book = ScenarioBook()
    for scenario in loader.load_paths(config.scenarios):
        book.add(scenario)
    book.seal()
    store = DeferredStore()  # moto is loaded when the app starts (emulator/obs/deferred.py)
    if clock is None:
        clock = ManualClock() if config.clock == "manual" else SystemClock()
    settings = TaskSettings(
        duration_ms=int(config.task_duration * 1000),
        max_running_per_dataset=config.max_running_tasks,
    )
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.middlewares.append(observer(app))
    app[keys.CONFIG] = config
    app[keys.CONTRACT] = contract
    _attach_shapes(contract, config.schemas_dir)
    # Strict authentication keeps each account's buckets its own on the ModelArts side too.
    access = None
    if config.auth == "strict":
        access = AccountBuckets(identities, lambda bucket: store.owners.owner(bucket))
    app[keys.EMULATOR] = Emulator(seed, store, clock, settings, access)
    app[keys.OBS_STORE] = store
    app[keys.OBS_APP] = create_obs_app(
        store,
        MAX_OBJECT_BYTES,
        auth=config.auth,
        credential_for=lambda access_key: identities.credentials.get(access_key),
        body_timeout=config.body_timeout,
    )
    app[keys.SCENARIOS] = book
    app[keys.SCENARIO_LOADER] = loader
    app[keys.JOURNAL] = Journal(config.journal_size)
    app[keys.IDENTITIES] = identities
    app[keys.ENDPOINTS] = keys.Endpoints()
    app[keys.COVERAGE] = CoverageRecorder(contract)
    add_routes(app, ROOT_ROUTES)
    if proxy_configured(config):  # record mode: an upstream answers /v2 and /v3
        install_proxy(app, config)
    else:
        add_modelarts_routes(app, contract, config.auth)
        app.add_subapp(IAM_PREFIX, create_iam_app())
    app.add_subapp(CONTROL_PREFIX, create_control_app())
    app.cleanup_ctx.append(_finish_starting)
    app.cleanup_ctx.append(_obs_listener)
    app.cleanup_ctx.append(_advance_tasks_in_background)

    async def close_store(_app: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    return app


@functools.lru_cache(maxsize=8)
def openapi_document(contract: Contract, mode: DocumentMode = "strict") -> dict:
    """The OpenAPI document ``GET /openapi.json`` serves, built when first asked for, once
    per contract (apps of one process share it): read it, never change it."""
    routes = [
        *published(IAM_PREFIX, IAM_ROUTES),
        *published("", ROOT_ROUTES),
        *published(CONTROL_PREFIX, CONTROL_ROUTES),
    ]
    return build_openapi(contract, DOCUMENTED, routes, version=__version__, mode=mode)


async def _finish_starting(app: web.Application) -> AsyncIterator[None]:
    """The start-up work of the module text: at once when moto is imported already (a test
    suite's every app but the first, or an embedder using moto), else just after start."""
    store, contract = app[keys.OBS_STORE], app[keys.CONTRACT]
    loop = asyncio.get_running_loop()
    later = None
    if moto_imported():
        store.load()  # a few milliseconds
        loop.run_in_executor(None, contract.compile_fast)
    else:

        def work() -> None:
            store.load()  # returns at once when something needed it earlier
            contract.compile_fast()

        def start() -> None:
            threading.Thread(target=work, name="finish-starting", daemon=True).start()

        later = loop.call_later(FINISH_STARTING_AFTER, start)
    yield
    if later is not None:
        later.cancel()


async def _obs_listener(app: web.Application) -> AsyncIterator[None]:
    """The S3-compatible OBS listener on its own port, sharing this app's storage.

    With no OBS port configured (an embedder that serves OBS itself, or not at all) there
    is none, and health says so.
    """
    config = app[keys.CONFIG]
    if config.obs_port is None:
        yield
        return
    runner = web.AppRunner(
        app[keys.OBS_APP], access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.obs_port).start()
        app[keys.ENDPOINTS].obs_url = url_of(runner.addresses[0])
        yield
    finally:
        app[keys.ENDPOINTS].obs_url = None
        await runner.cleanup()


def url_of(address: tuple) -> str:
    """``http://host:port`` for a bound socket address (IPv6 hosts in brackets)."""
    host, port = address[0], address[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


async def _advance_tasks_in_background(app: web.Application) -> AsyncIterator[None]:
    """On the system clock, finish tasks on time even when nobody polls them."""
    emulator = app[keys.EMULATOR]
    ticker = None
    if not emulator.clock.manual:
        ticker = asyncio.create_task(_tick(emulator))
    yield
    if ticker is not None:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def _tick(emulator: Emulator) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            emulator.tasks.advance()
        except Exception:  # a bug of ours: logged, and tasks go on finishing on time
            log.exception("finishing the tasks whose end has come failed")
