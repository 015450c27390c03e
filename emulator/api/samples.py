"""Handlers of the sample operations, including the samples auto labeling produced."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys, render
from emulator.api.payloads import INVALID_REQUEST, request_body, request_query
from emulator.domain.datasets import SAMPLE_MISSING
from emulator.domain.model import Sample, SampleState
from emulator.errors import ModelArtsError


def _ids(request: web.Request) -> tuple[str, str]:
    return request.match_info["project_id"], request.match_info["dataset_id"]


def _batch(results: list[dict]) -> dict:
    body: dict = {"success": all(r.get("success") for r in results), "results": results}
    failed = next((r for r in results if not r.get("success")), None)
    if failed:
        body["error_code"], body["error_msg"] = failed["error_code"], failed["error_msg"]
    return body


def _score(query: dict, name: str, default: float) -> float:
    text = query.get(name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"$.{name}: expected a number, got {text!r}"
        ) from None


def _filtered(samples: list[Sample], query: dict) -> list[Sample]:
    if query.get("sample_state"):
        samples = [s for s in samples if s.state == query["sample_state"]]
    if query.get("label_name"):
        samples = [
            s for s in samples if any(lb.get("name") == query["label_name"] for lb in s.labels)
        ]
    if query.get("sample_type") is not None:
        samples = [s for s in samples if s.sample_type == query["sample_type"]]
    low, high = _score(query, "low_score", 0.0), _score(query, "high_score", 1.0)
    if (low, high) != (0.0, 1.0):  # the documented defaults, [0, 1], filter nothing
        samples = [s for s in samples if s.score is not None and low <= s.score <= high]
    if query.get("order") == "desc":
        samples = list(reversed(samples))
    return samples


def _listing(samples: list[Sample], query: dict) -> web.Response:
    shown = render.page(samples, query["offset"], query["limit"])
    return web.json_response(
        {"sample_count": len(samples), "samples": [render.sample(s) for s in shown]}
    )


async def list_samples(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"""
    query = request_query(request)
    _, samples = request.app[keys.EMULATOR].datasets.samples(*_ids(request))
    return _listing(_filtered(samples, query), query)


async def describe_sample(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples/{sample_id}"""
    request_query(request)
    sample = request.app[keys.EMULATOR].datasets.sample(
        *_ids(request), request.match_info["sample_id"]
    )
    return web.json_response(render.sample(sample))


async def add_samples(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"""
    body = await request_body(request)
    results = request.app[keys.EMULATOR].datasets.add_samples(
        *_ids(request), body.get("samples") or []
    )
    return web.json_response(_batch(results))


async def update_samples(request: web.Request) -> web.Response:
    """PUT /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"""
    body = await request_body(request)
    results = request.app[keys.EMULATOR].datasets.update_samples(
        *_ids(request), body.get("samples") or []
    )
    return web.json_response(_batch(results))


async def delete_samples(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples/delete"""
    body = await request_body(request)
    results = request.app[keys.EMULATOR].datasets.delete_samples(
        *_ids(request), body.get("samples") or [], bool(body.get("delete_source", False))
    )
    return web.json_response(_batch(results))


def _auto_labeled(request: web.Request) -> list[Sample]:
    _, samples = request.app[keys.EMULATOR].datasets.samples(*_ids(request))
    return [s for s in samples if s.state == SampleState.TO_CONFIRM]


async def list_auto_annotation_samples(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples"""
    query = request_query(request)
    return _listing(_filtered(_auto_labeled(request), query), query)


async def describe_auto_annotation_sample(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples/{sample_id}"""
    sample = request.app[keys.EMULATOR].datasets.sample(
        *_ids(request), request.match_info["sample_id"]
    )
    if sample.state != SampleState.TO_CONFIRM:
        raise ModelArtsError(
            SAMPLE_MISSING, detail=f"(sample {sample.sample_id} has no auto labels to confirm)"
        )
    return web.json_response(render.sample(sample))
