"""Domain records as the documented response bodies."""

from __future__ import annotations

import time

from emulator.domain.datasets import inner_work_path
from emulator.domain.model import (
    BatchOutcome,
    DatasetStatistics,
    Label,
    Sample,
    Task,
    TaskType,
)
from emulator.errors import ErrorCatalog, ModelArtsError


def service_time(milliseconds: int) -> str:
    """The service's ``create_time`` text for tasks: ``2020-11-23 11:08:20`` (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(milliseconds / 1000))


def page(items: list, offset: int, limit: int) -> list:
    """``offset`` counts pages of ``limit`` items, as the reference pages define it."""
    start = offset * limit
    return items[start : start + limit]


def label(entry: Label) -> dict:
    body = {"name": entry.name, "type": entry.type, "property": entry.property}
    if entry.attributes:
        body["attributes"] = entry.attributes
    return body


def dataset(counted: DatasetStatistics, running_task_ids: list[str]) -> dict:
    entry = counted.dataset
    inner = inner_work_path(entry)
    return {
        "dataset_id": entry.dataset_id,
        "dataset_name": entry.name,
        "dataset_type": int(entry.dataset_type),
        "data_format": "Default",
        "dataset_format": 0,
        "status": 1,
        "description": entry.description,
        "create_time": entry.create_time_ms,
        "update_time": entry.update_time_ms,
        "data_sources": [{"data_type": 0, "data_path": entry.data_path}],
        "work_path": entry.work_path,
        "work_path_type": 0,
        "inner_work_path": inner,
        "inner_annotation_path": f"{inner}annotation/",
        "inner_data_path": f"{inner}data/",
        "inner_log_path": f"{inner}logs/",
        "inner_temp_path": f"{inner}temp/",
        "inner_task_path": f"{inner}task/",
        "total_sample_count": counted.total,
        "annotated_sample_count": counted.labeled,
        "unconfirmed_sample_count": counted.awaiting_confirmation,
        "labels": [label(item) for item in entry.labels],
        "exist_running_task": bool(running_task_ids),
        "running_tasks_id": running_task_ids,
        "workspace_id": "0",
        "enterprise_project_id": "0",
        "managed": False,
        "import_data": False,
        "content_labeling": True,
        "label_task_count": 1,
        "workforce_task_count": 0,
        "feature_supports": ["0"],
        # No versions are published in the emulator: the first would be V001.
        "dataset_version_count": 0,
        "next_version_num": 1,
        "current_version_id": "",
        "current_version_name": "",
        "exist_workforce_task": False,
    }


def preview(entry: Sample) -> dict:
    """A sample as dataset listings show it with ``file_preview``."""
    return {"url": entry.source, "create_time": entry.sample_time_ms}


def sample(entry: Sample) -> dict:
    body = {
        "sample_id": entry.sample_id,
        "sample_type": entry.sample_type,
        "source": entry.source,
        "sample_name": entry.name,
        "sample_dir": entry.directory,
        "sample_status": entry.state,
        "sample_time": entry.sample_time_ms,
        "sample_size": entry.size,
        "labels": entry.labels,
        "metadata": entry.metadata,
        "labelers": [],
    }
    if entry.score is not None:
        body["score"] = str(entry.score)
    if entry.hard_details:
        body["hard_details"] = entry.hard_details
    return body


def task(entry: Task, catalog: ErrorCatalog, *, listing: bool = False) -> dict:
    state = entry.state
    message = state.message
    if message is None and state.code:
        message = _catalog_message(catalog, state.code)
    end_ms = entry.finished_ms or entry.evaluated_ms
    body = {
        "task_id": entry.task_id,
        "task_name": entry.name,
        "status": int(state.status),
        "progress": float(state.progress),
        "code": state.code or "",
        "message": message or "",
        "create_time": service_time(entry.create_time_ms),
        "elapsed_time": max(0, (end_ms - entry.create_time_ms) // 1000),
        "config": entry.config,
        "result": entry.result,
    }
    if state.error_code:
        body["error_code"] = state.error_code
        body["error_msg"] = state.error_msg or _catalog_message(catalog, state.error_code)
    if listing:
        body.update(
            dataset_id=entry.dataset_id,
            type=TaskType.NUMBERS[entry.task_type],
            total_sample_count=entry.result.get("total_sample_count", 0),
            annotated_sample_count=entry.result.get("annotated_sample_count", 0),
            unconfirmed_sample_count=entry.result.get("unconfirmed_sample_count", 0),
        )
        for field in ("model_id", "model_name", "model_version"):
            body[field] = entry.result.get(field, entry.model_id if field == "model_id" else None)
    else:  # (a listing's table has no export_type)
        body["export_type"] = int(entry.config.get("result_type", 0))
        body["resource_id"] = entry.dataset_id
    return body


def batch(outcomes: list[BatchOutcome], catalog: ErrorCatalog) -> dict:
    """A batch answer: one result per entry, and the first failure repeated at the top."""
    results = [_outcome(outcome, catalog) for outcome in outcomes]
    body: dict = {"success": all(o.success for o in outcomes), "results": results}
    failed = next((r for r in results if not r["success"]), None)
    if failed:
        body["error_code"], body["error_msg"] = failed["error_code"], failed["error_msg"]
    return body


def _outcome(outcome: BatchOutcome, catalog: ErrorCatalog) -> dict:
    result: dict = {"success": outcome.success}
    if outcome.name is not None:
        result["name"] = outcome.name
    if outcome.error_code is None:
        if outcome.name is not None and outcome.sample_id is not None:
            result["info"] = outcome.sample_id
        return result
    _, error = catalog.render(ModelArtsError(outcome.error_code, detail=outcome.detail))
    result.update(error)
    return result


def statistics(stats: DatasetStatistics) -> dict:
    return {
        "data_path": stats.dataset.data_path,
        "label_stats": [
            {
                "name": entry.label.name,
                "type": entry.label.type,
                "property": entry.label.property,
                "count": entry.count,
                "sample_count": entry.sample_count,
            }
            for entry in stats.labels
        ],
        "sample_stats": {
            "all": stats.total,
            "total": stats.total,
            "lefted": stats.total,
            "deleted": stats.deleted,
            "un_annotation": stats.unlabeled,
            "manual_annotation": stats.labeled,
            "auto_annotation": stats.awaiting_confirmation,
        },
        "key_sample_stats": {
            "total": stats.total,
            "key_sample": stats.hard,
            "non_key_sample": stats.total - stats.hard,
        },
        "metadata_stats": {},
        "data_spliting_enable": False,
    }


def _catalog_message(catalog: ErrorCatalog, code: str) -> str:
    return catalog.lookup(code).message if code in catalog else ""
