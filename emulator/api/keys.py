"""Typed keys for what the application and each request carry.

The root application holds the shared services; every layer reaches them with
``shared(request, key)``. The types are imported for type checkers only, so this module
ties the HTTP layer to no package at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web

if TYPE_CHECKING:
    from emulator.auth.identity import Identities
    from emulator.config import Config
    from emulator.contract import Contract, Operation
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


@dataclass(slots=True)
class Notes:
    """What the layers note about one request, for each other, the access log and the
    journal. One object made by the root middleware: attributes, where a dozen request
    keys (most of them absent, each miss a KeyError caught) cost the accept path."""

    # The application holding the shared services: a lookup there is one dict access,
    # where ``config_dict`` builds a chain of apps and misses in every sub-app first.
    services: web.Application | None = None
    error_code: str | None = None
    raw_body: bytes | None = None
    validation: str = "passed"
    decision: Decision | None = None
    timeline: Timeline | None = None  # a scenario's timeline for the task this starts
    operation: Operation | None = None  # the documented operation a /v2 route serves


NOTES: web.RequestKey[Notes] = web.RequestKey("notes")

_Service = TypeVar("_Service")


def notes(request: web.Request) -> Notes:
    """This request's notes (made here for a request no root middleware saw)."""
    try:
        return request[NOTES]
    except KeyError:
        made = request[NOTES] = Notes()
        return made


def shared(request: web.Request, key: web.AppKey[_Service]) -> _Service:
    """A shared service of the emulator: ``config_dict[key]`` without its cost."""
    try:
        return request[NOTES].services[key]  # type: ignore[index]
    except (KeyError, TypeError):  # no notes, or none naming the services
        return request.config_dict[key]
