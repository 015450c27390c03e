"""The emulator's state as one object: the seed applied, a dataset deleted with its tasks,
one project or everything reset, the manual clock moved with the tasks catching up."""

from __future__ import annotations

import pytest

from emulator.codes import DATASET_MISSING, TASK_MISSING
from emulator.domain.clock import ClockError, ManualClock, SystemClock
from emulator.domain.model import Model, SampleState
from emulator.domain.service import Emulator, Seed, SeedDataset, SeedObject
from emulator.domain.tasks import TaskSettings
from emulator.domain.timeline import TaskStatus
from tests.domain_support import FakeStorage, refused_with

START_MS = 1_700_000_000_000
DURATION_MS = 1_000
PROJECT, OTHER_PROJECT = "project-1", "project-2"
SEEDED, OTHER_SEEDED = "SeededDataset000001", "OtherDataset0000001"


def _seed() -> Seed:
    labeled = [(f"obs://data-bucket/images/rose-{i}.jpg", [{"name": "rose"}]) for i in range(5)]
    return Seed(
        projects={PROJECT: "demo", OTHER_PROJECT: "other"},
        buckets={"data-bucket": None, "kms-bucket": "key-1"},
        objects=[SeedObject("data-bucket", "images/unlabeled-0.jpg", b"x")],
        datasets=[
            SeedDataset(
                project_id=PROJECT,
                dataset_id=SEEDED,
                name="flowers",
                dataset_type=0,
                data_path="/data-bucket/images/",
                work_path="/work-bucket/output/",
                description="seeded",
                labels=[{"name": "rose", "property": {"@modelarts:color": "#ff0000"}}],
                samples=labeled,
            ),
            SeedDataset(
                project_id=OTHER_PROJECT,
                dataset_id=OTHER_SEEDED,
                name="texts",
                dataset_type=100,
                data_path="/data-bucket/texts/",
                work_path="/work-bucket/output/",
            ),
        ],
        models=[Model("model-1", "detector")],
    )


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(
        _seed(),
        FakeStorage(modified_ms=START_MS),
        ManualClock(start_ms=START_MS),
        TaskSettings(duration_ms=DURATION_MS),
    )


def _start(emulator: Emulator, dataset_id: str = SEEDED):
    return emulator.tasks.start(PROJECT, dataset_id, {"task_type": "auto-label"})


def _created(emulator: Emulator, project_id: str = PROJECT):
    return emulator.datasets.create(
        project_id,
        {
            "dataset_name": "created",
            "data_sources": [{"data_path": "/data-bucket/images/"}],
            "work_path": "/work-bucket/output/",
        },
    )


# --- the seed ---------------------------------------------------------------------------


def test_the_seed_makes_buckets_objects_models_and_projects(emulator):
    store = emulator.store

    assert all(store.bucket_exists(b) for b in ("data-bucket", "kms-bucket", "work-bucket"))
    assert store.bucket_uses_kms("kms-bucket") and not store.bucket_uses_kms("data-bucket")
    assert store.get_object("data-bucket", "images/unlabeled-0.jpg") == b"x"
    assert emulator.models == {"model-1": Model("model-1", "detector")}
    assert {p: emulator.datasets.projects[p].name for p in (PROJECT, OTHER_PROJECT)} == {
        PROJECT: "demo",
        OTHER_PROJECT: "other",
    }


def test_a_seeded_dataset_has_its_labels_and_labeled_samples(emulator):
    dataset = emulator.datasets.get(PROJECT, SEEDED)
    _, samples = emulator.datasets.samples(PROJECT, SEEDED)

    assert (dataset.name, dataset.description, dataset.create_time_ms) == (
        "flowers",
        "seeded",
        START_MS,
    )
    assert [(lb.name, lb.type, lb.property) for lb in dataset.labels] == [
        ("rose", 0, {"@modelarts:color": "#ff0000"})
    ]
    states = sorted((s.name, s.state) for s in samples)
    assert states[0] == ("rose-0.jpg", SampleState.LABELED)
    assert states[-1] == ("unlabeled-0.jpg", SampleState.UNLABELED)
    assert len(states) == 6


def test_without_a_clock_the_emulator_runs_on_the_system_clock():
    emulator = Emulator(Seed(), FakeStorage())

    assert isinstance(emulator.clock, SystemClock)
    assert emulator.tasks.clock is emulator.clock and emulator.datasets.clock is emulator.clock


# --- deleting a dataset -----------------------------------------------------------------


def test_deleting_a_dataset_forgets_its_tasks(emulator):
    dataset = emulator.datasets.get(PROJECT, SEEDED)
    task = _start(emulator)

    emulator.delete_dataset(PROJECT, SEEDED)

    assert emulator.tasks.running_task_ids(SEEDED) == []
    # Even a dataset brought back under the same id does not find the old task.
    emulator.datasets.project(PROJECT).datasets[SEEDED] = dataset
    assert emulator.tasks.list(PROJECT, SEEDED) == []
    with refused_with(TASK_MISSING):
        emulator.tasks.get(PROJECT, SEEDED, task.task_id)


def test_deleting_a_dataset_keeps_the_tasks_of_others(emulator):
    other = _created(emulator)
    for _ in range(5):
        emulator.datasets.add_samples(
            PROJECT, other.dataset_id, [{"data": "", "labels": [{"name": "rose"}]}]
        )
    kept = _start(emulator, other.dataset_id)

    emulator.delete_dataset(PROJECT, SEEDED)

    assert emulator.tasks.list(PROJECT, other.dataset_id) == [kept]


def test_deleting_an_unknown_dataset_is_refused(emulator):
    with refused_with(DATASET_MISSING):
        emulator.delete_dataset(PROJECT, "no-such-dataset")


# --- reset_project and reset ------------------------------------------------------------


def test_reset_project_brings_its_datasets_back_to_the_seed(emulator):
    created = _created(emulator)
    emulator.datasets.update(PROJECT, SEEDED, {"dataset_name": "renamed"})
    emulator.delete_dataset(PROJECT, SEEDED)

    emulator.reset_project(PROJECT)

    assert [d.dataset_id for d in emulator.datasets.list(PROJECT)] == [SEEDED]
    assert emulator.datasets.get(PROJECT, SEEDED).name == "flowers"
    with refused_with(DATASET_MISSING):
        emulator.datasets.get(PROJECT, created.dataset_id)


def test_reset_project_forgets_the_projects_tasks(emulator):
    task = _start(emulator)

    emulator.reset_project(PROJECT)

    with refused_with(TASK_MISSING):
        emulator.tasks.get(PROJECT, SEEDED, task.task_id)
    assert emulator.tasks.running_task_ids(SEEDED) == []


def test_reset_project_leaves_obs_and_other_projects_alone(emulator):
    emulator.store.put_object("data-bucket", "images/uploaded.jpg", b"y")
    other = _created(emulator, OTHER_PROJECT)

    emulator.reset_project(PROJECT)

    assert emulator.store.get_object("data-bucket", "images/uploaded.jpg") == b"y"
    ids = {d.dataset_id for d in emulator.datasets.list(OTHER_PROJECT)}
    assert ids == {OTHER_SEEDED, other.dataset_id}


def test_reset_project_of_a_project_without_datasets_seeds_nothing(emulator):
    emulator.reset_project("project-without-seed")

    assert emulator.datasets.list("project-without-seed") == []


def test_reset_forgets_everything_since_the_start(emulator):
    task = _start(emulator)
    created = _created(emulator, OTHER_PROJECT)
    emulator.store.put_object("data-bucket", "images/uploaded.jpg", b"y")
    emulator.store.create_bucket("new-bucket")
    emulator.models.clear()
    emulator.advance_clock(60_000)

    emulator.reset()

    assert emulator.clock.now_ms() == START_MS
    with refused_with(TASK_MISSING):
        emulator.tasks.get(PROJECT, SEEDED, task.task_id)
    with refused_with(DATASET_MISSING):
        emulator.datasets.get(OTHER_PROJECT, created.dataset_id)
    assert emulator.store.get_object("data-bucket", "images/uploaded.jpg") is None
    assert not emulator.store.bucket_exists("new-bucket")
    assert emulator.store.get_object("data-bucket", "images/unlabeled-0.jpg") == b"x"
    assert set(emulator.models) == {"model-1"}
    assert emulator.datasets.get(PROJECT, SEEDED).name == "flowers"


# --- the clock --------------------------------------------------------------------------


def test_advancing_the_clock_finishes_due_tasks(emulator):
    task = _start(emulator)

    emulator.advance_clock(DURATION_MS)

    assert emulator.clock.now_ms() == START_MS + DURATION_MS
    assert task.state.status == TaskStatus.SUCCEEDED
    assert emulator.tasks.running_task_ids(SEEDED) == []


def test_advancing_the_clock_short_of_the_end_leaves_tasks_running(emulator):
    task = _start(emulator)

    emulator.advance_clock(DURATION_MS - 1)

    assert emulator.tasks.running_task_ids(SEEDED) == [task.task_id]


def test_the_system_clock_refuses_to_be_advanced():
    emulator = Emulator(Seed(), FakeStorage(), SystemClock())

    with pytest.raises(ClockError):
        emulator.advance_clock(1_000)
