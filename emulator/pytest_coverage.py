"""pytest plugin part: the ModelArts contract coverage of the test session.

Loaded with ``emulator.pytest_plugin``. Just before the session's emulator stops, its
coverage report (``GET /_emulator/coverage``) is kept; at the end of the session a short
table is printed (ini ``modelarts_coverage_summary = false`` turns it off) and
``--modelarts-coverage=PATH`` writes the full report to ``PATH.json`` and ``PATH.html``.
Under pytest-xdist each worker's report travels to the controller, which merges them.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path

import pytest

from emulator.coverage_report import html_document, merge, text_table

SESSION_FIXTURE = "modelarts_emulator_session"
_REPORTS = pytest.StashKey[list]()
_WORKER_KEY = "modelarts_coverage_reports"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "modelarts_coverage_summary",
        type="bool",
        default=True,
        help="print the ModelArts contract-coverage table at the end of the session",
    )
    parser.addoption(
        "--modelarts-coverage",
        metavar="PATH",
        default=None,
        help="write the ModelArts contract-coverage report to PATH.json and PATH.html",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPORTS] = []


def _wanted(config: pytest.Config) -> bool:
    return bool(
        config.getini("modelarts_coverage_summary") or config.getoption("modelarts_coverage")
    )


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request) -> Generator[None, object, object]:
    """Once the session's emulator is up, arrange to read its coverage before it stops
    (finalizers run last-added first, so this one runs before the fixture's teardown)."""
    emulator = yield
    if fixturedef.argname == SESSION_FIXTURE and _wanted(request.config):
        config = request.config
        fixturedef.addfinalizer(lambda: _keep_report(config, emulator))
    return emulator


def _keep_report(config: pytest.Config, emulator) -> None:
    status, report, _ = emulator.call("GET", "/_emulator/coverage")
    if status != 200 or not isinstance(report, dict):
        return
    config.stash[_REPORTS].append(report)
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:
        worker_output.setdefault(_WORKER_KEY, []).append(report)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist: a worker finished; take the reports it sent."""
    reports = getattr(node, "workeroutput", {}).get(_WORKER_KEY, [])
    node.config.stash[_REPORTS].extend(reports)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    reports = config.stash.get(_REPORTS, [])
    if not reports:
        return
    report = merge(reports)
    if config.getini("modelarts_coverage_summary"):
        terminalreporter.section("ModelArts contract coverage")
        for line in text_table(report):
            terminalreporter.write_line(line)
    target = config.getoption("modelarts_coverage")
    if target:
        for path in write_report(report, Path(target)):
            terminalreporter.write_line(f"ModelArts contract coverage written to {path}")


def write_report(report: dict, target: Path) -> list[Path]:
    """``PATH.json`` and ``PATH.html`` (a ``.json`` or ``.html`` suffix on PATH is dropped)."""
    base = target.with_suffix("") if target.suffix in (".json", ".html") else target
    base.parent.mkdir(parents=True, exist_ok=True)
    json_path = base.with_name(base.name + ".json")
    html_path = base.with_name(base.name + ".html")
    json_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    html_path.write_text(html_document(report), encoding="utf-8")
    return [json_path, html_path]
