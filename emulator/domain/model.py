"""The records the domain keeps: projects, datasets, labels, samples, models and tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import TypeVar

from emulator.domain.timeline import TaskState, Timeline

T = TypeVar("T")


class DatasetType(IntEnum):
    """Dataset types as the API numbers them."""

    IMAGE_CLASSIFICATION = 0
    OBJECT_DETECTION = 1
    IMAGE_SEGMENTATION = 3
    TEXT_CLASSIFICATION = 100
    NAMED_ENTITY_RECOGNITION = 101
    TEXT_TRIPLET = 102
    SOUND_CLASSIFICATION = 200
    SPEECH_CONTENT = 201
    SPEECH_PARAGRAPH = 202
    TABLE = 400
    VIDEO = 600
    FREE_FORMAT = 900


IMAGE_DATASET_TYPES = frozenset(
    {DatasetType.IMAGE_CLASSIFICATION, DatasetType.OBJECT_DETECTION, DatasetType.IMAGE_SEGMENTATION}
)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


class SampleState:
    """Sample states as the API names them."""

    LABELED = "__ALL__"
    UNLABELED = "__NONE__"
    TO_CONFIRM = "__UNCHECK__"


class TaskType:
    AUTO_LABEL = "auto-label"
    PRE_LABEL = "pre-label"
    AUTO_GROUPING = "auto-grouping"

    LABELING = (AUTO_LABEL, PRE_LABEL)
    # The integer ``type`` of task listings (and of older request bodies).
    NUMBERS = MappingProxyType({AUTO_LABEL: 0, PRE_LABEL: 1, AUTO_GROUPING: 2})


@dataclass
class Label:
    name: str
    type: int
    property: dict = field(default_factory=dict)
    attributes: list = field(default_factory=list)


@dataclass
class Sample:
    """One data object of a dataset and what is known about its labels."""

    sample_id: str
    source: str  # obs://bucket/key
    sample_type: int
    state: str
    labels: list[dict]
    metadata: dict
    sample_time_ms: int
    size: int = 0
    score: float | None = None
    hard_details: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.source.rsplit("/", 1)[-1]

    @property
    def awaits_labels(self) -> bool:
        """Not confirmed by a person: unlabeled, or auto-labeled and not yet confirmed."""
        return self.state != SampleState.LABELED

    @property
    def directory(self) -> str:
        return self.source.rsplit("/", 1)[0] + "/"


@dataclass(frozen=True)
class SampleFilter:
    """What a sample listing asks for; ``None`` leaves a criterion out."""

    state: str | None = None
    label_name: str | None = None
    sample_type: int | None = None
    low_score: float | None = None
    high_score: float | None = None
    newest_first: bool = False
    awaiting_confirmation: bool = False  # only samples auto labeling labeled

    def admits(self, sample: Sample) -> bool:
        if self.awaiting_confirmation and sample.state != SampleState.TO_CONFIRM:
            return False
        if self.state and sample.state != self.state:
            return False
        if self.label_name and not any(lb.get("name") == self.label_name for lb in sample.labels):
            return False
        if self.sample_type is not None and sample.sample_type != self.sample_type:
            return False
        if self.low_score is None and self.high_score is None:
            return True
        low = 0.0 if self.low_score is None else self.low_score
        high = 1.0 if self.high_score is None else self.high_score
        return sample.score is not None and low <= sample.score <= high


@dataclass(frozen=True)
class BatchOutcome:
    """How one entry of a batch went: a sample, or the refusal (code and what was wrong)."""

    name: str | None = None
    sample_id: str | None = None
    error_code: str | None = None
    detail: str | None = None

    @property
    def success(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True)
class LabelStatistics:
    label: Label
    count: int  # labels of this name over labeled samples
    sample_count: int  # labeled samples carrying it


@dataclass(frozen=True)
class DatasetStatistics:
    """Counts over a dataset's samples, by state, label and hardness."""

    dataset: Dataset
    total: int
    labeled: int
    unlabeled: int
    awaiting_confirmation: int
    deleted: int
    hard: int
    labels: tuple[LabelStatistics, ...]


@dataclass
class Dataset:
    dataset_id: str
    name: str
    dataset_type: DatasetType
    data_path: str
    work_path: str
    create_time_ms: int
    description: str = ""
    update_time_ms: int = 0
    labels: list[Label] = field(default_factory=list)
    samples: dict[str, Sample] = field(default_factory=dict)
    removed_sources: set[str] = field(default_factory=set)
    discovered_version: int = -1  # the storage version of the last look at the data path
    # Bumped by every change to the samples or labels (``changed``), so what is derived
    # from them (the counts and checks a task start needs) is computed once per change.
    version: int = 0
    _derived: dict[str, tuple[tuple[int, int], object]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Labels by name: (the list it was made from, how many of its labels it holds, index).
    _labels_by_name: tuple[list[Label], int, dict[str, Label]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def label(self, name: str) -> Label | None:
        """The first label of that name. Looked up in an index that follows ``labels``:
        added to as labels are appended, made anew when the list is replaced (a dataset
        may hold tens of thousands of labels, and adding each one looks the name up)."""
        index = self._labels_by_name
        if index is None or index[0] is not self.labels or index[1] > len(self.labels):
            index = (self.labels, 0, {})
        labels, indexed, by_name = index
        if indexed < len(labels):
            for label in labels[indexed:]:
                by_name.setdefault(label.name, label)
            index = (labels, len(labels), by_name)
        self._labels_by_name = index
        return by_name.get(name)

    def changed(self) -> None:
        """Say that samples or labels changed: what was derived from them is computed anew."""
        self.version += 1

    def derived(self, name: str, compute: Callable[[Dataset], T], *, storage_version: int = 0) -> T:
        """``compute(self)``, computed again only after the dataset changed (or storage, for
        what depends on it too: pass its version, read before computing)."""
        versions = (self.version, storage_version)
        cached = self._derived.get(name)
        if cached is not None and cached[0] == versions:
            return cached[1]  # type: ignore[return-value]
        value = compute(self)
        self._derived[name] = (versions, value)
        return value


@dataclass
class Project:
    project_id: str
    name: str
    datasets: dict[str, Dataset] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    """A model pre-labeling can use (declared in the seed)."""

    model_id: str
    name: str
    version: str = "0.0.1"


class Task:
    """An intelligent task; its state is read from its timeline at the clock's time.

    One is kept for every task started (100,000 and more in a long run), so it has slots
    and no copies of what it shares with other tasks: ids, types, an identical config, its
    timeline and the counts it started with are shared objects, never changed in place (a
    task that needs another value is given a new object). A pre-labeling task the request
    did not name is named after its id when read, not stored.
    """

    __slots__ = (
        "collect_key_sample",
        "create_time_ms",
        "dataset_id",
        "evaluated_ms",
        "finished_ms",
        "generation",
        "model_id",
        "number",
        "polls",
        "project_id",
        "result",
        "state",
        "stored_config",
        "task_id",
        "task_type",
        "timeline",
    )

    def __init__(
        self,
        task_id: str,
        project_id: str,
        dataset_id: str,
        task_type: str,
        config: dict,
        model_id: str | None,
        collect_key_sample: bool,
        create_time_ms: int,
        timeline: Timeline,
        state: TaskState,
        result: dict | None = None,
        number: int = 0,
    ) -> None:
        self.task_id = task_id
        self.project_id = project_id
        self.dataset_id = dataset_id
        self.task_type = task_type
        self.stored_config = config  # possibly shared: replace, never change in place
        self.model_id = model_id
        self.collect_key_sample = collect_key_sample
        self.create_time_ms = create_time_ms
        self.timeline = timeline
        self.state = state
        self.polls = 0
        self.generation = 0  # bumped when the timeline is replaced (a stop)
        self.evaluated_ms = create_time_ms
        self.finished_ms: int | None = None
        self.result = {} if result is None else result  # possibly shared, as the config
        self.number = number  # start order, for listings

    def __repr__(self) -> str:
        return f"Task({self.task_id!r}, {self.task_type!r}, {self.state.status.name})"

    @property
    def _named_by_id(self) -> bool:
        return self.task_type == TaskType.PRE_LABEL and "name" not in self.stored_config

    @property
    def config(self) -> dict:
        """The config GET task shows: what the start sent, with the service's defaults."""
        if self._named_by_id:
            return {**self.stored_config, "name": self.task_id}
        return self.stored_config

    @property
    def name(self) -> str:
        if self._named_by_id:
            return self.task_id
        return str(self.stored_config.get("name") or "")

    @property
    def finished(self) -> bool:
        return self.finished_ms is not None
