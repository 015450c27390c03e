"""Schemas folders of one's own for tests: copies of the bundled contract with a change."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable

from emulator.config import Config

REQUEST_SCHEMA = "CreateTask.request.json"


def schemas_with(folder, name: str, change: Callable[[dict], None]):
    """A copy of the bundled schemas with ``change`` made to the schema file ``name``."""
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, folder)
    path = folder / name
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema), encoding="utf-8")
    return folder


def schemas_with_config(folder, config_schema: dict, definitions: dict):
    """A copy of the bundled schemas whose task start takes ``config_schema`` as config."""

    def with_config(schema: dict) -> None:
        schema["properties"]["config"] = config_schema
        schema["$defs"].update(definitions)

    return schemas_with(folder, REQUEST_SCHEMA, with_config)
