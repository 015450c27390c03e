"""What the console's forms do: move the manual clock, and load, activate, deactivate and
reset scenarios. Each answers with a redirect back to its page (or the page with the error).

Forms are refused when another site posts them (``Origin`` or ``Sec-Fetch-Site`` says so):
on loopback without an admin token nothing else stops a web page from submitting them.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from emulator.api import keys
from emulator.api.control.console import pages
from emulator.api.control.console.render import UI
from emulator.api.control.scenarios import ADMIN_SOURCE
from emulator.codes import FORBIDDEN, INVALID_REQUEST
from emulator.domain.clock import ClockError
from emulator.errors import ModelArtsError
from emulator.scenarios.engine import ScenarioConflict
from emulator.scenarios.loader import ScenarioError

MAX_SECONDS = 1e12
MAX_SCENARIO_BYTES = 1024 * 1024


def same_origin(request: web.Request) -> None:
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    cross = site not in (None, "same-origin", "none") or (
        origin is not None and origin != "null" and origin.split("://", 1)[-1] != request.host
    )
    if cross:
        raise ModelArtsError(
            FORBIDDEN, params=("console form",), detail="Console forms are same-origin only."
        )


async def form_of(request: web.Request) -> MultiDictProxy:
    """The form's fields; a form aiohttp cannot read (bytes that are not text in its
    charset, an unknown charset, a broken multipart body) is a 400, not a traceback."""
    try:
        return await request.post()
    except (ValueError, LookupError) as error:  # UnicodeDecodeError is a ValueError
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"(the form could not be read: {type(error).__name__})"
        ) from None


def _back(path: str, message: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{UI}/{path}?message={quote(message)}")


async def advance_clock(request: web.Request) -> web.Response:
    """POST /_emulator/ui/clock/advance (form field ``seconds``)."""
    same_origin(request)
    form = await form_of(request)
    emulator = keys.shared(request, keys.EMULATOR)
    if not emulator.clock.manual:
        return await pages.tasks_page(request, error="The clock is the system clock.")
    try:
        seconds = float(str(form.get("seconds", "")))
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < MAX_SECONDS:
        return await pages.tasks_page(request, error="Seconds: a number from 0 up.")
    try:
        emulator.advance_clock(int(seconds * 1000))
    except ClockError as error:
        return await pages.tasks_page(request, error=f"The clock cannot move: {error}.")
    raise _back("tasks", f"The clock moved {seconds:g} s.")


async def load_scenario(request: web.Request) -> web.Response:
    """POST /_emulator/ui/scenarios: a scenario file (``file``) or text (``text``)."""
    same_origin(request)
    form = await form_of(request)
    upload = form.get("file")
    text, source = str(form.get("text") or ""), ADMIN_SOURCE
    if isinstance(upload, web.FileField) and upload.filename:
        text = upload.file.read(MAX_SCENARIO_BYTES + 1).decode("utf-8", errors="replace")
        source = upload.filename
    if not text.strip():
        return await pages.scenarios_page(
            request, error="Choose a file or paste a scenario.", status=400
        )
    if len(text) > MAX_SCENARIO_BYTES:
        return await pages.scenarios_page(request, error="The scenario is over 1 MiB.", status=400)
    try:
        scenario = keys.shared(request, keys.SCENARIO_LOADER).load_text(text, source)
        keys.shared(request, keys.SCENARIOS).add(scenario, replace=bool(form.get("replace")))
    except (ScenarioError, ScenarioConflict) as error:
        return await pages.scenarios_page(request, error=str(error), status=400)
    raise _back("scenarios", f"Loaded scenario {scenario.name}.")


ACTIONS = {
    "activate": ("Activated", lambda book, name: book.activate(name)),
    "deactivate": ("Deactivated", lambda book, name: book.deactivate(name)),
    "reset": ("Reset", lambda book, name: book.reset(name)),
}


async def scenario_action(request: web.Request) -> web.Response:
    """POST /_emulator/ui/scenarios/{name}/{action}: activate, deactivate or reset."""
    same_origin(request)
    name, action = request.match_info["name"], request.match_info["action"]
    book = keys.shared(request, keys.SCENARIOS)
    if action not in ACTIONS:
        return await pages.scenarios_page(request, error=f"No action {action!r}.", status=404)
    if name not in book.scenarios:
        return await pages.scenarios_page(request, error=f"No scenario {name!r}.", status=404)
    done, act = ACTIONS[action]
    act(book, name)
    raise _back("scenarios", f"{done} scenario {name}.")
