"""Handlers of the sample operations, including the samples auto labeling produced."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys, render
from emulator.api.payloads import documented_response, request_body, request_query
from emulator.codes import INVALID_REQUEST, SAMPLE_MISSING
from emulator.contract.validation import number_from_text
from emulator.domain.datasets import Datasets
from emulator.domain.model import SampleFilter, SampleState
from emulator.errors import ModelArtsError


def _datasets(request: web.Request) -> Datasets:
    return keys.shared(request, keys.EMULATOR).datasets


def _ids(request: web.Request) -> tuple[str, str]:
    return request.match_info["project_id"], request.match_info["dataset_id"]


def _score(query: dict, name: str) -> float | None:
    text = query.get(name)
    if text is None:
        return None
    number = number_from_text(text.strip())
    if number is None:
        raise ModelArtsError(INVALID_REQUEST, detail=f"$.{name}: expected a number, got {text!r}")
    return number


def _filter(query: dict, *, awaiting_confirmation: bool = False) -> SampleFilter:
    low, high = _score(query, "low_score"), _score(query, "high_score")
    if (low, high) == (0.0, 1.0):  # the documented defaults, [0, 1], filter nothing
        low = high = None
    return SampleFilter(
        state=query.get("sample_state") or None,
        label_name=query.get("label_name") or None,
        sample_type=query.get("sample_type"),
        low_score=low,
        high_score=high,
        newest_first=query.get("order") == "desc",
        awaiting_confirmation=awaiting_confirmation,
    )


def _listing(request: web.Request, *, awaiting_confirmation: bool = False) -> web.Response:
    query = request_query(request)
    wanted = _filter(query, awaiting_confirmation=awaiting_confirmation)
    samples = _datasets(request).find_samples(*_ids(request), wanted)
    shown = render.page(samples, query["offset"], query["limit"])
    return documented_response(
        request, {"sample_count": len(samples), "samples": [render.sample(s) for s in shown]}
    )


async def list_samples(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"""
    return _listing(request)


async def describe_sample(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples/{sample_id}"""
    request_query(request)
    sample = _datasets(request).sample(*_ids(request), request.match_info["sample_id"])
    return documented_response(request, render.sample(sample))


def _batch_response(request: web.Request, outcomes: list) -> web.Response:
    return documented_response(
        request, render.batch(outcomes, keys.shared(request, keys.CONTRACT).catalog)
    )


async def add_samples(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"""
    body = await request_body(request)
    outcomes = _datasets(request).add_samples(*_ids(request), body.get("samples") or [])
    return _batch_response(request, outcomes)


async def update_samples(request: web.Request) -> web.Response:
    """PUT /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"""
    body = await request_body(request)
    outcomes = _datasets(request).update_samples(*_ids(request), body.get("samples") or [])
    return _batch_response(request, outcomes)


async def delete_samples(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples/delete"""
    body = await request_body(request)
    outcomes = _datasets(request).delete_samples(
        *_ids(request), body.get("samples") or [], bool(body.get("delete_source", False))
    )
    return _batch_response(request, outcomes)


async def list_auto_annotation_samples(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples"""
    return _listing(request, awaiting_confirmation=True)


async def describe_auto_annotation_sample(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples/{sample_id}"""
    sample = _datasets(request).sample(*_ids(request), request.match_info["sample_id"])
    if sample.state != SampleState.TO_CONFIRM:
        raise ModelArtsError(
            SAMPLE_MISSING, detail=f"(sample {sample.sample_id} has no auto labels to confirm)"
        )
    return documented_response(request, render.sample(sample))
