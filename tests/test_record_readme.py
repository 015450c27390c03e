"""The README's "Record, replay, compare" commands, run as written.

Only the region's endpoints are swapped for a second emulator on 127.0.0.1 (no test
contacts the cloud), the ports for free ones, and the placeholder keys for the seed's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import EMULATOR_COMMAND, REPO, TASKS_URL
from tests.test_auth import AK, SK, password_body, signed

CLOUD = ("https://modelarts.eu-de.myhuaweicloud.com", "https://iam.eu-de.myhuaweicloud.com")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
FREE_PORTS = ("--port", "0", "--obs-port", "0")


def readme_commands() -> list[list[str]]:
    """Each ``modelarts-emulator ...`` line of the section's shell blocks, as arguments."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Record, replay, compare\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [
        shlex.split(line)[1:]
        for block in blocks
        for line in block.splitlines()
        if line.startswith("modelarts-emulator ")
    ]


def start(cwd: Path, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    log = (cwd / "emulator.log").open("a")
    process = subprocess.Popen(
        [*EMULATOR_COMMAND, *args, *FREE_PORTS],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, **(env or {})},
    )
    found = LISTENING.search(process.stdout.readline())
    assert found, (cwd / "emulator.log").read_text()
    return process, found.group(1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), json.loads(response.read() or b"null")


def test_the_readme_records_replays_and_compares(tmp_path):
    record, replay, compare_md, compare_json = readme_commands()
    upstream, upstream_url = start(tmp_path, "--auth", "strict")
    try:
        proxy, proxy_url = start(
            tmp_path,
            *[upstream_url if arg in CLOUD else arg for arg in record],
            env={"MODELARTS_EMULATOR_UPSTREAM_AK": AK, "MODELARTS_EMULATOR_UPSTREAM_SK": SK},
        )
        try:
            json_headers = {"Content-Type": "application/json"}
            body = json.dumps(password_body()).encode()
            _, headers, _ = call(f"{proxy_url}/v3/auth/tokens", "POST", body, json_headers)
            with_token = call(
                proxy_url + TASKS_URL, headers={"X-Auth-Token": headers["X-Subject-Token"]}
            )
            host, port = proxy_url.removeprefix("http://").split(":")
            client = SimpleNamespace(host=host, port=int(port))
            with_signature = call(proxy_url + TASKS_URL, headers=signed(client, "GET", TASKS_URL))
        finally:
            stop(proxy)
    finally:
        stop(upstream)

    replaying, replay_url = start(tmp_path, *replay)
    try:
        replayed = call(replay_url + TASKS_URL, headers={"X-Auth-Token": "any"})
    finally:
        stop(replaying)
    results = [
        subprocess.run([*EMULATOR_COMMAND, *command], cwd=tmp_path, timeout=120)
        for command in (compare_md, compare_json)
    ]

    assert with_token[0] == with_signature[0] == replayed[0] == 200
    assert replayed[2] == with_token[2]
    assert [result.returncode for result in results] == [0, 0]
    assert "differing: 0" in (tmp_path / "drift.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "drift.json").read_text())["summary"]["compared"] == 3
