"""pytest plugin: an emulator for your test session, reset before every test.

Installed with the package and registered through the ``pytest11`` entry point, so
``def test_x(modelarts_emulator): ...`` works in any project that installs
modelarts-emulator. The ``modelarts_emulator`` fixture resets the emulator (tasks,
datasets, OBS, scenarios, journal, tokens) before each test. The emulator is either

- started by the plugin as a subprocess on free loopback ports for the whole session
  (the default), with the arguments of the ini option ``modelarts_emulator_args``
  (default ``--clock manual``), relative paths read from the rootdir; or
- joined: an emulator already running (a CI service container) named by
  ``MODELARTS_EMULATOR_URL`` or the ini option ``modelarts_emulator_url``, with its OBS
  URL and admin token likewise.

Under pytest-xdist every worker starts its own emulator, a URL notwithstanding: tests
running in parallel must not reset each other's emulator.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import yaml

from emulator.demo import DEMO_DATASET, DEMO_PROJECT

DEFAULT_ARGS = ["--clock", "manual"]
DEFAULT_START_TIMEOUT = 30.0
ADMIN_HEADER = "X-Emulator-Admin-Token"
_CONTROL_OFF_HINT = (
    " (the control API wants the emulator's admin token: set MODELARTS_EMULATOR_ADMIN_TOKEN"
    " or the ini option modelarts_emulator_admin_token)"
)
_API_LINE = "modelarts-emulator: listening on "
_OBS_LINE = "modelarts-emulator: OBS (S3) on "
# (environment variable, ini option, help) for joining a running emulator.
_JOIN_SETTINGS = (
    ("MODELARTS_EMULATOR_URL", "modelarts_emulator_url", "URL of a running emulator to use"),
    (
        "MODELARTS_EMULATOR_OBS_URL",
        "modelarts_emulator_obs_url",
        "its OBS URL (default: the API's host with the OBS port it reports)",
    ),
    (
        "MODELARTS_EMULATOR_ADMIN_TOKEN",
        "modelarts_emulator_admin_token",
        "admin token sent to its control API (X-Emulator-Admin-Token)",
    ),
)


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed."""


class ModelArtsEmulator:
    """A running emulator: its URLs, the default identities, and helpers for tests."""

    project_id = DEMO_PROJECT
    dataset_id = DEMO_DATASET
    region = "eu-de"
    token = "any-token"  # any token passes the default (permissive) auth mode
    access_key = "DEMOACCESSKEY0000001"
    secret_key = "demo-secret-key-0000000000000000000000"
    user, password, domain = "demo-user", "demo-password", "demo-domain"

    def __init__(
        self,
        process: subprocess.Popen | None,
        api_url: str,
        obs_url: str,
        log: IO[bytes] | None,
        *,
        admin_token: str | None = None,
    ) -> None:
        """``process`` and ``log`` are None for an emulator the plugin joined."""
        self.process = process
        self.api_url = api_url
        self.obs_url = obs_url
        self.admin_token = admin_token
        self._log = log

    @property
    def joined(self) -> bool:
        """True when the plugin uses an emulator it did not start (and will not stop)."""
        return self.process is None

    def log_text(self) -> str:
        """What the emulator wrote to its log so far: a line per request, refusals with their
        reasons, near misses, warnings."""
        if self._log is None:
            raise EmulatorError(
                "log_text() reads the log of an emulator the plugin started; this one runs "
                f"elsewhere ({self.api_url}): read its own log"
            )
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace")

    @property
    def dataset_url(self) -> str:
        return f"{self.api_url}/v2/{self.project_id}/datasets/{self.dataset_id}"

    # --- plain HTTP -------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        headers: dict | None = None,
        raw: bytes | str | None = None,
    ):
        """``(status, JSON body or None, headers)`` of one request; sends the default token."""
        data = raw.encode() if isinstance(raw, str) else raw
        if body is not None:
            data = json.dumps(body).encode()
        request = urllib.request.Request(
            path if path.startswith("http") else self.api_url + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "X-Auth-Token": self.token,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
                status, response_headers = response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            payload, status, response_headers = error.read(), error.code, dict(error.headers)
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode("utf-8", errors="replace")
        return status, parsed, response_headers

    def _control(self, method: str, path: str, body: object = None, raw: str | None = None):
        headers = {ADMIN_HEADER: self.admin_token} if self.admin_token else {}
        status, parsed, _ = self.call(method, path, body, raw=raw, headers=headers)
        if status >= 300 and status != 417:
            hint = ""
            if status == 403 and isinstance(parsed, dict):
                hint = _CONTROL_OFF_HINT if parsed.get("error_code") == "ModelArts.0108" else ""
            raise EmulatorError(f"{method} {path} answered {status}: {parsed}{hint}")
        return parsed

    # --- control helpers --------------------------------------------------------------

    def reset(self, **target: str) -> None:
        """Everything, or ``scenario=name``, or ``project_id=id``."""
        self._control("POST", "/_emulator/reset", target)

    def load_scenario(self, scenario: str | Path, *, replace: bool = False) -> dict:
        """Load a scenario from YAML/JSON text or a file path."""
        text = Path(scenario).read_text() if isinstance(scenario, Path) else scenario
        if replace:
            name = urllib.parse.quote(_scenario_name(text), safe="")
            return self._control("PUT", f"/_emulator/scenarios/{name}", raw=text)
        return self._control("POST", "/_emulator/scenarios", raw=text)

    def activate(self, name: str) -> None:
        self._control("POST", f"/_emulator/scenarios/{name}/activate")

    def deactivate(self, name: str) -> None:
        self._control("POST", f"/_emulator/scenarios/{name}/deactivate")

    @staticmethod
    def scenario_headers(*names: str) -> dict:
        return {"X-Emulator-Scenario": ",".join(names)}

    def journal(self, **filters: str) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self._control("GET", f"/_emulator/journal?{query}")["requests"]

    def verify(self, match: dict | None = None, **criteria: object) -> int:
        """How many journal entries match (rule-style ``match``, ``status``, ``rule``...)."""
        return self._control("POST", "/_emulator/verify", {"match": match or {}, **criteria})[
            "count"
        ]

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "/_emulator/clock/advance", {"seconds": seconds})

    def mint_token(self, user: str | None = None, project: str | None = None) -> str:
        body = {"user": user or self.user, "project": project or self.region}
        return self._control("POST", "/_emulator/iam/tokens", body)["token"]

    def s3_client(self):
        """A boto3 S3 client for the emulator's OBS (needs boto3 installed)."""
        try:
            import boto3
        except ImportError:
            raise EmulatorError("s3_client needs boto3: pip install boto3") from None
        return boto3.client(
            "s3",
            endpoint_url=self.obs_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def stop(self) -> None:
        """Stop an emulator the plugin started; leave a joined one running."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self._log is not None:
            self._log.close()


def _scenario_name(text: str) -> str:
    """The ``name`` of a scenario file (YAML or JSON), which ``replace=True`` needs."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EmulatorError(f"load_scenario(replace=True): not YAML or JSON: {error}") from None
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise EmulatorError(
            "load_scenario(replace=True) needs the scenario's name: "
            "the text has no top-level 'name'"
        )
    return name


EMULATOR_COMMAND = (sys.executable, "-P", "-m", "emulator")  # -P: cwd is not on sys.path


def start_emulator(
    arguments: list[str],
    *,
    cwd: Path | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
    admin_token: str | None = None,
    command: tuple[str, ...] = EMULATOR_COMMAND,
) -> ModelArtsEmulator:
    """Start the emulator on free loopback ports and wait until it listens.

    Relative paths in ``arguments`` are read from ``cwd``. Its log goes to a temporary
    file, not a pipe: a pipe nobody reads would fill up and stall the emulator in the
    middle of a long test session. Its stdout is read by a thread until it closes, for the
    same reason; the addresses must come within ``timeout`` seconds.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the emulator; stop() closes it
    env = dict(os.environ)
    if admin_token:  # through the environment: a command line is visible to every user
        env["MODELARTS_EMULATOR_ADMIN_TOKEN"] = admin_token
    process = subprocess.Popen(
        [
            *command,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--obs-port",
            "0",
            "--log-level",
            "info",  # the log a failing test reads: each request, and why any was refused
            *arguments,
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    api_url = obs_url = None
    while api_url is None or obs_url is None:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            process.wait()
            raise EmulatorError(
                f"the emulator did not announce its addresses within {timeout:g} s "
                f"(ini option modelarts_emulator_start_timeout); its log: {_read(log)}"
            ) from None
        if line is None:
            process.wait()
            raise EmulatorError(f"the emulator stopped before it listened: {_read(log)}")
        if line.startswith(_API_LINE):
            api_url = line.removeprefix(_API_LINE).strip()
        elif line.startswith(_OBS_LINE):
            obs_url = line.removeprefix(_OBS_LINE).strip()
    return ModelArtsEmulator(process, api_url, obs_url, log, admin_token=admin_token)


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _read(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode("utf-8", errors="replace").strip() or "(empty)"


def join_emulator(
    api_url: str,
    obs_url: str | None = None,
    admin_token: str | None = None,
    *,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> ModelArtsEmulator:
    """Use an emulator that runs already, once its health check answers ready.

    Without ``obs_url``, OBS is the API's host with the OBS port the emulator reports (a
    container reports its own address, which the host may not reach).
    """
    api_url = api_url.rstrip("/")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{api_url}/_emulator/health", timeout=5) as response:
                health = json.load(response)
            break
        except (OSError, ValueError) as error:  # refused, 503 while starting, not JSON
            if time.monotonic() >= deadline:
                raise EmulatorError(
                    f"no emulator answered ready at {api_url} within {timeout:g} s "
                    f"(MODELARTS_EMULATOR_URL or modelarts_emulator_url): {error}"
                ) from None
            time.sleep(0.2)
    if not obs_url:
        reported = urllib.parse.urlsplit(health["obs_url"])
        host = urllib.parse.urlsplit(api_url).hostname
        shown = f"[{host}]" if ":" in host else host
        obs_url = f"{reported.scheme}://{shown}:{reported.port}"
    return ModelArtsEmulator(None, api_url, obs_url.rstrip("/"), None, admin_token=admin_token)


@dataclass(frozen=True)
class PluginSettings:
    """The plugin's options: environment variables win over ini options."""

    url: str | None
    obs_url: str | None
    admin_token: str | None
    args: list[str]
    start_timeout: float
    rootdir: Path
    xdist_worker: str | None

    @classmethod
    def of(cls, config: pytest.Config) -> PluginSettings:
        url, obs_url, admin_token = (
            os.environ.get(env) or config.getini(ini) or None for env, ini, _ in _JOIN_SETTINGS
        )
        raw_timeout = config.getini("modelarts_emulator_start_timeout")
        try:
            start_timeout = float(raw_timeout)
        except ValueError:
            raise pytest.UsageError(
                f"modelarts_emulator_start_timeout: expected seconds, got {raw_timeout!r}"
            ) from None
        return cls(
            url=url,
            obs_url=obs_url,
            admin_token=admin_token,
            args=config.getini("modelarts_emulator_args"),
            start_timeout=start_timeout,
            rootdir=config.rootpath,
            xdist_worker=os.environ.get("PYTEST_XDIST_WORKER"),
        )

    @property
    def joins(self) -> bool:
        return bool(self.url) and self.xdist_worker is None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "modelarts_emulator_args",
        type="args",
        default=DEFAULT_ARGS,
        help="command-line arguments for the session's modelarts-emulator "
        "(relative paths from the rootdir)",
    )
    parser.addini(
        "modelarts_emulator_start_timeout",
        default=str(DEFAULT_START_TIMEOUT),
        help="seconds to wait for the emulator to listen (or a joined one to be ready)",
    )
    for env, ini, help_text in _JOIN_SETTINGS:
        parser.addini(ini, default="", help=f"{help_text}; the variable {env} wins")


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = PluginSettings.of(config)
    if not settings.url:
        return None
    if getattr(config.option, "numprocesses", None):
        return (
            f"modelarts-emulator: each xdist worker starts its own emulator; "
            f"{settings.url} is not used"
        )
    return f"modelarts-emulator: using the running emulator at {settings.url}"


@pytest.fixture(scope="session")
def modelarts_emulator_session(request: pytest.FixtureRequest):
    """The session's emulator, started or joined (not reset between tests)."""
    settings = PluginSettings.of(request.config)
    if settings.joins:
        emulator = join_emulator(
            settings.url, settings.obs_url, settings.admin_token, timeout=settings.start_timeout
        )
    else:
        emulator = start_emulator(
            settings.args,
            cwd=settings.rootdir,
            timeout=settings.start_timeout,
            admin_token=settings.admin_token,
        )
    yield emulator
    emulator.stop()


@pytest.fixture
def modelarts_emulator(modelarts_emulator_session: ModelArtsEmulator) -> ModelArtsEmulator:
    """The session's emulator, reset to its seeded start for this test."""
    modelarts_emulator_session.reset()
    return modelarts_emulator_session


# Contract coverage (table at the end of the session, --modelarts-coverage=PATH) lives in
# its own plugin module, loaded with this one.
pytest_plugins = ["emulator.pytest_coverage"]
