"""Typed keys for what the application and each request carry."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from emulator.auth.identity import Identities
from emulator.config import Config
from emulator.contract import Contract
from emulator.domain.service import Emulator
from emulator.domain.timeline import Timeline
from emulator.journal import Journal
from emulator.scenarios.engine import Decision, ScenarioBook
from emulator.scenarios.loader import ScenarioLoader

CONFIG = web.AppKey("config", Config)
CONTRACT = web.AppKey("contract", Contract)
EMULATOR = web.AppKey("emulator", Emulator)
OBS_APP = web.AppKey("obs_app", web.Application)
SCENARIOS = web.AppKey("scenarios", ScenarioBook)
SCENARIO_LOADER = web.AppKey("scenario_loader", ScenarioLoader)
JOURNAL = web.AppKey("journal", Journal)
IDENTITIES = web.AppKey("identities", Identities)


@dataclass
class Endpoints:
    """Where clients reach the listeners, for IAM catalogs; set by whoever binds them."""

    obs_url: str | None = None


ENDPOINTS = web.AppKey("endpoints", Endpoints)
OPENAPI = web.AppKey("openapi", dict)

# Per-request notes, read by the access log and the journal.
ERROR_CODE = web.RequestKey("error_code", str)
RAW_BODY = web.RequestKey("raw_body", bytes)
VALIDATION = web.RequestKey("validation", str)
DECISION = web.RequestKey("decision", Decision)
# A scenario's timeline for the task this request starts.
TIMELINE = web.RequestKey("timeline", Timeline)
