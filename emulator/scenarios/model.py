"""A scenario as the engine uses it: compiled conditions and responses, no file syntax left."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.domain.timeline import Timeline
from emulator.scenarios.expressions import Expression
from emulator.scenarios.regex import Pattern


@dataclass(frozen=True)
class TextCondition:
    """Equal to a value, matching a regex, or present / absent."""

    equals: str | None = None
    regex: Pattern | None = None
    present: bool | None = None

    def check(self, value: str | None) -> bool:
        if self.present is not None:
            return (value is not None) == self.present
        if value is None:
            return False
        if self.regex is not None:
            return self.regex.search(value) is not None
        return value == self.equals

    def describe(self) -> str:
        if self.present is not None:
            return "present" if self.present else "absent"
        if self.regex is not None:
            return f"matching /{self.regex.pattern}/"
        return f"== {self.equals!r}"


@dataclass
class Match:
    methods: tuple[str, ...] = ()
    path_template: str | None = None
    path_regex: Pattern | None = None
    path_params: dict[str, TextCondition] = field(default_factory=dict)
    query: dict[str, TextCondition] = field(default_factory=dict)
    headers: dict[str, TextCondition] = field(default_factory=dict)
    body_subset: object = None
    has_body_subset: bool = False
    body_schema: object = None  # a compiled validator
    body_expressions: list[Expression] = field(default_factory=list)

    @property
    def needs_body(self) -> bool:
        return self.has_body_subset or self.body_schema is not None or bool(self.body_expressions)


@dataclass
class Response:
    """One scripted answer; with nothing but delay or timeline it lets the emulator answer."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None
    has_body: bool = False
    error: str | None = None
    error_msg: str | None = None
    delay_ms: tuple[int, int] | None = None
    fault: str | None = None
    passthrough: bool = False
    timeline: Timeline | None = None


@dataclass
class Rule:
    name: str
    match: Match
    responses: list[Response]
    state: str | None = None
    then_state: str | None = None
    times: int | None = None
    probability: float | None = None


@dataclass
class Scenario:
    name: str
    description: str
    rules: list[Rule]
    active: bool = False
    seed: int = 0
    source: str = "<admin API>"
    warnings: list[str] = field(default_factory=list)
