"""What a task start remembers between starts, and that it never shows in an answer.

A start's checks on the dataset's samples (labeled, per label, awaiting labels) are
computed once per change of the dataset, not per start; identical configs and the counts
a task starts with are shared between tasks; unfinished tasks wait for their end in one
queue per timeline. Each test changes the dataset (or starts tasks) in one way and compares
the answer with what walking every sample answers (``_walked``, the checks as they were
before anything was remembered).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from emulator.codes import (
    KMS_BUCKET,
    NO_LABELED_SAMPLES,
    NO_UNLABELED_SAMPLES,
    TASK_MISSING,
    TOO_FEW_PER_LABEL,
    TOO_MANY_GROUPS,
)
from emulator.domain.clock import ManualClock
from emulator.domain.model import Dataset, SampleState, TaskType
from emulator.domain.service import Emulator
from emulator.domain.tasks import TaskSettings
from emulator.domain.timeline import Step, TaskState, TaskStatus, Timeline
from emulator.errors import ModelArtsError
from tests.domain_support import FakeStorage, refused_with
from tests.test_domain_service import PROJECT as SEEDED_PROJECT
from tests.test_domain_service import SEEDED, _seed
from tests.test_domain_tasks import DURATION_MS, PROJECT, START_MS, World

MIN_PER_LABEL = 5
REQUESTS = {
    TaskType.AUTO_LABEL: {"task_type": TaskType.AUTO_LABEL},
    TaskType.PRE_LABEL: {"task_type": TaskType.PRE_LABEL, "model_id": "model-1"},
    TaskType.AUTO_GROUPING: {"task_type": TaskType.AUTO_GROUPING, "config": {"n_clusters": 2}},
}


@pytest.fixture
def world() -> World:
    return World(max_running_per_dataset=1_000)


def _walked(dataset: Dataset, task_type: str) -> object:
    """The answer of a start from every sample, as the checks answered before they were
    remembered: the refusal's code and detail, or the counts the task starts with."""
    samples = list(dataset.samples.values())
    labeled = [s for s in samples if s.state == SampleState.LABELED]
    awaiting = len(samples) - len(labeled)
    if task_type == TaskType.AUTO_LABEL:
        if not labeled:
            return NO_LABELED_SAMPLES, None
        per_label = Counter(name for s in labeled for name in {lb.get("name") for lb in s.labels})
        short = sorted(name for name, count in per_label.items() if count < MIN_PER_LABEL)
        if short:
            return TOO_FEW_PER_LABEL, f"(labels {', '.join(short)})"
    if task_type in TaskType.LABELING and not awaiting:
        return NO_UNLABELED_SAMPLES, None
    if task_type == TaskType.AUTO_GROUPING and awaiting <= 2:
        return TOO_MANY_GROUPS, f"(2 groups, {awaiting} unlabeled samples)"
    return {"total_sample_count": len(samples), "annotated_sample_count": len(labeled)}


def _answers(world: World, dataset: Dataset) -> dict[str, object]:
    """What a start of each task type answers now (a started task stays running)."""
    answers = {}
    for task_type, request in REQUESTS.items():
        try:
            task = world.tasks.start(PROJECT, dataset.dataset_id, json.loads(json.dumps(request)))
        except ModelArtsError as error:
            answers[task_type] = (error.code, error.detail)
        else:
            answers[task_type] = task.result
    return answers


def _expected(dataset: Dataset) -> dict[str, object]:
    return {task_type: _walked(dataset, task_type) for task_type in REQUESTS}


def _sample_ids(dataset: Dataset, prefix: str) -> list[str]:
    return sorted(s.sample_id for s in dataset.samples.values() if s.name.startswith(prefix))


def _add_labeled(world: World, dataset: Dataset) -> None:
    entry = {"name": "rose-new.jpg", "data": "", "labels": [{"name": "rose"}]}
    world.datasets.add_samples(PROJECT, dataset.dataset_id, [entry])


def _upload(world: World, dataset: Dataset) -> None:
    world.store.put_object("data-bucket", "images/uploaded.jpg", b"x")


def _delete_labeled(world: World, dataset: Dataset) -> None:
    first = _sample_ids(dataset, "rose")[:1]
    world.datasets.delete_samples(PROJECT, dataset.dataset_id, first, delete_source=False)


def _delete_unlabeled(world: World, dataset: Dataset) -> None:
    unlabeled = _sample_ids(dataset, "unlabeled")
    world.datasets.delete_samples(PROJECT, dataset.dataset_id, unlabeled, delete_source=True)


def _relabel(world: World, dataset: Dataset) -> None:
    entry = {"sample_id": _sample_ids(dataset, "rose")[0], "labels": [{"name": "tulip"}]}
    world.datasets.update_samples(PROJECT, dataset.dataset_id, [entry])


def _unlabel(world: World, dataset: Dataset) -> None:
    entry = {"sample_id": _sample_ids(dataset, "rose")[0], "labels": []}
    world.datasets.update_samples(PROJECT, dataset.dataset_id, [entry])


def _label_the_rest(world: World, dataset: Dataset) -> None:
    entries = [
        {"sample_id": sample_id, "labels": [{"name": "rose"}]}
        for sample_id in _sample_ids(dataset, "unlabeled")
    ]
    world.datasets.update_samples(PROJECT, dataset.dataset_id, entries)


def _finish_labeling_and_confirm(world: World, dataset: Dataset) -> None:
    """Auto labeling labels the rest (awaiting confirmation); a person confirms them."""
    world.at(DURATION_MS)
    world.tasks.advance()
    assert {s.state for s in dataset.samples.values()} == {
        SampleState.LABELED,
        SampleState.TO_CONFIRM,
    }
    _label_the_rest(world, dataset)


@pytest.mark.parametrize(
    ("labeled", "unlabeled", "change"),
    [
        ({"rose": 4}, 3, _add_labeled),
        ({"rose": 5}, 0, _upload),
        ({"rose": 5}, 3, _delete_labeled),
        ({"rose": 5}, 3, _delete_unlabeled),
        ({"rose": 5}, 3, _relabel),
        ({"rose": 5}, 3, _unlabel),
        ({"rose": 5}, 3, _label_the_rest),
        ({"rose": 5}, 3, _finish_labeling_and_confirm),
        ({}, 3, _label_the_rest),
    ],
)
def test_every_change_of_the_samples_changes_the_next_start_as_walking_them_would(
    world, labeled, unlabeled, change
):
    dataset = world.dataset(labeled=labeled, unlabeled=unlabeled)
    before = _answers(world, dataset)
    assert before == _expected(dataset)

    change(world, dataset)
    after = _answers(world, dataset)

    assert after == _expected(dataset)
    assert after != before  # the change shows: nothing from before was answered again


def test_label_changes_of_the_dataset_leave_the_answers_as_walking_the_samples_gives(world):
    dataset = world.dataset(labeled={"rose": 5}, unlabeled=3)
    _answers(world, dataset)

    world.datasets.add_labels(PROJECT, dataset.dataset_id, [{"name": "tulip"}])
    world.datasets.update(PROJECT, dataset.dataset_id, {"delete_labels": [{"name": "rose"}]})

    assert _answers(world, dataset) == _expected(dataset)


def test_a_dataset_seeded_again_under_its_id_starts_from_its_own_samples():
    emulator = Emulator(
        _seed(),
        FakeStorage(modified_ms=START_MS),
        ManualClock(start_ms=START_MS),
        TaskSettings(duration_ms=DURATION_MS),
    )
    seeded = emulator.datasets.get(SEEDED_PROJECT, SEEDED)
    emulator.tasks.start(SEEDED_PROJECT, SEEDED, {})
    rose = _sample_ids(seeded, "rose")[:1]
    emulator.datasets.delete_samples(SEEDED_PROJECT, SEEDED, rose, delete_source=False)
    with refused_with(TOO_FEW_PER_LABEL):
        emulator.tasks.start(SEEDED_PROJECT, SEEDED, {})

    emulator.reset_project(SEEDED_PROJECT)

    task = emulator.tasks.start(SEEDED_PROJECT, SEEDED, {})
    assert task.result == {"total_sample_count": 6, "annotated_sample_count": 5}


def test_a_task_keeps_the_counts_it_started_with_when_the_dataset_changes(world):
    dataset = world.dataset(labeled={"rose": 5}, unlabeled=3)
    first = world.start(dataset)

    _upload(world, dataset)
    second = world.start(dataset)

    assert first.result == {"total_sample_count": 8, "annotated_sample_count": 5}
    assert second.result == {"total_sample_count": 9, "annotated_sample_count": 5}


def test_a_finished_task_reports_its_outputs_and_the_others_their_starting_counts(world):
    dataset = world.dataset(labeled={"rose": 5}, unlabeled=3)
    finishing = world.start(dataset)
    world.at(DURATION_MS // 2)
    running = world.start(dataset)
    world.at(DURATION_MS)

    world.tasks.advance()

    assert "manifest_path" in finishing.result
    assert running.result == {"total_sample_count": 8, "annotated_sample_count": 5}


# --- configs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"ambiguity": True}, {"ambiguity": 1}),
        ({"worker_server_num": 0}, {"worker_server_num": False}),
        ({"name": "a", "description": "b"}, {"description": "b", "name": "a"}),
        ({"confidence": 0.0}, {"confidence": -0.0}),
        ({"export_params": {"x": 1}}, {"export_params": {"x": True}}),
    ],
)
def test_configs_equal_in_python_but_shown_apart_are_shown_as_sent(world, first, second):
    dataset = world.dataset()

    tasks = [world.start(dataset, config=config) for config in (first, second, first)]

    shown = [json.dumps(task.config) for task in tasks]
    assert shown[0] != shown[1]
    assert shown[2] == shown[0]
    assert json.dumps(tasks[1].config) == json.dumps(world.start(dataset, config=second).config)


def test_tasks_started_alike_show_the_same_config(world):
    dataset = world.dataset()

    one, two = (world.start(dataset, config={"name": "same"}) for _ in range(2))

    assert (
        one.config
        == two.config
        == {
            "ambiguity": False,
            "worker_server_num": 0,
            "image_brightness": False,
            "image_colorfulness": False,
            "name": "same",
            "algorithm_type": "fast",
        }
    )


def test_pre_labeling_tasks_sent_without_a_name_are_each_named_by_their_id(world):
    dataset = world.dataset()
    request = {"task_type": TaskType.PRE_LABEL, "model_id": "model-1"}

    one, two = (world.start(dataset, **json.loads(json.dumps(request))) for _ in range(2))

    assert (one.name, two.name) == (one.task_id, two.task_id)
    assert list(one.config)[-1] == "name" and one.config["name"] == one.task_id
    assert two.config["name"] == two.task_id
    assert [
        t.task_id for t in world.tasks.page(PROJECT, dataset.dataset_id, task_name=two.task_id)[0]
    ] == [two.task_id]


# --- when tasks end ---------------------------------------------------------------------


def _ending_at(ms: int) -> Timeline:
    return Timeline(
        [
            Step(TaskState(TaskStatus.RUNNING, 0.0), at_ms=0),
            Step(TaskState(TaskStatus.SUCCEEDED, 100.0), at_ms=ms),
        ]
    )


def test_tasks_on_different_timelines_finish_in_the_order_of_their_ends():
    world = World(retained_finished_tasks=1, max_running_per_dataset=10)
    dataset = world.dataset()
    later = world.start(dataset)  # the default timeline: ends at DURATION_MS
    earlier = world.tasks.start(PROJECT, dataset.dataset_id, {}, timeline=_ending_at(100))
    world.at(DURATION_MS * 3)

    world.tasks.advance()  # earlier finishes first, so the next start forgets it
    world.start(dataset)

    with refused_with(TASK_MISSING):
        world.tasks.get(PROJECT, dataset.dataset_id, earlier.task_id)
    assert world.tasks.get(PROJECT, dataset.dataset_id, later.task_id).finished_ms == (
        START_MS + DURATION_MS
    )


def test_a_task_stopped_while_queued_for_its_end_ends_as_stopped(world):
    dataset = world.dataset()
    stopped = world.start(dataset)
    other = world.start(dataset)
    world.tasks.stop(PROJECT, dataset.dataset_id, stopped.task_id)
    world.at(DURATION_MS)

    world.tasks.advance()

    assert (stopped.state.status, other.state.status) == (
        TaskStatus.STOPPED,
        TaskStatus.SUCCEEDED,
    )
    assert set(world.tasks.running_task_ids(dataset.dataset_id)) == set()


def test_a_bucket_encrypted_after_a_start_refuses_the_next_one(world):
    dataset = world.dataset()
    world.start(dataset)

    world.store.create_bucket("work-bucket", kms_key_id="key-2")

    with refused_with(KMS_BUCKET):
        world.start(dataset)
    assert world.start(dataset, task_type=TaskType.PRE_LABEL, model_id="model-1").finished is False
