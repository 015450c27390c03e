"""Parse scenario and seed text (YAML or JSON) without letting the text choose the cost.

A scenario arrives from a file or from anyone who can reach the control API, a seed from a
file a CI job may have generated, and a YAML parser does whatever the text asks: nested
aliases expand a kilobyte into gigabytes (the "billion laughs"), ten thousand open
brackets exhaust the stack, a 5,000-digit integer or ``.nan`` breaks later arithmetic, a
``!!binary`` or ``!!set`` cannot be answered as JSON.
So before anything is built the event stream is checked (no aliases, bounded depth and
node count) and while building, numbers must be finite, integers short, dates stay text
and types JSON lacks are refused. Every refusal carries the line and column where it happened.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import yaml

MAX_SCENARIO_BYTES = 256 * 1024
MAX_DEPTH = 64
MAX_NODES = 20_000
MAX_INTEGER_CHARS = 30


@dataclass(frozen=True)
class Limits:
    """What one kind of file may hold; ``kind`` names it in refusals."""

    kind: str
    max_bytes: int
    max_nodes: int


SCENARIO_LIMITS = Limits("scenario", MAX_SCENARIO_BYTES, MAX_NODES)
# A seed declares a whole starting state (thousands of samples, inline object contents).
SEED_LIMITS = Limits("seed", 64 * 1024 * 1024, 2_000_000)

# libyaml parses and composes in C (about ten times quicker); the constructor is Python either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnsafeYamlError(yaml.MarkedYAMLError):
    """The text asks for something the scenario loader refuses; ``problem_mark`` says where."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _ScenarioYamlLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader whose values are JSON values the emulator can compute with."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = str(node.value).lstrip("+-").replace("_", "")
        if len(digits) > MAX_INTEGER_CHARS:
            raise UnsafeYamlError(
                f"an integer of {len(digits)} digits (at most {MAX_INTEGER_CHARS})",
                node.start_mark,
            )
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise UnsafeYamlError(f"{node.value!r} is not a finite number", node.start_mark)
        return value

    def construct_as_text(self, node: yaml.ScalarNode) -> str:
        """A date or time stays the text it was: scenario values are JSON values."""
        return str(self.construct_scalar(node))

    def refuse_non_json(self, node: yaml.Node) -> None:
        raise UnsafeYamlError(
            f"{node.tag.rsplit(':', 1)[-1]} values are not JSON; use strings, numbers, "
            "booleans, null, lists and mappings",
            node.start_mark,
        )


for _tag, _constructor in (
    ("int", _ScenarioYamlLoader.construct_yaml_int),
    ("float", _ScenarioYamlLoader.construct_yaml_float),
    ("timestamp", _ScenarioYamlLoader.construct_as_text),
    ("binary", _ScenarioYamlLoader.refuse_non_json),
    ("set", _ScenarioYamlLoader.refuse_non_json),
    ("omap", _ScenarioYamlLoader.refuse_non_json),
    ("pairs", _ScenarioYamlLoader.refuse_non_json),
):
    _ScenarioYamlLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _constructor)


class _JsonTextLoader(_ScenarioYamlLoader):
    """The loader for text that is JSON. A JSON number with an exponent and no dot
    (``1e+20``, ``2E-5``: json.dumps writes such) is text to YAML 1.1, so read as YAML
    the document would say something else than it says to every JSON reader. In JSON text
    every unquoted value is a number or a literal, so reading these as floats is exact;
    YAML text keeps YAML 1.1's reading (PyYAML writes the string "1e5" unquoted)."""


_JsonTextLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?[eE][-+]?[0-9]+$"),
    list("-0123456789"),
)


def _loader_for(text: str) -> type[_ScenarioYamlLoader]:
    try:
        json.loads(text.removeprefix("\ufeff"))  # a BOM the YAML reader skips too
    except (ValueError, RecursionError):
        return _ScenarioYamlLoader
    return _JsonTextLoader


def check_size(size: int, limits: Limits = SCENARIO_LIMITS) -> None:
    """Refuse text over the kind's size before reading or parsing it."""
    if size > limits.max_bytes:
        raise UnsafeYamlError(
            f"{size} bytes; a {limits.kind} file may have at most {limits.max_bytes}", None
        )


def _check_events(text: str, limits: Limits) -> None:
    """One pass over the parser's events: no aliases, bounded nesting, bounded node count."""
    loader = _ScenarioYamlLoader(text)  # events do not depend on the reading of scalars
    depth = nodes = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise UnsafeYamlError(
                    f"alias *{event.anchor} refused: {limits.kind} files may not use aliases",
                    event.start_mark,
                )
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > limits.max_nodes:
                    raise UnsafeYamlError(
                        f"more than {limits.max_nodes} values in one {limits.kind}",
                        event.start_mark,
                    )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise UnsafeYamlError(
                        f"nested deeper than {MAX_DEPTH} levels", event.start_mark
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def load(text: str, limits: Limits = SCENARIO_LIMITS) -> tuple[object, yaml.Node | None]:
    """The document and its node tree (for positions), or ``yaml.YAMLError``."""
    check_size(len(text.encode("utf-8", errors="replace")), limits)
    _check_events(text, limits)
    loader = _loader_for(text)(text)
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return document, root
