"""Does a request meet a rule's conditions? And if not, which conditions failed.

Returning the failed conditions (not just a boolean) is what makes near misses possible:
the rule with the fewest failures is the one a user most likely meant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from emulator.codes import MALFORMED_JSON
from emulator.contract.step_budget import OutOfSteps, step_budget
from emulator.errors import ModelArtsError
from emulator.json_depth import nests_deeper
from emulator.scenarios.model import Match

TOO_DEEP = "The body is nested too deeply."
MAX_BODY_DEPTH = 100


@dataclass
class RequestView:
    """What matching needs of a request, independent of the HTTP library."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: object = None
    body_is_json: bool = False
    # Body conditions' failures worked out beforehand (off the event loop, for a large
    # body), by the id of the rule's match: see ``body_failures_of``.
    known_body_failures: dict[int, list[str]] | None = None

    def take_body(self, raw: bytes | str) -> None:
        """Parse ``raw`` as the JSON body; a body that is not JSON matches no body condition.

        JSON nested deeper than ``MAX_BODY_DEPTH`` is refused (400 ModelArts.4105) rather
        than matched: the request would be refused as malformed anyway, and conditions on
        it would recurse as deep as the sender chose.
        """
        try:
            body = json.loads(raw)
        except RecursionError:
            raise ModelArtsError(MALFORMED_JSON, detail=TOO_DEEP) from None
        except ValueError:
            self.body, self.body_is_json = None, False
            return
        if nests_deeper(body, MAX_BODY_DEPTH):
            raise ModelArtsError(MALFORMED_JSON, detail=TOO_DEEP)
        self.body, self.body_is_json = body, True


def path_params(match: Match, request: RequestView) -> dict[str, str] | None:
    if match.path_regex is None:
        return {}
    found = match.path_regex.match(request.path)
    return found.groupdict() if found else None


@dataclass
class Work:
    """What body conditions cost, added up over the requests they were checked against
    (verify checks a match against a whole journal)."""

    schema_checks: int = 0
    comparisons: int = 0


def failures(
    match: Match, request: RequestView, work: Work | None = None, *, explain: bool = True
) -> list[str]:
    """The conditions of ``match`` the request does not meet (empty when it matches);
    what its body conditions cost is added to ``work``. Unless the failures are to
    ``explain`` a near miss, body conditions are not checked once another one failed."""
    failed = other_failures(match, request)
    if match.needs_body and (explain or not failed):
        known = request.known_body_failures
        if known is not None and id(match) in known:
            failed.extend(known[id(match)])
        else:
            failed.extend(_body_failures(match, request, work or Work()))
    return failed


def other_failures(match: Match, request: RequestView) -> list[str]:
    """The conditions of ``match`` but its body's that the request does not meet."""
    failed: list[str] = []
    if match.methods and request.method not in match.methods:
        failed.append(f"method is {request.method}, rule wants {'/'.join(match.methods)}")
    params = path_params(match, request)
    if params is None:
        failed.append(f"path {request.path} does not fit {match.path_template}")
        params = {}
    for name, condition in match.path_params.items():
        if not condition.check(params.get(name)):
            failed.append(
                f"path parameter {name} is {params.get(name)!r}, rule wants {condition.describe()}"
            )
    for name, condition in match.query.items():
        if not condition.check(request.query.get(name)):
            failed.append(
                f"query {name} is {request.query.get(name)!r}, rule wants {condition.describe()}"
            )
    for name, condition in match.headers.items():
        value = request.headers.get(name)
        if not condition.check(value):
            shown = "absent" if value is None else "present" if condition.present else repr(value)
            failed.append(f"header {name} is {shown}, rule wants {condition.describe()}")
    return failed


def body_failures_of(matches: list[Match], request: RequestView) -> dict[int, list[str]]:
    """The body conditions' failures of each match, by its id: a pure function of the
    request and the rules, so it can run on a worker thread while the loop serves others
    (jsonschema over a large body, RE2 on long text: seconds for some patterns). The ids
    stay valid while the caller holds ``matches``."""
    return {id(match): _body_failures(match, request, Work()) for match in matches}


def _body_failures(match: Match, request: RequestView, work: Work) -> list[str]:
    if not request.body_is_json:
        return ["body is not JSON"]
    failed = []
    if match.has_body_subset:
        steps = [MAX_SUBSET_STEPS]
        try:
            contained = is_subset(match.body_subset, request.body, steps)
        except _TooLargeToCompare:
            failed.append(
                f"body not compared with the rule's subset past {MAX_SUBSET_STEPS:,} steps"
            )
        else:
            if not contained:
                failed.append("body does not contain the rule's subset")
        work.comparisons += MAX_SUBSET_STEPS - max(steps[0], 0)
    if match.body_schema is not None:
        try:
            with step_budget(MAX_SCHEMA_STEPS) as left:
                error = next(iter(match.body_schema.iter_errors(request.body)), None)
        except RecursionError:  # a schema whose $refs loop without consuming the body
            failed.append("the rule's schema refers to itself without end")
        except OutOfSteps:
            failed.append(
                f"body not checked against the rule's schema past {MAX_SCHEMA_STEPS:,} checks"
            )
        else:
            if error is not None:
                failed.append(f"body does not fit the rule's schema ({error.message})")
        work.schema_checks += MAX_SCHEMA_STEPS - max(left[0], 0)
    for expression in match.body_expressions:
        if not expression.holds(request.body):
            failed.append(f"body: {expression.text} is false")
    return failed


# Keyword checks one rule's body schema may make on a body (a few tenths of a second): a
# valid 12 MB body is otherwise walked whole, half a minute on the event loop.
MAX_SCHEMA_STEPS = 50_000
# Comparisons one subset check may make: each expected array item is looked for among
# every item of the body's array, and a scenario's thousands of items against a body's
# hundreds of thousands held the event loop for minutes.
MAX_SUBSET_STEPS = 1_000_000


class _TooLargeToCompare(Exception):
    pass


def is_subset(expected: object, actual: object, steps: list[int] | None = None) -> bool:
    """``expected`` is contained in ``actual``: objects by key, arrays element-wise in any
    order; ``steps`` (one count, shared by the whole check) bounds the comparisons made."""
    if steps is not None:
        steps[0] -= 1
        if steps[0] < 0:
            raise _TooLargeToCompare
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_subset(value, actual[key], steps)
            for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(
            any(is_subset(item, candidate, steps) for candidate in actual) for item in expected
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual
