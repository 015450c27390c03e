"""The scenario book: which scenarios exist and are active, their states, counters and dice.

``decide`` picks the first rule (in load order, then rule order) of the selected scenarios
that matches a request and is allowed to fire, and advances its counters, sequence and
state. When nothing fires it says which rules came closest and why.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from emulator.codes import INVALID_REQUEST
from emulator.errors import ModelArtsError, StartupError
from emulator.scenarios.matcher import RequestView, failures, other_failures, path_params
from emulator.scenarios.model import Match, Response, Rule, Scenario

INITIAL_STATE = "Started"
NEAR_MISSES_SHOWN = 3
# Scenarios added through the control API after start; files loaded at start are the
# operator's own and are not counted against it.
MAX_RUNTIME_SCENARIOS = 256


@dataclass
class NearMiss:
    scenario: str
    rule: str
    failed: list[str]

    def __str__(self) -> str:
        return f"{self.scenario}/{self.rule}: {'; '.join(self.failed)}"


@dataclass
class Decision:
    """The rule that fired and the response it gives, or the near misses."""

    scenario: str | None = None
    rule: str | None = None
    response: Response | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    near_misses: list[NearMiss] = field(default_factory=list)
    delay_ms: int = 0


@dataclass
class _Progress:
    state: str = INITIAL_STATE
    fired: dict[int, int] = field(default_factory=dict)  # rule index -> times fired
    dice: random.Random = field(default_factory=random.Random)


class ScenarioConflict(StartupError, ValueError):
    """A scenario of that name is already loaded."""


class ScenarioBook:
    def __init__(self) -> None:
        self.scenarios: dict[str, Scenario] = {}
        self.active: list[str] = []
        self._progress: dict[str, _Progress] = {}
        self._sealed: tuple[dict[str, Scenario], list[str]] = ({}, [])
        self._is_sealed = False

    def seal(self) -> None:
        """Remember the scenarios loaded at start; ``restore`` returns to them."""
        self._sealed = (dict(self.scenarios), list(self.active))
        self._is_sealed = True

    def restore(self) -> None:
        """Back to the scenarios loaded at start, each at its initial state."""
        scenarios, active = self._sealed
        self.scenarios = dict(scenarios)
        self.active = list(active)
        self._progress = {name: self._fresh(s) for name, s in self.scenarios.items()}

    # --- the collection ---------------------------------------------------------------

    def add(self, scenario: Scenario, *, replace: bool = False) -> None:
        if scenario.name in self.scenarios and not replace:
            raise ScenarioConflict(f"a scenario named {scenario.name!r} is already loaded")
        if scenario.name not in self.scenarios and self._is_sealed:
            added = len(self.scenarios.keys() - self._sealed[0].keys())
            if added >= MAX_RUNTIME_SCENARIOS:
                raise ModelArtsError(
                    INVALID_REQUEST,
                    detail=f"At most {MAX_RUNTIME_SCENARIOS} scenarios may be loaded at "
                    "runtime; DELETE some or POST /_emulator/reset.",
                )
        was_active = scenario.name in self.active
        self.scenarios[scenario.name] = scenario
        self._progress[scenario.name] = self._fresh(scenario)
        if scenario.active or was_active:
            self.activate(scenario.name)

    def remove(self, name: str) -> None:
        self.get(name)
        del self.scenarios[name]
        del self._progress[name]
        self.deactivate(name)

    def get(self, name: str) -> Scenario:
        if name not in self.scenarios:
            raise ModelArtsError(
                INVALID_REQUEST,
                http_status=404,
                detail=f"No scenario named {name!r}. Known: {self.known_names()}.",
            )
        return self.scenarios[name]

    def known_names(self) -> str:
        return ", ".join(self.scenarios) or "(none loaded)"

    def activate(self, name: str) -> None:
        self.get(name)
        if name not in self.active:
            self.active.append(name)

    def deactivate(self, name: str) -> None:
        if name in self.active:
            self.active.remove(name)

    def reset(self, name: str | None = None) -> None:
        """Counters, sequences, states and dice back to the start (one scenario or all)."""
        for scenario_name in [name] if name else list(self.scenarios):
            self._progress[scenario_name] = self._fresh(self.get(scenario_name))

    def state_of(self, name: str) -> str:
        return self._progress[name].state

    def fired(self, name: str) -> dict[str, int]:
        scenario = self.scenarios[name]
        counts = self._progress[name].fired
        return {rule.name: counts.get(index, 0) for index, rule in enumerate(scenario.rules)}

    @staticmethod
    def _fresh(scenario: Scenario) -> _Progress:
        return _Progress(dice=random.Random(scenario.seed))

    # --- per request ------------------------------------------------------------------

    def selection(self, header: str | None) -> tuple[list[str], bool]:
        """Scenario names that apply, and whether the request named them itself."""
        if header is None:
            return self.active, False
        # Each scenario once, in the order first named: naming one a thousand times would
        # make every request try its rules a thousand times.
        names = list(dict.fromkeys(name.strip() for name in header.split(",") if name.strip()))
        unknown = [name for name in names if name not in self.scenarios]
        if unknown:
            raise ModelArtsError(
                INVALID_REQUEST,
                detail=f"X-Emulator-Scenario names unknown scenario(s) {', '.join(unknown)}; "
                f"known: {self.known_names()}.",
            )
        return names, True

    def needs_body(self, names: list[str]) -> bool:
        return any(rule.match.needs_body for name in names for rule in self.scenarios[name].rules)

    def body_matches(self, request: RequestView, names: list[str], *, explain: bool) -> list[Match]:
        """The conditions of the rules of ``names`` whose body ``decide`` will look at: those
        of every rule with body conditions when it explains near misses, else those of the
        rules that are not blocked and meet their other conditions."""
        found = []
        for name in names:
            progress = self._progress[name]
            for index, rule in enumerate(self.scenarios[name].rules):
                if not rule.match.needs_body:
                    continue
                if explain or not (
                    self._blocked(rule, index, progress) or other_failures(rule.match, request)
                ):
                    found.append(rule.match)
        return found

    def decide(self, request: RequestView, names: list[str], *, explain: bool) -> Decision:
        misses: list[NearMiss] = []
        for name in names:
            scenario = self.scenarios[name]
            progress = self._progress[name]
            for index, rule in enumerate(scenario.rules):
                failed = self._blocked(rule, index, progress)
                if explain or not failed:
                    failed += failures(rule.match, request, explain=explain)
                if failed:
                    if explain:
                        misses.append(NearMiss(name, rule.name, failed))
                    continue
                if rule.probability is not None and progress.dice.random() >= rule.probability:
                    if explain:
                        misses.append(
                            NearMiss(name, rule.name, [f"probability {rule.probability} not drawn"])
                        )
                    continue
                return self._fire(scenario, progress, index, rule, request)
        misses.sort(key=lambda miss: len(miss.failed))
        return Decision(near_misses=misses[:NEAR_MISSES_SHOWN])

    @staticmethod
    def _blocked(rule: Rule, index: int, progress: _Progress) -> list[str]:
        blocked = []
        if rule.state is not None and progress.state != rule.state:
            blocked.append(f"scenario state is {progress.state!r}, rule needs {rule.state!r}")
        if rule.times is not None and progress.fired.get(index, 0) >= rule.times:
            blocked.append(f"used up after {rule.times} match(es)")
        return blocked

    @staticmethod
    def _fire(
        scenario: Scenario, progress: _Progress, index: int, rule: Rule, request: RequestView
    ) -> Decision:
        count = progress.fired.get(index, 0)
        progress.fired[index] = count + 1
        response = rule.responses[min(count, len(rule.responses) - 1)]
        if rule.then_state is not None:
            progress.state = rule.then_state
        delay = 0
        if response.delay_ms is not None:
            low, high = response.delay_ms
            delay = low if low == high else progress.dice.randint(low, high)
        return Decision(
            scenario=scenario.name,
            rule=rule.name,
            response=response,
            path_params=path_params(rule.match, request) or {},
            delay_ms=delay,
        )
