"""Shared fixtures: an emulator app on the bundled seed, reached through a real HTTP client."""

from __future__ import annotations

import compileall
import gc
import importlib.util
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from aiohttp import web_app as aiohttp_web_app

from emulator.api import keys
from emulator.app import create_app
from emulator.config import Config
from emulator.demo import DEMO_DATASET, DEMO_PROJECT, DEMO_TASKS_PATH  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
# The API reference the generated schemas come from: the folder MODELARTS_REFERENCE_DIR
# names, else ../shared/reference next to the clone; tests that need it skip without it.
REFERENCE_ENV = "MODELARTS_REFERENCE_DIR"
DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"


def find_reference(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The first of $MODELARTS_REFERENCE_DIR and ../shared/reference that is a folder."""
    configured = environ.get(REFERENCE_ENV)
    candidates = [Path(configured)] if configured else []
    return next((path for path in [*candidates, DEFAULT_REFERENCE] if path.is_dir()), None)


REFERENCE = find_reference() or DEFAULT_REFERENCE
REFERENCE_MISSING = (
    f"API reference pages not found in {REFERENCE / 'modelarts-api'}: set {REFERENCE_ENV} "
    f"(now {os.environ.get(REFERENCE_ENV) or 'not set'}) to the reference folder, or put it "
    f"at {DEFAULT_REFERENCE}"
)
TASKS_URL = DEMO_TASKS_PATH
# Any token passes the default (permissive) authentication; tests send one like a client.
ANY_TOKEN = "test-token"


# The test process's collector thresholds after collection (young, middle, old generation);
# the emulator's command line sets its own likewise (emulator/cli.py).
GC_THRESHOLDS = (20_000, 20, 20)

# The slowest tests, longest first (seconds alone, measured with `-n 0`): pyproject's
# `--dist worksteal` gives each xdist worker half of the run and lets an idle worker take
# the end of the other's queue, so these start first and the run ends on short tests, both
# workers busy to the end. A prefix of "file::name"; a file's prefix keeps its tests
# together (their module's emulator or browser starts once), the others keep their order.
CONTRACT_RUN = "tests/test_openapi.py::test_no_5xx_and_responses_conform_to_the_contract"
SLOW_FIRST = (
    "tests/test_dockerfile.py::test_container_command_serves_health_and_stops_on_sigterm",
    "tests/test_consumer_project.py::test_consumer_passes_with_two_xdist_workers",
    f"{CONTRACT_RUN}[POST /v2/{{project_id}}/datasets]",
    f"{CONTRACT_RUN}[PUT /v2/{{project_id}}/datasets/{{dataset_id}}]",
    "tests/test_console_browser.py::",
    "tests/test_schemagen.py::test_committed_schemas_are_what_the_generator_writes",
    "tests/test_record_readme.py::",
    f"{CONTRACT_RUN}[POST /v2/{{project_id}}/datasets/{{dataset_id}}/tasks]",
    "tests/test_container_examples.py::",
    "tests/test_coverage_plugin.py::",
    "tests/test_consumer_project.py::",
    f"{CONTRACT_RUN}[POST /v2/{{project_id}}/datasets/{{dataset_id}}/data-annotations/",
    "tests/test_record.py::test_compare",
    CONTRACT_RUN,
    "tests/test_cli.py::",
    "tests/test_pytest_plugin.py::",
    "tests/test_readme_examples.py::",
    "tests/test_safety.py::test_s",
    "tests/test_load.py::",
    "tests/test_quiet_shutdown.py::",
)


def pytest_configure(config: pytest.Config) -> None:
    """Once per run (not per xdist worker): the package's bytecode, written even where
    PYTHONDONTWRITEBYTECODE is set, so the emulators tests start do not each compile it.
    In every process: the test modules' rewritten bytecode is kept too (pytest writes it
    only where bytecode may be written), so a later run's workers do not rewrite them."""
    sys.dont_write_bytecode = False
    if not hasattr(config, "workerinput"):
        compileall.compile_dir(REPO / "emulator", quiet=1)
        _keep_rewritten_plugins(config)


def _keep_rewritten_plugins(config: pytest.Config) -> None:
    """Write the rewritten bytecode of the modules pytest rewrote before this conftest could
    allow it: plugins' packages (hypothesis, schemathesis, anyio) import while pytest loads
    its entry points, and where PYTHONDONTWRITEBYTECODE is set every pytest process (the
    workers too) parsed and rewrote them anew, about 2 s each. pytest reads these files
    whatever that variable says, so the workers of this run and every later run do not."""
    try:
        from _pytest.assertion import rewrite

        state = config.stash.get(rewrite.assertstate_key, None)
        hook = getattr(state, "hook", None)
        for source in list(getattr(hook, "_rewritten_names", {}).values()):
            pyc = rewrite.get_cache_dir(source) / (source.name[:-3] + rewrite.PYC_TAIL)
            if _rewritten_pyc_is_current(source, pyc) or not rewrite.try_makedirs(pyc.parent):
                continue
            source_hash, code = rewrite._rewrite_test(source, config)
            rewrite._write_pyc(state, code, source_hash, pyc)
    except (ImportError, AttributeError, OSError, TypeError):
        return  # pytest's internals moved (a time saving only: the run goes on without it)


def _rewritten_pyc_is_current(source: Path, pyc: Path) -> bool:
    """Whether pytest's cached rewrite of ``source`` matches it (a hash-checked pyc)."""
    try:
        with open(pyc, "rb") as file:
            header = file.read(16)
    except OSError:
        return False
    return header[8:16] == importlib.util.source_hash(source.read_bytes())[:8]


def pytest_collection_finish() -> None:
    """What collection built (the test modules and the libraries they import) lives to the
    end: keep it out of the collector's full passes, and collect young objects less often,
    so a test's app mostly dies young instead of reaching the oldest generation, whose
    passes over the whole heap cost a worker seconds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of SLOW_FIRST first, in its order; the others keep theirs."""

    def rank(item: pytest.Item) -> int:
        # The name, not the node id: schemathesis gives all its items one node id.
        key = f"{item.nodeid.split('::')[0]}::{item.name}"
        found = (i for i, prefix in enumerate(SLOW_FIRST) if key.startswith(prefix))
        return next(found, len(SLOW_FIRST))

    items.sort(key=rank)


def pytest_runtest_teardown() -> None:
    """Let each test's apps go: aiohttp memoises middleware chains per (handler, apps) in
    an LRU of 1,024 entries, which kept up to 1,024 finished emulator apps (about 2.5 MB
    each) alive in every worker, over 2 GB at the peak of a run."""
    cache = getattr(aiohttp_web_app, "_cached_build_middleware", None)
    if cache is not None:
        cache.cache_clear()


@pytest.hookimpl(tryfirst=True)
def pytest_exception_interact(node, call, report) -> None:
    """A failing contract case reported as schemathesis reports it (its pytest plugin, whose
    hook this is, stays off: pyproject's addopts)."""
    if "schemathesis" in sys.modules:
        from schemathesis.pytest.plugin import pytest_exception_interact as report_failure

        report_failure(node, call, report)


def load_example(name: str) -> dict:
    return json.loads((REPO / "tests" / "examples" / name).read_text(encoding="utf-8"))


@pytest.fixture
def make_client(aiohttp_client):
    """Start an emulator with the given config fields; its client sends ``token`` if any."""

    async def start(token: str | None = ANY_TOKEN, **config_fields):
        headers = {"X-Auth-Token": token} if token else {}
        # Each app's OBS listener on a free loopback port; none where a test pretends to
        # listen beyond loopback (only the control API's guard reads that host).
        loopback = config_fields.get("host", "127.0.0.1").startswith("127.")
        config_fields.setdefault("obs_port", 0 if loopback else None)
        return await aiohttp_client(create_app(Config(**config_fields)), headers=headers)

    return start


@pytest.fixture
async def client(make_client):
    return await make_client()


@pytest.fixture
async def strict_client(make_client):
    return await make_client(strict=True)


# For a pytest run as another project runs it (examples/consumer, the README's CI jobs): the
# test extras' plugins such a project's `pip install 'modelarts-emulator[clients]' pytest`
# does not bring stay off; the emulator's plugin and xdist load as they would there.
# Importing them would cost each run about 2 s of CPU.
NOT_IN_OTHER_PROJECTS = ("schemathesis", "hypothesispytest", "anyio", "pytest_cov", "aiohttp")
OTHER_PROJECT_PYTEST_ENV = {
    "PYTEST_ADDOPTS": " ".join(f"-p no:{name}" for name in (*NOT_IN_OTHER_PROJECTS, "asyncio"))
}

# The emulator as a command, for tests of the process itself (flags, signals, start-up).
EMULATOR_COMMAND = [sys.executable, "-m", "emulator"]
FREE_PORTS = ["--port", "0", "--obs-port", "0"]


def obs_url(client) -> str:
    """Where the OBS listener of a test client's emulator answers."""
    return client.app[keys.ENDPOINTS].obs_url


@pytest.fixture
def serve_obs():
    """A boto3 client for a test client's OBS listener."""

    async def serve(client):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=obs_url(client),
            aws_access_key_id="ak",
            aws_secret_access_key="sk",
            region_name="eu-de",
        )

    return serve


def readme_example(name: str) -> str:
    """The fenced block right after ``<!-- example: name -->`` in README.md."""
    found = re.search(
        rf"<!-- example: {re.escape(name)} -->\n```\w*\n(.*?)```",
        (REPO / "README.md").read_text(),
        re.S,
    )
    assert found, f"README.md has no example marked {name!r}"
    return found.group(1)
