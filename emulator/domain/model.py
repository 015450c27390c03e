"""The records the domain keeps: projects, datasets and intelligent tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


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


class TaskStatus(IntEnum):
    """Task status codes as GET task reports them."""

    QUEUING = -1
    INITIALIZING = 0
    RUNNING = 1
    FAILED = 2
    SUCCEEDED = 3
    STOPPING = 4
    STOPPED = 5


TASK_TYPES = ("auto-label", "pre-label", "auto-grouping")
DEFAULT_TASK_TYPE = "auto-label"


@dataclass
class Dataset:
    dataset_id: str
    name: str
    dataset_type: DatasetType
    data_path: str
    work_path: str
    description: str = ""


@dataclass
class Project:
    project_id: str
    name: str
    datasets: dict[str, Dataset] = field(default_factory=dict)


@dataclass
class Task:
    """An intelligent task as started; its configuration is kept as the client sent it."""

    task_id: str
    project_id: str
    dataset_id: str
    task_type: str
    config: dict
    model_id: str | None
    collect_key_sample: bool
    create_time_ms: int
    status: TaskStatus = TaskStatus.QUEUING
