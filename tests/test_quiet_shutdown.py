"""Issue 13 row 19: stopping under load logs one quiet line, not a traceback per client."""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import urllib.request
from urllib.parse import urlsplit

from tests.conftest import EMULATOR_COMMAND, FREE_PORTS, REPO, TASKS_URL

CLIENTS = 30


def _half_sent_request(host: str, port: int) -> socket.socket:
    """A client in the middle of sending its body."""
    client = socket.create_connection((host, port))
    client.sendall(
        f"POST {TASKS_URL} HTTP/1.1\r\nHost: {host}\r\nX-Auth-Token: t\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode()
    )
    return client


def _reset(client: socket.socket) -> None:
    """Close with a TCP reset, as a killed load generator does."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def test_sigterm_with_clients_mid_request_logs_one_quiet_line():
    process = subprocess.Popen(
        [*EMULATOR_COMMAND, *FREE_PORTS],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split()[-1]
        process.stdout.readline()
        address = urlsplit(url)
        clients = [_half_sent_request(address.hostname, address.port) for _ in range(CLIENTS)]
        # The server reads in arrival order: once this answers, it has the requests above.
        with urllib.request.urlopen(url + "/_emulator/health", timeout=10) as health:
            assert health.status == 200
        process.send_signal(signal.SIGTERM)
        for client in clients:
            _reset(client)
        assert process.wait(timeout=10) == 0
        log = process.stderr.read()
    finally:
        process.kill()

    assert "Traceback" not in log and " ERROR " not in log
    assert len([line for line in log.splitlines() if "emulator: stopped" in line]) == 1
