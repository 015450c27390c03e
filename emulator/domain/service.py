"""The emulator's state as one object: datasets, tasks, models, OBS and the clock.

Handlers reach the domain only through ``Emulator``; ``reset`` brings it back to the
seeded start, which is what test isolation needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.domain.clock import Clock, SystemClock
from emulator.domain.datasets import Datasets
from emulator.domain.model import Dataset, DatasetType, Label, Model, Project
from emulator.domain.paths import parse_obs_path
from emulator.domain.ports import BucketAccess, ObjectStorage
from emulator.domain.tasks import Tasks, TaskSettings


@dataclass
class SeedObject:
    bucket: str
    key: str
    data: bytes


@dataclass
class SeedDataset:
    project_id: str
    dataset_id: str
    name: str
    dataset_type: int
    data_path: str
    work_path: str
    description: str = ""
    labels: list[dict] = field(default_factory=list)
    samples: list[tuple[str, list[dict]]] = field(default_factory=list)


@dataclass
class Seed:
    """The starting state a seed file declares."""

    projects: dict[str, str] = field(default_factory=dict)  # id -> name
    buckets: dict[str, str | None] = field(default_factory=dict)  # name -> KMS key id
    owners: dict[str, str] = field(default_factory=dict)  # bucket -> owning domain id
    objects: list[SeedObject] = field(default_factory=list)
    datasets: list[SeedDataset] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)


class Emulator:
    """All emulated state of one server."""

    def __init__(
        self,
        seed: Seed,
        store: ObjectStorage,
        clock: Clock | None = None,
        settings: TaskSettings | None = None,
        access: BucketAccess | None = None,
    ) -> None:
        self.seed = seed
        self.store = store
        self.clock = clock or SystemClock()
        self.models: dict[str, Model] = {}
        self.datasets = Datasets([], store, self.clock, access)
        self.tasks = Tasks(
            self.datasets, store, self.clock, self.models, settings or TaskSettings()
        )
        self._apply_seed()

    def _apply_seed(self) -> None:
        owners = self.seed.owners
        for bucket, kms_key_id in self.seed.buckets.items():
            self.store.create_bucket(bucket, kms_key_id, owners.get(bucket))
        for stored in self.seed.objects:
            self.store.create_bucket(stored.bucket, owner=owners.get(stored.bucket))
            self.store.put_object(stored.bucket, stored.key, stored.data)
        self.models.update({model.model_id: model for model in self.seed.models})
        for project_id, name in self.seed.projects.items():
            self.datasets.projects[project_id] = Project(project_id=project_id, name=name)
        self._seed_datasets(None)

    def _seed_datasets(self, only_project: str | None) -> None:
        now = self.clock.now_ms()
        for entry in self.seed.datasets:
            if only_project is not None and entry.project_id != only_project:
                continue
            for path in (entry.data_path, entry.work_path):
                bucket = parse_obs_path(path, "seed path").bucket
                self.store.create_bucket(bucket, owner=self.seed.owners.get(bucket))
            dataset = Dataset(
                dataset_id=entry.dataset_id,
                name=entry.name,
                dataset_type=DatasetType(entry.dataset_type),
                data_path=entry.data_path,
                work_path=entry.work_path,
                create_time_ms=now,
                update_time_ms=now,
                description=entry.description,
                labels=[
                    Label(
                        name=label["name"],
                        type=int(label.get("type", entry.dataset_type)),
                        property=dict(label.get("property") or {}),
                    )
                    for label in entry.labels
                ],
            )
            self.datasets.project(entry.project_id).datasets[dataset.dataset_id] = dataset
            for source, labels in entry.samples:
                self.datasets.register_seeded(dataset, source, labels, now)

    def reset_project(self, project_id: str) -> None:
        """One project's datasets and tasks back to the seed; OBS and other projects stay."""
        project = self.datasets.projects.get(project_id)
        if project is not None:
            for dataset_id in list(project.datasets):
                self.tasks.forget_dataset(dataset_id)
            project.datasets.clear()
        self._seed_datasets(project_id)

    def delete_dataset(self, project_id: str, dataset_id: str) -> None:
        """A deleted dataset takes its tasks with it."""
        self.datasets.delete(project_id, dataset_id)
        self.tasks.forget_dataset(dataset_id)

    def advance_clock(self, milliseconds: int) -> None:
        """Move the manual clock and let every task catch up with the new time."""
        self.clock.advance(milliseconds)
        self.tasks.advance()

    def reset(self) -> None:
        """Forget everything that happened since start: tasks, datasets, OBS contents, and
        the time a manual clock was moved to."""
        self.store.clear()  # first: storage that cannot be reached leaves the rest as it was
        self.clock.reset()
        self.tasks.clear()
        self.datasets.projects.clear()
        self.models.clear()
        self._apply_seed()
