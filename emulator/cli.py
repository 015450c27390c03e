"""``modelarts-emulator``: read the configuration, start the server, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Iterator, Sequence

from aiohttp import web

from emulator.api import keys
from emulator.app import SHUTDOWN_SECONDS, create_app, url_of
from emulator.banner import banner_lines
from emulator.config import Config, load_config
from emulator.errors import StartupError

log = logging.getLogger("emulator")
GC_YOUNG_THRESHOLD = 20_000


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:  # subcommand: emulator/record/compare.py
        from emulator.record.compare import main as compare_main

        return compare_main(argv[1:])
    try:
        config = load_config(argv)
    except StartupError as error:
        print(f"modelarts-emulator: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        app = create_app(config)
    except StartupError as error:
        print(f"modelarts-emulator: {error}", file=sys.stderr)
        return 1
    for scenario in app[keys.SCENARIOS].scenarios.values():
        for warning in scenario.warnings:
            log.warning("scenario %s: %s", scenario.name, warning)
    try:
        asyncio.run(serve(app, config))
    except OSError as error:
        print(
            f"modelarts-emulator: cannot listen on {config.host} (API port {config.port}, "
            f"OBS port {config.obs_port}): {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    return 0


async def serve(app: web.Application, config: Config) -> None:
    """Serve the API and OBS until SIGINT or SIGTERM, then answer in-flight requests and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the address is announced
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()  # starts the OBS listener too
    try:
        await web.TCPSite(runner, config.host, config.port).start()
        # Both listeners are bound before either address is announced.
        api_urls = [url_of(address) for address in runner.addresses]
        print("\n".join(banner_lines(app, api_urls)), flush=True)
        # Objects made at start never die: keep them out of the collector's way, and collect
        # young objects less often, so thousands of live tasks do not cause long pauses.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        await stop.wait()
        log.info("stopping")
    finally:
        with _quiet_connection_resets() as cut_off:
            await runner.cleanup()
        if cut_off.count:
            log.info("stopped; %d connections were reset mid-request", cut_off.count)
        else:
            log.info("stopped")


# Loggers that report a peer gone mid-request, each with a traceback: aiohttp's request
# handler, asyncio's transports, and the emulator's own last-resort handler.
NOISY_LOGGERS = ("aiohttp.server", "aiohttp.web", "asyncio", "emulator")


class _ConnectionResetFilter(logging.Filter):
    """Drops (and counts) records about connections reset while the server stops."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ConnectionError) or "Connection reset" in record.getMessage():
            self.count += 1
            return False
        return True


@contextlib.contextmanager
def _quiet_connection_resets() -> Iterator[_ConnectionResetFilter]:
    """While stopping under load, clients lose their connections by design: count those
    instead of logging a traceback for each."""
    quiet = _ConnectionResetFilter()
    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield quiet
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)
