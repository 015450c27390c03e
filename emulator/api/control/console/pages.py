"""The console's pages: read-only views of the journal, tasks, datasets, OBS, scenarios
and contract coverage. Actions (clock, scenarios) are in ``actions``."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup

from emulator.api import keys
from emulator.api.control.console import journal_view
from emulator.api.control.console.render import UI, fragment, page
from emulator.api.control.scenarios import _summary
from emulator.codes import INVALID_REQUEST
from emulator.coverage_report import html_fragment
from emulator.domain.model import IMAGE_EXTENSIONS, TaskType
from emulator.errors import ModelArtsError

MAX_OBJECTS = 1000
# Samples on one page of a dataset's console page (20,000 in one page were 8 MB of HTML).
SAMPLES_PER_PAGE = 100
# Shown in the page (thumbnails); anything else, SVG included, is only downloaded.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})


async def index(request: web.Request) -> web.Response:
    """GET /_emulator/ui: the Requests page is where debugging starts."""
    raise web.HTTPFound(f"{UI}/requests")


def _request_rows(request: web.Request) -> tuple[list[dict], dict[str, str]]:
    wanted = {name: request.query.get(name, "").strip() for name in journal_view.FILTERS}
    entries = keys.shared(request, keys.JOURNAL).entries()
    rows = journal_view.newest_first(keys.shared(request, keys.CONTRACT), entries, wanted)
    return rows, wanted


async def requests_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/requests?operation=&status=&error_code=&scenario="""
    rows, wanted = _request_rows(request)
    book = keys.shared(request, keys.SCENARIOS)
    return page(
        "requests.html",
        "Requests",
        title="Requests",
        rows=rows,
        wanted=wanted,
        operations=sorted(keys.shared(request, keys.CONTRACT).operations),
        scenarios=sorted(book.scenarios),
        query_string=request.query_string,
    )


async def request_rows(request: web.Request) -> web.Response:
    """GET /_emulator/ui/requests/rows: the table body alone, for live updates."""
    rows, _ = _request_rows(request)
    return fragment("request_rows.html", rows=rows)


async def request_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/requests/{entry_id}: one journal entry in full."""
    entry_id = request.match_info["entry_id"]
    entries = keys.shared(request, keys.JOURNAL).entries()
    entry = next((e for e in entries if str(e["id"]) == entry_id), None)
    if entry is None:
        return page(
            "message.html",
            "Requests",
            status=404,
            title=f"Request {entry_id}",
            error="The journal no longer holds this request (or never did).",
        )
    contract = keys.shared(request, keys.CONTRACT)
    entry["operation"] = journal_view.operation_of(contract, entry["method"], entry["path"])
    return page(
        "request.html",
        "Requests",
        title=f"Request {entry_id}: {entry['method']} {entry['path']}",
        entry=entry,
        reasons=journal_view.reasons(entry["validation"]),
    )


async def tasks_page(request: web.Request, *, error: str | None = None) -> web.Response:
    """GET /_emulator/ui/tasks: every dataset's tasks, and the clock."""
    emulator = keys.shared(request, keys.EMULATOR)
    emulator.tasks.advance()
    groups = []
    for project in emulator.datasets.projects.values():
        for dataset in project.datasets.values():
            tasks = []
            for task_type in (TaskType.AUTO_LABEL, TaskType.PRE_LABEL, TaskType.AUTO_GROUPING):
                listed = emulator.tasks.list(
                    project.project_id, dataset.dataset_id, task_type=task_type
                )
                # get() brings each state up to the clock without counting a poll.
                tasks += [
                    emulator.tasks.get(project.project_id, dataset.dataset_id, t.task_id)
                    for t in listed
                ]
            tasks.sort(key=lambda task: task.create_time_ms, reverse=True)
            groups.append({"project_id": project.project_id, "dataset": dataset, "tasks": tasks})
    return page(
        "tasks.html",
        "Tasks",
        status=400 if error else 200,
        title="Tasks",
        groups=groups,
        clock={"manual": emulator.clock.manual, "now_ms": emulator.clock.now_ms()},
        error=error,
        message=request.query.get("message"),
    )


async def datasets_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/datasets: every project's datasets with their labels."""
    emulator = keys.shared(request, keys.EMULATOR)
    projects = [p for p in emulator.datasets.projects.values() if p.datasets]
    return page("datasets.html", "Datasets", title="Datasets", projects=projects)


def _object_url(source: str) -> str | None:
    """The console URL serving an ``obs://bucket/key`` source, or None for other sources."""
    if not source.startswith("obs://"):
        return None
    bucket, _, key = source.removeprefix("obs://").partition("/")
    return f"{UI}/obs/object?bucket={quote(bucket)}&key={quote(key)}"


async def dataset_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/datasets/{project_id}/{dataset_id}: samples, labels, hard examples."""
    emulator = keys.shared(request, keys.EMULATOR)
    project_id, dataset_id = request.match_info["project_id"], request.match_info["dataset_id"]
    try:
        dataset, samples = emulator.datasets.samples(project_id, dataset_id)
    except ModelArtsError:
        return page(
            "message.html",
            "Datasets",
            status=404,
            title=f"Dataset {dataset_id}",
            error=f"Project {project_id} has no dataset {dataset_id}.",
        )
    pages = max(1, -(-len(samples) // SAMPLES_PER_PAGE))
    number = min(_page_number(request.query.get("page")), pages)
    first = (number - 1) * SAMPLES_PER_PAGE
    rows = [
        {
            "sample": sample,
            "url": _object_url(sample.source),
            "image": sample.source.lower().endswith(IMAGE_EXTENSIONS),
        }
        for sample in samples[first : first + SAMPLES_PER_PAGE]
    ]
    return page(
        "dataset.html",
        "Datasets",
        title=f"Dataset {dataset.name}",
        project_id=project_id,
        dataset=dataset,
        rows=rows,
        total=len(samples),
        first=first + 1,
        page_number=number,
        pages=pages,
    )


def _page_number(text: str | None) -> int:
    """The page asked for: a whole number from 1 (anything else: the first page)."""
    if text and text.isascii() and text.isdigit() and len(text) <= 9:
        return max(int(text), 1)
    return 1


async def obs_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/obs?bucket=&prefix=: buckets, and one bucket's objects."""
    store = keys.shared(request, keys.EMULATOR).store
    bucket = request.query.get("bucket", "")
    prefix = request.query.get("prefix", "")
    objects = store.list_keys(bucket, prefix) if bucket else []
    return page(
        "obs.html",
        "OBS",
        title=f"OBS bucket {bucket}" if bucket else "OBS",
        buckets=store.bucket_names(),
        bucket=bucket,
        prefix=prefix,
        objects=objects[:MAX_OBJECTS],
        more=max(len(objects) - MAX_OBJECTS, 0),
        quote=quote,
    )


async def obs_object(request: web.Request) -> web.Response:
    """GET /_emulator/ui/obs/object?bucket=&key=[&download=1]: an object's bytes."""
    bucket, key = request.query.get("bucket", ""), request.query.get("key", "")
    if not bucket or not key:
        raise ModelArtsError(INVALID_REQUEST, detail="Send bucket and key.")
    data = keys.shared(request, keys.EMULATOR).store.get_object(bucket, key)
    if data is None:
        raise web.HTTPNotFound(text=f"No object {key!r} in bucket {bucket!r}.")
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
    if request.query.get("download") or content_type not in INLINE_TYPES:
        name = key.rsplit("/", 1)[-1].replace('"', "")
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.Response(body=data, content_type=content_type, headers=headers)


async def scenarios_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    """GET /_emulator/ui/scenarios: loaded scenarios, which are active, how often rules fired."""
    book = keys.shared(request, keys.SCENARIOS)
    return page(
        "scenarios.html",
        "Scenarios",
        status=status,
        title="Scenarios",
        scenarios=[_summary(book, s) for s in book.scenarios.values()],
        error=error,
        message=request.query.get("message"),
    )


async def coverage_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/coverage: the contract-coverage report as a page."""
    report = keys.shared(request, keys.COVERAGE).report()
    return page(
        "coverage.html", "Coverage", title="Contract coverage", table=Markup(html_fragment(report))
    )
