"""Write proxied interactions as the rules of one scenario file, ready to replay.

Each interaction becomes a rule matching its method, exact path, query and request body
(secrets left out), answering with the recorded status, body and the headers a client
needs (secrets masked). A request that was made several times gets one rule per answer,
in order: all but the last fire once, the last keeps answering, so polling replays as
it happened. The file is rewritten whole after every interaction (write, then rename),
so a proxy stopped at any moment leaves a file that loads. Each rule is turned into YAML
once (again only when a later repeat gives it ``times: 1``): rewriting joins text, so a
long session does not redo the YAML of every earlier rule at every interaction.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from emulator.record.masking import MASK, is_secret_header, mask, without_secrets
from emulator.record.shapes import body_value

FILE_NAME = "recording.yaml"
# Answer headers a client acts on; the rest (dates, request ids, servers) would only add noise.
KEPT_HEADERS = ("x-subject-token", "retry-after", "location")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
HEADER_COMMENT = (
    "# Recorded by modelarts-emulator --proxy-to ... --record: one rule per interaction,\n"
    "# secrets masked. Replay with --scenarios on this folder; compare with\n"
    "# `modelarts-emulator compare` on this file.\n"
)


@dataclass
class Interaction:
    """One request as the client sent it and the upstream's answer."""

    method: str
    path: str  # decoded, as the scenario matcher sees it
    query: Mapping[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    status: int = 200
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""


def scenario_name(folder: Path) -> str:
    """A valid scenario name from the recording folder's name (``recording`` if none fits)."""
    name = _NAME_CHARS.sub("-", folder.resolve().name).lstrip("_.-")[:100]
    return name or "recording"


class _PlainDumper(yaml.SafeDumper):
    """Never anchors and aliases: the scenario loader refuses them."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _yaml(value: object) -> str:
    return yaml.dump(value, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


class Recorder:
    def __init__(self, folder: Path, *, upstream: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME
        self.document: dict = {
            "name": scenario_name(folder),
            "description": f"Recorded through the proxy from {upstream}; secrets masked.",
            "active": True,
            "rules": [],
        }
        if self.path.is_file():  # a second session adds to the first
            existing = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            self.document["rules"] = list(existing.get("rules", []))
        self._head = _yaml({name: v for name, v in self.document.items() if name != "rules"})
        self._texts = [_yaml([rule]) for rule in self.rules]  # each rule's YAML, in order
        self._last_with: dict[str, int] = {}  # a request's key -> its latest rule
        for index, rule in enumerate(self.rules):
            self._last_with[_key(rule.get("match", {}))] = index

    @property
    def rules(self) -> list[dict]:
        return self.document["rules"]

    def add(self, interaction: Interaction) -> dict:
        """Append the interaction's rule and rewrite the file; returns the rule."""
        match = request_match(interaction)
        key = _key(match)
        earlier = self._last_with.get(key)
        if earlier is not None and "times" not in self.rules[earlier]:
            self.rules[earlier]["times"] = 1  # it answered once; the new one answers on
            self._texts[earlier] = _yaml([self.rules[earlier]])
        rule = {
            "name": f"{len(self.rules) + 1:04d} {interaction.method} {interaction.path}",
            "match": match,
            "respond": recorded_response(interaction),
        }
        self._last_with[key] = len(self.rules)
        self.rules.append(rule)
        self._texts.append(_yaml([rule]))
        self._write()
        return rule

    def _write(self) -> None:
        rules = "rules:\n" + "".join(self._texts) if self._texts else "rules: []\n"
        text = HEADER_COMMENT + self._head + rules
        partial = self.path.with_name(f".{self.path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, self.path)


def request_match(interaction: Interaction) -> dict:
    match: dict = {"method": interaction.method, "path": interaction.path}
    query = {
        name: value
        for name, value in interaction.query.items()
        if without_secrets({name: value}) == {name: value}
    }
    if query:
        match["query"] = dict(sorted(query.items()))
    body = body_value(interaction.request_body)
    if isinstance(body, dict | list) and body:
        match["body"] = {"subset": without_secrets(body)}
    return match


def recorded_response(interaction: Interaction) -> dict:
    response: dict = {"status": interaction.status}
    lowered = {name.lower(): value for name, value in interaction.response_headers.items()}
    headers = {
        _header_name(name): MASK if is_secret_header(name) else lowered[name]
        for name in KEPT_HEADERS
        if name in lowered
    }
    if headers:
        response["headers"] = headers
    if interaction.response_body:
        body = body_value(interaction.response_body)
        response["body"] = _defuse(mask(body))
    return response


def _defuse(value: object) -> object:
    """Recorded text is data: break ``{{`` so the replay does not read it as a placeholder."""
    if isinstance(value, str):
        return value.replace("{{", "{ {")
    if isinstance(value, dict):
        return {k: _defuse(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_defuse(v) for v in value]
    return value


def _header_name(lowered: str) -> str:
    return "-".join(part.capitalize() for part in lowered.split("-"))


def _key(match: Mapping) -> str:
    return json.dumps(match, sort_keys=True, ensure_ascii=False)
