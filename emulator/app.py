"""``create_app(config)``: wire the contract, the domain and the HTTP layer into one app."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.access_log import log_requests
from emulator.api.errors import render_errors
from emulator.api.payloads import MAX_BODY_BYTES
from emulator.api.routes import add_routes
from emulator.config import Config
from emulator.contract import load_contract
from emulator.domain.service import Emulator
from emulator.seed import SEED_SCHEMA, load_seed


def create_app(config: Config) -> web.Application:
    """A ready application; raises ``ContractError`` or ``SeedError`` on unusable files."""
    config = config.with_defaults_resolved()
    contract = load_contract(config.schemas_dir)
    projects = load_seed(config.seed, contract.schema(SEED_SCHEMA))
    app = web.Application(
        middlewares=[log_requests, render_errors],
        client_max_size=MAX_BODY_BYTES,
    )
    app[keys.CONFIG] = config
    app[keys.CONTRACT] = contract
    app[keys.EMULATOR] = Emulator(projects)
    add_routes(app, contract)
    return app
