"""``modelarts-emulator compare RECORDING``: how far the emulator is from a recording.

Each recorded request is sent, in order, to an emulator (one started in this process on
the bundled or a given seed, or the one at ``--against``); the answer is compared with
the recorded one: status, ``error_code``, and the keys and JSON types of the body.
Ids the emulator hands out differ from the recorded ones, so every id the recording
got back is mapped to the one the emulator gave, and later requests use the emulator's.
Exit status: 0 no drift, 1 drift, 2 the recording or the arguments are unusable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from emulator.errors import StartupError
from emulator.outbound_tls import client_ssl
from emulator.record.replay_requests import RecordedInteraction, load_recording
from emulator.record.report import Outcome, render_json, render_markdown
from emulator.record.shapes import Difference, body_value, error_code, shape_differences

DEFAULT_TOKEN = "compare-token"
REQUEST_TIMEOUT_SECONDS = 60


@dataclass
class IdMap:
    """Recorded id -> the emulator's id, learnt from answers, applied to later requests."""

    ids: dict[str, str] = field(default_factory=dict)

    def learn(self, recorded: object, actual: object) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                other = actual.get(key)
                if isinstance(value, str) and isinstance(other, str) and value != other:
                    if key == "id" or key.endswith("_id"):
                        self.ids.setdefault(value, other)
                else:
                    self.learn(value, other)
        elif isinstance(recorded, list) and isinstance(actual, list):
            for value, other in zip(recorded, actual, strict=False):
                self.learn(value, other)

    def path(self, path: str) -> str:
        return "/".join(self.ids.get(segment, segment) for segment in path.split("/"))

    def value(self, value: object) -> object:
        if isinstance(value, str):
            return self.ids.get(value, value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


@dataclass
class Target:
    url: str
    token: str
    passwords: Mapping[str, str] = field(default_factory=dict)  # user name -> password
    password: str | None = None  # for users ``passwords`` does not name


async def compare(
    interactions: list[RecordedInteraction], target: Target, ids: IdMap
) -> list[Outcome]:
    outcomes = []
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(ssl=client_ssl(target.url))
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for interaction in interactions:
            outcomes.append(await _one(session, interaction, target, ids))
    return outcomes


async def _one(
    session: aiohttp.ClientSession,
    interaction: RecordedInteraction,
    target: Target,
    ids: IdMap,
) -> Outcome:
    headers = {"X-Auth-Token": target.token}
    body = ids.value(interaction.body)
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = _with_password(interaction.path, body, target)
    try:
        async with session.request(
            interaction.method,
            target.url + ids.path(interaction.path),
            params={k: str(ids.value(v)) for k, v in interaction.query.items()},
            data=None if body is None else json.dumps(body),
            headers=headers,
            allow_redirects=False,
        ) as answer:
            raw = await answer.read()
            status, subject_token = answer.status, answer.headers.get("X-Subject-Token")
    except (aiohttp.ClientError, TimeoutError) as error:
        problem = Difference("unreachable", f"no answer ({type(error).__name__}: {error})")
        return Outcome(interaction, None, None, [problem])
    if subject_token:
        target.token = subject_token  # later requests use the token this emulator issued
    actual = body_value(raw)
    ids.learn(interaction.response, actual)
    found = differences(interaction, status, actual)
    return Outcome(interaction, status, error_code(actual), found)


def differences(interaction: RecordedInteraction, status: int, actual: object) -> list[Difference]:
    found = []
    if status != interaction.status:
        found.append(Difference("status", f"recorded {interaction.status}, emulator {status}"))
    recorded_code, actual_code = error_code(interaction.response), error_code(actual)
    if recorded_code != actual_code:
        found.append(Difference("error_code", f"recorded {recorded_code}, emulator {actual_code}"))
    if status == interaction.status and recorded_code == actual_code:
        found.extend(shape_differences(interaction.response, actual))
    return found


def _with_password(path: str, body: object, target: Target) -> object:
    """A recorded IAM password request lost its password; put the target's back."""
    if not path.endswith("/auth/tokens") or not isinstance(body, dict):
        return body
    user = body.get("auth", {}).get("identity", {}).get("password", {}).get("user")
    if isinstance(user, dict) and "password" not in user:
        password = target.passwords.get(user.get("name"), target.password)
        if password is not None:
            user["password"] = password
    return body


# --- the in-process emulator ----------------------------------------------------------


async def _in_process(
    seed: Path | None, run: Callable[[Target], Awaitable[list[Outcome]]]
) -> list[Outcome]:
    """Run ``run(target)`` against an emulator served on a free loopback port."""
    from emulator.api import keys
    from emulator.app import create_app, url_of
    from emulator.config import Config

    app = create_app(Config(seed=seed, obs_port=None, auth="off", journal_size=0))
    passwords = {user.name: user.password for user in app[keys.IDENTITIES].users.values()}
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return await run(Target(url_of(runner.addresses[0]), DEFAULT_TOKEN, passwords))
    finally:
        await runner.cleanup()


# --- command line ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelarts-emulator compare",
        description="Send a recording's requests to an emulator and report where it differs.",
    )
    parser.add_argument("recording", type=Path, help="recording.yaml, or its folder")
    parser.add_argument(
        "--against", metavar="URL", help="a running emulator (default: one in this process)"
    )
    parser.add_argument("--seed", type=Path, help="seed of the in-process emulator")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--output", type=Path, help="write the report here (default: stdout)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="X-Auth-Token sent with --against")
    parser.add_argument(
        "--password",
        help="with --against: the password a recorded IAM password request sends (the "
        "recording leaves it out; in process, the seed's user of that name has it)",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="RECORDED=EMULATOR",
        help="use EMULATOR's id wherever the recording has RECORDED (project, dataset); repeatable",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    ids = IdMap()
    for pair in args.map:
        recorded, sep, ours = pair.partition("=")
        if not sep or not recorded or not ours:
            print(
                f"modelarts-emulator compare: --map wants RECORDED=EMULATOR, got {pair!r}",
                file=sys.stderr,
            )
            return 2
        ids.ids[recorded] = ours
    try:
        report = asyncio.run(_run(args, ids))
    except (StartupError, OSError) as error:
        print(f"modelarts-emulator compare: {error}", file=sys.stderr)
        return 2
    text, drifted = report
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 1 if drifted else 0


async def _run(args: argparse.Namespace, ids: IdMap) -> tuple[str, bool]:
    from emulator.config import Config
    from emulator.contract import load_contract

    if not args.recording.exists():
        raise StartupError(f"{args.recording}: no such recording")
    contract = load_contract(Config().with_defaults_resolved().schemas_dir)
    interactions, skipped = load_recording(args.recording, contract)
    if args.against:
        against = args.against.rstrip("/")
        target = Target(against, args.token, password=args.password)
        outcomes = await compare(interactions, target, ids)
    else:
        against = f"an in-process emulator on {args.seed or 'the bundled seed'}"
        outcomes = await _in_process(args.seed, lambda target: compare(interactions, target, ids))
    render = render_json if args.format == "json" else render_markdown
    text = render(str(args.recording), against, outcomes, skipped)
    return text, any(outcome.differences for outcome in outcomes)
