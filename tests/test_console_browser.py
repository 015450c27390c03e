"""The console in a real browser: headless Chromium driven by selenium.

One emulator and one browser for the module. A screenshot of each page is kept as a test
artefact (the directory is printed; ``CONSOLE_SCREENSHOTS=DIR`` chooses it). Skipped, with
the reason, when Chromium, its driver or selenium is missing: ``.ci/run`` installs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import tempfile
import urllib.request
import zlib
from pathlib import Path

import pytest

from emulator.pytest_plugin import EmulatorError, start_emulator
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="headless browser tests need chromium and chromium-driver "
    "(apt-get install -y chromium chromium-driver)",
)

from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

UI = "/_emulator/ui"
PAGES = {
    "requests": "Requests",
    "tasks": "Tasks",
    "datasets": "Datasets",
    "obs": "OBS",
    "scenarios": "Scenarios",
    "coverage": "Contract coverage",
}
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def emulator():
    running = start_emulator(["--clock", "manual"])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    chosen = os.environ.get("CONSOLE_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("console-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(browser, emulator, page: str) -> None:
    browser.get(f"{emulator.api_url}{UI}/{page}")


def _wait(browser, condition):
    # A page that reloads (a form answered, a poll) leaves found elements stale: look again.
    # Chromium may say so as a stale reference or as a node that left the document.
    def looked_again(driver):
        try:
            return condition(driver)
        except StaleElementReferenceException:
            return False
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False
            raise

    return WebDriverWait(browser, WAIT_SECONDS).until(looked_again)


def _text(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


UNLABELLED_CONTROLS = """
return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML);
"""


@pytest.mark.parametrize("page", PAGES)
def test_each_page_has_its_heading_labels_and_a_screenshot(browser, emulator, shots, page):
    _open(browser, emulator, page)
    assert _text(browser, "h1") == PAGES[page]
    assert browser.find_element(By.CSS_SELECTOR, "nav[aria-label=Console]")
    assert browser.execute_script(UNLABELLED_CONTROLS) == []
    assert browser.save_screenshot(str(shots / f"{page}.png"))


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG (the seed's demo images are text, not pictures)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_sample_thumbnail_loads_from_obs(browser, emulator, shots):
    emulator.s3_client().put_object(
        Bucket="demo-bucket", Key="images/zebra-01.png", Body=_png(48, 32, (40, 120, 200))
    )
    browser.get(f"{emulator.api_url}{UI}/datasets/{DEMO_PROJECT}/{DEMO_DATASET}")
    thumbnail = browser.find_element(By.CSS_SELECTOR, "img.thumb[alt='zebra-01.png']")
    browser.execute_script("arguments[0].scrollIntoView();", thumbnail)
    loaded = "return arguments[0].complete && arguments[0].naturalWidth;"
    assert _wait(browser, lambda b: b.execute_script(loaded, thumbnail)) == 48
    assert browser.save_screenshot(str(shots / "dataset-samples.png"))


def test_keyboard_reaches_the_skip_link_then_the_navigation(browser, emulator):
    _open(browser, emulator, "tasks")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"
    _open(browser, emulator, "tasks")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Requests"


def test_load_and_activate_a_scenario(browser, emulator, shots):
    try:
        _open(browser, emulator, "scenarios")
        scenario = REPO / "scenarios" / "dataset-not-found.yaml"
        browser.find_element(By.ID, "scenario-file").send_keys(str(scenario))
        browser.find_element(By.CSS_SELECTOR, "form[aria-label='Load a scenario'] button").click()
        _wait(browser, lambda b: "Loaded scenario dataset-not-found" in _text(b, "main"))
        browser.find_element(
            By.CSS_SELECTOR, "button[aria-label='Activate dataset-not-found']"
        ).click()
        _wait(browser, lambda b: "Activated scenario" in _text(b, "main"))
        row = "#scenario-dataset-not-found .scenario-active"
        assert _text(browser, row) == "active"
        _, answer, _ = emulator.call("GET", f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks")
        assert answer["error_code"] == "ModelArts.6623"
        browser.refresh()
        assert "dataset-missing-below: 1" in _text(browser, "#scenario-dataset-not-found")
        browser.save_screenshot(str(shots / "scenarios-active.png"))
        browser.find_element(
            By.CSS_SELECTOR, "button[aria-label='Deactivate dataset-not-found']"
        ).click()
        _wait(browser, lambda b: _text(b, row) == "inactive")
    finally:  # the module's emulator serves the other tests: never leave it scripted
        with contextlib.suppress(EmulatorError):  # not loaded: nothing to undo
            emulator.deactivate("dataset-not-found")


def test_advance_the_clock_in_the_console_and_the_task_succeeds(browser, emulator, shots):
    status, started, _ = emulator.call(
        "POST", f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks", {"task_type": "auto-label"}
    )
    assert status == 200, started
    _open(browser, emulator, "tasks")
    cell = f"//tr[td/code[text()='{started['task_id']}']]/td[@class='task-status']"
    assert browser.find_element(By.XPATH, cell).text != "succeeded"
    field = browser.find_element(By.ID, "seconds")
    field.clear()
    field.send_keys("3600")
    field.send_keys(Keys.ENTER)  # submits from the keyboard
    _wait(browser, lambda b: "The clock moved" in _text(b, "main"))
    assert browser.find_element(By.XPATH, cell).text == "succeeded"
    browser.save_screenshot(str(shots / "tasks-succeeded.png"))


def test_a_journal_entry_shows_its_validation_reasons(browser, emulator, shots):
    _open(browser, emulator, "requests")
    status, _, _ = emulator.call(
        "POST", f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks", {"task_type": "nonsense"}
    )
    assert status == 400
    # The page polls for new entries: wait for the refused request to appear.
    link = "#rows tr:first-child a"
    _wait(browser, lambda b: "400" in _text(b, "#rows tr:first-child"))
    browser.save_screenshot(str(shots / "requests-live.png"))
    browser.find_element(By.CSS_SELECTOR, link).click()
    reasons = _wait(browser, lambda b: b.find_element(By.ID, "validation-reasons"))
    assert "$.task_type" in reasons.text
    browser.save_screenshot(str(shots / "request-entry.png"))


def test_coverage_page_counts_the_calls_this_module_made(browser, emulator):
    # Two starts of its own, whichever of the module's tests ran before on this worker.
    tasks = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks"
    assert emulator.call("POST", tasks, {"task_type": "auto-label"})[0] == 200
    assert emulator.call("POST", tasks, {"task_type": "nonsense"})[0] == 400
    _open(browser, emulator, "coverage")
    row = browser.find_element(By.XPATH, "//tr[th[starts-with(normalize-space(.), 'CreateTask')]]")
    report = json.loads(
        urllib.request.urlopen(f"{emulator.api_url}/_emulator/coverage", timeout=30).read()
    )
    calls = next(op for op in report["operations"] if op["operation_id"] == "CreateTask")["calls"]
    assert calls >= 2
    assert row.find_elements(By.TAG_NAME, "td")[0].text == str(calls)


def test_with_an_admin_token_the_browser_signs_in_once_and_keeps_its_session(browser, shots):
    guarded = start_emulator([], admin_token="s3cret-console")
    try:
        browser.get(f"{guarded.api_url}{UI}/tasks")
        _wait(browser, lambda b: _text(b, "h1") == "Sign in")
        browser.find_element(By.ID, "token").send_keys("s3cret-console", Keys.ENTER)
        _wait(browser, lambda b: _text(b, "h1") == "Tasks")
        assert browser.current_url == f"{guarded.api_url}{UI}/tasks"
        browser.get(f"{guarded.api_url}{UI}/scenarios")
        assert _text(browser, "h1") == "Scenarios"  # the session cookie, no second sign-in
        browser.save_screenshot(str(shots / "signed-in.png"))
    finally:
        browser.delete_all_cookies()
        guarded.stop()
