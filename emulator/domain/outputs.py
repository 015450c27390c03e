"""What a successful task leaves behind: labels on samples and result files in OBS.

Everything is derived from a random generator seeded with the task id and the sample id,
so the same task over the same samples always produces the same labels, scores, hard
examples and groups, and tests can assert on them.

Output layout (``D`` is the dataset's ``<work_path><name>-<id>/annotation/``):
- labeling: ``<annotation_output | output_dir | D/auto-deploy/><task_id>/result.manifest``;
  hard examples (``collect_key_sample``): ``<key_sample_output | same folder>`` +
  ``<task_id>/key-samples.manifest``;
- auto grouping, results saved to OBS (``result_type`` 0, the default):
  ``<output_dir | D/auto-grouping/><task_id>/grouping.manifest``; saved to samples
  (``result_type`` 1): the sample attribute named by ``property`` holds the group.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid

from emulator.domain.datasets import inner_work_path
from emulator.domain.model import Dataset, DatasetType, Model, Sample, SampleState, Task, TaskType
from emulator.domain.paths import ObsPath, parse_obs_path, stored_path
from emulator.domain.ports import ObjectStorage

HARD_BELOW = 0.6
LOW_CONFIDENCE_REASON = 1
SAVE_TO_OBS, SAVE_TO_SAMPLES = 0, 1
ANNOTATION_TYPES = {
    DatasetType.IMAGE_CLASSIFICATION: "modelarts/image_classification",
    DatasetType.OBJECT_DETECTION: "modelarts/object_detection",
    DatasetType.IMAGE_SEGMENTATION: "modelarts/image_segmentation",
    DatasetType.TEXT_CLASSIFICATION: "modelarts/text_classification",
    DatasetType.NAMED_ENTITY_RECOGNITION: "modelarts/text_entity",
    DatasetType.SOUND_CLASSIFICATION: "modelarts/audio_classification",
    DatasetType.SPEECH_CONTENT: "modelarts/audio_content",
    DatasetType.SPEECH_PARAGRAPH: "modelarts/audio_segmentation",
}
# The built-in model the service names for active learning (as in the task list examples).
ACTIVE_LEARNING_MODEL = {"model_name": "Supervisory", "model_version": "0.0.1"}
# Who labeled, as a manifest line says it (the user guide's manifest format) ...
MANIFEST_ANNOTATED_BY = {
    TaskType.AUTO_LABEL: "modelarts/active-learning",
    TaskType.PRE_LABEL: "modelarts/pre-label",
}
# ... and as the API's sample label says it (its options: human, auto).
AUTO_LABELED = "auto"


def apply(
    task: Task, dataset: Dataset, store: ObjectStorage, models: dict[str, Model], now_ms: int
) -> dict:
    """Apply a succeeded task to its dataset and OBS; returns the task's ``result`` fields."""
    targets = [s for s in dataset.samples.values() if s.awaits_labels]
    targets.sort(key=lambda s: s.source)
    # Labels, states or attributes of its samples change from here: what was derived from
    # them is counted anew, also if writing to OBS fails midway.
    dataset.changed()
    if task.task_type == TaskType.AUTO_GROUPING:
        result = _group(task, dataset, targets, store)
    else:
        result = _label(task, dataset, targets, store, now_ms)
        result.update(_model_fields(task, dataset, models, now_ms))
    dataset.changed()  # and again: nothing read halfway through is kept
    result.update(dataset_name=dataset.name, dataset_type=str(int(dataset.dataset_type)))
    result.update(starting_result(dataset))
    result["unconfirmed_sample_count"] = sum(
        1 for s in dataset.samples.values() if s.state == SampleState.TO_CONFIRM
    )
    return result


def starting_result(dataset: Dataset) -> dict:
    """The sample counts a task reports from its start on (tasks share it: never changed)."""
    labeled = sum(1 for s in dataset.samples.values() if s.state == SampleState.LABELED)
    return {"total_sample_count": len(dataset.samples), "annotated_sample_count": labeled}


def _model_fields(task: Task, dataset: Dataset, models: dict[str, Model], now_ms: int) -> dict:
    """Which model labeled, and for pre-labeling the inference service that ran it."""
    if task.task_type == TaskType.AUTO_LABEL:
        number = str(int(hashlib.sha256(task.task_id.encode()).hexdigest()[:8], 16) % 100_000)
        return {
            **ACTIVE_LEARNING_MODEL,
            "train_job_name": task.task_id,
            "train_job_id": number,
            "version_id": number,
        }
    fields = {"hard_select_tasks": []}
    model = models.get(task.model_id or "")
    if model is not None:
        fields.update(model_id=model.model_id, model_name=model.name, model_version=model.version)
    fields.update(
        service_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"modelarts-emulator/{task.task_id}")),
        service_name=f"prelabel_infer_{now_ms}_{dataset.name}",
    )
    return fields


def _rng(task: Task, sample: Sample) -> random.Random:
    return random.Random(f"{task.task_id}/{sample.sample_id}")


def _folder(configured: object, fallback: ObsPath, task_id: str) -> ObsPath:
    base = parse_obs_path(str(configured), "path") if configured else fallback
    return base.as_directory().child(f"{task_id}/")


def _annotation_root(dataset: Dataset) -> ObsPath:
    return parse_obs_path(inner_work_path(dataset), "work_path").child("annotation/")


def _label_names(dataset: Dataset) -> list[str]:
    names = [label.name for label in dataset.labels]
    for sample in dataset.samples.values():
        for label in sample.labels:
            if label.get("name") and label["name"] not in names:
                names.append(label["name"])
    return names or ["object"]


def _label(
    task: Task, dataset: Dataset, targets: list[Sample], store: ObjectStorage, now_ms: int
) -> dict:
    names = _label_names(dataset)
    label_type = int(dataset.dataset_type) if dataset.dataset_type < 400 else 0
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now_ms / 1000))
    lines, hard_lines = [], []
    for sample in targets:
        rng = _rng(task, sample)
        name = rng.choice(names)
        score = round(rng.uniform(0.3, 0.99), 2)
        hard = score < HARD_BELOW
        coefficient = round(1 - score, 2) if hard else 0.0
        sample.labels = [
            {
                "name": name,
                "type": label_type,
                "id": str(names.index(name) + 1),
                "annotated_by": AUTO_LABELED,
                "property": {
                    "@modelarts:hard": "true" if hard else "false",
                    "@modelarts:hard_coefficient": str(coefficient),
                },
                "score": score,
            }
        ]
        sample.metadata.update(
            {
                "@modelarts:hard": hard,
                "@modelarts:hard_coefficient": coefficient,
                "@modelarts:hard_reasons": [LOW_CONFIDENCE_REASON] if hard else [],
            }
        )
        sample.hard_details = (
            {str(LOW_CONFIDENCE_REASON): {"id": LOW_CONFIDENCE_REASON, "reason": "low confidence"}}
            if hard
            else {}
        )
        sample.score = score
        sample.state = SampleState.TO_CONFIRM
        line = _manifest_line(task, dataset, sample, name, score, hard, coefficient, created)
        lines.append(line)
        if hard:
            hard_lines.append(line)
    fallback = _annotation_root(dataset).child("auto-deploy/")
    configured = task.config.get("annotation_output") or task.config.get("output_dir")
    folder = _folder(configured, fallback, task.task_id)
    manifest = folder.child("result.manifest")
    _write_lines(store, manifest, lines)
    result = {"manifest_path": str(manifest)}
    if task.collect_key_sample:
        key_output = task.config.get("key_sample_output")
        key_folder = _folder(key_output, folder, task.task_id) if key_output else folder
        hard_manifest = key_folder.child("key-samples.manifest")
        _write_lines(store, hard_manifest, hard_lines)
        result["hard_example_path"] = str(hard_manifest)
    return result


def _manifest_line(
    task: Task,
    dataset: Dataset,
    sample: Sample,
    name: str,
    score: float,
    hard: bool,
    coefficient: float,
    created: str,
) -> dict:
    return {
        "source": stored_path(sample.source).s3_uri,
        "id": sample.sample_id,
        "hard": "true" if hard else "false",
        "hard-coefficient": coefficient,
        "hard-reasons": [LOW_CONFIDENCE_REASON] if hard else [],
        "annotation": [
            {
                "type": ANNOTATION_TYPES.get(
                    dataset.dataset_type, "modelarts/image_classification"
                ),
                "name": name,
                "annotated-by": MANIFEST_ANNOTATED_BY[task.task_type],
                "confidence": score,
                "hard": "true" if hard else "false",
                "hard-coefficient": coefficient,
                "creation-time": created,
            }
        ],
    }


def _group(task: Task, dataset: Dataset, targets: list[Sample], store: ObjectStorage) -> dict:
    groups = int(task.config.get("n_clusters", 2))
    assignment = {s.sample_id: _rng(task, s).randrange(groups) for s in targets}
    if int(task.config.get("result_type", SAVE_TO_OBS)) == SAVE_TO_SAMPLES:
        attribute = str(task.config.get("property") or "group")
        for sample in targets:
            sample.metadata[attribute] = assignment[sample.sample_id]
        return {"description": f"{len(targets)} samples in {groups} groups ({attribute})"}
    fallback = _annotation_root(dataset).child("auto-grouping/")
    manifest = _folder(task.config.get("output_dir"), fallback, task.task_id).child(
        "grouping.manifest"
    )
    lines = [
        {
            "source": stored_path(s.source).s3_uri,
            "id": s.sample_id,
            "group": assignment[s.sample_id],
        }
        for s in targets
    ]
    _write_lines(store, manifest, lines)
    return {
        "manifest_path": str(manifest),
        "description": f"{len(targets)} samples in {groups} groups",
    }


def _write_lines(store: ObjectStorage, path: ObsPath, lines: list[dict]) -> None:
    if not store.bucket_exists(path.bucket):
        return  # the bucket went away while the task ran; there is nowhere to write
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    store.put_object(path.bucket, path.key, text.encode("utf-8"), "application/jsonlines")
