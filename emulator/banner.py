"""The start-up banner: what a user needs to know about this run, on stdout, once bound.

The first two lines (``listening on`` and ``OBS (S3) on``) are the ones the pytest plugin
and scripts read for the addresses; they keep their wording. The rest says how the
emulator will behave, so a CI log answers "which mode was it in?" without guessing.
"""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.config import BUNDLED_SEED

PREFIX = "modelarts-emulator: "


def banner_lines(app: web.Application, api_urls: list[str]) -> list[str]:
    config = app[keys.CONFIG]
    scenarios = list(app[keys.SCENARIOS].scenarios)
    duration = f"{config.task_duration:g}"
    seed = f"{config.seed} (bundled demo seed)" if config.seed == BUNDLED_SEED else config.seed
    lines = [f"listening on {url}" for url in api_urls]
    lines += [
        f"OBS (S3) on {app[keys.ENDPOINTS].obs_url or 'off'}",
        f"auth {config.auth}, validation {'strict' if config.strict else 'lenient'}, "
        f"clock {config.clock}, task duration {duration} s",
        f"seed {seed}",
        f"scenarios loaded: {len(scenarios)}" + (f" ({', '.join(scenarios)})" if scenarios else ""),
        f"control API: {config.control_api}",
    ]
    return [PREFIX + line for line in lines]
