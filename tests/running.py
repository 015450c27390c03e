"""A real emulator process for tests that use blocking SDKs (boto3, esdk-obs-python)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from tests.conftest import REPO

_ADDRESS = re.compile(r"(listening on|OBS \(S3\) on) (http://\S+)")


@dataclass
class RunningEmulator:
    process: subprocess.Popen
    api_url: str
    obs_url: str

    def call(self, method: str, path: str, body: object = None, headers: dict | None = None):
        """(status, parsed JSON or None) of one API request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.api_url + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "X-Auth-Token": "test-token",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def advance(self, seconds: float) -> None:
        status, _ = self.call("POST", "/_emulator/clock/advance", {"seconds": seconds})
        assert status == 200

    def reset(self) -> None:
        assert self.call("POST", "/_emulator/reset")[0] == 200

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_emulator(*arguments: str) -> RunningEmulator:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--obs-port",
            "0",
            "--log-level",
            "warning",
            *arguments,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    urls = {}
    while len(urls) < 2:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise RuntimeError("the emulator stopped before it listened")
        match = _ADDRESS.search(line)
        if match:
            urls[match.group(1)] = match.group(2)
    return RunningEmulator(process, urls["listening on"], urls["OBS (S3) on"])
