"""The contract as an OpenAPI 3.1 document, built from the same schemas the server validates with.

The document is what strict mode enforces: every documented object is closed
(``additionalProperties: false``), exactly as ``validation.closed`` closes it for the
strict validator. ``lenient_document`` derives the lenient reading from it.

Each generated schema file keeps its nested objects under ``$defs``; here they become
``components.schemas`` entries named ``<OperationId>.<part>.<Object>`` and every ``$ref``
is rewritten to point there. The emulator's own endpoints (IAM, control API) are listed
with small hand-written schemas so a tool sees every route the server answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.contract.loader import Contract, Operation
from emulator.contract.validation import closed

MODE_KEY = "x-emulator-mode"
CONVERTS_KEY = "x-emulator-converts-strings"
_CONVERTIBLE = {"integer", "number", "boolean"}

ERROR_BODY = {
    "type": "object",
    "required": ["error_code", "error_msg"],
    "properties": {
        "error_code": {"type": "string", "pattern": r"^ModelArts\.[0-9]{4}$"},
        "error_msg": {"type": "string"},
    },
}
KEYSTONE_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "title": {"type": "string"},
            },
        }
    },
}
EMULATOR_HEADERS = [
    {
        "name": "X-Emulator-Strict",
        "in": "header",
        "required": False,
        "description": "true or false: strict or lenient validation for this request",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
]


@dataclass(frozen=True)
class ExtraRoute:
    """A route outside the reference pages, described for the OpenAPI document."""

    method: str
    path: str
    summary: str
    success: int = 200
    request: dict | None = None
    response: dict | None = None
    error_schema: str = "ErrorBody"


def build_openapi(
    contract: Contract, implemented: Iterable[str], extra_routes: Iterable[ExtraRoute], version: str
) -> dict:
    components: dict[str, dict] = {"ErrorBody": ERROR_BODY, "KeystoneError": KEYSTONE_ERROR}
    paths: dict[str, dict] = {}
    for operation_id in sorted(implemented):
        operation = contract.operations[operation_id]
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, components
        )
    for route in extra_routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _extra(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ModelArts intelligent-task API (modelarts-emulator)",
            "version": version,
            "description": "Generated from the schemas the emulator validates with. "
            "This document is what strict mode enforces; /openapi.json?mode=lenient "
            "describes lenient mode.",
            MODE_KEY: "strict",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization"},
            },
        },
        "security": [{"token": []}, {"aksk": []}],
    }


def lenient_document(strict_document: dict) -> dict:
    """The lenient reading of the strict document.

    Objects are open (undocumented fields are ignored, not refused) and every integer,
    number or boolean field is marked ``x-emulator-converts-strings``: lenient mode also
    accepts it written as a JSON string (``"5"``, ``"true"``), converted before the
    schema's other keywords apply.
    """
    document = _open(strict_document)
    document["info"] = {**document["info"], MODE_KEY: "lenient"}
    document["info"]["description"] = (
        "Lenient mode: undocumented fields are ignored; fields marked "
        f"{CONVERTS_KEY} also accept their value written as a string. "
        "/openapi.json (strict) is what strict mode enforces."
    )
    return document


def _open(node: object) -> object:
    if isinstance(node, dict):
        opened = {
            key: _open(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
        kind = node.get("type")  # in ``properties`` a field may be named "type": a dict
        kinds = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
        if kinds & _CONVERTIBLE and "string" not in kinds:
            opened[CONVERTS_KEY] = True
        return opened
    if isinstance(node, list):
        return [_open(item) for item in node]
    return node


def _register(name: str, document: dict, components: dict[str, dict]) -> dict:
    """Put a schema document and its ``$defs`` into components; return a reference to it.

    The schema is closed first, as the strict validator closes it.
    """
    document = closed(document)
    defs = document.pop("$defs", {})
    for key in ("$schema", "$id", "$comment"):
        document.pop(key, None)
    prefix = f"#/components/schemas/{name}."
    for def_name, definition in defs.items():
        components[f"{name}.{def_name}"] = _rewrite(definition, prefix)
    components[name] = _rewrite(document, prefix)
    return {"$ref": f"#/components/schemas/{name}"}


def _rewrite(node: object, prefix: str) -> object:
    if isinstance(node, dict):
        return {
            key: (
                prefix + value.rsplit("/", 1)[1]
                if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
                else _rewrite(value, prefix)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item, prefix) for item in node]
    return node


def _parameters(operation: Operation, part: str, location: str) -> list[dict]:
    schema = operation.schemas.get(part)
    if schema is None:
        return []
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": location,
            "required": location == "path" or name in required,
            "schema": {k: v for k, v in prop.items() if k != "format"}
            if location == "query"
            else prop,
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _error_responses(schema: str) -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {
        "default": {"description": "A refusal, in the service's error format", "content": content}
    }


def _operation(operation: Operation, components: dict[str, dict]) -> dict:
    name = operation.operation_id
    result: dict = {
        "operationId": name,
        "parameters": _parameters(operation, "path", "path")
        + _parameters(operation, "query", "query")
        + EMULATOR_HEADERS,
        "responses": _error_responses("ErrorBody"),
    }
    if "request" in operation.schemas:
        media: dict = {
            "schema": _register(f"{name}.request", operation.schemas["request"], components)
        }
        examples = operation.examples.get("request") or []
        if examples:
            media["examples"] = {f"example-{i + 1}": {"value": ex} for i, ex in enumerate(examples)}
        result["requestBody"] = {"required": True, "content": {"application/json": media}}
    success = [status for status in operation.status_codes if 200 <= status < 300] or [200]
    for status in success:
        part = f"response-{status}"
        if part not in operation.schemas:
            result["responses"][str(status)] = {"description": "Success, no body"}
            continue
        media = {"schema": _register(f"{name}.{part}", operation.schemas[part], components)}
        examples = operation.examples.get("responses", {}).get(str(status)) or []
        if examples:
            media["examples"] = {f"example-{i + 1}": {"value": ex} for i, ex in enumerate(examples)}
        result["responses"][str(status)] = {
            "description": "Success",
            "content": {"application/json": media},
        }
    return result


def _extra(route: ExtraRoute) -> dict:
    result: dict = {"summary": route.summary, "responses": _error_responses(route.error_schema)}
    names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
    if names:
        result["parameters"] = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
        ]
    if route.request is not None:
        result["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": route.request}},
        }
    if route.response is None:
        result["responses"][str(route.success)] = {"description": "Done, no body"}
    else:
        result["responses"][str(route.success)] = {
            "description": "Done",
            "content": {"application/json": {"schema": route.response}},
        }
    return result
