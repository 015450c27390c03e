"""Console sessions end: signing out ends the session on the server (its cookie sent again is
refused exactly as no cookie is), a session ends by itself --console-session seconds after
sign-in on the session table's own clock (replaced here by one the test moves, no test
sleeps), never sooner or later for the emulator's task clock moving (advance, reset), the
257th sign-in pushes out the least recently used session, and a cookie from another
emulator instance opens nothing. All through HTTP."""

from __future__ import annotations

import re

import pytest

from emulator.api.control.console.sessions import MAX_SESSIONS, SESSIONS
from emulator.config import ConfigError, load_config

UI = "/_emulator/ui"
COOKIE = "modelarts_emulator_console"
ADMIN = {"X-Emulator-Admin-Token": "s3cret"}
HOUR = 3600


@pytest.fixture
async def guarded(make_client):
    return await make_client(admin_token="s3cret", clock="manual")


class SessionClock:
    """The session table's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def session_clock(client) -> SessionClock:
    """Replace the client's emulator's session clock with one the test moves."""
    for resource in client.app.router.resources():
        app = resource.get_info().get("app")
        if app is not None and SESSIONS in app:
            clock = app[SESSIONS].clock = SessionClock()
            return clock
    raise AssertionError("no console session table")


async def signed_in(client) -> str:
    """Sign in through the form, as a browser with no cookie; the session cookie's value."""
    client.session.cookie_jar.clear()
    response = await client.post(
        f"{UI}/login", data={"token": "s3cret", "next": f"{UI}/tasks"}, allow_redirects=False
    )
    assert response.status == 303, await response.text()
    return response.cookies[COOKIE].value


async def sent(client, method: str, path: str, session: str | None, **kwargs):
    """The request with ``session`` as its only cookie (None: no cookie at all)."""
    client.session.cookie_jar.clear()
    headers = {"Cookie": f"{COOKIE}={session}"} if session is not None else {}
    return await client.request(method, path, headers=headers, allow_redirects=False, **kwargs)


async def answers(client, session: str | None) -> tuple:
    """What a console page and a console form answer to ``session`` sent as the cookie:
    (status, Location) of the page, (status, body without its request id) of the form."""
    page = await sent(client, "GET", f"{UI}/tasks", session)
    form = await sent(client, "POST", f"{UI}/clock/advance", session, data={"seconds": "1"})
    body = await form.text()
    if form.content_type == "application/json":
        body = {k: v for k, v in (await form.json()).items() if k != "request_id"}
    return (page.status, page.headers.get("Location")), (form.status, body)


async def test_a_signed_in_session_opens_pages_and_forms(guarded):
    session = await signed_in(guarded)

    page, form = await answers(guarded, session)

    assert page == (200, None)
    assert form[0] == 303  # the clock moved


async def test_a_cookie_sent_again_after_signing_out_is_refused_like_none(guarded):
    session = await signed_in(guarded)
    signed_out = await sent(guarded, "POST", f"{UI}/logout", session)

    replayed = await answers(guarded, session)
    missing = await answers(guarded, None)

    assert signed_out.status == 303
    assert replayed[0] == (303, f"{UI}/login?next=/_emulator/ui/tasks")
    assert replayed[1][0] == 403
    assert replayed == missing


async def test_signing_out_ends_only_that_session(guarded):
    first, second = await signed_in(guarded), await signed_in(guarded)

    await sent(guarded, "POST", f"{UI}/logout", first)

    assert (await answers(guarded, first))[0][0] == 303
    assert (await answers(guarded, second))[0] == (200, None)


async def test_a_session_ends_after_its_lifetime(make_client):
    client = await make_client(admin_token="s3cret", console_session=2 * HOUR)
    clock = session_clock(client)
    session = await signed_in(client)

    clock.now += 2 * HOUR - 1
    still_open = await answers(client, session)
    clock.now += 1
    ended = await answers(client, session)

    assert still_open[0] == (200, None)
    assert ended[0] == (303, f"{UI}/login?next=/_emulator/ui/tasks")
    assert (await answers(client, await signed_in(client)))[0] == (200, None)  # sign in again


async def test_the_default_lifetime_is_twelve_hours(guarded):
    clock = session_clock(guarded)
    session = await signed_in(guarded)
    clock.now += 12 * HOUR - 1
    open_before = (await answers(guarded, session))[0][0]
    clock.now += 1

    assert open_before == 200
    assert (await answers(guarded, session))[0][0] == 303


async def test_advancing_the_emulators_clock_does_not_end_a_session(guarded):
    session_clock(guarded)
    session = await signed_in(guarded)

    advanced = await sent(
        guarded, "POST", f"{UI}/clock/advance", session, data={"seconds": str(13 * HOUR)}
    )

    assert advanced.status == 303
    assert "login" not in advanced.headers["Location"]  # the clock moved, still signed in
    assert (await answers(guarded, session))[0] == (200, None)


async def test_a_reset_winding_the_emulators_clock_back_does_not_stretch_a_session(guarded):
    clock = session_clock(guarded)
    await guarded.post("/_emulator/clock/advance", json={"seconds": 24 * HOUR}, headers=ADMIN)
    session = await signed_in(guarded)

    reset = await guarded.post("/_emulator/reset", headers=ADMIN)
    clock.now += 12 * HOUR

    assert reset.status == 200
    assert (await answers(guarded, session))[0] == (303, f"{UI}/login?next=/_emulator/ui/tasks")


async def test_a_sign_in_beyond_the_limit_pushes_out_the_least_recently_used(guarded):
    session_clock(guarded)
    kept = await signed_in(guarded)  # the first, used again below
    pushed_out = await signed_in(guarded)
    for _ in range(MAX_SESSIONS - 2):
        await signed_in(guarded)
    used = (await answers(guarded, kept))[0]  # kept is now the most recently used

    await signed_in(guarded)  # one more than the table holds

    assert used == (200, None)
    assert (await answers(guarded, kept))[0] == (200, None)
    assert (await answers(guarded, pushed_out))[0][0] == 303


async def test_the_cookie_says_how_long_the_browser_may_keep_it(make_client):
    client = await make_client(admin_token="s3cret", console_session=HOUR)
    response = await client.post(
        f"{UI}/login", data={"token": "s3cret", "next": f"{UI}/tasks"}, allow_redirects=False
    )

    assert response.cookies[COOKIE]["max-age"] == str(HOUR)
    assert "s3cret" not in response.cookies[COOKIE].value


async def test_a_cookie_from_another_emulator_with_the_same_token_is_refused(make_client):
    one = await make_client(admin_token="s3cret")
    other = await make_client(admin_token="s3cret")
    session = await signed_in(one)

    assert (await answers(one, session))[0] == (200, None)
    assert (await answers(other, session))[0] == (303, f"{UI}/login?next=/_emulator/ui/tasks")


async def test_each_sign_in_is_a_new_unguessable_session(guarded):
    sessions = {await signed_in(guarded) for _ in range(3)}

    assert len(sessions) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{40,}", session) for session in sessions)


def test_the_lifetime_is_a_flag_and_a_variable():
    assert load_config(["--console-session", "600"], {}).console_session == 600
    variable = {"MODELARTS_EMULATOR_CONSOLE_SESSION": "7200"}
    assert load_config([], variable).console_session == 7200
    assert load_config([], {}).console_session == 12 * HOUR
    with pytest.raises(ConfigError, match="MODELARTS_EMULATOR_CONSOLE_SESSION"):
        load_config([], {"MODELARTS_EMULATOR_CONSOLE_SESSION": "0"})
