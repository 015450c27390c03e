"""Intelligent tasks: preconditions on start, life cycle on the clock, stop, listing.

A task's visible state is read from its timeline at the clock's time. When a task first
reaches a terminal state its effects are applied once: a successful labeling task labels
the dataset's unlabeled samples and writes its manifests to OBS; auto grouping writes
the grouping to OBS or to a sample attribute.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections import defaultdict, deque
from dataclasses import dataclass

from emulator.codes import (
    INVALID_MODEL,
    KMS_BUCKET,
    MODEL_MISSING,
    NO_LABELED_SAMPLES,
    NO_UNLABELED_SAMPLES,
    PATH_MISSING,
    TASK_FINISHED,
    TASK_MISSING,
    TASK_STOPPED,
    TOO_FEW_PER_LABEL,
    TOO_MANY_GROUPS,
    TOO_MANY_RUNNING,
    UNSUPPORTED_DATASET,
)
from emulator.domain import outputs
from emulator.domain.clock import Clock
from emulator.domain.datasets import Datasets
from emulator.domain.ids import new_resource_id
from emulator.domain.model import (
    IMAGE_DATASET_TYPES,
    Dataset,
    Model,
    SampleState,
    Task,
    TaskType,
)
from emulator.domain.paths import parse_obs_path
from emulator.domain.ports import ObjectStorage
from emulator.domain.timeline import ACTIVE, TaskStatus, Timeline, default_timeline
from emulator.errors import ModelArtsError

MIN_SAMPLES_PER_LABEL = 5
MAX_SHARED_CONFIGS = 1024
GROUPS_RANGE = (2, 200)

# Catalog codes GET task shows while a task runs and once it succeeded, per task type.
PROGRESS_CODES = {
    TaskType.AUTO_LABEL: ("ModelArts.4914", "ModelArts.4916"),
    TaskType.PRE_LABEL: ("ModelArts.4950", "ModelArts.4952"),
    TaskType.AUTO_GROUPING: ("ModelArts.4960", "ModelArts.4962"),
}

# What the service shows in a task's config for fields the start request left out.
ECHOED_CONFIG = {
    "ambiguity": False,
    "worker_server_num": 0,
    "image_brightness": False,
    "image_colorfulness": False,
}

ECHOED_BY_TYPE = {
    TaskType.AUTO_LABEL: {"algorithm_type": "fast"},
    TaskType.PRE_LABEL: {"algorithm_type": "supervisory", "confidence_scope": "0.0-0.5"},
    TaskType.AUTO_GROUPING: {},
}

# Which config fields are OBS paths and whether the task reads them (input: must exist)
# or writes them (output: the bucket must exist and a folder below it must be named).
INPUT_PATHS = ("manifest_path", "train_data_path")
OUTPUT_PATHS = (
    "output_dir",
    "annotation_output",
    "inf_output",
    "key_sample_output",
    "infer_result_output_dir",
    "log_url",
    "train_url",
)
EXPORT_OUTPUT_PATHS = ("export_new_dataset_work_path",)
# The same as (config name, name in refusals, read by the task), worked out once.
_CONFIG_PATHS = tuple(
    [(name, f"config.{name}", True) for name in INPUT_PATHS]
    + [(name, f"config.{name}", False) for name in OUTPUT_PATHS]
)
_EXPORT_PATHS = tuple((name, f"config.export_params.{name}", False) for name in EXPORT_OUTPUT_PATHS)
_PATH_NAMES = frozenset(INPUT_PATHS + OUTPUT_PATHS + EXPORT_OUTPUT_PATHS)


def _named_paths(
    config: dict, paths: tuple[tuple[str, str, bool], ...]
) -> list[tuple[str, object, bool]]:
    """The paths ``config`` names (field, value, read by the task), in ``paths`` order; most
    configs name none, which costs one set intersection."""
    if not _PATH_NAMES & config.keys():
        return []
    return [(field, config[name], read) for name, field, read in paths if config.get(name)]


@dataclass
class TaskSettings:
    duration_ms: int = 3000
    max_running_per_dataset: int = 5
    stop_delay_ms: int = 500
    retained_finished_tasks: int = 10_000


class _Listing:
    """The tasks one listing shows (one project, dataset and type group), in start order.

    Kept as a list, so a page is a slice whatever the number of tasks; a task to forget is
    found by bisection on the tasks' start numbers.
    """

    __slots__ = ("tasks",)

    def __init__(self) -> None:
        self.tasks: list[Task] = []

    def add(self, task: Task) -> None:
        self.tasks.append(task)

    def remove(self, task: Task) -> None:
        index = bisect.bisect_left(self.tasks, task.number, key=_start_number)
        if index < len(self.tasks) and self.tasks[index] is task:
            del self.tasks[index]

    def newest_first(self, start: int, count: int) -> list[Task]:
        """``count`` tasks from the ``start``-th newest on."""
        end = len(self.tasks) - start
        if end <= 0 or count <= 0:
            return []
        return self.tasks[max(0, end - count) : end][::-1]


def _start_number(task: Task) -> int:
    return task.number


class _DueQueue:
    """Unfinished tasks that share one timeline, in start order: they end in that order too
    (the clock does not go back), so the ones whose end has come are at the front."""

    __slots__ = ("end_ms", "last_due_ms", "tasks", "timeline")

    def __init__(self, timeline: Timeline, end_ms: int) -> None:
        self.timeline = timeline
        self.end_ms = end_ms
        self.last_due_ms = 0
        self.tasks: deque[Task] = deque()


@dataclass(frozen=True)
class _SampleCounts:
    """What a task start needs to know of a dataset's samples (computed once per change)."""

    total: int
    labeled: int
    awaiting_labels: int
    labeled_per_label: dict  # label name -> labeled samples carrying it


def _sample_counts(dataset: Dataset) -> _SampleCounts:
    labeled = 0
    per_label: dict[str, int] = {}
    for sample in dataset.samples.values():
        if sample.state != SampleState.LABELED:
            continue
        labeled += 1
        for name in {label.get("name") for label in sample.labels}:
            per_label[name] = per_label.get(name, 0) + 1
    total = len(dataset.samples)
    return _SampleCounts(total, labeled, total - labeled, per_label)


def _active_learning_refusal(dataset: Dataset) -> tuple[str, str | None] | None:
    """Why active learning cannot start on the dataset (code and detail), if it cannot."""
    counts = dataset.derived("sample_counts", _sample_counts)
    if not counts.labeled:
        return NO_LABELED_SAMPLES, None
    short = sorted(
        name for name, count in counts.labeled_per_label.items() if count < MIN_SAMPLES_PER_LABEL
    )
    if short:
        return TOO_FEW_PER_LABEL, f"(labels {', '.join(map(str, short))})"
    if not counts.awaiting_labels:
        return NO_UNLABELED_SAMPLES, None
    return None


def _config_key(config: dict) -> tuple | None:
    """A key two configs share only if they show alike (same fields in the same order,
    same values of the same types); None for configs with nested values or floats
    (``0.0 == -0.0``), which are not shared."""
    values = tuple(config.values())
    types = tuple(map(type, values))
    if float in types:
        return None
    key = (tuple(config), values, types)
    try:
        hash(key)
    except TypeError:  # lists and objects inside
        return None
    return key


_KNOWN_TYPES = {name: name for name in TaskType.NUMBERS}
LABELING_GROUP = "labeling"  # what a listing without a type shows: TaskType.LABELING


class Tasks:
    """Every task of the emulator, newest last."""

    def __init__(
        self,
        datasets: Datasets,
        store: ObjectStorage,
        clock: Clock,
        models: dict[str, Model],
        settings: TaskSettings,
    ) -> None:
        self.datasets = datasets
        self.store = store
        self.clock = clock
        self.models = models
        self.settings = settings
        self._tasks: dict[str, Task] = {}
        # Unfinished tasks by dataset, and when each is due to finish, so that moving time
        # forward touches only the tasks whose end has come: tasks started on a shared
        # timeline wait in its queue (no entry of their own), others (stopped, or started
        # while the clock went back) in a heap.
        self._active: dict[str, set[str]] = defaultdict(set)
        self._queues: dict[Timeline, _DueQueue] = {}
        self._due: list[tuple[int, int, str]] = []
        self._finished: deque[str] = deque()
        # Listings by (project, dataset, type or LABELING_GROUP), so listing a page costs
        # the same with 1,000 tasks kept or 100,000.
        self._listings: dict[tuple[str, str, str], _Listing] = defaultdict(_Listing)
        self._counter = itertools.count()
        # Identical configs are kept once (tasks started alike share one).
        self._configs: dict[tuple, dict] = {}

    # --- start ------------------------------------------------------------------------

    def start(
        self, project_id: str, dataset_id: str, request: dict, timeline: Timeline | None = None
    ) -> Task:
        """Check the documented preconditions, then queue the task."""
        dataset = self.datasets.looked_at(project_id, dataset_id)
        task_type = task_type_of(request)
        config = {**ECHOED_CONFIG, **(request.get("config") or {})}
        for name, value in ECHOED_BY_TYPE[task_type].items():
            config.setdefault(name, value)
        for instance in config.get("inf_config_list") or []:
            if isinstance(instance, dict):
                instance.setdefault("weight", 0)  # only real-time inference sets weights
        self._check_paths(project_id, config)
        self._check_running_limit(dataset)
        model_id = request.get("model_id") or config.get("model_id")
        if task_type == TaskType.AUTO_LABEL:
            self._check_not_kms(dataset, task_type)
            self._check_active_learning(dataset)
        elif task_type == TaskType.PRE_LABEL:
            model_id = model_id or _first_inference_model(config)
            self._check_model(model_id)
            model_id = self.models[model_id].model_id  # the model's own string, shared
            self._check_unlabeled(dataset)
        else:
            self._check_not_kms(dataset, task_type)
            self._check_grouping(dataset, config)
        running_code, done_code = PROGRESS_CODES[task_type]
        timeline = timeline or default_timeline(self.settings.duration_ms, running_code, done_code)
        now = self.clock.now_ms()
        task = Task(
            task_id=self._new_id(),
            # The project's and dataset's own strings, not the request's: shared by their tasks.
            project_id=self.datasets.projects[project_id].project_id,
            dataset_id=dataset.dataset_id,
            task_type=task_type,
            config=self._shared(config),
            model_id=model_id,
            collect_key_sample=bool(request.get("collect_key_sample", False)),
            create_time_ms=now,
            timeline=timeline,
            state=timeline.initial_state(),
            result=dataset.derived("starting_result", outputs.starting_result),
            number=next(self._counter),
        )
        self._tasks[task.task_id] = task
        self._index(task)
        self._active[task.dataset_id].add(task.task_id)
        self._schedule(task, shared_timeline=True)
        self._forget_oldest_finished()
        if task.state.terminal:  # a timeline that ends at once (scenarios)
            self._settle(task, now)
        return task

    def _shared(self, config: dict) -> dict:
        """The config kept for an identical one before, else this one (kept for the next)."""
        key = _config_key(config)
        if key is None:
            return config
        kept = self._configs.get(key)
        if kept is not None:
            return kept
        if len(self._configs) >= MAX_SHARED_CONFIGS:
            self._configs.clear()  # tasks keep theirs; only sharing with later ones ends
        self._configs[key] = config
        return config

    def _groups(self, task: Task) -> list[tuple[str, str, str]]:
        groups = [(task.project_id, task.dataset_id, task.task_type)]
        if task.task_type in TaskType.LABELING:
            groups.append((task.project_id, task.dataset_id, LABELING_GROUP))
        return groups

    def _index(self, task: Task) -> None:
        for group in self._groups(task):
            self._listings[group].add(task)

    def _unindex(self, task: Task) -> None:
        for group in self._groups(task):
            listing = self._listings.get(group)
            if listing is not None:
                listing.remove(task)
                if not listing.tasks:
                    del self._listings[group]

    def _schedule(self, task: Task, *, shared_timeline: bool = False) -> None:
        """Remember when the task's timeline ends by time (poll-based ends come on GET)."""
        queue = self._queues.get(task.timeline) if shared_timeline else None
        end = task.timeline.end_ms() if queue is None else queue.end_ms
        if end is None:
            return
        due = task.create_time_ms + end
        if shared_timeline:
            if queue is None:
                queue = self._queues[task.timeline] = _DueQueue(task.timeline, end)
            if due >= queue.last_due_ms:
                queue.last_due_ms = due
                queue.tasks.append(task)
                return
        heapq.heappush(self._due, (due, task.generation, task.task_id))

    def _new_id(self) -> str:
        task_id = new_resource_id()
        while task_id in self._tasks:
            task_id = new_resource_id()
        return task_id

    def _check_paths(self, project_id: str, config: dict) -> None:
        export = config.get("export_params")
        fields = _named_paths(config, _CONFIG_PATHS)
        if isinstance(export, dict):
            fields += _named_paths(export, _EXPORT_PATHS)
        for field, value, is_input in fields:
            path = self.datasets.usable_path(project_id, str(value), field)
            if is_input and not self.store.prefix_exists(path.bucket, path.key):
                raise ModelArtsError(PATH_MISSING, detail=f"({field}: {value})")

    def _check_running_limit(self, dataset: Dataset) -> None:
        self.advance()
        running = len(self._active.get(dataset.dataset_id, ()))
        if running >= self.settings.max_running_per_dataset:
            raise ModelArtsError(
                TOO_MANY_RUNNING,
                detail=f"({running} running, limit {self.settings.max_running_per_dataset})",
            )

    def _check_not_kms(self, dataset: Dataset, task_type: str) -> None:
        """Neither of the dataset's paths in a KMS-encrypted bucket (looked up again only
        after storage changed)."""
        found = dataset.derived("kms_path", self._kms_path, storage_version=self.store.version)
        if found is not None:
            field, bucket = found
            raise ModelArtsError(
                KMS_BUCKET, detail=f"({task_type} on a dataset whose {field} is in {bucket})"
            )

    def _kms_path(self, dataset: Dataset) -> tuple[str, str] | None:
        """The first of the dataset's paths in a KMS-encrypted bucket: field and bucket."""
        for field in ("data_path", "work_path"):
            path = parse_obs_path(getattr(dataset, field), field, subdirectory=False)
            if self.store.bucket_uses_kms(path.bucket):
                return field, path.bucket
        return None

    @staticmethod
    def _check_active_learning(dataset: Dataset) -> None:
        """Labeled samples, at least ``MIN_SAMPLES_PER_LABEL`` per label, and some left to
        label; the outcome is computed once per change of the dataset, not per start."""
        refusal = dataset.derived("active_learning_refusal", _active_learning_refusal)
        if refusal is not None:
            code, detail = refusal
            raise ModelArtsError(code, detail=detail)

    @staticmethod
    def _check_unlabeled(dataset: Dataset) -> None:
        if not dataset.derived("sample_counts", _sample_counts).awaiting_labels:
            raise ModelArtsError(NO_UNLABELED_SAMPLES)

    def _check_model(self, model_id: str | None) -> None:
        if not model_id:
            raise ModelArtsError(INVALID_MODEL, detail="(pre-labeling needs model_id)")
        if model_id not in self.models:
            raise ModelArtsError(MODEL_MISSING, params=(model_id,))

    def _check_grouping(self, dataset: Dataset, config: dict) -> None:
        if dataset.dataset_type not in IMAGE_DATASET_TYPES:
            raise ModelArtsError(UNSUPPORTED_DATASET, params=(str(int(dataset.dataset_type)),))
        groups = config.get("n_clusters")
        low, high = GROUPS_RANGE
        if not isinstance(groups, int) or isinstance(groups, bool) or not low <= groups <= high:
            raise ModelArtsError(
                TOO_MANY_GROUPS,
                detail=f"(config.n_clusters: auto grouping needs {low} to {high} groups, "
                f"got {groups!r})",
            )
        unlabeled = dataset.derived("sample_counts", _sample_counts).awaiting_labels
        if groups >= unlabeled:
            raise ModelArtsError(
                TOO_MANY_GROUPS, detail=f"({groups} groups, {unlabeled} unlabeled samples)"
            )

    # --- life cycle -------------------------------------------------------------------

    def advance(self) -> None:
        """Finish every task whose end has come, applying its effects once."""
        now = self.clock.now_ms()
        while (task := self._next_due(now)) is not None:
            if not task.finished:
                self._settle(task, now)

    def _next_due(self, now: int) -> Task | None:
        """The kept, unfinished task whose end came first, if one's has come (in the order
        of their ends, as one task's effects can change what the next one finds)."""
        while True:
            first: _DueQueue | None = None
            first_due = now
            for queue in self._queues.values():
                due = queue.tasks[0].create_time_ms + queue.end_ms
                if due < first_due or (due == first_due and first is None):
                    first, first_due = queue, due
            if self._due and self._due[0][0] <= first_due:
                _, generation, task_id = heapq.heappop(self._due)
                task = self._tasks.get(task_id)
                if task is not None and task.generation == generation:
                    return task
            elif first is not None:
                task = first.tasks.popleft()
                if not first.tasks:
                    del self._queues[first.timeline]
                # Skipped if stopped since (it has a new timeline) or forgotten.
                if task.timeline is first.timeline and self._tasks.get(task.task_id) is task:
                    return task
            else:
                return None

    def _settle(self, task: Task, now: int) -> None:
        task.state = task.timeline.state_at(now - task.create_time_ms, task.polls)
        task.evaluated_ms = now
        if not task.state.terminal or task.finished:
            return
        # Finished when its timeline ended, not when someone looked (a manual clock jumps).
        end = task.timeline.end_ms()
        task.finished_ms = now if end is None else min(now, task.create_time_ms + end)
        self._active[task.dataset_id].discard(task.task_id)
        self._finished.append(task.task_id)
        dataset = self._dataset_of(task)
        if dataset is not None and task.state.status == TaskStatus.SUCCEEDED:
            try:
                applied = outputs.apply(task, dataset, self.store, self.models, now)
            except ModelArtsError as error:
                # Its results could not be written (a dataset named as no path can hold,
                # say): the task fails with the reason, where the error reached whichever
                # request happened to finish it.
                ended_ms = task.finished_ms - task.create_time_ms
                task.timeline = task.timeline.failed_from(task.state, ended_ms, error.code)
                task.generation += 1
                task.state = task.timeline.initial_state()
                return
            task.result = {**task.result, **applied}  # a new dict: the old one is shared

    def _dataset_of(self, task: Task) -> Dataset | None:
        try:
            return self.datasets.get(task.project_id, task.dataset_id)
        except ModelArtsError:
            return None

    def _forget_oldest_finished(self) -> None:
        """Keep at most ``retained_finished_tasks`` finished tasks (the oldest go first)."""
        while len(self._finished) > self.settings.retained_finished_tasks:
            task = self._tasks.pop(self._finished.popleft(), None)
            if task is not None:
                self._unindex(task)

    # --- queries and stop -------------------------------------------------------------

    def get(self, project_id: str, dataset_id: str, task_id: str, *, poll: bool = False) -> Task:
        self.datasets.get(project_id, dataset_id)
        task = self._tasks.get(task_id)
        if task is None or task.dataset_id != dataset_id or task.project_id != project_id:
            raise ModelArtsError(TASK_MISSING, detail=f"(task_id {task_id!r})")
        if poll:
            task.polls += 1
        self._settle(task, self.clock.now_ms())
        return task

    def list(
        self,
        project_id: str,
        dataset_id: str,
        *,
        task_type: str | None = None,
        task_name: str | None = None,
    ) -> list[Task]:
        """Tasks of a dataset, newest first; labeling tasks when no type is given."""
        tasks, _ = self.page(
            project_id, dataset_id, task_type=task_type, task_name=task_name, count=None
        )
        return tasks

    def page(
        self,
        project_id: str,
        dataset_id: str,
        *,
        task_type: str | None = None,
        task_name: str | None = None,
        start: int = 0,
        count: int | None = None,
    ) -> tuple[list[Task], int]:
        """``count`` tasks of ``list`` from the ``start``-th on (all: None), and how many
        ``list`` has. Without ``task_name`` its cost does not grow with the tasks kept."""
        self.datasets.get(project_id, dataset_id)
        self.advance()
        listing = self._listings.get((project_id, dataset_id, task_type or LABELING_GROUP))
        if listing is None:
            return [], 0
        total = len(listing.tasks)
        if task_name or start < 0:  # a negative start counts from the oldest, as slices do
            shown = [t for t in reversed(listing.tasks) if not task_name or task_name in t.name]
            end = len(shown) if count is None else start + count
            return shown[start:end], len(shown)
        return listing.newest_first(start, total if count is None else count), total

    def stop(self, project_id: str, dataset_id: str, task_id: str) -> Task:
        task = self.get(project_id, dataset_id, task_id)
        status = task.state.status
        if status in (TaskStatus.STOPPING, TaskStatus.STOPPED):
            raise ModelArtsError(TASK_STOPPED, detail=f"(task_id {task_id!r})")
        if status not in ACTIVE:
            raise ModelArtsError(
                TASK_FINISHED, detail=f"(task {task_id!r} has {status.name.lower()})"
            )
        now = self.clock.now_ms()
        elapsed = now - task.create_time_ms
        task.timeline = task.timeline.stopped_from(task.state, elapsed, self.settings.stop_delay_ms)
        task.polls = 0
        task.generation += 1
        self._schedule(task)
        self._settle(task, now)
        return task

    def running_task_ids(self, dataset_id: str) -> list[str]:
        self.advance()
        return sorted(self._active.get(dataset_id, ()))

    def forget_dataset(self, dataset_id: str) -> None:
        for group in [group for group in self._listings if group[1] == dataset_id]:
            listing = self._listings.pop(group)
            if group[2] != LABELING_GROUP:  # every task is in the listing of its type
                for task in listing.tasks:
                    self._tasks.pop(task.task_id, None)
        self._active.pop(dataset_id, None)

    def clear(self) -> None:
        self._tasks.clear()
        self._active.clear()
        self._queues.clear()
        self._due.clear()
        self._finished.clear()
        self._listings.clear()
        self._configs.clear()


def task_type_of(request: dict) -> str:
    """``task_type``, else the integer ``type`` older bodies send, else auto labeling (the
    type's own string, shared by its tasks, not the request's)."""
    if request.get("task_type"):
        named = str(request["task_type"])
        return _KNOWN_TYPES.get(named, named)
    legacy = request.get("type")
    for name, number in TaskType.NUMBERS.items():
        if legacy == number or (isinstance(legacy, str) and legacy == str(number)):
            return name
    return TaskType.AUTO_LABEL


def _first_inference_model(config: dict) -> str | None:
    for entry in config.get("inf_config_list") or []:
        if isinstance(entry, dict) and entry.get("model_id"):
            return str(entry["model_id"])
    return None
