"""``modelarts-emulator``: read the configuration, start the server, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence

from aiohttp import web

from emulator.api import keys
from emulator.app import create_app
from emulator.config import Config, ConfigError, load_config
from emulator.contract.loader import ContractError
from emulator.scenarios.engine import ScenarioConflict
from emulator.scenarios.loader import ScenarioError
from emulator.seed import SeedError

log = logging.getLogger("emulator")
GC_YOUNG_THRESHOLD = 20_000
# In-flight requests get this long to finish after SIGTERM or SIGINT.
SHUTDOWN_SECONDS = 0.8


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config = load_config(argv)
    except ConfigError as error:
        print(f"modelarts-emulator: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        app = create_app(config)
        log.info("seed: %s", app[keys.CONFIG].seed)
        for scenario in app[keys.SCENARIOS].scenarios.values():
            for warning in scenario.warnings:
                log.warning("scenario %s: %s", scenario.name, warning)
    except (ContractError, SeedError, ScenarioError, ScenarioConflict) as error:
        print(f"modelarts-emulator: {error}", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve(app, config))
    except OSError as error:
        print(
            f"modelarts-emulator: cannot listen on {config.host}:{config.port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    return 0


async def serve(app: web.Application, config: Config) -> None:
    """Serve the API and OBS until SIGINT or SIGTERM, then answer in-flight requests and stop."""
    runners = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the address is announced
        loop.add_signal_handler(signum, stop.set)
    try:
        for label, served, port in (
            ("listening on", app, config.port),
            ("OBS (S3) on", app[keys.OBS_APP], config.obs_port),
        ):
            runner = web.AppRunner(
                served, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
            )
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, config.host, port).start()
            for address in runner.addresses:
                host, bound_port = address[0], address[1]
                shown = f"[{host}]" if ":" in host else host
                url = f"http://{shown}:{bound_port}"
                if served is not app and app[keys.ENDPOINTS].obs_url is None:
                    app[keys.ENDPOINTS].obs_url = url
                print(f"modelarts-emulator: {label} {url}", flush=True)
        # Objects made at start never die: keep them out of the collector's way, and collect
        # young objects less often, so thousands of live tasks do not cause long pauses.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        # Compile the validation fast paths while the server already answers.
        warm_up = loop.run_in_executor(None, app[keys.CONTRACT].compile_fast)
        await stop.wait()
        log.info("stopping")
        warm_up.cancel()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
