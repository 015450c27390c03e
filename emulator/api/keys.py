"""Typed keys for what the application and each request carry.

The root application holds the shared services; sub-apps reach them through
``request.config_dict``. The types are imported for type checkers only, so this module
ties the HTTP layer to no package at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from emulator.auth.identity import Identities
    from emulator.config import Config
    from emulator.contract import Contract
    from emulator.coverage import CoverageRecorder
    from emulator.domain.service import Emulator
    from emulator.domain.timeline import Timeline
    from emulator.journal import Journal
    from emulator.obs.deferred import DeferredStore
    from emulator.scenarios.engine import Decision, ScenarioBook
    from emulator.scenarios.loader import ScenarioLoader


@dataclass
class Endpoints:
    """Where clients reach the listeners, for IAM catalogs and health; set when bound."""

    obs_url: str | None = None


CONFIG: web.AppKey[Config] = web.AppKey("config")
CONTRACT: web.AppKey[Contract] = web.AppKey("contract")
EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator")
OBS_APP: web.AppKey[web.Application] = web.AppKey("obs_app")
OBS_STORE: web.AppKey[DeferredStore] = web.AppKey("obs_store")
SCENARIOS: web.AppKey[ScenarioBook] = web.AppKey("scenarios")
SCENARIO_LOADER: web.AppKey[ScenarioLoader] = web.AppKey("scenario_loader")
JOURNAL: web.AppKey[Journal] = web.AppKey("journal")
IDENTITIES: web.AppKey[Identities] = web.AppKey("identities")
ENDPOINTS: web.AppKey[Endpoints] = web.AppKey("endpoints")
COVERAGE: web.AppKey[CoverageRecorder] = web.AppKey("coverage")
# Set on a sub-app whose requests the journal leaves out (the control API's own calls).
OFF_THE_RECORD: web.AppKey[bool] = web.AppKey("off_the_record")

# Per-request notes, read by the access log and the journal.
ERROR_CODE: web.RequestKey[str] = web.RequestKey("error_code")
RAW_BODY: web.RequestKey[bytes] = web.RequestKey("raw_body")
VALIDATION: web.RequestKey[str] = web.RequestKey("validation")
DECISION: web.RequestKey[Decision] = web.RequestKey("decision")
# A scenario's timeline for the task this request starts.
TIMELINE: web.RequestKey[Timeline] = web.RequestKey("timeline")
