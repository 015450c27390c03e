"""Intelligent tasks in pure Python: start preconditions, the life cycle on a manual clock,
stop, listing, what a succeeded task leaves behind, and timelines.

Every test builds its datasets through the domain's own operations on a dict-backed
storage, and moves time only through the manual clock.
"""

from __future__ import annotations

import json

import pytest

from emulator.codes import (
    BUCKET_MISSING,
    DATASET_MISSING,
    INVALID_MODEL,
    INVALID_PATH,
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
from emulator.domain.clock import ManualClock
from emulator.domain.datasets import Datasets, inner_work_path
from emulator.domain.model import Dataset, Model, SampleState, TaskType
from emulator.domain.tasks import Tasks, TaskSettings, task_type_of
from emulator.domain.timeline import Step, TaskState, TaskStatus, Timeline
from tests.domain_support import FakeStorage, refused_with

START_MS = 1_700_000_000_000
PROJECT = "project-1"
DURATION_MS = 1_000
STOP_DELAY_MS = 100
MODEL = Model("model-1", "flower-detector", "1.2.0")
STARTING_RESULT = {"total_sample_count", "annotated_sample_count"}


class World:
    """Datasets and tasks over one storage and one manual clock."""

    def __init__(self, **settings) -> None:
        self.store = FakeStorage(modified_ms=START_MS)
        for bucket in ("data-bucket", "work-bucket", "out-bucket"):
            self.store.create_bucket(bucket)
        self.store.create_bucket("kms-bucket", kms_key_id="key-1")
        self.clock = ManualClock(start_ms=START_MS)
        self.datasets = Datasets([], self.store, self.clock)
        options = {
            "duration_ms": DURATION_MS,
            "max_running_per_dataset": 2,
            "stop_delay_ms": STOP_DELAY_MS,
            **settings,
        }
        self.tasks = Tasks(
            self.datasets, self.store, self.clock, {MODEL.model_id: MODEL}, TaskSettings(**options)
        )

    def dataset(
        self,
        labeled: dict[str, int] | None = None,
        unlabeled: int = 3,
        dataset_type: int = 0,
        bucket: str = "data-bucket",
    ) -> Dataset:
        """A dataset with ``labeled`` samples per label name and ``unlabeled`` objects in OBS."""
        labeled = {"rose": 5} if labeled is None else labeled
        dataset = self.datasets.create(
            PROJECT,
            {
                "dataset_name": "flowers",
                "dataset_type": dataset_type,
                "data_sources": [{"data_path": f"/{bucket}/images/"}],
                "work_path": "/work-bucket/output/",
            },
        )
        entries = [
            {"name": f"{name}-{index}.jpg", "data": "", "labels": [{"name": name}]}
            for name, count in labeled.items()
            for index in range(count)
        ]
        self.datasets.add_samples(PROJECT, dataset.dataset_id, entries)
        for index in range(unlabeled):
            self.store.put_object(bucket, f"images/unlabeled-{index}.jpg", b"x")
        return dataset

    def start(self, dataset: Dataset, **request):
        request.setdefault("task_type", TaskType.AUTO_LABEL)
        return self.tasks.start(PROJECT, dataset.dataset_id, request)

    def at(self, elapsed_ms: int) -> None:
        """Move the clock to ``elapsed_ms`` after the start."""
        self.clock.advance(START_MS + elapsed_ms - self.clock.now_ms())


@pytest.fixture
def world() -> World:
    return World()


# --- which task a request asks for ------------------------------------------------------


@pytest.mark.parametrize(
    ("request_body", "task_type"),
    [
        ({}, TaskType.AUTO_LABEL),
        ({"task_type": "pre-label"}, TaskType.PRE_LABEL),
        ({"type": 0}, TaskType.AUTO_LABEL),
        ({"type": 1}, TaskType.PRE_LABEL),
        ({"type": "2"}, TaskType.AUTO_GROUPING),
        ({"type": 7}, TaskType.AUTO_LABEL),
        ({"task_type": "auto-grouping", "type": 0}, TaskType.AUTO_GROUPING),
    ],
)
def test_task_type_comes_from_task_type_then_the_legacy_number(request_body, task_type):
    assert task_type_of(request_body) == task_type


# --- start: preconditions ---------------------------------------------------------------


def test_a_started_task_is_queued_at_the_clock_time(world):
    dataset = world.dataset()

    task = world.start(dataset, config={"name": "first"}, collect_key_sample=True)

    assert (task.project_id, task.dataset_id, task.task_type) == (
        PROJECT,
        dataset.dataset_id,
        TaskType.AUTO_LABEL,
    )
    assert (task.state.status, task.state.code) == (TaskStatus.QUEUING, "ModelArts.4914")
    assert (task.create_time_ms, task.name, task.collect_key_sample) == (START_MS, "first", True)
    assert len(task.task_id) == 19 and not task.finished
    assert world.tasks.running_task_ids(dataset.dataset_id) == [task.task_id]


def test_starting_on_an_unknown_dataset_is_refused(world):
    with refused_with(DATASET_MISSING):
        world.tasks.start(PROJECT, "no-such-dataset", {})


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ({"manifest_path": "/missing-bucket/in.manifest"}, BUCKET_MISSING),
        ({"manifest_path": "/out-bucket/absent.manifest"}, PATH_MISSING),
        ({"train_data_path": "/out-bucket/absent/"}, PATH_MISSING),
        ({"output_dir": "/missing-bucket/out/"}, BUCKET_MISSING),
        ({"export_params": {"export_new_dataset_work_path": "/missing-bucket/x/"}}, BUCKET_MISSING),
        ({"log_url": "out-bucket/logs/"}, INVALID_PATH),
    ],
)
def test_config_paths_are_checked_before_the_task_starts(world, config, code):
    dataset = world.dataset()

    with refused_with(code):
        world.start(dataset, config=config)
    assert world.tasks.running_task_ids(dataset.dataset_id) == []


def test_input_paths_that_exist_and_new_output_folders_are_accepted(world):
    dataset = world.dataset()
    world.store.put_object("out-bucket", "in/train.manifest", b"{}\n")

    task = world.start(
        dataset,
        config={
            "manifest_path": "/out-bucket/in/train.manifest",
            "train_data_path": "/out-bucket/in/",
            "output_dir": "/out-bucket/not-yet/",
        },
    )

    assert task.state.status == TaskStatus.QUEUING


def test_at_most_the_running_limit_of_tasks_per_dataset(world):
    dataset, other = world.dataset(), world.dataset()
    world.start(dataset), world.start(dataset)

    with refused_with(TOO_MANY_RUNNING):
        world.start(dataset)
    assert world.start(other).state.status == TaskStatus.QUEUING


def test_finished_tasks_free_their_place_under_the_limit(world):
    dataset = world.dataset()
    world.start(dataset), world.start(dataset)
    world.at(DURATION_MS)

    assert world.start(dataset).state.status == TaskStatus.QUEUING


@pytest.mark.parametrize("task_type", [TaskType.AUTO_LABEL, TaskType.AUTO_GROUPING])
def test_kms_encrypted_buckets_refuse_auto_labeling_and_grouping(world, task_type):
    dataset = world.dataset(bucket="kms-bucket")

    with refused_with(KMS_BUCKET):
        world.start(dataset, task_type=task_type, config={"n_clusters": 2})


def test_kms_encrypted_buckets_allow_pre_labeling(world):
    dataset = world.dataset(bucket="kms-bucket")

    task = world.start(dataset, task_type=TaskType.PRE_LABEL, model_id=MODEL.model_id)

    assert task.model_id == MODEL.model_id


def test_active_learning_needs_labeled_samples(world):
    with refused_with(NO_LABELED_SAMPLES):
        world.start(world.dataset(labeled={}))


def test_active_learning_needs_five_samples_of_each_label(world):
    dataset = world.dataset(labeled={"rose": 5, "tulip": 4, "lily": 1})

    with refused_with(TOO_FEW_PER_LABEL) as caught:
        world.start(dataset)
    assert "lily, tulip" in caught.value.detail


def test_active_learning_needs_unlabeled_samples(world):
    with refused_with(NO_UNLABELED_SAMPLES):
        world.start(world.dataset(unlabeled=0))


def test_objects_uploaded_before_the_start_count_as_unlabeled(world):
    dataset = world.dataset(unlabeled=0)
    world.store.put_object("data-bucket", "images/late.jpg", b"x")

    assert world.start(dataset).state.status == TaskStatus.QUEUING


def test_pre_labeling_needs_a_model_id(world):
    with refused_with(INVALID_MODEL):
        world.start(world.dataset(), task_type=TaskType.PRE_LABEL)


def test_pre_labeling_needs_a_known_model(world):
    with refused_with(MODEL_MISSING) as caught:
        world.start(world.dataset(), task_type=TaskType.PRE_LABEL, model_id="model-9")
    assert caught.value.params == ("model-9",)


@pytest.mark.parametrize(
    "request_fields",
    [
        {"config": {"model_id": "model-1"}},
        {"config": {"inf_config_list": ["not an entry", {"model_id": "model-1"}]}},
    ],
)
def test_pre_labeling_finds_the_model_in_the_config(world, request_fields):
    task = world.start(world.dataset(), task_type=TaskType.PRE_LABEL, **request_fields)

    assert task.model_id == "model-1"


def test_pre_labeling_needs_unlabeled_samples(world):
    with refused_with(NO_UNLABELED_SAMPLES):
        world.start(world.dataset(unlabeled=0), task_type=TaskType.PRE_LABEL, model_id="model-1")


def test_pre_labeling_needs_no_labeled_samples(world):
    task = world.start(world.dataset(labeled={}), task_type=TaskType.PRE_LABEL, model_id="model-1")

    assert task.state.code == "ModelArts.4950"


def test_auto_grouping_needs_an_image_dataset(world):
    dataset = world.dataset(dataset_type=100)

    with refused_with(UNSUPPORTED_DATASET) as caught:
        world.start(dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": 2})
    assert caught.value.params == ("100",)


@pytest.mark.parametrize("groups", [None, 1, 201, True, "2", 2.0])
def test_auto_grouping_needs_2_to_200_groups(world, groups):
    dataset = world.dataset(unlabeled=300)

    with refused_with(TOO_MANY_GROUPS):
        world.start(dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": groups})


def test_auto_grouping_needs_fewer_groups_than_unlabeled_samples(world):
    dataset = world.dataset(unlabeled=3)

    with refused_with(TOO_MANY_GROUPS):
        world.start(dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": 3})
    task = world.start(dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": 2})
    assert task.state.code == "ModelArts.4960"


# --- life cycle -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed_ms", "status", "progress"),
    [
        (0, TaskStatus.QUEUING, 0.0),
        (DURATION_MS // 10, TaskStatus.INITIALIZING, 0.0),
        (DURATION_MS // 5, TaskStatus.RUNNING, 0.0),
        (600, TaskStatus.RUNNING, 50.0),  # half way from 200 ms to 1000 ms
        (DURATION_MS - 1, TaskStatus.RUNNING, 99.9),
        (DURATION_MS, TaskStatus.SUCCEEDED, 100.0),
    ],
)
def test_a_task_passes_through_its_states_on_the_clock(world, elapsed_ms, status, progress):
    task = world.start(world.dataset())
    world.at(elapsed_ms)

    state = world.tasks.get(PROJECT, task.dataset_id, task.task_id).state

    assert (state.status, state.progress) == (status, progress)


def test_a_succeeded_task_shows_the_done_code_and_its_finish_time(world):
    task = world.start(world.dataset())
    world.at(DURATION_MS + 500)

    task = world.tasks.get(PROJECT, task.dataset_id, task.task_id)

    # Finished when its timeline ended, however late someone looked.
    assert (task.state.code, task.finished_ms) == ("ModelArts.4916", START_MS + DURATION_MS)


def test_polls_are_counted_only_when_asked(world):
    task = world.start(world.dataset())

    world.tasks.get(PROJECT, task.dataset_id, task.task_id, poll=True)
    world.tasks.get(PROJECT, task.dataset_id, task.task_id)
    world.tasks.get(PROJECT, task.dataset_id, task.task_id, poll=True)

    assert task.polls == 2


def test_advance_finishes_due_tasks_without_anyone_asking(world):
    dataset = world.dataset()
    task = world.start(dataset)
    world.at(DURATION_MS)

    world.tasks.advance()

    assert task.state.status == TaskStatus.SUCCEEDED
    assert world.tasks.running_task_ids(dataset.dataset_id) == []


def test_a_task_of_another_dataset_or_project_is_not_found(world):
    dataset, other = world.dataset(), world.dataset()
    task = world.start(dataset)

    with refused_with(TASK_MISSING):
        world.tasks.get(PROJECT, other.dataset_id, task.task_id)
    with refused_with(TASK_MISSING):
        world.tasks.get(PROJECT, dataset.dataset_id, "no-such-task")


def test_a_task_whose_dataset_is_gone_finishes_without_effects(world):
    dataset = world.dataset()
    task = world.start(dataset)
    world.datasets.delete(PROJECT, dataset.dataset_id)
    world.at(DURATION_MS)

    world.tasks.advance()

    assert (task.state.status, set(task.result)) == (TaskStatus.SUCCEEDED, STARTING_RESULT)


def test_only_the_newest_finished_tasks_are_kept(world):
    world = World(retained_finished_tasks=1)
    dataset = world.dataset()
    oldest = world.start(dataset)
    world.at(500)
    newer = world.start(dataset)
    world.at(500 + DURATION_MS)
    world.tasks.advance()  # oldest finished first, then newer

    newest = world.start(dataset)

    with refused_with(TASK_MISSING):
        world.tasks.get(PROJECT, dataset.dataset_id, oldest.task_id)
    listed = world.tasks.list(PROJECT, dataset.dataset_id)
    assert [task.task_id for task in listed] == [newest.task_id, newer.task_id]


# --- stop -------------------------------------------------------------------------------


def test_a_stopped_task_is_stopping_then_stopped_with_its_progress(world):
    task = world.start(world.dataset())
    world.at(600)

    stopping = world.tasks.stop(PROJECT, task.dataset_id, task.task_id).state
    world.at(600 + STOP_DELAY_MS)
    stopped = world.tasks.get(PROJECT, task.dataset_id, task.task_id).state

    assert (stopping.status, stopping.progress) == (TaskStatus.STOPPING, 50.0)
    assert (stopped.status, stopped.progress) == (TaskStatus.STOPPED, 50.0)


def test_a_stopped_task_leaves_the_samples_as_they_were(world):
    dataset = world.dataset()
    task = world.start(dataset)
    world.tasks.stop(PROJECT, task.dataset_id, task.task_id)
    world.at(DURATION_MS * 2)

    world.tasks.advance()

    states = {s.state for s in dataset.samples.values() if s.name.startswith("unlabeled")}
    assert states == {SampleState.UNLABELED}
    assert set(task.result) == STARTING_RESULT  # the counts from its start, no outputs


@pytest.mark.parametrize("after_ms", [0, STOP_DELAY_MS])
def test_stopping_a_stopping_or_stopped_task_is_refused(world, after_ms):
    task = world.start(world.dataset())
    world.tasks.stop(PROJECT, task.dataset_id, task.task_id)
    world.at(after_ms)

    with refused_with(TASK_STOPPED):
        world.tasks.stop(PROJECT, task.dataset_id, task.task_id)


def test_stopping_a_succeeded_task_is_refused(world):
    task = world.start(world.dataset())
    world.at(DURATION_MS)

    with refused_with(TASK_FINISHED) as caught:
        world.tasks.stop(PROJECT, task.dataset_id, task.task_id)
    assert "succeeded" in caught.value.detail


# --- listing ----------------------------------------------------------------------------


def test_list_shows_labeling_tasks_newest_first(world):
    dataset = world.dataset(unlabeled=5)
    first = world.start(dataset, config={"name": "run-1"})
    world.start(dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": 2})
    world.at(DURATION_MS)
    second = world.start(dataset, task_type=TaskType.PRE_LABEL, model_id="model-1")

    listed = world.tasks.list(PROJECT, dataset.dataset_id)

    assert [task.task_id for task in listed] == [second.task_id, first.task_id]


def test_list_filters_by_type_and_name(world):
    dataset = world.dataset(unlabeled=5)
    world.start(dataset, config={"name": "nightly-run"})
    grouping = world.start(
        dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": 2, "name": "groups"}
    )

    by_type = world.tasks.list(PROJECT, dataset.dataset_id, task_type=TaskType.AUTO_GROUPING)
    by_name = world.tasks.list(PROJECT, dataset.dataset_id, task_name="night")

    assert [task.task_id for task in by_type] == [grouping.task_id]
    assert [task.name for task in by_name] == ["nightly-run"]


def test_list_of_an_unknown_dataset_is_refused(world):
    with refused_with(DATASET_MISSING):
        world.tasks.list(PROJECT, "no-such-dataset")


def test_forget_dataset_forgets_its_tasks_only(world):
    dataset, other = world.dataset(), world.dataset()
    world.start(dataset)
    kept = world.start(other)

    world.tasks.forget_dataset(dataset.dataset_id)

    assert world.tasks.list(PROJECT, dataset.dataset_id) == []
    assert world.tasks.running_task_ids(dataset.dataset_id) == []
    assert world.tasks.list(PROJECT, other.dataset_id) == [kept]


def test_clear_forgets_every_task(world):
    dataset = world.dataset()
    task = world.start(dataset)

    world.tasks.clear()

    with refused_with(TASK_MISSING):
        world.tasks.get(PROJECT, dataset.dataset_id, task.task_id)
    assert world.tasks.running_task_ids(dataset.dataset_id) == []


# --- what a succeeded task leaves behind ------------------------------------------------


def _manifest(world: World, path: str) -> list[dict]:
    bucket, key = path.lstrip("/").split("/", 1)
    data = world.store.get_object(bucket, key)
    assert data is not None, f"nothing at {path}"
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def _finish(world: World, dataset: Dataset, **request):
    task = world.start(dataset, **request)
    world.at(DURATION_MS)
    world.tasks.advance()
    assert task.state.status == TaskStatus.SUCCEEDED
    return task


def test_auto_labeling_labels_unlabeled_samples_for_confirmation(world):
    dataset = world.dataset(labeled={"rose": 5, "tulip": 5}, unlabeled=4)

    _finish(world, dataset)

    labeled = [s for s in dataset.samples.values() if s.name.startswith("unlabeled")]
    assert {s.state for s in labeled} == {SampleState.TO_CONFIRM}
    for sample in labeled:
        (label,) = sample.labels
        assert label["name"] in ("rose", "tulip") and label["score"] == sample.score
        assert 0.3 <= sample.score <= 0.99
        assert sample.metadata["@modelarts:hard"] == (sample.score < 0.6)
    confirmed = [s for s in dataset.samples.values() if not s.name.startswith("unlabeled")]
    assert {s.state for s in confirmed} == {SampleState.LABELED}


def test_auto_labeling_writes_a_manifest_line_per_labeled_sample(world):
    dataset = world.dataset(unlabeled=4)

    task = _finish(world, dataset)

    expected = f"{inner_work_path(dataset)}annotation/auto-deploy/{task.task_id}/result.manifest"
    assert task.result["manifest_path"] == expected
    lines = _manifest(world, expected)
    auto_labeled = {s.sample_id: s for s in dataset.samples.values() if s.score is not None}
    assert {line["id"] for line in lines} == set(auto_labeled)
    line = lines[0]
    sample = auto_labeled[line["id"]]
    assert line["source"] == sample.source.replace("obs://", "s3://")
    assert line["annotation"][0]["annotated-by"] == "modelarts/active-learning"
    assert line["annotation"][0]["confidence"] == sample.score
    assert line["annotation"][0]["type"] == "modelarts/image_classification"


def test_a_succeeded_task_reports_its_dataset_counts(world):
    dataset = world.dataset(labeled={"rose": 5}, unlabeled=4)

    task = _finish(world, dataset, task_type=TaskType.PRE_LABEL, model_id="model-1")

    assert {key: task.result[key] for key in ("dataset_name", "dataset_type")} == {
        "dataset_name": "flowers",
        "dataset_type": "0",
    }
    counts = ("total_sample_count", "annotated_sample_count", "unconfirmed_sample_count")
    assert tuple(task.result[key] for key in counts) == (9, 5, 4)
    assert (task.result["model_name"], task.result["model_version"]) == ("flower-detector", "1.2.0")


def test_pre_labeling_without_declared_labels_names_them_object(world):
    dataset = world.dataset(labeled={}, unlabeled=2)

    _finish(world, dataset, task_type=TaskType.PRE_LABEL, model_id="model-1")

    names = {s.labels[0]["name"] for s in dataset.samples.values()}
    assert names == {"object"}


def test_labeling_writes_where_the_config_says(world):
    dataset = world.dataset()

    task = _finish(world, dataset, config={"annotation_output": "/out-bucket/labels"})

    assert task.result["manifest_path"] == f"/out-bucket/labels/{task.task_id}/result.manifest"
    assert _manifest(world, task.result["manifest_path"])


def test_hard_examples_go_to_their_own_manifest(world):
    dataset = world.dataset(unlabeled=30)

    task = _finish(
        world,
        dataset,
        collect_key_sample=True,
        config={"key_sample_output": "/out-bucket/hard/"},
    )

    path = task.result["hard_example_path"]
    assert path == f"/out-bucket/hard/{task.task_id}/key-samples.manifest"
    hard = {s.sample_id for s in dataset.samples.values() if s.metadata.get("@modelarts:hard")}
    assert hard, "30 random scores should include a hard one"
    assert {line["id"] for line in _manifest(world, path)} == hard


def test_hard_examples_sit_next_to_the_result_without_their_own_folder(world):
    task = _finish(world, world.dataset(), collect_key_sample=True)

    folder = task.result["manifest_path"].rsplit("/", 1)[0]
    assert task.result["hard_example_path"] == f"{folder}/key-samples.manifest"


def test_auto_grouping_to_obs_writes_each_sample_with_its_group(world):
    dataset = world.dataset(unlabeled=6)

    task = _finish(
        world,
        dataset,
        task_type=TaskType.AUTO_GROUPING,
        config={"n_clusters": 3, "output_dir": "/out-bucket/groups/"},
    )

    path = task.result["manifest_path"]
    assert path == f"/out-bucket/groups/{task.task_id}/grouping.manifest"
    lines = _manifest(world, path)
    assert len(lines) == 6 and {line["group"] for line in lines} <= {0, 1, 2}
    assert task.result["description"] == "6 samples in 3 groups"


def test_auto_grouping_to_samples_sets_the_named_attribute(world):
    dataset = world.dataset(unlabeled=4)

    task = _finish(
        world,
        dataset,
        task_type=TaskType.AUTO_GROUPING,
        config={"n_clusters": 2, "result_type": 1, "property": "cluster"},
    )

    grouped = [s for s in dataset.samples.values() if s.name.startswith("unlabeled")]
    assert {s.metadata["cluster"] for s in grouped} <= {0, 1}
    assert "manifest_path" not in task.result
    assert task.result["description"] == "4 samples in 2 groups (cluster)"


def test_the_same_task_over_the_same_samples_labels_the_same_way(world):
    dataset = world.dataset(labeled={"rose": 5, "tulip": 5}, unlabeled=5)
    task = _finish(world, dataset)
    first = {s.sample_id: (s.labels, s.score) for s in dataset.samples.values()}
    for sample in dataset.samples.values():
        if sample.score is not None:
            sample.state, sample.labels, sample.score = SampleState.UNLABELED, [], None

    outputs.apply(task, dataset, world.store, world.tasks.models, world.clock.now_ms())

    assert {s.sample_id: (s.labels, s.score) for s in dataset.samples.values()} == first


def test_results_are_not_written_into_a_bucket_that_went_away(world):
    dataset = world.dataset()
    task = world.start(dataset, config={"output_dir": "/out-bucket/labels/"})
    del world.store.buckets["out-bucket"]
    world.at(DURATION_MS)

    world.tasks.advance()

    assert task.state.status == TaskStatus.SUCCEEDED
    assert not world.store.bucket_exists("out-bucket")


# --- timelines --------------------------------------------------------------------------


def _state(status: TaskStatus, progress: float = 0.0) -> TaskState:
    return TaskState(status, progress)


def test_a_timeline_needs_a_step():
    with pytest.raises(ValueError, match="at least one step"):
        Timeline([])


def test_steps_reached_by_polls_wait_for_the_polls():
    timeline = Timeline(
        [Step(_state(TaskStatus.RUNNING), at_ms=0), Step(_state(TaskStatus.FAILED), at_poll=3)]
    )

    assert timeline.state_at(10_000, 2).status == TaskStatus.RUNNING
    assert timeline.state_at(0, 3).status == TaskStatus.FAILED
    assert timeline.end_ms() is None  # it ends by polls, not by time


def test_a_scripted_task_ends_after_its_polls(world):
    dataset = world.dataset()
    timeline = Timeline(
        [Step(_state(TaskStatus.RUNNING), at_ms=0), Step(_state(TaskStatus.FAILED), at_poll=2)]
    )
    task = world.tasks.start(PROJECT, dataset.dataset_id, {}, timeline)

    first = world.tasks.get(PROJECT, dataset.dataset_id, task.task_id, poll=True).state.status
    second = world.tasks.get(PROJECT, dataset.dataset_id, task.task_id, poll=True).state.status

    assert (first, second) == (TaskStatus.RUNNING, TaskStatus.FAILED)
    assert world.tasks.running_task_ids(dataset.dataset_id) == []


def test_progress_stays_put_when_the_next_step_does_not_rise():
    timeline = Timeline(
        [
            Step(_state(TaskStatus.RUNNING, 40.0), at_ms=0),
            Step(_state(TaskStatus.RUNNING, 40.0), at_ms=1_000),
        ]
    )

    assert timeline.state_at(500, 0).progress == 40.0


def test_a_terminal_step_without_a_time_ends_at_once():
    assert Timeline([Step(_state(TaskStatus.SUCCEEDED))]).end_ms() == 0


def test_stopping_keeps_the_progress_and_drops_the_error():
    failing = TaskState(TaskStatus.RUNNING, 30.0, error_code="ModelArts.4999", error_msg="x")

    stopped = Timeline([Step(failing, at_ms=0)]).stopped_from(failing, 200, 50)

    assert stopped.state_at(200, 0) == TaskState(TaskStatus.STOPPING, 30.0)
    assert stopped.state_at(250, 0) == TaskState(TaskStatus.STOPPED, 30.0)
    assert stopped.end_ms() == 250


def test_labeling_uses_label_names_samples_carry_after_the_label_was_deleted(world):
    dataset = world.dataset(labeled={"rose": 5}, unlabeled=2)
    world.datasets.update(PROJECT, dataset.dataset_id, {"delete_labels": [{"name": "rose"}]})

    _finish(world, dataset, task_type=TaskType.PRE_LABEL, model_id="model-1")

    assert {s.labels[0]["name"] for s in dataset.samples.values()} == {"rose"}


@pytest.mark.parametrize("key", ["images/with space.jpg", "images/../up.jpg"])
def test_objects_whose_keys_no_request_path_could_name_are_labeled_too(world, key):
    # OBS keys are free text; the rules for paths in requests do not apply to them.
    dataset = world.dataset(unlabeled=1)
    world.store.put_object("data-bucket", key, b"x")

    task = _finish(world, dataset)

    sources = {line["source"] for line in _manifest(world, task.result["manifest_path"])}
    assert f"s3://data-bucket/{key}" in sources


def test_grouping_writes_objects_whose_keys_no_request_path_could_name(world):
    dataset = world.dataset(unlabeled=2)
    world.store.put_object("data-bucket", "images/with space.jpg", b"x")

    task = _finish(world, dataset, task_type=TaskType.AUTO_GROUPING, config={"n_clusters": 2})

    sources = {line["source"] for line in _manifest(world, task.result["manifest_path"])}
    assert "s3://data-bucket/images/with space.jpg" in sources
