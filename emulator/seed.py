"""Read a seed file (YAML) into the domain's ``Seed``, refusing files that break its schema.

Object contents come inline (``text`` or ``base64``) or from a ``file`` path, resolved
relative to the seed file's folder.

A test suite creates hundreds of apps from the same seed: a file is parsed and checked
once per process (again when it changes), and each app builds its own ``Seed`` and
``Identities`` from that document. The bundled seed is not checked at start at all: it
ships with the code, and a test checks it against the schema.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from pathlib import Path

import yaml

from emulator import safe_yaml
from emulator.auth.identity import Credential, Domain, Identities, ProjectRef, User
from emulator.config import BUNDLED_SEED
from emulator.contract import PayloadValidator
from emulator.domain.model import Model
from emulator.domain.paths import parse_obs_path
from emulator.domain.service import Seed, SeedDataset, SeedObject
from emulator.errors import ModelArtsError, StartupError

SEED_SCHEMA = "seed.schema.json"


class SeedError(StartupError, ValueError):
    """The seed file cannot be used; the message names the file and what is wrong."""


DEFAULT_REGION = "eu-de"
IDENTITY_SECTIONS = ("domains", "users", "credentials")


# Checked documents by file and content (path and a digest of the bytes: a rewrite within
# one modification-time tick still counts), with the schema they passed.
_READ: dict[tuple, tuple[dict, dict]] = {}
_READ_LIMIT = 16
_reading = threading.Lock()


def _read(path: Path, schema: dict) -> dict:
    """The seed file's document, checked against ``schema``; shared: only read it."""
    try:
        safe_yaml.check_size(path.stat().st_size, safe_yaml.SEED_LIMITS)
        raw = path.read_bytes()
    except OSError as error:
        raise SeedError(f"{path}: cannot read seed file ({error.strerror})") from None
    except safe_yaml.UnsafeYamlError as error:
        raise SeedError(f"{path}: {error.problem}") from None
    key = (str(path.resolve()), hashlib.blake2b(raw, digest_size=16).digest())
    with _reading:
        known = _READ.get(key)
    if known is not None and known[1] is schema:
        return known[0]
    document = _parse(path, raw, schema, check=path != BUNDLED_SEED)
    with _reading:
        if len(_READ) >= _READ_LIMIT:
            del _READ[next(iter(_READ))]  # the oldest goes
        _READ[key] = (document, schema)
    return document


def _parse(path: Path, raw: bytes, schema: dict, *, check: bool) -> dict:
    try:
        # The same guarded reader as scenario files (no aliases, bounded size and depth,
        # finite numbers), with a seed's larger limits.
        document, _ = safe_yaml.load(raw.decode("utf-8"), safe_yaml.SEED_LIMITS)
    except UnicodeDecodeError:
        raise SeedError(f"{path}: not UTF-8 text") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = (
            error.problem
            if isinstance(error, safe_yaml.UnsafeYamlError)
            else (f"not valid YAML ({error.problem})")
        )
        raise SeedError(f"{where}: {problem}") from None
    except yaml.YAMLError as error:
        raise SeedError(f"{path}: not valid YAML ({error})") from None
    if not check:
        return document
    violations = PayloadValidator(schema).validate(document, strict=True)
    if violations:
        raise SeedError(f"{path}: " + "; ".join(str(v) for v in violations))
    return document


def load_seed(path: Path, schema: dict) -> tuple[Seed, Identities]:
    """The seeded state and identities; a seed without identities gets the bundled ones."""
    document = _read(path, schema)
    if not any(document.get(section) for section in IDENTITY_SECTIONS):
        bundled = _read(BUNDLED_SEED, schema)
        document = {**document, **{s: bundled.get(s, []) for s in IDENTITY_SECTIONS}}
    try:
        seed, identities = _build(document, path.parent), _identities(document)
        seed.owners = _bucket_owners(document, identities)
        return seed, identities
    except (OSError, ValueError, ModelArtsError) as error:
        raise SeedError(f"{path}: {error}") from None


def _identities(document: dict) -> Identities:
    identities = Identities(region=document.get("region", DEFAULT_REGION))
    for entry in document.get("domains", []):
        identities.domains[entry["id"]] = Domain(entry["id"], entry["name"])
    by_name = {domain.name: domain for domain in identities.domains.values()}
    for entry in document.get("users", []):
        domain = by_name.get(entry["domain"])
        if domain is None:
            raise ValueError(f"user {entry['name']!r}: no domain named {entry['domain']!r}")
        user_id = entry.get("id") or hashlib.md5(entry["name"].encode()).hexdigest()
        identities.users[user_id] = User(user_id, entry["name"], entry["password"], domain)
    users = {user.name: user for user in identities.users.values()}
    for entry in document.get("credentials", []):
        user = users.get(entry["user"])
        if user is None:
            raise ValueError(f"credential {entry['access_key']}: no user named {entry['user']!r}")
        identities.add_credential(
            Credential(entry["access_key"], entry["secret_key"], user, entry.get("security_token"))
        )
    first_domain = next(iter(identities.domains.values()), Domain("default", "default"))
    for entry in document.get("projects", []):
        domain = by_name.get(entry["domain"]) if "domain" in entry else first_domain
        if domain is None:
            raise ValueError(f"project {entry['id']!r}: no domain named {entry['domain']!r}")
        identities.projects[entry["id"]] = ProjectRef(entry["id"], entry["name"], domain)
    identities.seal()
    return identities


def _bucket_owners(document: dict, identities: Identities) -> dict[str, str]:
    """Each seeded bucket's owning domain id (OBS tenancy in strict mode): a declared
    bucket's ``domain`` (by name, default the first domain); a bucket only a dataset path
    names belongs to the dataset's project's domain."""
    by_name = {domain.name: domain for domain in identities.domains.values()}
    first_domain = next(iter(identities.domains.values()), Domain("default", "default"))
    owners: dict[str, str] = {}
    for bucket in document.get("buckets", []):
        domain = by_name.get(bucket["domain"]) if "domain" in bucket else first_domain
        if domain is None:
            raise ValueError(f"bucket {bucket['name']!r}: no domain named {bucket['domain']!r}")
        owners.setdefault(bucket["name"], domain.domain_id)
    for project in document.get("projects", []):
        domain_id = identities.projects[project["id"]].domain.domain_id
        for entry in project.get("datasets", []):
            for field in ("data_path", "work_path"):
                owners.setdefault(parse_obs_path(entry[field], field).bucket, domain_id)
    return owners


def _build(document: dict, folder: Path) -> Seed:
    seed = Seed()
    for bucket in document.get("buckets", []):
        seed.buckets[bucket["name"]] = bucket.get("kms_key_id")
        for entry in bucket.get("objects", []):
            seed.objects.append(SeedObject(bucket["name"], entry["key"], _content(entry, folder)))
    seed.models = [
        Model(model_id=m["id"], name=m["name"], version=m.get("version", "0.0.1"))
        for m in document.get("models", [])
    ]
    seen: set[str] = set()
    for project in document.get("projects", []):
        seed.projects[project["id"]] = project["name"]
        for entry in project.get("datasets", []):
            if entry["id"] in seen:
                raise ValueError(f"dataset id {entry['id']!r} declared twice")
            seen.add(entry["id"])
            seed.datasets.append(_dataset(project["id"], entry))
    return seed


def _dataset(project_id: str, entry: dict) -> SeedDataset:
    data_path = parse_obs_path(entry["data_path"], "data_path").as_directory()
    work_path = parse_obs_path(entry["work_path"], "work_path").as_directory()
    labels = {label["name"]: label for label in entry.get("labels", [])}
    samples = []
    for sample in entry.get("samples", []):
        source = parse_obs_path(sample["source"], "samples[].source").uri
        names = sample.get("labels", [])
        sample_labels = []
        for name in names:
            declared = labels.setdefault(name, {"name": name})
            sample_labels.append(
                {
                    "name": name,
                    "type": declared.get("type", entry["type"]),
                    "property": dict(declared.get("property") or {}),
                }
            )
        samples.append((source, sample_labels))
    return SeedDataset(
        project_id=project_id,
        dataset_id=entry["id"],
        name=entry["name"],
        dataset_type=entry["type"],
        data_path=str(data_path),
        work_path=str(work_path),
        description=entry.get("description", ""),
        labels=list(labels.values()),
        samples=samples,
    )


def _content(entry: dict, folder: Path) -> bytes:
    if "text" in entry:
        return entry["text"].encode("utf-8")
    if "base64" in entry:
        try:
            return base64.b64decode(entry["base64"], validate=True)
        except binascii.Error:
            raise ValueError(f"object {entry['key']!r}: base64 content is not valid") from None
    if "file" in entry:
        return (folder / entry["file"]).read_bytes()
    return b""
