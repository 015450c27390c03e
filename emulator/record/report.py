"""The compare report, in Markdown for people and JSON for tools; both say the same."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from emulator import __version__
from emulator.record.replay_requests import RecordedInteraction
from emulator.record.shapes import Difference, error_code


@dataclass
class Outcome:
    interaction: RecordedInteraction
    status: int | None  # None: the emulator did not answer
    error_code: str | None
    differences: list[Difference]


def summary(outcomes: list[Outcome]) -> dict:
    kinds = Counter(d.kind for outcome in outcomes for d in outcome.differences)
    return {
        "compared": len(outcomes),
        "drifted": sum(1 for outcome in outcomes if outcome.differences),
        "differences_by_kind": dict(sorted(kinds.items())),
    }


def render_json(recording: str, against: str, outcomes: list[Outcome], skipped: int) -> str:
    document = {
        "recording": recording,
        "against": against,
        "emulator_version": __version__,
        "skipped_rules": skipped,
        "summary": summary(outcomes),
        "interactions": [
            {
                "name": o.interaction.name,
                "method": o.interaction.method,
                "path": o.interaction.path,
                "recorded": {
                    "status": o.interaction.status,
                    "error_code": error_code(o.interaction.response),
                },
                "emulator": {"status": o.status, "error_code": o.error_code},
                "same": not o.differences,
                "differences": [d.as_dict() for d in o.differences],
            }
            for o in outcomes
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_markdown(recording: str, against: str, outcomes: list[Outcome], skipped: int) -> str:
    totals = summary(outcomes)
    lines = [
        "# Emulator drift report",
        "",
        f"- Recording: `{recording}`",
        f"- Compared against: {against} (modelarts-emulator {__version__})",
        f"- Interactions: {totals['compared']}, differing: {totals['drifted']}"
        + (f", rules skipped (not recorded interactions): {skipped}" if skipped else ""),
        "",
    ]
    if totals["differences_by_kind"]:
        lines += ["| Difference | Count |", "|---|---|"]
        lines += [f"| {kind} | {n} |" for kind, n in totals["differences_by_kind"].items()]
        lines.append("")
    lines += [
        "| Interaction | Recorded | Emulator | Differences |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        recorded = _status(o.interaction.status, error_code(o.interaction.response))
        emulator = "no answer" if o.status is None else _status(o.status, o.error_code)
        found = "<br>".join(_cell(f"{d.kind}: {d.detail}") for d in o.differences) or "same"
        lines.append(f"| `{_cell(o.interaction.name)}` | {recorded} | {emulator} | {found} |")
    return "\n".join(lines) + "\n"


def _status(status: int, code: str | None) -> str:
    return f"{status} {code}" if code else str(status)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")
