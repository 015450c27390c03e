"""A budget of keyword checks for one jsonschema walk.

jsonschema walks a whole document to explain it or to find its first violation, at a few
microseconds a keyword: a 12 MB body of small objects takes half a minute, on the event
loop. Validators made by ``counted_validator`` take one step of the budget under way
(``step_budget``) at every keyword they check and raise ``OutOfSteps`` when it is spent;
outside a budget they check without limit.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from jsonschema import validators

# The steps left to the walk under way in this context (None: no budget).
_steps_left: ContextVar[list[int] | None] = ContextVar("schema_steps_left", default=None)


class OutOfSteps(Exception):
    """The walk used its budget; what it found so far stands."""


@contextlib.contextmanager
def step_budget(limit: int) -> Iterator[list[int]]:
    """A budget of ``limit`` steps for the walk within; yields the count of steps left
    (below zero once ``OutOfSteps`` was raised)."""
    left = [limit]
    token = _steps_left.set(left)
    try:
        yield left
    finally:
        _steps_left.reset(token)


def counted_validator(base: type) -> type:
    """``base`` (a jsonschema validator class) whose every keyword takes a step."""
    return validators.extend(
        base, {keyword: _counted(check) for keyword, check in base.VALIDATORS.items()}
    )


def _counted(check: Callable) -> Callable:
    @functools.wraps(check)
    def counted(validator, value, instance, schema):  # type: ignore[no-untyped-def]
        left = _steps_left.get()
        if left is not None:
            left[0] -= 1
            if left[0] < 0:
                raise OutOfSteps
        return check(validator, value, instance, schema)

    return counted


def take_steps(count: int) -> None:
    """Take ``count`` more steps of the budget under way (if any): for a check that stands
    for several keyword checks."""
    left = _steps_left.get()
    if left is not None:
        left[0] -= count
        if left[0] < 0:
            raise OutOfSteps
