"""How a task's visible state evolves: a list of steps reached by elapsed time or by polls.

A step says from when it applies (``at_ms`` after the start, or ``at_poll``: the n-th GET
of the task) and what GET task shows from then on. Between two steps of a running task the
progress rises linearly, so a poller sees it climb. The default timeline (queued,
initializing, running 0 to 100 %, succeeded) is built here; scenarios supply their own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from enum import IntEnum


class TaskStatus(IntEnum):
    """Task status codes as GET task reports them."""

    QUEUING = -1
    INITIALIZING = 0
    RUNNING = 1
    FAILED = 2
    SUCCEEDED = 3
    STOPPING = 4
    STOPPED = 5


TERMINAL = frozenset({TaskStatus.FAILED, TaskStatus.SUCCEEDED, TaskStatus.STOPPED})
ACTIVE = frozenset(set(TaskStatus) - TERMINAL)


@dataclass(frozen=True)
class TaskState:
    """What GET task shows: status, progress and the service's code and texts."""

    status: TaskStatus
    progress: float = 0.0
    code: str | None = None
    message: str | None = None
    error_code: str | None = None
    error_msg: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class Step:
    state: TaskState
    at_ms: int | None = None
    at_poll: int | None = None

    def reached(self, elapsed_ms: int, polls: int) -> bool:
        if self.at_poll is not None:
            return polls >= self.at_poll
        return elapsed_ms >= (self.at_ms or 0)


class Timeline:
    """Ordered steps; the state is the last step reached, progress interpolated by time."""

    def __init__(self, steps: list[Step]) -> None:
        if not steps:
            raise ValueError("a timeline needs at least one step")
        self.steps = steps
        self._initial: TaskState | None = None

    def initial_state(self) -> TaskState:
        """The state at start (every task start reads it; the steps never change)."""
        if self._initial is None:
            self._initial = self.state_at(0, 0)
        return self._initial

    def state_at(self, elapsed_ms: int, polls: int) -> TaskState:
        current_index = 0
        for index, step in enumerate(self.steps):
            if step.reached(elapsed_ms, polls):
                current_index = index
            else:
                break
        current = self.steps[current_index]
        state = current.state
        following = self.steps[current_index + 1] if current_index + 1 < len(self.steps) else None
        if (
            following is not None
            and state.status == TaskStatus.RUNNING
            and current.at_ms is not None
            and following.at_ms is not None
            and following.at_ms > current.at_ms
            and following.state.progress > state.progress
        ):
            share = (elapsed_ms - current.at_ms) / (following.at_ms - current.at_ms)
            rising = state.progress + share * (following.state.progress - state.progress)
            state = replace(state, progress=round(min(rising, following.state.progress), 1))
        return state

    def end_ms(self) -> int | None:
        """When the first terminal step is reached by time alone, if one is."""
        for step in self.steps:
            if step.state.terminal and step.at_poll is None:
                return step.at_ms or 0
        return None

    def failed_from(self, state: TaskState, elapsed_ms: int, error_code: str) -> Timeline:
        """The timeline of a task that ended in ``state`` at ``elapsed_ms`` but could not
        complete it: failed from then on, with ``error_code``."""
        failed = replace(state, status=TaskStatus.FAILED, error_code=error_code)
        return Timeline([Step(failed, at_ms=elapsed_ms)])

    def stopped_from(self, state: TaskState, elapsed_ms: int, stop_delay_ms: int) -> Timeline:
        """The timeline after a stop request: stopping now, stopped after the delay."""
        frozen = replace(state, error_code=None, error_msg=None)
        return Timeline(
            [
                Step(replace(frozen, status=TaskStatus.STOPPING), at_ms=elapsed_ms),
                Step(replace(frozen, status=TaskStatus.STOPPED), at_ms=elapsed_ms + stop_delay_ms),
            ]
        )


@functools.lru_cache(maxsize=64)
def default_timeline(duration_ms: int, running_code: str, done_code: str) -> Timeline:
    """Queued, initializing, running with rising progress, succeeded after ``duration_ms``."""
    return Timeline(
        [
            Step(TaskState(TaskStatus.QUEUING, 0.0, running_code), at_ms=0),
            Step(TaskState(TaskStatus.INITIALIZING, 0.0, running_code), at_ms=duration_ms // 10),
            Step(TaskState(TaskStatus.RUNNING, 0.0, running_code), at_ms=duration_ms // 5),
            Step(TaskState(TaskStatus.SUCCEEDED, 100.0, done_code), at_ms=duration_ms),
        ]
    )
