"""Typed keys for what the application object carries (set once by ``create_app``)."""

from __future__ import annotations

from aiohttp import web

from emulator.config import Config
from emulator.contract import Contract
from emulator.domain.service import Emulator

CONFIG = web.AppKey("config", Config)
CONTRACT = web.AppKey("contract", Contract)
EMULATOR = web.AppKey("emulator", Emulator)
OBS_APP = web.AppKey("obs_app", web.Application)

# Per-request notes for the access log.
ERROR_CODE = web.RequestKey("error_code", str)
