"""The dataset rules in pure Python: datasets, labels, samples, filters and statistics.

No server and no moto: a ``Datasets`` over a dict-backed storage and a manual clock, so
every time stamp and every listing order is known in advance.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from emulator.codes import (
    BUCKET_MISSING,
    DATASET_MISSING,
    INVALID_PATH,
    INVALID_REQUEST,
    LABEL_NOT_FOUND,
    SAMPLE_MISSING,
)
from emulator.domain.clock import ManualClock
from emulator.domain.datasets import (
    MAX_KEPT_FINDINGS,
    Datasets,
    inner_work_path,
    sample_id_for,
)
from emulator.domain.model import Dataset, DatasetType, SampleFilter, SampleState
from tests.domain_support import FakeStorage, refused_with

START_MS = 1_700_000_000_000
PROJECT = "project-1"
DATA = "/data-bucket/images/"
WORK = "/work-bucket/output/"
PNG = base64.b64encode(b"\x89PNG fake image").decode("ascii")


@pytest.fixture
def store() -> FakeStorage:
    storage = FakeStorage(modified_ms=START_MS - 5_000)
    for bucket in ("data-bucket", "work-bucket", "other-bucket"):
        storage.create_bucket(bucket)
    return storage


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start_ms=START_MS)


@pytest.fixture
def datasets(store, clock) -> Datasets:
    return Datasets([], store, clock)


def create(datasets: Datasets, name: str = "flowers", **fields) -> Dataset:
    request = {
        "dataset_name": name,
        "data_sources": [{"data_path": DATA}],
        "work_path": WORK,
        **fields,
    }
    return datasets.create(PROJECT, request)


def add_one(datasets: Datasets, dataset: Dataset, **entry) -> str:
    """Add one sample and return its id."""
    (outcome,) = datasets.add_samples(PROJECT, dataset.dataset_id, [entry])
    assert outcome.success, outcome
    return outcome.sample_id


# --- create, get, list, update, delete --------------------------------------------------


def test_create_records_the_request_with_folders_and_the_clock_time(datasets):
    dataset = create(
        datasets,
        description="spring",
        dataset_type=1,
        data_sources=[{"data_path": "obs://data-bucket/images"}],
        work_path="/work-bucket/output",
    )

    assert (dataset.name, dataset.description, dataset.dataset_type) == (
        "flowers",
        "spring",
        DatasetType.OBJECT_DETECTION,
    )
    assert (dataset.data_path, dataset.work_path) == (DATA, WORK)
    assert dataset.create_time_ms == dataset.update_time_ms == START_MS
    assert datasets.get(PROJECT, dataset.dataset_id) is dataset


def test_create_gives_each_dataset_a_new_19_character_id(datasets):
    first, second = create(datasets), create(datasets)

    assert first.dataset_id != second.dataset_id
    assert len(first.dataset_id) == 19 and first.dataset_id.isalnum()


def test_create_in_an_unknown_project_makes_the_project(datasets):
    dataset = create(datasets)

    assert datasets.projects[PROJECT].datasets == {dataset.dataset_id: dataset}


def test_create_without_a_data_path_is_refused(datasets):
    with refused_with(INVALID_REQUEST):
        datasets.create(PROJECT, {"dataset_name": "x", "data_sources": [{}], "work_path": WORK})


def test_create_without_data_sources_is_refused(datasets):
    with refused_with(INVALID_REQUEST):
        datasets.create(PROJECT, {"dataset_name": "x", "work_path": WORK})


@pytest.mark.parametrize(
    "fields",
    [
        {"data_sources": [{"data_path": "/missing-bucket/images/"}]},
        {"work_path": "/missing-bucket/output/"},
    ],
)
def test_create_on_a_missing_bucket_is_refused(datasets, fields):
    with refused_with(BUCKET_MISSING):
        create(datasets, **fields)


def test_create_with_a_malformed_path_is_refused(datasets):
    with refused_with(INVALID_PATH):
        create(datasets, work_path="work-bucket/output/")


def test_create_with_labels_keeps_each_name_once(datasets):
    dataset = create(
        datasets,
        labels=[
            {"name": "rose", "property": {"@modelarts:color": "#ff0000"}},
            {"name": "tulip", "type": 1, "attributes": [{"name": "size"}]},
            {"name": "rose", "property": {"@modelarts:color": "#00ff00"}},
        ],
    )

    assert [(lb.name, lb.type) for lb in dataset.labels] == [("rose", 0), ("tulip", 1)]
    assert dataset.labels[0].property == {"@modelarts:color": "#ff0000"}
    assert dataset.labels[1].attributes == [{"name": "size"}]


@pytest.mark.parametrize(
    ("dataset_type", "label_type"),
    [(0, 0), (1, 1), (100, 100), (200, 200), (400, 0), (900, 0)],
)
def test_label_type_follows_the_dataset_type_below_tables(datasets, dataset_type, label_type):
    dataset = create(datasets, dataset_type=dataset_type, labels=[{"name": "a"}])

    assert dataset.labels[0].type == label_type


def test_a_label_without_a_name_is_refused(datasets):
    with refused_with(INVALID_REQUEST):
        create(datasets, labels=[{"type": 0}])


def test_get_of_an_unknown_dataset_is_refused(datasets):
    create(datasets)

    with refused_with(DATASET_MISSING):
        datasets.get(PROJECT, "no-such-dataset")


def test_get_in_an_unknown_project_is_refused(datasets):
    dataset = create(datasets)

    with refused_with(DATASET_MISSING):
        datasets.get("another-project", dataset.dataset_id)


@pytest.fixture
def three(datasets, clock) -> list[Dataset]:
    """Three datasets created one second apart: Beta (image), alpha (text), Gamma (image)."""
    made = []
    for name, dataset_type in (("Beta", 0), ("alpha", 100), ("Gamma", 0)):
        made.append(create(datasets, name, dataset_type=dataset_type))
        clock.advance(1_000)
    return made


def _names(found: list[Dataset]) -> list[str]:
    return [dataset.name for dataset in found]


def test_list_is_newest_first_by_default(datasets, three):
    assert _names(datasets.list(PROJECT)) == ["Gamma", "alpha", "Beta"]


def test_list_ascending_is_oldest_first(datasets, three):
    assert _names(datasets.list(PROJECT, order="asc")) == ["Beta", "alpha", "Gamma"]


def test_list_sorts_by_name(datasets, three):
    assert _names(datasets.list(PROJECT, sort_by="dataset_name", order="asc")) == [
        "Beta",
        "Gamma",
        "alpha",
    ]


def test_list_filters_by_dataset_type(datasets, three):
    assert _names(datasets.list(PROJECT, dataset_type=100)) == ["alpha"]


def test_list_searches_names_ignoring_case(datasets, three):
    assert _names(datasets.list(PROJECT, search_content="GAM")) == ["Gamma"]


def test_list_of_an_unknown_project_is_empty(datasets, three):
    assert datasets.list("another-project") == []


def test_update_renames_describes_and_moves_the_update_time(datasets, clock):
    dataset = create(datasets)
    clock.advance(60_000)

    datasets.update(PROJECT, dataset.dataset_id, {"dataset_name": "roses", "description": "d"})

    assert (dataset.name, dataset.description) == ("roses", "d")
    assert (dataset.create_time_ms, dataset.update_time_ms) == (START_MS, START_MS + 60_000)


def test_update_without_fields_changes_nothing_but_the_update_time(datasets, clock):
    dataset = create(datasets, description="kept", labels=[{"name": "rose"}])
    clock.advance(1)

    datasets.update(PROJECT, dataset.dataset_id, {})

    assert (dataset.name, dataset.description) == ("flowers", "kept")
    assert [label.name for label in dataset.labels] == ["rose"]
    assert dataset.update_time_ms == START_MS + 1


def test_update_adds_labels_once(datasets):
    dataset = create(datasets, labels=[{"name": "rose"}])

    datasets.update(
        PROJECT, dataset.dataset_id, {"add_labels": [{"name": "tulip"}, {"name": "rose"}]}
    )

    assert [label.name for label in dataset.labels] == ["rose", "tulip"]


def test_update_labels_merges_properties_and_replaces_attributes(datasets):
    dataset = create(
        datasets,
        labels=[
            {
                "name": "rose",
                "property": {"@modelarts:color": "#ff0000", "@modelarts:shortcut": "r"},
                "attributes": [{"name": "old"}],
            }
        ],
    )

    datasets.update(
        PROJECT,
        dataset.dataset_id,
        {
            "update_labels": [
                {
                    "name": "rose",
                    "property": {"@modelarts:color": "#0000ff"},
                    "attributes": [{"name": "new"}],
                }
            ]
        },
    )

    label = dataset.label("rose")
    assert label.property == {"@modelarts:color": "#0000ff", "@modelarts:shortcut": "r"}
    assert label.attributes == [{"name": "new"}]


def test_update_labels_without_attributes_keeps_them(datasets):
    dataset = create(datasets, labels=[{"name": "rose", "attributes": [{"name": "kept"}]}])

    datasets.update(PROJECT, dataset.dataset_id, {"update_labels": [{"name": "rose"}]})

    assert dataset.label("rose").attributes == [{"name": "kept"}]


def test_update_of_an_unknown_label_is_refused_as_not_found(datasets):
    dataset = create(datasets, labels=[{"name": "rose"}])

    with refused_with(LABEL_NOT_FOUND):
        datasets.update(PROJECT, dataset.dataset_id, {"update_labels": [{"name": "lily"}]})


def test_a_refused_update_changes_nothing(datasets):
    dataset = create(datasets, labels=[{"name": "rose"}])
    update = {
        "dataset_name": "renamed",
        "add_labels": [{"name": "tulip"}],
        "update_labels": [{"name": "lily"}],
    }

    with refused_with(LABEL_NOT_FOUND):
        datasets.update(PROJECT, dataset.dataset_id, update)

    assert dataset.name != "renamed"
    assert [label.name for label in dataset.labels] == ["rose"]


def test_an_update_may_change_a_label_it_adds(datasets):
    dataset = create(datasets, labels=[{"name": "rose"}])
    update = {
        "add_labels": [{"name": "tulip"}],
        "update_labels": [{"name": "tulip", "property": {"@modelarts:color": "#ff0000"}}],
    }

    datasets.update(PROJECT, dataset.dataset_id, update)

    assert dataset.label("tulip").property == {"@modelarts:color": "#ff0000"}


def test_update_deletes_labels_by_name(datasets):
    dataset = create(datasets, labels=[{"name": "rose"}, {"name": "tulip"}])

    datasets.update(
        PROJECT, dataset.dataset_id, {"delete_labels": [{"name": "rose"}, {"name": "lily"}]}
    )

    assert [label.name for label in dataset.labels] == ["tulip"]


def test_update_of_an_unknown_dataset_is_refused(datasets):
    with refused_with(DATASET_MISSING):
        datasets.update(PROJECT, "no-such-dataset", {"dataset_name": "x"})


def test_add_labels_returns_the_labels_and_moves_the_update_time(datasets, clock):
    dataset = create(datasets, labels=[{"name": "rose"}])
    clock.advance(5)

    added = datasets.add_labels(PROJECT, dataset.dataset_id, [{"name": "rose"}, {"name": "lily"}])

    assert [label.name for label in added] == ["rose", "lily"]
    assert added[0] is dataset.label("rose")
    assert dataset.update_time_ms == START_MS + 5


def test_delete_forgets_the_dataset(datasets):
    kept, deleted = create(datasets, "kept"), create(datasets, "deleted")

    datasets.delete(PROJECT, deleted.dataset_id)

    assert datasets.list(PROJECT) == [kept]
    with refused_with(DATASET_MISSING):
        datasets.get(PROJECT, deleted.dataset_id)


def test_delete_of_an_unknown_dataset_is_refused(datasets):
    with refused_with(DATASET_MISSING):
        datasets.delete(PROJECT, "no-such-dataset")


def test_inner_work_path_is_the_datasets_folder_under_the_work_path(datasets):
    dataset = create(datasets, "flowers")

    assert inner_work_path(dataset) == f"{WORK}flowers-{dataset.dataset_id}/"


# --- samples found in OBS ---------------------------------------------------------------


def test_objects_under_the_data_path_become_unlabeled_samples(datasets, store):
    dataset = create(datasets)
    store.put_object("data-bucket", "images/a.jpg", b"12345")

    _, samples = datasets.samples(PROJECT, dataset.dataset_id)

    (sample,) = samples
    assert sample.sample_id == sample_id_for("obs://data-bucket/images/a.jpg")
    assert sample.sample_id == hashlib.md5(b"obs://data-bucket/images/a.jpg").hexdigest()
    assert (sample.source, sample.state, sample.labels) == (
        "obs://data-bucket/images/a.jpg",
        SampleState.UNLABELED,
        [],
    )
    assert (sample.size, sample.sample_time_ms, sample.sample_type) == (5, START_MS - 5_000, 0)
    assert sample.metadata == {"@modelarts:import_origin": 0}


def test_a_sample_knows_its_file_name_and_folder(datasets, store):
    dataset = create(datasets)
    store.put_object("data-bucket", "images/2024/a.jpg", b"x")

    _, (sample,) = datasets.samples(PROJECT, dataset.dataset_id)

    assert (sample.name, sample.directory) == ("a.jpg", "obs://data-bucket/images/2024/")


def test_image_datasets_skip_folders_other_files_and_other_prefixes(datasets, store):
    dataset = create(datasets)
    for key in ("images/", "images/a.PNG", "images/notes.txt", "elsewhere/b.jpg"):
        store.put_object("data-bucket", key, b"x")

    _, samples = datasets.samples(PROJECT, dataset.dataset_id)

    assert [sample.name for sample in samples] == ["a.PNG"]


@pytest.mark.parametrize(("dataset_type", "sample_type"), [(100, 1), (200, 2), (400, 4), (900, 9)])
def test_other_datasets_take_every_file_with_their_sample_type(
    datasets, store, dataset_type, sample_type
):
    dataset = create(datasets, dataset_type=dataset_type)
    store.put_object("data-bucket", "images/notes.txt", b"x")

    _, samples = datasets.samples(PROJECT, dataset.dataset_id)

    assert [(s.name, s.sample_type) for s in samples] == [("notes.txt", sample_type)]


def test_objects_uploaded_later_show_up_on_the_next_read(datasets, store):
    dataset = create(datasets)
    store.put_object("data-bucket", "images/a.jpg", b"x")
    datasets.samples(PROJECT, dataset.dataset_id)
    store.put_object("data-bucket", "images/b.jpg", b"x")

    _, samples = datasets.samples(PROJECT, dataset.dataset_id)

    assert [sample.name for sample in samples] == ["a.jpg", "b.jpg"]


def test_discovery_keeps_what_is_known_about_a_sample(datasets, store):
    dataset = create(datasets)
    store.put_object("data-bucket", "images/a.jpg", b"x")
    _, (sample,) = datasets.samples(PROJECT, dataset.dataset_id)
    datasets.update_samples(
        PROJECT, dataset.dataset_id, [{"sample_id": sample.sample_id, "labels": [{"name": "c"}]}]
    )
    store.put_object("data-bucket", "images/b.jpg", b"x")

    assert datasets.sample(PROJECT, dataset.dataset_id, sample.sample_id).labels == [{"name": "c"}]


def test_samples_are_listed_by_time_then_source(datasets, store, clock):
    dataset = create(datasets)
    store.put_object("data-bucket", "images/z-found.jpg", b"x")  # older than the clock
    clock.advance(10)
    add_one(datasets, dataset, name="b.jpg", data=PNG)
    add_one(datasets, dataset, name="a.jpg", data=PNG)

    _, samples = datasets.samples(PROJECT, dataset.dataset_id)

    assert [sample.name for sample in samples] == ["z-found.jpg", "a.jpg", "b.jpg"]


# --- adding samples ---------------------------------------------------------------------


def test_added_data_is_stored_under_the_data_path(datasets, store, clock):
    dataset = create(datasets)
    clock.advance(7)

    (outcome,) = datasets.add_samples(PROJECT, dataset.dataset_id, [{"name": "a.jpg", "data": PNG}])

    assert outcome.success
    assert outcome.name == "/data-bucket/images/a.jpg"
    assert outcome.sample_id == sample_id_for("obs://data-bucket/images/a.jpg")
    assert store.get_object("data-bucket", "images/a.jpg") == base64.b64decode(PNG)
    sample = datasets.sample(PROJECT, dataset.dataset_id, outcome.sample_id)
    assert (sample.state, sample.sample_time_ms) == (SampleState.UNLABELED, START_MS + 7)
    assert dataset.update_time_ms == START_MS + 7


def test_added_sample_without_a_name_gets_a_generated_jpg_name(datasets, store):
    dataset = create(datasets)

    (outcome,) = datasets.add_samples(PROJECT, dataset.dataset_id, [{"data": PNG}])

    key = outcome.name.removeprefix("/data-bucket/")
    assert key.startswith("images/") and key.endswith(".jpg")
    assert store.get_object("data-bucket", key) == base64.b64decode(PNG)


def test_added_sample_with_labels_is_labeled_and_declares_the_labels(datasets):
    dataset = create(datasets, labels=[{"name": "rose"}])

    sample_id = add_one(
        datasets, dataset, name="a.jpg", data=PNG, labels=[{"name": "rose"}, {"name": "lily"}]
    )

    sample = datasets.sample(PROJECT, dataset.dataset_id, sample_id)
    assert sample.state == SampleState.LABELED
    assert sample.labels == [{"name": "rose"}, {"name": "lily"}]
    assert [label.name for label in dataset.labels] == ["rose", "lily"]


def test_added_sample_keeps_its_metadata_and_sample_type(datasets):
    dataset = create(datasets)

    sample_id = add_one(
        datasets, dataset, name="a.jpg", data=PNG, sample_type=5, metadata={"origin": "camera"}
    )

    sample = datasets.sample(PROJECT, dataset.dataset_id, sample_id)
    assert sample.sample_type == 5
    assert sample.metadata == {"@modelarts:import_origin": 0, "origin": "camera"}


def test_data_that_is_not_base64_is_refused_for_that_entry_only(datasets, store):
    dataset = create(datasets)

    bad, good = datasets.add_samples(
        PROJECT,
        dataset.dataset_id,
        [{"name": "bad.jpg", "data": "not base64!"}, {"name": "good.jpg", "data": PNG}],
    )

    assert (bad.success, bad.name, bad.error_code) == (False, "bad.jpg", INVALID_REQUEST)
    assert "base64" in bad.detail
    assert store.get_object("data-bucket", "images/bad.jpg") is None
    assert good.success


def test_a_data_source_sample_points_at_the_object_without_copying(datasets, store):
    dataset = create(datasets)
    store.put_object("other-bucket", "pics/c.jpg", b"original")
    version = store.version

    (outcome,) = datasets.add_samples(
        PROJECT,
        dataset.dataset_id,
        [{"data_source": {"data_path": "obs://other-bucket/pics/c.jpg"}, "data": PNG}],
    )

    assert outcome.name == "/other-bucket/pics/c.jpg"
    sample = datasets.sample(PROJECT, dataset.dataset_id, outcome.sample_id)
    assert sample.source == "obs://other-bucket/pics/c.jpg"
    assert store.version == version  # nothing written
    assert store.get_object("data-bucket", "images/c.jpg") is None


def test_a_data_source_in_a_missing_bucket_is_refused_for_that_entry(datasets):
    dataset = create(datasets)

    (outcome,) = datasets.add_samples(
        PROJECT,
        dataset.dataset_id,
        [{"name": "c.jpg", "data_source": {"data_path": "/missing-bucket/c.jpg"}}],
    )

    assert (outcome.success, outcome.name, outcome.error_code) == (False, "c.jpg", BUCKET_MISSING)
    assert datasets.samples(PROJECT, dataset.dataset_id)[1] == ()


def test_adding_samples_to_an_unknown_dataset_is_refused(datasets):
    with refused_with(DATASET_MISSING):
        datasets.add_samples(PROJECT, "no-such-dataset", [{"data": PNG}])


def test_sample_lookup_of_an_unknown_id_is_refused(datasets):
    dataset = create(datasets)

    with refused_with(SAMPLE_MISSING):
        datasets.sample(PROJECT, dataset.dataset_id, "0" * 32)


# --- updating and deleting samples ------------------------------------------------------


def test_updating_labels_labels_the_sample_and_clears_its_score(datasets, clock):
    dataset = create(datasets)
    sample_id = add_one(datasets, dataset, name="a.jpg", data=PNG)
    sample = datasets.sample(PROJECT, dataset.dataset_id, sample_id)
    sample.state, sample.score = SampleState.TO_CONFIRM, 0.4  # as auto labeling leaves it
    clock.advance(3)

    (outcome,) = datasets.update_samples(
        PROJECT, dataset.dataset_id, [{"sample_id": sample_id, "labels": [{"name": "rose"}]}]
    )

    assert (outcome.success, outcome.sample_id) == (True, sample_id)
    assert (sample.labels, sample.state, sample.score) == (
        [{"name": "rose"}],
        SampleState.LABELED,
        None,
    )
    assert dataset.label("rose") is not None
    assert dataset.update_time_ms == START_MS + 3


def test_updating_to_no_labels_makes_the_sample_unlabeled(datasets):
    dataset = create(datasets)
    sample_id = add_one(datasets, dataset, name="a.jpg", data=PNG, labels=[{"name": "rose"}])

    datasets.update_samples(PROJECT, dataset.dataset_id, [{"sample_id": sample_id, "labels": []}])

    sample = datasets.sample(PROJECT, dataset.dataset_id, sample_id)
    assert (sample.labels, sample.state) == ([], SampleState.UNLABELED)


def test_updating_metadata_merges_it_and_keeps_the_labels(datasets):
    dataset = create(datasets)
    sample_id = add_one(datasets, dataset, name="a.jpg", data=PNG, labels=[{"name": "rose"}])

    datasets.update_samples(
        PROJECT, dataset.dataset_id, [{"sample_id": sample_id, "metadata": {"@modelarts:hard": 1}}]
    )

    sample = datasets.sample(PROJECT, dataset.dataset_id, sample_id)
    assert sample.metadata == {"@modelarts:import_origin": 0, "@modelarts:hard": 1}
    assert (sample.labels, sample.state) == ([{"name": "rose"}], SampleState.LABELED)


def test_updating_an_unknown_sample_is_refused_for_that_entry(datasets):
    dataset = create(datasets)
    known = add_one(datasets, dataset, name="a.jpg", data=PNG)

    missing, found = datasets.update_samples(
        PROJECT,
        dataset.dataset_id,
        [{"sample_id": "f" * 32, "labels": []}, {"sample_id": known, "labels": []}],
    )

    assert (missing.success, missing.error_code) == (False, SAMPLE_MISSING)
    assert "f" * 32 in missing.detail
    assert found.success


def test_deleting_a_sample_keeps_its_object_and_it_stays_deleted(datasets, store, clock):
    dataset = create(datasets)
    sample_id = add_one(datasets, dataset, name="a.jpg", data=PNG)
    clock.advance(9)

    (outcome,) = datasets.delete_samples(PROJECT, dataset.dataset_id, [sample_id], False)

    assert (outcome.success, outcome.sample_id) == (True, sample_id)
    assert store.get_object("data-bucket", "images/a.jpg") is not None
    store.put_object("data-bucket", "images/b.jpg", b"x")  # a new look at the data path
    assert [s.name for s in datasets.samples(PROJECT, dataset.dataset_id)[1]] == ["b.jpg"]
    assert dataset.update_time_ms == START_MS + 9


def test_deleting_a_sample_with_its_source_removes_the_object(datasets, store):
    dataset = create(datasets)
    sample_id = add_one(datasets, dataset, name="a.jpg", data=PNG)

    datasets.delete_samples(PROJECT, dataset.dataset_id, [sample_id], True)

    assert store.get_object("data-bucket", "images/a.jpg") is None
    assert datasets.samples(PROJECT, dataset.dataset_id)[1] == ()


def test_deleting_with_its_source_a_sample_whose_key_no_request_path_could_name(datasets, store):
    dataset = create(datasets)
    store.put_object("data-bucket", "images/with space.jpg", b"x")
    _, (sample,) = datasets.samples(PROJECT, dataset.dataset_id)

    (outcome,) = datasets.delete_samples(PROJECT, dataset.dataset_id, [sample.sample_id], True)

    assert outcome.success
    assert store.get_object("data-bucket", "images/with space.jpg") is None


def test_adding_a_deleted_source_again_brings_the_sample_back(datasets):
    dataset = create(datasets)
    sample_id = add_one(datasets, dataset, name="a.jpg", data=PNG)
    datasets.delete_samples(PROJECT, dataset.dataset_id, [sample_id], False)

    again = add_one(datasets, dataset, name="a.jpg", data=PNG)

    assert again == sample_id
    assert dataset.removed_sources == set()


def test_deleting_an_unknown_sample_is_refused_for_that_entry(datasets):
    dataset = create(datasets)

    (outcome,) = datasets.delete_samples(PROJECT, dataset.dataset_id, ["e" * 32], True)

    assert (outcome.success, outcome.error_code) == (False, SAMPLE_MISSING)


# --- finding samples --------------------------------------------------------------------


@pytest.fixture
def varied(datasets, clock) -> tuple[Dataset, dict[str, str]]:
    """Five samples one millisecond apart: a and b labeled, c unlabeled, d and e auto labeled
    (awaiting confirmation, scored 0.3 and 0.9), f a labeled sample of sample type 5."""
    dataset = create(datasets)
    entries = {
        "a": {"labels": [{"name": "rose"}]},
        "b": {"labels": [{"name": "tulip"}, {"name": "rose"}]},
        "c": {},
        "d": {},
        "e": {},
        "f": {"labels": [{"name": "tulip"}], "sample_type": 5},
    }
    ids = {}
    for name, entry in entries.items():
        ids[name] = add_one(datasets, dataset, name=f"{name}.jpg", data=PNG, **entry)
        clock.advance(1)
    for name, score in (("d", 0.3), ("e", 0.9)):
        sample = dataset.samples[ids[name]]
        sample.state, sample.score = SampleState.TO_CONFIRM, score
        sample.labels = [{"name": "rose"}]
    return dataset, ids


def _found(datasets, varied, **criteria) -> list[str]:
    dataset, ids = varied
    names = {sample_id: name for name, sample_id in ids.items()}
    found = datasets.find_samples(PROJECT, dataset.dataset_id, SampleFilter(**criteria))
    return [names[sample.sample_id] for sample in found]


def test_no_criteria_finds_every_sample_oldest_first(datasets, varied):
    assert _found(datasets, varied) == ["a", "b", "c", "d", "e", "f"]


def test_newest_first_reverses_the_order(datasets, varied):
    assert _found(datasets, varied, newest_first=True) == ["f", "e", "d", "c", "b", "a"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (SampleState.LABELED, ["a", "b", "f"]),
        (SampleState.UNLABELED, ["c"]),
        (SampleState.TO_CONFIRM, ["d", "e"]),
    ],
)
def test_state_finds_samples_in_that_state(datasets, varied, state, expected):
    assert _found(datasets, varied, state=state) == expected


def test_label_name_finds_samples_carrying_that_label(datasets, varied):
    assert _found(datasets, varied, label_name="tulip") == ["b", "f"]


def test_sample_type_finds_samples_of_that_type(datasets, varied):
    assert _found(datasets, varied, sample_type=5) == ["f"]


def test_awaiting_confirmation_finds_only_auto_labeled_samples(datasets, varied):
    assert _found(datasets, varied, awaiting_confirmation=True) == ["d", "e"]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.5, None, ["e"]),
        (None, 0.5, ["d"]),
        (0.3, 0.9, ["d", "e"]),  # both bounds included
        (0.31, 0.89, []),
    ],
)
def test_score_bounds_find_scored_samples_only(datasets, varied, low, high, expected):
    assert _found(datasets, varied, low_score=low, high_score=high) == expected


def test_criteria_combine(datasets, varied):
    assert _found(datasets, varied, state=SampleState.LABELED, label_name="rose") == ["a", "b"]


def test_a_finding_kept_for_a_filter_follows_a_later_change(datasets, varied):
    dataset, ids = varied
    assert _found(datasets, varied, state=SampleState.UNLABELED) == ["c"]

    datasets.update_samples(
        PROJECT, dataset.dataset_id, [{"sample_id": ids["c"], "labels": [{"name": "lily"}]}]
    )

    assert _found(datasets, varied, state=SampleState.UNLABELED) == []
    assert _found(datasets, varied, state=SampleState.LABELED) == ["a", "b", "c", "f"]


def test_more_filters_than_are_kept_each_find_what_they_ask_for(datasets, varied):
    scores = [(round(0.01 * n, 2), None) for n in range(MAX_KEPT_FINDINGS + 4)]
    first = [_found(datasets, varied, low_score=low, high_score=high) for low, high in scores]

    again = [_found(datasets, varied, low_score=low, high_score=high) for low, high in scores]

    assert again == first
    assert first[0] == ["d", "e"]


def test_finding_in_an_unknown_dataset_is_refused(datasets):
    with refused_with(DATASET_MISSING):
        datasets.find_samples(PROJECT, "no-such-dataset", SampleFilter())


# --- statistics -------------------------------------------------------------------------


def test_statistics_count_samples_by_state(datasets, varied):
    dataset, ids = varied
    datasets.delete_samples(PROJECT, dataset.dataset_id, [ids["a"]], False)

    stats = datasets.statistics(PROJECT, dataset.dataset_id)

    assert stats.dataset is dataset
    assert (stats.total, stats.labeled, stats.unlabeled, stats.awaiting_confirmation) == (
        5,
        2,
        1,
        2,
    )
    assert stats.deleted == 1


def test_statistics_follow_a_change_after_they_were_counted(datasets, varied):
    dataset, ids = varied
    before = datasets.statistics(PROJECT, dataset.dataset_id)

    datasets.delete_samples(PROJECT, dataset.dataset_id, [ids["c"]], False)
    after = datasets.statistics(PROJECT, dataset.dataset_id)

    assert (before.total, before.unlabeled, before.deleted) == (6, 1, 0)
    assert (after.total, after.unlabeled, after.deleted) == (5, 0, 1)


def test_statistics_count_labels_over_labeled_samples_only(datasets, varied):
    dataset, _ = varied
    datasets.add_labels(PROJECT, dataset.dataset_id, [{"name": "lily"}])

    stats = datasets.statistics(PROJECT, dataset.dataset_id)

    counts = {s.label.name: (s.count, s.sample_count) for s in stats.labels}
    # rose: a and b (d and e carry it but await confirmation); tulip: b and f; lily: none
    assert counts == {"rose": (2, 2), "tulip": (2, 2), "lily": (0, 0)}


def test_statistics_count_a_label_twice_on_one_sample_once_per_sample(datasets):
    dataset = create(datasets)
    add_one(datasets, dataset, name="a.jpg", data=PNG, labels=[{"name": "box"}, {"name": "box"}])

    (stats,) = datasets.statistics(PROJECT, dataset.dataset_id).labels

    assert (stats.label.name, stats.count, stats.sample_count) == ("box", 2, 1)


def test_statistics_keep_labels_samples_carry_after_the_label_was_deleted(datasets):
    dataset = create(datasets, dataset_type=100)
    add_one(datasets, dataset, name="a.txt", data=PNG, labels=[{"name": "spam"}])
    datasets.update(PROJECT, dataset.dataset_id, {"delete_labels": [{"name": "spam"}]})

    (stats,) = datasets.statistics(PROJECT, dataset.dataset_id).labels

    assert (stats.label.name, stats.label.type, stats.count) == ("spam", 100, 1)


@pytest.mark.parametrize(
    ("hard", "counted"), [(True, 1), (1, 1), ("true", 1), (False, 0), ("false", 0), (0, 0)]
)
def test_statistics_count_hard_samples(datasets, hard, counted):
    dataset = create(datasets)
    add_one(datasets, dataset, name="a.jpg", data=PNG, metadata={"@modelarts:hard": hard})

    assert datasets.statistics(PROJECT, dataset.dataset_id).hard == counted


def test_statistics_of_an_empty_dataset_are_zero(datasets):
    dataset = create(datasets)

    stats = datasets.statistics(PROJECT, dataset.dataset_id)

    assert (stats.total, stats.labeled, stats.unlabeled, stats.deleted, stats.hard) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert stats.labels == ()
