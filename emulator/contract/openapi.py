"""The contract as an OpenAPI 3.1 document, built from the same schemas the server validates with.

The strict document is what strict mode enforces: every schema closed exactly as
``closing.closed`` closes it for the strict validator. The lenient one is what lenient
mode enforces: the schemas as written, each integer, number or boolean marked as also
taken written as a string.

Each generated schema file keeps its nested objects under ``$defs``; here they become
``components.schemas`` entries named ``<OperationId>.<part>.<Object>`` and every ``$ref``
is rewritten to point there. The emulator's own endpoints (IAM, control API) are listed
with small hand-written schemas so a tool sees every route the server answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, cast

from emulator.contract.closing import closed
from emulator.contract.loader import Contract, Operation
from emulator.contract.schema_positions import definition_name, with_subschemas

MODE_KEY = "x-emulator-mode"
DocumentMode = Literal["strict", "lenient"]
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
    contract: Contract,
    implemented: Iterable[str],
    extra_routes: Iterable[ExtraRoute],
    version: str,
    *,
    mode: DocumentMode = "strict",
) -> dict:
    """The document of ``mode`` (strict or lenient) for the operations ``implemented``."""
    reading = _READINGS[mode]
    # (The emulator's own routes and error bodies are not closed in either mode.)
    as_given = reading if mode == "lenient" else _as_written
    components: dict[str, dict] = {
        "ErrorBody": as_given(ERROR_BODY),
        "KeystoneError": as_given(KEYSTONE_ERROR),
    }
    paths: dict[str, dict] = {}
    for operation_id in sorted(implemented):
        operation = contract.operations[operation_id]
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, components, reading, _ANSWER_READINGS[mode]
        )
    for route in extra_routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _extra(route, as_given)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ModelArts intelligent-task API (modelarts-emulator)",
            "version": version,
            "description": _DESCRIPTIONS[mode],
            MODE_KEY: mode,
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


def _as_written(schema: dict) -> dict:
    return schema


def _converts_marked(node: object) -> object:
    """Lenient mode's reading: the schema as written, every integer, number or boolean
    schema marked ``x-emulator-converts-strings`` (lenient mode also accepts the value
    written as a JSON string, ``"5"`` or ``"true"``, converted before the other keywords
    apply)."""
    if not isinstance(node, dict):
        return node
    marked = with_subschemas(node, _converts_marked)
    kind = node.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    if kinds & _CONVERTIBLE and "string" not in kinds:
        marked[CONVERTS_KEY] = True
    return marked


def _answers_closed(schema: dict) -> dict:
    return closed(schema, open_bags=True)


# How each mode reads a request's schemas and an answer's.
_READINGS = {"strict": closed, "lenient": _converts_marked}
_ANSWER_READINGS = {"strict": _answers_closed, "lenient": _converts_marked}
_DESCRIPTIONS = {
    "strict": "Generated from the schemas the emulator validates with. "
    "This document is what strict mode enforces; /openapi.json?mode=lenient "
    "describes lenient mode.",
    "lenient": "Lenient mode: undocumented fields are ignored; fields marked "
    f"{CONVERTS_KEY} also accept their value written as a string. "
    "/openapi.json (strict) is what strict mode enforces.",
}


def _register(
    name: str, document: dict, components: dict[str, dict], reading: Callable[[dict], object]
) -> dict:
    """Put a schema document, read as its mode reads it, and its ``$defs`` into
    components; return a reference to it."""
    document = cast(dict, reading(document))
    defs = document.pop("$defs", {})
    for key in ("$schema", "$id", "$comment"):
        document.pop(key, None)
    prefix = f"#/components/schemas/{name}."
    for def_name, definition in defs.items():
        components[f"{name}.{def_name}"] = _rewrite(definition, prefix)
    components[name] = _rewrite(document, prefix)
    return {"$ref": f"#/components/schemas/{name}"}


def _rewrite(node: object, prefix: str) -> object:
    """``node`` with its ``#/$defs/`` references pointing into components (where a schema
    sits: a "$ref" field of an example is data)."""
    if not isinstance(node, dict):
        return node
    rewritten = with_subschemas(node, lambda item: _rewrite(item, prefix))
    name = definition_name(rewritten.get("$ref"))
    if name is not None:
        rewritten["$ref"] = prefix + name
    return rewritten


def _parameters(
    operation: Operation, part: str, location: str, reading: Callable[[dict], object]
) -> list[dict]:
    schema = operation.schemas.get(part)
    if schema is None:
        return []
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": location,
            "required": location == "path" or name in required,
            "schema": reading(
                {k: v for k, v in prop.items() if k != "format"} if location == "query" else prop
            ),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _error_responses(schema: str) -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {
        "default": {"description": "A refusal, in the service's error format", "content": content}
    }


def _operation(
    operation: Operation,
    components: dict[str, dict],
    reading: Callable[[dict], object],
    answer_reading: Callable[[dict], object],
) -> dict:
    name = operation.operation_id
    # (Parameters are single values: closing leaves them as they are.)
    parameter_reading = _converts_marked if reading is _converts_marked else _as_written
    result: dict = {
        "operationId": name,
        "parameters": _parameters(operation, "path", "path", parameter_reading)
        + _parameters(operation, "query", "query", parameter_reading)
        + EMULATOR_HEADERS,
        "responses": _error_responses("ErrorBody"),
    }
    if "request" in operation.schemas:
        media: dict = {
            "schema": _register(
                f"{name}.request", operation.schemas["request"], components, reading
            )
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
        media = {
            "schema": _register(
                f"{name}.{part}", operation.schemas[part], components, answer_reading
            )
        }
        examples = operation.examples.get("responses", {}).get(str(status)) or []
        if examples:
            media["examples"] = {f"example-{i + 1}": {"value": ex} for i, ex in enumerate(examples)}
        result["responses"][str(status)] = {
            "description": "Success",
            "content": {"application/json": media},
        }
    return result


def _extra(route: ExtraRoute, reading: Callable[[dict], object]) -> dict:
    result: dict = {"summary": route.summary, "responses": _error_responses(route.error_schema)}
    names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
    if names:
        result["parameters"] = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
        ]
    if route.request is not None:
        result["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": reading(route.request)}},
        }
    if route.response is None:
        result["responses"][str(route.success)] = {"description": "Done, no body"}
    else:
        result["responses"][str(route.success)] = {
            "description": "Done",
            "content": {"application/json": {"schema": reading(route.response)}},
        }
    return result
