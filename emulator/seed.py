"""Read a seed file (YAML) into domain records, refusing files that break ``seed.schema.json``."""

from __future__ import annotations

from pathlib import Path

import yaml

from emulator.contract import PayloadValidator
from emulator.domain.model import Dataset, DatasetType, Project

SEED_SCHEMA = "seed.schema.json"


class SeedError(ValueError):
    """The seed file cannot be used; the message names the file and what is wrong."""


def load_seed(path: Path, schema: dict) -> list[Project]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(f"{path}: cannot read seed file ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise SeedError(f"{path}: not valid YAML ({error})") from None
    violations = PayloadValidator(schema).validate(document, strict=True)
    if violations:
        raise SeedError(f"{path}: " + "; ".join(str(v) for v in violations))
    projects = []
    for project_entry in document["projects"]:
        project = Project(project_id=project_entry["id"], name=project_entry["name"])
        for entry in project_entry.get("datasets", []):
            if entry["id"] in project.datasets:
                raise SeedError(f"{path}: dataset id {entry['id']!r} declared twice")
            project.datasets[entry["id"]] = Dataset(
                dataset_id=entry["id"],
                name=entry["name"],
                dataset_type=DatasetType(entry["type"]),
                data_path=entry["data_path"],
                work_path=entry["work_path"],
                description=entry.get("description", ""),
            )
        projects.append(project)
    return projects
