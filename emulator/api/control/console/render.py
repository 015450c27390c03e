"""Render console pages from the packaged Jinja2 templates (HTML autoescaped).

Jinja2 is imported when the first page is rendered, not when the server starts: most
runs never open the console.
"""

from __future__ import annotations

import datetime
import json
from functools import cache
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import jinja2

UI = "/_emulator/ui"
NAVIGATION = (
    ("Requests", f"{UI}/requests"),
    ("Tasks", f"{UI}/tasks"),
    ("Datasets", f"{UI}/datasets"),
    ("OBS", f"{UI}/obs"),
    ("Scenarios", f"{UI}/scenarios"),
    ("Coverage", f"{UI}/coverage"),
)


def _time(milliseconds: int | None) -> str:
    if milliseconds is None:
        return ""
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _pretty(text: str | None) -> str:
    """A JSON body indented for reading; other text as it came."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("emulator.api.control.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["time"] = _time
    env.filters["pretty"] = _pretty
    env.globals.update(navigation=NAVIGATION, ui=UI)
    return env


def page(template: str, section: str, status: int = 200, **context: object) -> web.Response:
    """A whole page; ``section`` names the navigation entry it belongs to."""
    context.setdefault("error", None)
    context.setdefault("message", None)
    text = environment().get_template(template).render(section=section, **context)
    return web.Response(text=text, status=status, content_type="text/html")


def fragment(template: str, **context: object) -> web.Response:
    text = environment().get_template(template).render(**context)
    return web.Response(text=text, content_type="text/html")
