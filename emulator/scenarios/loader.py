"""Read scenario files (YAML or JSON) into ``Scenario`` objects, or say exactly what is wrong.

Every problem is reported as ``file:line:column: reason``: the file is parsed once for
its data and once for the position of every value, so a schema violation or a semantic
error (unknown error code, bad regex, unknown operation) points at its line. Nothing is
half-loaded: a file with one error yields no scenario.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from emulator import safe_yaml
from emulator.contract import Contract, PayloadValidator
from emulator.contract.validation import json_path
from emulator.domain.timeline import Step, TaskState, TaskStatus, Timeline
from emulator.errors import StartupError
from emulator.scenarios.body_schema import BodySchemaError, compile_body_schema
from emulator.scenarios.expressions import ExpressionError, parse_expression
from emulator.scenarios.model import Match, Response, Rule, Scenario, TextCondition
from emulator.scenarios.regex import Pattern, RegexError, compile_regex
from emulator.scenarios.templates import TemplateError, check_templates

SCENARIO_SCHEMA = "scenario.schema.json"
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
STATUS_NAMES = {
    "queued": TaskStatus.QUEUING,
    "initializing": TaskStatus.INITIALIZING,
    "running": TaskStatus.RUNNING,
    "failed": TaskStatus.FAILED,
    "succeeded": TaskStatus.SUCCEEDED,
    "stopping": TaskStatus.STOPPING,
    "stopped": TaskStatus.STOPPED,
}
_TEMPLATE_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ScenarioError(StartupError, ValueError):
    """One or more problems, each ``file:line:column: reason``."""


@dataclass
class _Problem:
    path: tuple
    reason: str


class ScenarioLoader:
    """Turns scenario text into scenarios, checked against the schema and the contract."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self._validator = PayloadValidator(contract.schema(SCENARIO_SCHEMA))

    def load_paths(self, paths: Iterable[Path]) -> list[Scenario]:
        """Every scenario file named, folders read for ``*.yaml``, ``*.yml``, ``*.json``."""
        scenarios = []
        for path in paths:
            files = (
                sorted(p for p in path.iterdir() if p.suffix in SCENARIO_SUFFIXES)
                if path.is_dir()
                else [path]
            )
            for file in files:
                try:
                    safe_yaml.check_size(file.stat().st_size)
                    text = file.read_text(encoding="utf-8")
                except safe_yaml.UnsafeYamlError as error:
                    raise ScenarioError(f"{file}: {error.problem}") from None
                except (OSError, UnicodeDecodeError) as error:
                    raise ScenarioError(f"{file}: cannot read scenario file ({error})") from None
                scenarios.append(self.load_text(text, str(file)))
        return scenarios

    def load_text(self, text: str, source: str) -> Scenario:
        try:
            document, root = safe_yaml.load(text)
        except safe_yaml.UnsafeYamlError as error:
            raise ScenarioError(f"{_mark(source, error.problem_mark)}: {error.problem}") from None
        except yaml.MarkedYAMLError as error:
            where = _mark(source, error.problem_mark)
            raise ScenarioError(f"{where}: not valid YAML or JSON ({error.problem})") from None
        except yaml.YAMLError as error:
            raise ScenarioError(f"{source}: not valid YAML or JSON ({error})") from None
        positions: dict[tuple, tuple[int, int]] = {}
        if root is not None:
            _record_positions(root, (), positions)
        problems = [
            _Problem(_path_tuple(v.path), v.reason)
            for v in self._validator.validate(document, strict=True)
        ]
        scenario = None
        if not problems:
            scenario, problems = self._build(document, source)
        if problems:
            raise ScenarioError("\n".join(_where(source, p, positions) for p in problems))
        return scenario

    # --- building ---------------------------------------------------------------------

    def _build(self, document: dict, source: str) -> tuple[Scenario | None, list[_Problem]]:
        problems: list[_Problem] = []
        warnings: list[str] = []
        rules = []
        for index, entry in enumerate(document["rules"]):
            at = ("rules", index)
            rule = self._rule(entry, at, problems)
            if rule is not None:
                rules.append(rule)
                self._check_contract(entry, at, rule, source, warnings, problems)
        scenario = Scenario(
            name=document["name"],
            description=document.get("description", ""),
            rules=rules,
            active=bool(document.get("active", False)),
            seed=int(document.get("seed", 0)),
            source=source,
            warnings=warnings,
        )
        return (None if problems else scenario), problems

    def _rule(self, entry: dict, at: tuple, problems: list[_Problem]) -> Rule | None:
        if ("respond" in entry) == ("sequence" in entry):
            problems.append(_Problem(at, "a rule needs exactly one of 'respond' or 'sequence'"))
            return None
        match = self._match(entry.get("match", {}), (*at, "match"), problems)
        if "respond" in entry:
            raw_responses = [((*at, "respond"), entry["respond"])]
        else:
            raw_responses = [((*at, "sequence", i), r) for i, r in enumerate(entry["sequence"])]
        responses = [self._response(raw, where, problems) for where, raw in raw_responses]
        return Rule(
            name=entry.get("name", f"rule-{at[1] + 1}"),
            match=match,
            responses=responses,
            state=entry.get("state"),
            then_state=entry.get("then_state"),
            times=entry.get("times"),
            probability=entry.get("probability"),
        )

    def _match(self, entry: dict, at: tuple, problems: list[_Problem]) -> Match:
        match = Match()
        methods = entry.get("method", [])
        match.methods = tuple(
            m.upper() for m in ([methods] if isinstance(methods, str) else methods)
        )
        template = entry.get("path")
        if "operation" in entry:
            operation = self.contract.operations.get(entry["operation"])
            if operation is None:
                known = ", ".join(sorted(self.contract.operations))
                problems.append(
                    _Problem(
                        (*at, "operation"),
                        f"unknown operation {entry['operation']!r} (known: {known})",
                    )
                )
            else:
                template = template or operation.path
                match.methods = match.methods or (operation.method,)
        if template:
            match.path_template = template
            match.path_regex = _template_regex(template)
        for part in ("path_params", "query", "headers"):
            conditions = {}
            for name, raw in entry.get(part, {}).items():
                condition = _condition(raw, (*at, part, name), problems)
                key = name.lower() if part == "headers" else name
                conditions[key] = condition
            setattr(match, part, conditions)
        if template:
            names = set(_TEMPLATE_PARAM.findall(template))
            for name in match.path_params:
                if name not in names:
                    problems.append(
                        _Problem(
                            (*at, "path_params", name),
                            f"the path template {template!r} has no {{{name}}}",
                        )
                    )
        body = entry.get("body", {})
        if "subset" in body:
            match.body_subset, match.has_body_subset = body["subset"], True
        if "schema" in body:
            try:
                match.body_schema = compile_body_schema(body["schema"])
            except BodySchemaError as error:
                problems.append(_Problem((*at, "body", "schema"), str(error)))
        for index, text in enumerate(body.get("expressions", [])):
            try:
                match.body_expressions.append(parse_expression(text))
            except ExpressionError as error:
                problems.append(_Problem((*at, "body", "expressions", index), str(error)))
        return match

    def _response(self, entry: dict, at: tuple, problems: list[_Problem]) -> Response:
        response = Response(
            status=entry.get("status"),
            headers={str(k): str(v) for k, v in entry.get("headers", {}).items()},
            body=entry.get("body"),
            has_body="body" in entry,
            error=entry.get("error"),
            error_msg=entry.get("error_msg"),
            fault=entry.get("fault"),
            passthrough=bool(entry.get("passthrough", False)),
        )
        if "retry_after" in entry:
            response.headers.setdefault("Retry-After", str(entry["retry_after"]))
        delay = entry.get("delay")
        if isinstance(delay, int):
            response.delay_ms = (delay, delay)
        elif isinstance(delay, dict):
            if delay["min"] > delay["max"]:
                problems.append(_Problem((*at, "delay"), "min is greater than max"))
            response.delay_ms = (delay["min"], delay["max"])
        if response.error is not None:
            self._check_error(response, at, problems)
        kinds = []
        if response.error is not None:
            kinds.append("error")  # 'status' may accompany it to pick the catalog row
        if response.has_body or (response.status is not None and response.error is None):
            kinds.append("status/body")
        if response.fault is not None:
            kinds.append("fault")
        if len(kinds) > 1:
            problems.append(_Problem(at, f"choose one answer, not {' and '.join(kinds)}"))
        if response.passthrough and kinds:
            problems.append(_Problem(at, "'passthrough' cannot be combined with an answer"))
        if not kinds:
            response.passthrough = True
        if "timeline" in entry:
            response.timeline = _timeline(
                entry["timeline"], (*at, "timeline"), problems, self.contract
            )
        try:
            check_templates(response.body)
            check_templates(response.headers)
        except TemplateError as error:
            problems.append(_Problem(at, str(error)))
        return response

    def _check_error(self, response: Response, at: tuple, problems: list[_Problem]) -> None:
        catalog = self.contract.catalog
        if response.error not in catalog:
            problems.append(_Problem((*at, "error"), f"unknown error code {response.error}"))
            return
        statuses = sorted({entry.status for entry in catalog.entries(response.error)})
        if len(statuses) > 1 and response.status is None:
            problems.append(
                _Problem(
                    (*at, "error"),
                    f"{response.error} is listed under statuses {statuses}; add 'status' to choose",
                )
            )

    def _check_contract(
        self,
        entry: dict,
        at: tuple,
        rule: Rule,
        source: str,
        warnings: list[str],
        problems: list[_Problem],
    ) -> None:
        """A scripted success body of a documented operation must fit its response schema."""
        operation = self._operation_of(rule.match)
        if operation is None:
            return
        for index, response in enumerate(rule.responses):
            if not response.has_body or response.status is None or response.status >= 300:
                continue
            validator = operation.validator(f"response-{response.status}")
            if validator is None:
                continue
            violations = validator.validate(_without_templates(response.body), strict=True)
            if not violations:
                continue
            where = (*at, "respond") if "respond" in entry else (*at, "sequence", index)
            reason = (
                f"body does not fit the documented {operation.operation_id} "
                f"{response.status} response: " + "; ".join(map(str, violations))
            )
            if entry.get("breaks_contract"):
                warnings.append(f"{source}: {json_path(where)}: {reason}")
            else:
                problems.append(
                    _Problem(
                        (*where, "body"),
                        reason + " (set breaks_contract: true if this is on purpose)",
                    )
                )

    def _operation_of(self, match: Match):
        if match.path_template is None:
            return None
        for operation in self.contract.operations.values():
            if operation.path == match.path_template and (
                not match.methods or operation.method in match.methods
            ):
                return operation
        return None


def _condition(raw: object, at: tuple, problems: list[_Problem]) -> TextCondition:
    if not isinstance(raw, dict):
        return TextCondition(equals=_text(raw))
    if "regex" in raw:
        try:
            return TextCondition(regex=compile_regex(raw["regex"]))
        except RegexError as error:
            problems.append(_Problem((*at, "regex"), f"bad regex {raw['regex']!r} ({error})"))
            return TextCondition(present=True)
    if "present" in raw:
        return TextCondition(present=bool(raw["present"]))
    return TextCondition(equals=_text(raw["equals"]))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _template_regex(template: str) -> Pattern:
    pattern = ""
    position = 0
    for found in _TEMPLATE_PARAM.finditer(template):
        pattern += re.escape(template[position : found.start()])
        pattern += f"(?P<{found.group(1)}>[^/]+)"
        position = found.end()
    pattern += re.escape(template[position:])
    return compile_regex(f"^{pattern}$")


def _timeline(steps: list[dict], at: tuple, problems: list[_Problem], contract) -> Timeline:
    built = []
    previous_after = -1.0
    for index, step in enumerate(steps):
        where = (*at, index)
        if ("after" in step) == ("poll" in step):
            problems.append(
                _Problem(
                    where,
                    "a timeline step needs exactly one of 'after' "
                    "(seconds) or 'poll' (count of GET task)",
                )
            )
            continue
        if "after" in step:
            if step["after"] < previous_after:
                problems.append(_Problem((*where, "after"), "steps must be in time order"))
            previous_after = step["after"]
        status = step["status"]
        status = STATUS_NAMES[status] if isinstance(status, str) else TaskStatus(status)
        for field in ("code", "error_code"):
            if field in step and step[field] not in contract.catalog:
                problems.append(_Problem((*where, field), f"unknown error code {step[field]}"))
        state = TaskState(
            status=status,
            progress=float(step.get("progress", 0)),
            code=step.get("code"),
            message=step.get("message"),
            error_code=step.get("error_code"),
            error_msg=step.get("error_msg"),
        )
        built.append(
            Step(
                state=state,
                at_ms=int(step["after"] * 1000) if "after" in step else None,
                at_poll=step.get("poll"),
            )
        )
    return Timeline(built) if built else Timeline([Step(TaskState(TaskStatus.QUEUING), at_ms=0)])


def _without_templates(body: object) -> object:
    """Templated strings stand for values the schema cannot know; leave them out."""
    if isinstance(body, dict):
        return {
            k: _without_templates(v)
            for k, v in body.items()
            if not (isinstance(v, str) and "{{" in v)
        }
    if isinstance(body, list):
        return [_without_templates(v) for v in body if not (isinstance(v, str) and "{{" in v)]
    return body


def _path_tuple(path_text: str) -> tuple:
    parts: list = []
    for found in re.finditer(r"\.([^.\[]+)|\[(\d+)\]", path_text[1:]):
        parts.append(found.group(1) if found.group(1) is not None else int(found.group(2)))
    return tuple(parts)


def _record_positions(node: yaml.Node, path: tuple, positions: dict) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            positions[(*path, key, "<key>")] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            _record_positions(value_node, (*path, key), positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, (*path, index), positions)


def _mark(source: str, mark: yaml.Mark | None) -> str:
    return f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source


def _where(source: str, problem: _Problem, positions: dict) -> str:
    path = problem.path
    # An unknown field is best shown at its key; anything else at the closest known value.
    line_column = positions.get((*path, "<key>")) if path else None
    while line_column is None:
        line_column = positions.get(path)
        if line_column is None:
            if not path:
                line_column = (1, 1)
                break
            path = path[:-1]
    line, column = line_column
    return f"{source}:{line}:{column}: {json_path(problem.path)}: {problem.reason}"
