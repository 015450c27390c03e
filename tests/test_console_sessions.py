"""Console sessions end: signing out ends the session on the server (its cookie sent again is
refused exactly as no cookie is), a session ends by itself after --console-session seconds
of the emulator's clock (a manual clock is moved over HTTP, no test sleeps), and a cookie
from another emulator instance opens nothing. All through HTTP."""

from __future__ import annotations

import re

import pytest

from emulator.config import ConfigError, load_config

UI = "/_emulator/ui"
COOKIE = "modelarts_emulator_console"
ADMIN = {"X-Emulator-Admin-Token": "s3cret"}
HOUR = 3600


@pytest.fixture
async def guarded(make_client):
    return await make_client(admin_token="s3cret", clock="manual")


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


async def test_a_session_ends_after_its_lifetime_on_the_emulators_clock(make_client):
    client = await make_client(admin_token="s3cret", clock="manual", console_session=2 * HOUR)
    session = await signed_in(client)

    almost = await client.post(
        "/_emulator/clock/advance", json={"seconds": 2 * HOUR - 1}, headers=ADMIN
    )
    still_open = await answers(client, session)
    await client.post("/_emulator/clock/advance", json={"seconds": 1}, headers=ADMIN)
    ended = await answers(client, session)

    assert almost.status == 200
    assert still_open[0] == (200, None)
    assert ended[0] == (303, f"{UI}/login?next=/_emulator/ui/tasks")
    assert (await answers(client, await signed_in(client)))[0] == (200, None)  # sign in again


async def test_the_default_lifetime_is_twelve_hours(guarded):
    session = await signed_in(guarded)
    await guarded.post("/_emulator/clock/advance", json={"seconds": 12 * HOUR - 1}, headers=ADMIN)
    open_before = (await answers(guarded, session))[0][0]
    await guarded.post("/_emulator/clock/advance", json={"seconds": 1}, headers=ADMIN)

    assert open_before == 200
    assert (await answers(guarded, session))[0][0] == 303


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
