"""Datasets, their labels and samples: creation, queries, edits, statistics, OBS discovery.

Samples of an image dataset are the image objects under its data path in OBS (found again
on every read, so objects a test uploads show up as unlabeled samples), plus those added
through the API or declared in the seed. A sample's id is the MD5 of its source, as the
service's ids are 32 hexadecimal digits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import unicodedata
from collections.abc import Iterable
from typing import cast

from emulator.codes import (
    BUCKET_MISSING,
    DATASET_MISSING,
    INVALID_PATH,
    INVALID_REQUEST,
    LABEL_NOT_FOUND,
    OBS_ACCESS,
    SAMPLE_MISSING,
)
from emulator.domain.clock import Clock
from emulator.domain.ids import new_resource_id
from emulator.domain.model import (
    IMAGE_DATASET_TYPES,
    IMAGE_EXTENSIONS,
    BatchOutcome,
    Dataset,
    DatasetStatistics,
    DatasetType,
    Label,
    LabelStatistics,
    Project,
    Sample,
    SampleFilter,
    SampleState,
)
from emulator.domain.paths import ObsPath, parse_obs_path, stored_path
from emulator.domain.ports import BucketAccess, EveryBucket, ObjectStorage
from emulator.errors import ModelArtsError

SAMPLE_TYPE_BY_DATASET = {
    DatasetType.TEXT_CLASSIFICATION: 1,
    DatasetType.NAMED_ENTITY_RECOGNITION: 1,
    DatasetType.TEXT_TRIPLET: 1,
    DatasetType.SOUND_CLASSIFICATION: 2,
    DatasetType.SPEECH_CONTENT: 2,
    DatasetType.SPEECH_PARAGRAPH: 2,
    DatasetType.TABLE: 4,
    DatasetType.VIDEO: 6,
    DatasetType.FREE_FORMAT: 9,
}
# Sample listings' findings kept per dataset until it changes (each holds the samples found).
MAX_KEPT_FINDINGS = 8


def sample_id_for(source: str) -> str:
    return hashlib.md5(source.encode("utf-8")).hexdigest()


def sample_type_for(dataset: Dataset) -> int:
    return SAMPLE_TYPE_BY_DATASET.get(dataset.dataset_type, 0)


def _plain_name(name: str) -> bool:
    """A sample name that stays under the data path as written: a folder in it is fine,
    but no empty, ``.`` or ``..`` part and no control character (the documented rule,
    no ``!<>=&"'``, is the request schema's)."""
    return all(part not in ("", ".", "..") for part in name.split("/")) and not any(
        unicodedata.category(char) in _CONTROL_CATEGORIES or char in _BIDI_CONTROLS for char in name
    )


# Control characters (C0, DEL, C1), line and paragraph separators; and the bidirectional
# controls that make a name read otherwise than it is stored.
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def inner_work_path(dataset: Dataset) -> str:
    """The dataset's own folder under its work path, as the service lays it out."""
    return f"{dataset.work_path.rstrip('/')}/{dataset.name}-{dataset.dataset_id}/"


class Datasets:
    """Every project's datasets; the only code that changes datasets, labels and samples."""

    def __init__(
        self,
        projects: Iterable[Project],
        store: ObjectStorage,
        clock: Clock,
        access: BucketAccess | None = None,
    ) -> None:
        self.projects: dict[str, Project] = {p.project_id: p for p in projects}
        self.store = store
        self.clock = clock
        self.access = access or EveryBucket()

    # --- datasets ---------------------------------------------------------------------

    def get(self, project_id: str, dataset_id: str) -> Dataset:
        """The dataset, or the service's "Dataset does not exist" refusal."""
        project = self.projects.get(project_id)
        dataset = project.datasets.get(dataset_id) if project else None
        if dataset is None:
            raise ModelArtsError(DATASET_MISSING, detail=f"(dataset_id {dataset_id!r})")
        return dataset

    def project(self, project_id: str) -> Project:
        """A project, created on first use so any project id in a URL can own datasets."""
        if project_id not in self.projects:
            self.projects[project_id] = Project(project_id=project_id, name=project_id)
        return self.projects[project_id]

    def create(self, project_id: str, request: dict) -> Dataset:
        data_sources = request.get("data_sources") or [{}]
        data_path_text = data_sources[0].get("data_path")
        if not data_path_text:
            raise ModelArtsError(INVALID_REQUEST, detail="$.data_sources[0].data_path: missing")
        data_path = self.usable_path(project_id, data_path_text, "data_sources[0].data_path")
        work_path = self.usable_path(project_id, request["work_path"], "work_path")
        now = self.clock.now_ms()
        dataset = Dataset(
            dataset_id=new_resource_id(),
            name=request["dataset_name"],
            dataset_type=DatasetType(request.get("dataset_type", 0)),
            data_path=str(data_path.as_directory()),
            work_path=str(work_path.as_directory()),
            create_time_ms=now,
            update_time_ms=now,
            description=request.get("description", ""),
        )
        for label in request.get("labels") or []:
            self._add_label(dataset, label)
        self.project(project_id).datasets[dataset.dataset_id] = dataset
        return dataset

    def usable_path(self, project_id: str, text: str, field: str) -> ObsPath:
        """The OBS path ``text`` of a request in ``project_id``, refused when its bucket
        does not exist or belongs to another account (``access``)."""
        path = parse_obs_path(text, field)
        if not self.store.bucket_exists(path.bucket):
            raise ModelArtsError(BUCKET_MISSING, detail=f"({field}: {path.bucket})")
        self._check_access(project_id, path.bucket, field)
        return path

    def _check_access(self, project_id: str, bucket: str, field: str) -> None:
        if not self.access.allows(project_id, bucket):
            raise ModelArtsError(
                OBS_ACCESS, detail=f"({field}: bucket {bucket} belongs to another account)"
            )

    def list(
        self,
        project_id: str,
        *,
        dataset_type: int | None = None,
        search_content: str | None = None,
        sort_by: str = "create_time",
        order: str = "desc",
    ) -> list[Dataset]:
        project = self.projects.get(project_id)
        found = list(project.datasets.values()) if project else []
        if dataset_type is not None:
            found = [d for d in found if d.dataset_type == dataset_type]
        if search_content:
            found = [d for d in found if search_content.lower() in d.name.lower()]
        if sort_by == "dataset_name":
            found.sort(key=lambda d: d.name)
        else:
            found.sort(key=lambda d: d.create_time_ms)
        if order == "desc":
            found.reverse()
        return found

    def update(self, project_id: str, dataset_id: str, request: dict) -> Dataset:
        dataset = self.get(project_id, dataset_id)
        try:
            self._update(dataset, request)
        finally:  # what is kept of the dataset is counted anew, also after a refusal midway
            dataset.changed()
        dataset.update_time_ms = self.clock.now_ms()
        return dataset

    def _update(self, dataset: Dataset, request: dict) -> None:
        # Refused before anything changes: an update is all or nothing.
        added = [_check_label(label) for label in request.get("add_labels") or []]
        known = {label.name for label in dataset.labels} | set(added)
        for change in request.get("update_labels") or []:
            if change.get("name", "") not in known:
                raise ModelArtsError(
                    LABEL_NOT_FOUND,
                    detail=f"(update_labels: no label named {change.get('name')!r})",
                )
        if "dataset_name" in request:
            dataset.name = request["dataset_name"]
        if "description" in request:
            dataset.description = request["description"]
        for label in request.get("add_labels") or []:
            self._add_label(dataset, label)
        for change in request.get("update_labels") or []:
            existing = cast(Label, dataset.label(change["name"]))
            existing.property.update(change.get("property") or {})
            existing.attributes = change.get("attributes", existing.attributes)
        removed = {removal.get("name") for removal in request.get("delete_labels") or []}
        if removed:
            dataset.labels = [label for label in dataset.labels if label.name not in removed]

    def delete(self, project_id: str, dataset_id: str) -> None:
        self.get(project_id, dataset_id)
        del self.projects[project_id].datasets[dataset_id]

    # --- labels -----------------------------------------------------------------------

    def _add_label(self, dataset: Dataset, entry: dict) -> Label:
        name = _check_label(entry)
        existing = dataset.label(name)
        if existing is not None:
            return existing
        label = Label(
            name=name,
            type=int(entry.get("type", self._label_type(dataset))),
            property=dict(entry.get("property") or {}),
            attributes=list(entry.get("attributes") or []),
        )
        dataset.labels.append(label)
        dataset.changed()
        return label

    @staticmethod
    def _label_type(dataset: Dataset) -> int:
        return int(dataset.dataset_type) if dataset.dataset_type < 400 else 0

    def add_labels(self, project_id: str, dataset_id: str, entries: list[dict]) -> list[Label]:
        dataset = self.get(project_id, dataset_id)
        added = [self._add_label(dataset, entry) for entry in entries]
        dataset.update_time_ms = self.clock.now_ms()
        return added

    # --- samples ----------------------------------------------------------------------

    def discover(self, dataset: Dataset) -> None:
        """Add a sample for every data object under the data path not yet known."""
        if dataset.discovered_version == self.store.version:
            return
        dataset.discovered_version = self.store.version
        path = parse_obs_path(dataset.data_path, "data_path", subdirectory=False)
        image_dataset = dataset.dataset_type in IMAGE_DATASET_TYPES
        for stored in self.store.list_keys(path.bucket, path.key):
            if stored.key.endswith("/"):
                continue
            if image_dataset and not stored.key.lower().endswith(IMAGE_EXTENSIONS):
                continue
            source = ObsPath(path.bucket, stored.key).uri
            sample_id = sample_id_for(source)
            if sample_id in dataset.samples or source in dataset.removed_sources:
                continue
            dataset.changed()
            dataset.samples[sample_id] = Sample(
                sample_id=sample_id,
                source=source,
                sample_type=sample_type_for(dataset),
                state=SampleState.UNLABELED,
                labels=[],
                metadata={"@modelarts:import_origin": 0},
                sample_time_ms=stored.last_modified_ms,
                size=stored.size,
            )

    def looked_at(self, project_id: str, dataset_id: str) -> Dataset:
        """The dataset, objects uploaded under its data path since the last look among its
        samples: what every read of its samples sees."""
        dataset = self._usable(project_id, dataset_id)
        self.discover(dataset)
        return dataset

    def _usable(self, project_id: str, dataset_id: str) -> Dataset:
        """The dataset, refused (as its paths were when it was made) if one of its buckets
        has since come to belong to another account: deleted, then created by another."""
        dataset = self.get(project_id, dataset_id)
        if not self.access.restricts:
            return dataset
        for field, path in (("data_path", dataset.data_path), ("work_path", dataset.work_path)):
            bucket = parse_obs_path(path, field, subdirectory=False).bucket
            self._check_access(project_id, bucket, field)
        return dataset

    def samples(self, project_id: str, dataset_id: str) -> tuple[Dataset, tuple[Sample, ...]]:
        """The dataset, and its samples oldest first (sorted again only after a change)."""
        dataset = self.looked_at(project_id, dataset_id)
        return dataset, dataset.derived("samples_in_order", _in_order)

    def find_samples(
        self, project_id: str, dataset_id: str, wanted: SampleFilter
    ) -> tuple[Sample, ...]:
        """The dataset's samples that ``wanted`` admits, oldest first unless it says newest.

        The last few filters' findings are kept until the dataset changes, so paging
        through a listing costs a page, not a walk of every sample.
        """
        dataset, samples = self.samples(project_id, dataset_id)
        kept: dict[SampleFilter, tuple[Sample, ...]]
        kept = dataset.derived("found_samples", _no_findings)
        found = kept.get(wanted)
        if found is None:
            found = tuple(sample for sample in samples if wanted.admits(sample))
            if wanted.newest_first:
                found = found[::-1]
            if len(kept) >= MAX_KEPT_FINDINGS:
                del kept[next(iter(kept))]  # the oldest goes
            kept[wanted] = found
        return found

    def sample(self, project_id: str, dataset_id: str, sample_id: str) -> Sample:
        sample = self.looked_at(project_id, dataset_id).samples.get(sample_id)
        if sample is None:
            raise ModelArtsError(
                SAMPLE_MISSING, detail=f"(sample_id {sample_id!r} is not in the dataset)"
            )
        return sample

    def add_samples(
        self, project_id: str, dataset_id: str, entries: list[dict]
    ) -> list[BatchOutcome]:
        """Store each sample's data under the data path and register it; one result each."""
        dataset = self._usable(project_id, dataset_id)
        data_path = parse_obs_path(dataset.data_path, "data_path", subdirectory=False)
        results = []
        for entry in entries:
            name = entry.get("name") or f"{new_resource_id()}.jpg"
            target = data_path.child(name)
            source_path = (entry.get("data_source") or {}).get("data_path")
            if not source_path and not _plain_name(name):  # it names an object: no ".."
                detail = f"(name {name!r}: no empty, '.' or '..' parts, no control characters)"
                results.append(BatchOutcome(name, error_code=INVALID_PATH, detail=detail))
                continue
            if source_path:
                # A refusal names the sample as sent: its name, else its path (not one made up).
                shown = entry.get("name") or source_path
                try:
                    target = parse_obs_path(source_path, "samples[].data_source.data_path")
                except ModelArtsError as refused:  # this sample's result, as a bad name's
                    results.append(
                        BatchOutcome(shown, error_code=refused.code, detail=refused.detail)
                    )
                    continue
                if not self.store.bucket_exists(target.bucket):
                    results.append(BatchOutcome(shown, error_code=BUCKET_MISSING))
                    continue
                if not self.access.allows(project_id, target.bucket):
                    results.append(BatchOutcome(shown, error_code=OBS_ACCESS))
                    continue
            elif entry.get("data") is not None:
                try:
                    data = base64.b64decode(str(entry["data"]), validate=True)
                except (binascii.Error, ValueError):
                    results.append(
                        BatchOutcome(name, error_code=INVALID_REQUEST, detail="data: not base64")
                    )
                    continue
                self.store.put_object(target.bucket, target.key, data)
            size = self.store.object_size(target.bucket, target.key) or 0
            sample = self._register(dataset, target.uri, entry, size)
            results.append(BatchOutcome(str(target), sample.sample_id))
        dataset.update_time_ms = self.clock.now_ms()
        return results

    def _register(
        self, dataset: Dataset, source: str, entry: dict, size: int = 0, time_ms: int | None = None
    ) -> Sample:
        labels = [dict(label) for label in entry.get("labels") or []]
        for label in labels:
            self._add_label(dataset, label)
        sample = Sample(
            sample_id=sample_id_for(source),
            source=source,
            sample_type=int(entry.get("sample_type", sample_type_for(dataset))),
            state=SampleState.LABELED if labels else SampleState.UNLABELED,
            labels=labels,
            metadata={"@modelarts:import_origin": 0, **(entry.get("metadata") or {})},
            sample_time_ms=self.clock.now_ms() if time_ms is None else time_ms,
            size=size,
        )
        dataset.removed_sources.discard(source)
        dataset.samples[sample.sample_id] = sample
        dataset.changed()
        return sample

    def register_seeded(
        self, dataset: Dataset, source: str, labels: list[dict], time_ms: int
    ) -> Sample:
        """A sample the seed declares, at the seed's time (all of a seed's samples at one)."""
        stored = stored_path(source)
        size = self.store.object_size(stored.bucket, stored.key) or 0
        return self._register(dataset, source, {"labels": labels}, size, time_ms)

    def update_samples(
        self, project_id: str, dataset_id: str, entries: list[dict]
    ) -> list[BatchOutcome]:
        dataset, _ = self.samples(project_id, dataset_id)
        # A refusal changes nothing: every label is checked before any sample changes.
        for entry in entries:
            for label in entry.get("labels") or []:
                _check_label(label)
        results = []
        for entry in entries:
            sample_id = entry.get("sample_id", "")
            sample = dataset.samples.get(sample_id)
            if sample is None:
                results.append(_missing(sample_id))
                continue
            dataset.changed()  # what was derived from the samples is counted anew
            if "labels" in entry:
                sample.labels = [dict(label) for label in entry["labels"] or []]
                for label in sample.labels:
                    self._add_label(dataset, label)
                sample.state = SampleState.LABELED if sample.labels else SampleState.UNLABELED
                sample.score = None
            if entry.get("metadata"):
                sample.metadata.update(entry["metadata"])
            dataset.changed()  # and again: nothing read halfway through is kept
            results.append(BatchOutcome(sample_id=sample_id))
        dataset.update_time_ms = self.clock.now_ms()
        return results

    def delete_samples(
        self, project_id: str, dataset_id: str, sample_ids: list[str], delete_source: bool
    ) -> list[BatchOutcome]:
        dataset, _ = self.samples(project_id, dataset_id)
        results = []
        for sample_id in sample_ids:
            sample = dataset.samples.pop(sample_id, None)
            if sample is None:
                results.append(_missing(sample_id))
                continue
            dataset.removed_sources.add(sample.source)
            dataset.changed()
            if delete_source:
                path = stored_path(sample.source)
                self.store.delete_object(path.bucket, path.key)
            results.append(BatchOutcome(sample_id=sample_id))
        dataset.update_time_ms = self.clock.now_ms()
        return results

    def statistics(self, project_id: str, dataset_id: str) -> DatasetStatistics:
        """The dataset's statistics, once objects uploaded since the last look are samples."""
        return self.statistics_of(self.looked_at(project_id, dataset_id))

    def statistics_of(self, dataset: Dataset) -> DatasetStatistics:
        """The dataset's statistics as its samples are now (counted again only after a
        change, so getting and listing datasets cost the same with any number of samples).

        What is kept is the counts by field name, without the dataset: kept in the dataset,
        the dataset would make a cycle, and a deleted dataset would wait for the cycle
        collector with all its samples."""
        return DatasetStatistics(dataset=dataset, **dataset.derived("statistics", self._count))

    def _count(self, dataset: Dataset) -> dict[str, object]:
        """DatasetStatistics' fields but ``dataset``."""
        samples = dataset.derived("samples_in_order", _in_order)
        by_state = dict.fromkeys(
            (SampleState.LABELED, SampleState.UNLABELED, SampleState.TO_CONFIRM), 0
        )
        label_counts: dict[str, list[int]] = {label.name: [0, 0] for label in dataset.labels}
        hard = 0
        for sample in samples:
            by_state[sample.state] = by_state.get(sample.state, 0) + 1
            if sample.metadata.get("@modelarts:hard") in (True, 1, 1.0, "true"):
                hard += 1
            if sample.state != SampleState.LABELED:
                continue
            names = [label.get("name") for label in sample.labels]
            for name in set(names):
                counts = label_counts.setdefault(name, [0, 0])
                counts[0] += names.count(name)
                counts[1] += 1
        labels = [
            LabelStatistics(
                dataset.label(name) or Label(name=name, type=self._label_type(dataset)),
                count,
                sample_count,
            )
            for name, (count, sample_count) in label_counts.items()
        ]
        return dict(
            total=len(samples),
            labeled=by_state[SampleState.LABELED],
            unlabeled=by_state[SampleState.UNLABELED],
            awaiting_confirmation=by_state[SampleState.TO_CONFIRM],
            deleted=len(dataset.removed_sources),
            hard=hard,
            labels=tuple(labels),
        )


def _check_label(entry: dict) -> str:
    """The label's name; refuses a label without one."""
    name = entry.get("name")
    if not name:
        raise ModelArtsError(INVALID_REQUEST, detail="labels: a label needs a name")
    return name


def _in_order(dataset: Dataset) -> tuple[Sample, ...]:
    return tuple(sorted(dataset.samples.values(), key=lambda s: (s.sample_time_ms, s.source)))


def _no_findings(_dataset: Dataset) -> dict:
    return {}


def _missing(sample_id: str) -> BatchOutcome:
    return BatchOutcome(error_code=SAMPLE_MISSING, detail=f"(sample_id {sample_id!r})")
