"""The contract is read once per process and again whenever a schema file's bytes change:
its cache is keyed by a digest of every file's bytes, so a rewrite of the same size within
one modification-time tick, or another folder put in the same place with the same sizes
and times, is read again. A folder unchanged since well before it was read is not read
again (its files' status says so): creating an app stays cheap."""

from __future__ import annotations

import os
import shutil

from emulator.config import Config
from emulator.contract import loader
from tests.conftest import TASKS_URL

REQUEST_SCHEMA = "CreateTask.request.json"
STRING_ID = '"model_id": {\n      "type": "string"'
NUMBER_ID = '"model_id": {\n      "type": "number"'  # as long: the file keeps its size
TASK = {"task_type": "auto-label", "model_id": "model-1"}


def schemas_copy(folder):
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, folder)
    assert STRING_ID in (folder / REQUEST_SCHEMA).read_text(encoding="utf-8")
    return folder


def rewrite_keeping_size_and_times(path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (as long) in the file, then give it back its times."""
    status = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (status.st_size, status.st_mtime_ns)


async def test_a_same_size_rewrite_within_one_tick_is_read_again(tmp_path, make_client):
    schemas = schemas_copy(tmp_path / "schemas")
    first = await make_client(schemas_dir=schemas)
    accepted = await first.post(TASKS_URL, json=TASK)
    rewrite_keeping_size_and_times(schemas / REQUEST_SCHEMA, STRING_ID, NUMBER_ID)

    second = await make_client(schemas_dir=schemas)
    refused = await second.post(TASKS_URL, json=TASK)

    assert accepted.status == 200, await accepted.text()
    assert refused.status == 400
    assert "model_id" in (await refused.json())["error_msg"]


async def test_another_folder_in_the_same_place_with_the_same_sizes_and_times_is_read(
    tmp_path, make_client
):
    schemas = schemas_copy(tmp_path / "schemas")
    other = schemas_copy(tmp_path / "other")
    rewrite_keeping_size_and_times(other / REQUEST_SCHEMA, STRING_ID, NUMBER_ID)
    shutil.copystat(schemas / REQUEST_SCHEMA, other / REQUEST_SCHEMA)
    first = await make_client(schemas_dir=schemas)
    accepted = await first.post(TASKS_URL, json=TASK)
    schemas.rename(tmp_path / "before")
    other.rename(schemas)

    second = await make_client(schemas_dir=schemas)
    refused = await second.post(TASKS_URL, json=TASK)

    assert accepted.status == 200, await accepted.text()
    assert refused.status == 400
    assert "model_id" in (await refused.json())["error_msg"]


def test_a_folder_unchanged_since_well_before_it_was_read_is_not_read_again(tmp_path, monkeypatch):
    schemas = schemas_copy(tmp_path / "schemas")
    files = len(os.listdir(schemas))
    # As if the copy had been made long before: read now, its files are not "racy".
    now = loader._clock_ns()
    monkeypatch.setattr(loader, "_clock_ns", lambda: now + 10 * loader.RACY_NS)
    read: list[str] = []
    read_bytes = loader._read_bytes

    def counted(path: str) -> bytes:
        read.append(path)
        return read_bytes(path)

    monkeypatch.setattr(loader, "_read_bytes", counted)

    first = loader.load_contract(schemas)
    read_first = len(read)
    again = loader.load_contract(schemas)

    assert read_first == files
    assert len(read) == files  # the second look read nothing
    assert again is first
