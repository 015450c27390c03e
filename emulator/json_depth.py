"""How deep parsed JSON nests, found without recursing.

Bodies, recordings and schema files are walked by code that recurses (jsonschema, the
matcher, the defaults plan); each refuses or sets aside a document nested past its limit
before the walk, and this is how each one measures it.
"""

from __future__ import annotations


def nests_deeper(document: object, levels: int) -> bool:
    """Whether ``document`` holds arrays and objects more than ``levels`` deep (the
    outermost one is level 1)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > levels:
            return True
        pending.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return False
