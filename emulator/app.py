"""``create_app(config)``: wire the contract, the domain, OBS and the HTTP layer into one app.

The returned application serves the ModelArts API; the S3-compatible OBS application that
shares its storage is attached as ``app[keys.OBS_APP]`` and started beside it by the CLI
(and by tests that need it).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from emulator import __version__
from emulator.api import keys
from emulator.api.authentication import authenticate
from emulator.api.control_guard import guard_control_api
from emulator.api.errors import render_errors
from emulator.api.observe import observe
from emulator.api.payloads import MAX_BODY_BYTES
from emulator.api.routes import DOCUMENTED, EXTRA, add_routes
from emulator.api.scripted import apply_scenarios
from emulator.config import Config
from emulator.contract import load_contract
from emulator.contract.openapi import build_openapi
from emulator.domain.clock import ManualClock, SystemClock
from emulator.domain.service import Emulator
from emulator.domain.tasks import TaskSettings
from emulator.journal import Journal
from emulator.obs.server import create_obs_app
from emulator.obs.store import ObjectStore
from emulator.scenarios.engine import ScenarioBook
from emulator.scenarios.loader import ScenarioLoader
from emulator.seed import SEED_SCHEMA, load_seed

TICK_SECONDS = 0.1
MAX_OBJECT_BYTES = 256 * 1024 * 1024


def create_app(config: Config) -> web.Application:
    """A ready application; raises ``ContractError``, ``SeedError`` or ``ScenarioError``."""
    config = config.with_defaults_resolved()
    contract = load_contract(config.schemas_dir)
    seed, identities = load_seed(config.seed, contract.schema(SEED_SCHEMA))
    loader = ScenarioLoader(contract)
    book = ScenarioBook()
    for scenario in loader.load_paths(config.scenarios):
        book.add(scenario)
    book.seal()
    store = ObjectStore()
    clock = ManualClock() if config.clock == "manual" else SystemClock()
    settings = TaskSettings(
        duration_ms=int(config.task_duration * 1000),
        max_running_per_dataset=config.max_running_tasks,
    )
    app = web.Application(
        middlewares=[observe, render_errors, guard_control_api, authenticate, apply_scenarios],
        client_max_size=MAX_BODY_BYTES,
    )
    app[keys.CONFIG] = config
    app[keys.CONTRACT] = contract
    app[keys.EMULATOR] = Emulator(seed, store, clock, settings)
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
    add_routes(app, contract)
    app[keys.OPENAPI] = build_openapi(
        contract, DOCUMENTED, (route for route, _ in EXTRA), version=__version__
    )
    app.cleanup_ctx.append(_advance_tasks_in_background)

    async def close_store(_app: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    return app


async def _advance_tasks_in_background(app: web.Application):
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
        emulator.tasks.advance()
