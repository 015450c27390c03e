"""Read a recording back as the requests it holds and the answers they got.

A recording is a scenario file (or a folder of them) written by ``recorder``; each rule
that matches one literal method and path and answers with a status is one interaction.
The file is checked by the scenario loader first, so compare reports the same
``file:line:column`` problems a replay would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from emulator.contract import Contract
from emulator.scenarios.loader import SCENARIO_SUFFIXES, ScenarioLoader


@dataclass
class RecordedInteraction:
    name: str
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: object = None  # the request body, secrets left out; None: no body
    status: int = 200
    response: object = None  # the recorded answer's body; None: none


def recording_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SCENARIO_SUFFIXES)
    return [path]


def load_recording(path: Path, contract: Contract) -> tuple[list[RecordedInteraction], int]:
    """The interactions of every file, in order, and how many rules were not interactions.

    Raises ``ScenarioError`` (a ``StartupError``) for a file the loader refuses.
    """
    loader = ScenarioLoader(contract)
    interactions: list[RecordedInteraction] = []
    skipped = 0
    for file in recording_files(path):
        text = file.read_text(encoding="utf-8")
        loader.load_text(text, str(file))
        for rule in yaml.safe_load(text)["rules"]:
            interaction = _interaction(rule)
            if interaction is None:
                skipped += 1
            else:
                interactions.append(interaction)
    return interactions, skipped


def _interaction(rule: dict) -> RecordedInteraction | None:
    match, respond = rule.get("match", {}), rule.get("respond", {})
    method, path = match.get("method"), match.get("path")
    if not isinstance(method, str) or not path or "{" in path or "status" not in respond:
        return None
    return RecordedInteraction(
        name=rule.get("name", f"{method} {path}"),
        method=method.upper(),
        path=path,
        query={name: str(value) for name, value in match.get("query", {}).items()},
        body=match.get("body", {}).get("subset"),
        status=respond["status"],
        response=respond.get("body"),
    )
