"""The web console over HTTP: every page answers HTML, forms act, input is escaped."""

from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import DEMO_DATASET, DEMO_PROJECT, REPO, TASKS_URL

UI = "/_emulator/ui"
PAGES = ("requests", "tasks", "datasets", "obs", "scenarios", "coverage")
SCENARIO = (REPO / "scenarios" / "dataset-not-found.yaml").read_text()


@pytest.fixture
async def manual(make_client):
    return await make_client(clock="manual")


async def _html(client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status == status, await response.text()
    assert response.content_type == "text/html"
    return await response.text()


@pytest.mark.parametrize("name", PAGES)
async def test_each_page_has_one_heading_and_marks_its_navigation_entry(client, name):
    page = await _html(client, f"{UI}/{name}")
    assert len(re.findall(r"<h1>", page)) == 1
    assert f'href="{UI}/{name}" aria-current="page"' in page
    assert "http://" not in page.replace("http://127.0.0.1", "")  # nothing from a CDN


async def test_the_start_page_is_the_journal(client):
    response = await client.get(UI, allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == f"{UI}/requests"


async def test_requests_filter_by_status_and_operation(client):
    await client.post(TASKS_URL, json={"task_type": "nonsense"})
    await client.get(TASKS_URL)
    refused = await _html(client, f"{UI}/requests/rows?status=400")
    assert "CreateTask" in refused
    assert "ListTasks" not in refused
    listed = await _html(client, f"{UI}/requests/rows?operation=ListTasks")
    assert "ListTasks" in listed
    assert "CreateTask" not in listed


async def test_a_request_page_shows_validation_reasons(client):
    await client.post(TASKS_URL, json={"task_type": "nonsense"})
    page = await _html(client, f"{UI}/requests/1")
    reasons = page[page.index('id="validation-reasons"') :]
    assert "$.task_type" in reasons.split("</ul>")[0]


async def test_journal_content_is_escaped(client):
    await client.post(TASKS_URL, json={"task_type": "<script>alert(1)</script>"})
    page = await _html(client, f"{UI}/requests/1")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


async def test_an_entry_the_journal_no_longer_holds_is_a_404_page(client):
    page = await _html(client, f"{UI}/requests/12345", status=404)
    assert 'role="alert"' in page


async def test_advancing_the_clock_in_the_console_finishes_a_task(manual):
    await manual.post(TASKS_URL, json={"task_type": "auto-label"})
    before = await _html(manual, f"{UI}/tasks")
    assert not re.search(r'class="task-status">succeeded<', before)
    response = await manual.post(
        f"{UI}/clock/advance", data={"seconds": "3600"}, allow_redirects=False
    )
    assert response.status == 303
    page = await _html(manual, f"{UI}/tasks")
    assert re.search(r'class="task-status">succeeded<', page)


async def test_the_clock_form_refuses_a_bad_number(manual):
    response = await manual.post(f"{UI}/clock/advance", data={"seconds": "-5"})
    assert response.status == 400
    assert 'role="alert"' in await response.text()


async def test_a_form_posted_from_another_site_is_refused(manual):
    before = (await (await manual.get("/_emulator/clock")).json())["now_ms"]
    response = await manual.post(
        f"{UI}/clock/advance",
        data={"seconds": "5"},
        headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status == 403
    assert (await (await manual.get("/_emulator/clock")).json())["now_ms"] == before


async def test_scenarios_load_activate_deactivate_reset(client):
    response = await client.post(f"{UI}/scenarios", data={"text": SCENARIO})
    assert response.status == 200  # followed the redirect to the page
    page = await response.text()
    assert "Loaded scenario dataset-not-found" in page
    assert re.search(r'id="scenario-dataset-not-found">.*?inactive', page, re.S)
    await client.post(f"{UI}/scenarios/dataset-not-found/activate")
    answer = await client.get(TASKS_URL)
    assert (await answer.json())["error_code"] == "ModelArts.6623"
    page = await _html(client, f"{UI}/scenarios")
    assert "dataset-missing-below: 1" in page
    await client.post(f"{UI}/scenarios/dataset-not-found/reset")
    assert "dataset-missing-below: 0" in await _html(client, f"{UI}/scenarios")
    await client.post(f"{UI}/scenarios/dataset-not-found/deactivate")
    assert (await client.get(TASKS_URL)).status == 200


async def test_loading_a_broken_scenario_says_why(client):
    response = await client.post(f"{UI}/scenarios", data={"text": "name: x\nrules: 5\n"})
    assert response.status == 400
    assert 'role="alert"' in await response.text()


async def test_dataset_page_shows_samples_with_thumbnails_served_from_obs(client):
    page = await _html(client, f"{UI}/datasets/{DEMO_PROJECT}/{DEMO_DATASET}")
    sources = re.findall(r'<img class="thumb"[^>]*src="([^"]+)"', page)
    assert sources
    image = await client.get(sources[0].replace("&amp;", "&"))
    assert image.status == 200
    assert image.content_type.startswith("image/")


async def test_dataset_page_shows_a_hundred_samples_a_page(client):
    names = [{"name": f"extra-{number:03d}.jpg", "data": "AA=="} for number in range(150)]
    url = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/data-annotations/samples"
    assert (await client.post(url, json={"samples": names})).status == 200
    dataset = f"{UI}/datasets/{DEMO_PROJECT}/{DEMO_DATASET}"

    first = await _html(client, dataset)
    last = await _html(client, f"{dataset}?page=2")
    past_the_end = await _html(client, f"{dataset}?page=99")
    not_a_number = await _html(client, f"{dataset}?page=two")

    assert "Samples 1 to 100 of 166" in first and 'href="?page=2" rel="next"' in first
    assert len(re.findall(r"<tr>\s*<td>", first)) == 100
    assert "Samples 101 to 166 of 166" in last and 'href="?page=1" rel="prev"' in last
    assert "Samples 101 to 166 of 166" in past_the_end
    assert "Samples 1 to 100 of 166" in not_a_number


async def test_obs_page_lists_objects_and_downloads_them(client):
    await client.post("/_emulator/reset")
    page = await _html(client, f"{UI}/obs")
    bucket = re.search(r'obs\?bucket=([^"]+)"', page).group(1)
    listing = await _html(client, f"{UI}/obs?bucket={bucket}")
    link = re.search(r'href="(/_emulator/ui/obs/object\?[^"]+download=1)"', listing).group(1)
    download = await client.get(link.replace("&amp;", "&"))
    assert download.status == 200
    assert download.headers["Content-Disposition"].startswith("attachment")


async def test_the_console_is_behind_the_control_guard(make_client):
    guarded = await make_client(admin_token="s3cret")
    assert (await guarded.post(f"{UI}/clock/advance", data={"seconds": "1"})).status == 403
    assert (await guarded.get(f"{UI}/requests", allow_redirects=False)).status == 303
    allowed = await guarded.get(f"{UI}/requests", headers={"X-Emulator-Admin-Token": "s3cret"})
    assert allowed.status == 200


async def test_console_calls_stay_out_of_the_journal(client):
    await client.get(f"{UI}/requests")
    journal = await (await client.get("/_emulator/journal")).json()
    assert journal["total"] == 0


ADMIN = {"X-Emulator-Admin-Token": "s3cret"}


@pytest.fixture
async def guarded(make_client):
    return await make_client(admin_token="s3cret")


def _session_cookie(response) -> str:
    cookie = response.cookies["modelarts_emulator_console"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == UI
    return cookie.value


async def _sign_in(client, token: str, next_page: str = f"{UI}/tasks"):
    return await client.post(
        f"{UI}/login", data={"token": token, "next": next_page}, allow_redirects=False
    )


async def test_a_page_without_the_token_is_sent_to_the_sign_in_form(guarded):
    response = await guarded.get(f"{UI}/tasks?x=1", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"] == f"{UI}/login?next=/_emulator/ui/tasks?x%3D1"
    form = await _html(guarded, response.headers["Location"])
    assert 'type="password"' in form
    assert 'name="next" value="/_emulator/ui/tasks?x=1"' in form


async def test_signing_in_sets_a_session_cookie_that_opens_the_console(guarded):
    response = await _sign_in(guarded, "s3cret")

    assert response.status == 303
    assert response.headers["Location"] == f"{UI}/tasks"
    value = _session_cookie(response)
    assert "s3cret" not in value  # a session id, not the token
    await _html(guarded, f"{UI}/tasks")  # the client's cookie jar now holds the session


async def test_a_wrong_token_gets_the_form_again_and_no_cookie(guarded):
    response = await _sign_in(guarded, "guess")

    assert response.status == 403
    assert "That is not the admin token." in await response.text()
    assert "modelarts_emulator_console" not in response.cookies
    assert (await guarded.get(f"{UI}/tasks", allow_redirects=False)).status == 303


async def test_the_session_opens_console_pages_only_not_the_control_api(guarded):
    await _sign_in(guarded, "s3cret")

    assert (await guarded.get("/_emulator/journal")).status == 403
    assert (await guarded.get("/_emulator/journal", headers=ADMIN)).status == 200


async def test_signing_out_forgets_the_session(guarded):
    await _sign_in(guarded, "s3cret")
    response = await guarded.post(f"{UI}/logout", allow_redirects=False)

    assert response.status == 303
    assert response.cookies["modelarts_emulator_console"].value == ""
    assert (await guarded.get(f"{UI}/tasks", allow_redirects=False)).status == 303


@pytest.mark.parametrize(
    "next_page",
    ["https://elsewhere.example/", "//elsewhere.example/x", "/v2/projects", "/_emulator/uix", ""],
)
async def test_after_signing_in_only_a_console_page_is_a_destination(guarded, next_page):
    response = await _sign_in(guarded, "s3cret", next_page)

    assert response.headers["Location"] == f"{UI}/requests"


async def test_a_sign_in_posted_from_another_site_is_refused(guarded):
    response = await guarded.post(
        f"{UI}/login",
        data={"token": "s3cret"},
        headers={"Origin": "http://elsewhere.example"},
        allow_redirects=False,
    )

    assert response.status == 403
    assert "modelarts_emulator_console" not in response.cookies


async def test_without_an_admin_token_on_loopback_the_form_is_skipped(client):
    response = await client.get(f"{UI}/login?next={UI}/obs", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"] == f"{UI}/obs"


async def test_beyond_loopback_without_a_token_the_form_says_the_console_is_off(make_client):
    exposed = await make_client(host="0.0.0.0")
    response = await exposed.get(f"{UI}/requests")

    assert response.status == 403
    assert "no --admin-token is set" in await response.text()


async def test_the_start_page_with_a_trailing_slash_is_the_journal(client):
    response = await client.get(f"{UI}/", allow_redirects=False)

    assert response.status == 302
    assert response.headers["Location"] == f"{UI}/requests"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=B", b'--B\r\nContent-Disposition: form-data; name="token"'),
        ("application/x-www-form-urlencoded", b"token=\xff\xfe"),
        ("text/plain", b"token=s3cret"),
    ],
    ids=["multipart", "not-utf-8", "not-a-form"],
)
async def test_a_sign_in_that_is_no_readable_form_is_a_clear_refusal(guarded, content_type, body):
    response = await guarded.post(
        f"{UI}/login", data=body, headers={"Content-Type": content_type}, allow_redirects=False
    )

    assert response.status in (400, 403)
    assert "modelarts_emulator_console" not in response.cookies


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded; charset=bogus", "multipart/form-data; boundary=B"],
)
async def test_a_console_form_aiohttp_cannot_read_is_a_400(manual, content_type):
    response = await manual.post(
        f"{UI}/clock/advance", data=b"seconds=\xff", headers={"Content-Type": content_type}
    )

    assert response.status == 400
    assert (await response.json())["error_code"] == "ModelArts.4200"


@pytest.mark.parametrize("path", ["login", "logout", "tasks"])
async def test_head_requests_to_the_console_never_redirect(guarded, path):
    response = await guarded.head(f"{UI}/{path}", allow_redirects=False)

    assert response.status in (403, 405)


async def test_sign_in_redirects_are_in_the_access_log(guarded, caplog):
    with caplog.at_level(logging.INFO, logger="emulator.access"):
        await _sign_in(guarded, "s3cret")

    assert f"POST {UI}/login 303" in caplog.text
