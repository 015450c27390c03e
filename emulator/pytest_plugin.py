"""pytest plugin: an emulator for your test session, reset before every test.

Installed with the package and registered through the ``pytest11`` entry point, so
``def test_x(modelarts_emulator): ...`` works in any project that installs
modelarts-emulator. The emulator runs as a subprocess on free ports for the whole
session; the ``modelarts_emulator`` fixture resets it (tasks, datasets, OBS, scenarios,
journal, tokens) before each test. Extra command-line arguments come from the ini option
``modelarts_emulator_args`` (default ``--clock manual``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from emulator.demo import DEMO_DATASET, DEMO_PROJECT

DEFAULT_ARGS = ["--clock", "manual"]
_ADDRESS = re.compile(r"(listening on|OBS \(S3\) on) (http://\S+)")


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
        self, process: subprocess.Popen, api_url: str, obs_url: str, log: IO[bytes]
    ) -> None:
        self.process = process
        self.api_url = api_url
        self.obs_url = obs_url
        self._log = log

    def log_text(self) -> str:
        """What the emulator wrote to its log so far (refusals, near misses, warnings)."""
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
        status, parsed, _ = self.call(method, path, body, raw=raw)
        if status >= 300 and status != 417:
            raise EmulatorError(f"{method} {path} answered {status}: {parsed}")
        return parsed

    # --- control helpers --------------------------------------------------------------

    def reset(self, **target: str) -> None:
        """Everything, or ``scenario=name``, or ``project_id=id``."""
        self._control("POST", "/_emulator/reset", target)

    def load_scenario(self, scenario: str | Path, *, replace: bool = False) -> dict:
        """Load a scenario from YAML/JSON text or a file path."""
        text = Path(scenario).read_text() if isinstance(scenario, Path) else scenario
        if replace:
            name = re.search(r"^name:\s*(\S+)", text, re.M) or re.search(
                r'"name"\s*:\s*"([^"]+)"', text
            )
            return self._control("PUT", f"/_emulator/scenarios/{name.group(1)}", raw=text)
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
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def start_emulator(arguments: list[str]) -> ModelArtsEmulator:
    """Start ``python -m emulator`` on free loopback ports and wait until it listens.

    Its log goes to a temporary file, not a pipe: a pipe nobody reads would fill up and
    stall the emulator in the middle of a long test session.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the emulator; stop() closes it
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--obs-port",
            "0",
            "--log-level",
            "warning",
            *arguments,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    urls: dict[str, str] = {}
    while len(urls) < 2:
        line = process.stdout.readline()
        if not line:
            process.wait()
            log.seek(0)
            error = log.read().decode("utf-8", errors="replace")
            raise EmulatorError(f"the emulator stopped before it listened: {error.strip()}")
        found = _ADDRESS.search(line)
        if found:
            urls[found.group(1)] = found.group(2)
    return ModelArtsEmulator(process, urls["listening on"], urls["OBS (S3) on"], log)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "modelarts_emulator_args",
        type="args",
        default=DEFAULT_ARGS,
        help="command-line arguments for the session's modelarts-emulator",
    )


@pytest.fixture(scope="session")
def modelarts_emulator_session(request: pytest.FixtureRequest):
    """The session's emulator process (not reset between tests)."""
    emulator = start_emulator(request.config.getini("modelarts_emulator_args"))
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
