"""The rules behind the intelligent-task API: which dataset a request names, starting tasks."""

from __future__ import annotations

from collections.abc import Iterable

from emulator.domain.clock import SystemClock
from emulator.domain.ids import new_resource_id
from emulator.domain.model import DEFAULT_TASK_TYPE, Dataset, Project, Task
from emulator.errors import ModelArtsError

DATASET_MISSING = "ModelArts.4352"


class Emulator:
    """All emulated state of one server; the handlers' only way to read or change it."""

    def __init__(self, projects: Iterable[Project], clock: SystemClock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.projects: dict[str, Project] = {p.project_id: p for p in projects}
        self.tasks: dict[str, Task] = {}

    def dataset(self, project_id: str, dataset_id: str) -> Dataset:
        """The dataset, or the service's "Dataset does not exist" refusal."""
        project = self.projects.get(project_id)
        dataset = project.datasets.get(dataset_id) if project else None
        if dataset is None:
            raise ModelArtsError(DATASET_MISSING, detail=f"(dataset_id {dataset_id!r})")
        return dataset

    def start_task(self, project_id: str, dataset_id: str, request: dict) -> Task:
        """Accept a validated start request and record the task it creates."""
        dataset = self.dataset(project_id, dataset_id)
        task_id = new_resource_id()
        while task_id in self.tasks:
            task_id = new_resource_id()
        task = Task(
            task_id=task_id,
            project_id=project_id,
            dataset_id=dataset.dataset_id,
            task_type=request.get("task_type") or DEFAULT_TASK_TYPE,
            config=dict(request.get("config") or {}),
            model_id=request.get("model_id"),
            collect_key_sample=bool(request.get("collect_key_sample", False)),
            create_time_ms=self.clock.now_ms(),
        )
        self.tasks[task_id] = task
        return task
