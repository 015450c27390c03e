"""Where a JSON Schema holds schemas, as jsonschema's 2020-12 validator reads them.

Complete for a schema whose references are ``#/$defs/<name>``, without ``DYNAMIC_KEYWORDS``,
without ``$schema`` below its root (another draft's keywords: draft 7's "dependencies",
draft 3's "extends") and with an ``$id`` below its root only where no reference is below
that (another base to resolve against): the contract loader and the scenario body-schema
checks refuse the rest.

A schema's other values are data: ``const``, ``enum``, ``default``, ``examples`` and unknown
keywords may hold objects with any keys, and a property may have any name. So a
``"pattern"`` or ``"$ref"`` field inside an example, or a property named ``uniqueItems``,
is no keyword. The contract loader, the explanation of refusals and the checks of scenario
body schemas all look for keywords only at these positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

# Keywords whose value is a schema (or a list of schemas) ...
SCHEMA_VALUED = frozenset(
    {
        "additionalProperties",
        "allOf",
        "anyOf",
        "contains",
        "else",
        "if",
        "items",
        "not",
        "oneOf",
        "prefixItems",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
# ... and keywords whose value maps names to schemas.
SCHEMA_MAPS = frozenset({"$defs", "dependentSchemas", "patternProperties", "properties"})
# Keywords whose schemas describe the same value as the schema holding them (its parts).
PART_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas"})
# Keywords whose schemas describe fields by pattern or any other name.
ANY_FIELD_KEYWORDS = frozenset(
    {"patternProperties", "additionalProperties", "unevaluatedProperties"}
)
# Keywords that assert nothing (a reference beside them only is the whole schema).
ANNOTATIONS = frozenset({"$comment", "description", "title", "default", "examples"})
DEFINITION_REFERENCE = "#/$defs/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# References whose targets are found at run time.
DYNAMIC_KEYWORDS = frozenset({"$dynamicRef", "$dynamicAnchor"})
# 2020-12 keywords that fastjsonschema (drafts 4, 6 and 7) does not know: its generated
# check would let their violations through.
NEWER_THAN_DRAFT_7 = frozenset(
    {
        "prefixItems",
        "dependentSchemas",
        "dependentRequired",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minContains",
        "maxContains",
        "$dynamicRef",
        "$dynamicAnchor",
    }
)


def subschemas(node: dict) -> Iterator[tuple[str, object]]:
    """The schemas ``node`` holds, each with the keyword that holds it."""
    for keyword, value in node.items():
        if keyword in SCHEMA_VALUED:
            for schema in value if isinstance(value, list) else [value]:
                yield keyword, schema
        elif keyword in SCHEMA_MAPS and isinstance(value, dict):
            for schema in value.values():
                yield keyword, schema


def with_subschemas(
    node: dict,
    rewrite: Callable[[object], object],
    *,
    data: Callable[[object], object] = lambda value: value,
    kept: frozenset[str] = frozenset(),
) -> dict:
    """A copy of ``node``, keywords in their order, with each schema it holds passed
    through ``rewrite`` and every other value through ``data`` (``kept`` keywords' values
    stay as they are)."""
    return with_subschemas_at(
        node, lambda _keyword, _name, schema: rewrite(schema), data=data, kept=kept
    )


def with_subschemas_at(
    node: dict,
    rewrite: Callable[[str, object, object], object],
    *,
    data: Callable[[object], object] = lambda value: value,
    kept: frozenset[str] = frozenset(),
) -> dict:
    """``with_subschemas`` for a rewrite that depends on where a schema sits: it is called
    with the keyword, the name or index under it (``None`` for a single schema) and the
    schema."""
    copied: dict = {}
    for keyword, value in node.items():
        if keyword in kept:
            copied[keyword] = value
        elif keyword in SCHEMA_VALUED:
            copied[keyword] = (
                [rewrite(keyword, index, item) for index, item in enumerate(value)]
                if isinstance(value, list)
                else rewrite(keyword, None, value)
            )
        elif keyword in SCHEMA_MAPS and isinstance(value, dict):
            copied[keyword] = {name: rewrite(keyword, name, item) for name, item in value.items()}
        else:
            copied[keyword] = data(value)
    return copied


def parts_of(node: dict) -> list[object]:
    """The schemas describing the same value as ``node`` (``PART_KEYWORDS``)."""
    found: list[object] = []
    for keyword in PART_KEYWORDS & node.keys():
        value = node[keyword]
        if keyword == "dependentSchemas":
            found.extend(value.values() if isinstance(value, dict) else ())
        elif isinstance(value, list):
            found.extend(value)
        else:
            found.append(value)
    return found


def fields_in_one_place(node: dict) -> bool:
    """Whether ``node``'s own ``properties`` are all the fields its object may have: no
    part, reference or pattern beside them documents others, and no open
    ``additionalProperties`` or ``unevaluatedProperties`` admits them."""
    return not (
        node.keys() & _DESCRIBED_ELSEWHERE
        or node.get("additionalProperties", False) is not False
        or node.get("unevaluatedProperties", False) is not False
    )


_DESCRIBED_ELSEWHERE = PART_KEYWORDS | {"$ref", "patternProperties"}


def is_attribute_bag(node: dict) -> bool:
    """Whether ``node`` documents only ``@``-named attributes (``@modelarts:...``: label
    properties, sample metadata), where what is absent means "not set"."""
    names = node.get("properties")
    return isinstance(names, dict) and bool(names) and all(str(n).startswith("@") for n in names)


def schema_nodes(root: dict) -> Iterator[dict]:
    """Every object schema in ``root``: itself and what its keywords hold, at any depth."""
    pending: list[object] = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            yield node
            pending.extend(schema for _, schema in subschemas(node))


def definition_name(reference: object) -> str | None:
    """The ``$defs`` entry a ``#/$defs/<name>`` reference names, if plainly (no pointer or
    URI escapes, no deeper path)."""
    if isinstance(reference, str) and reference.startswith(DEFINITION_REFERENCE):
        name = reference[len(DEFINITION_REFERENCE) :]
        if name and not any(character in name for character in "~%/"):
            return name
    return None
