"""CPU time to explain a refused body the emulator has not seen before.

The wrk runs send one invalid body again and again, and validation remembers its verdict
on a body it has seen; a contract test that breaks each field of its fixtures in turn
sends new bodies, each explained by jsonschema (every violation, named by path). This
breaks every field of the documented request examples of the operations with the largest
bodies, in several ways each, and times their validation in both modes, in-process.

Run: ``python benchmarks/explain_refusals.py [rounds]`` in the project's environment;
``PYTHONPATH=<another checkout>`` measures that version instead.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import emulator
from emulator.config import Config
from emulator.contract.loader import load_contract

OPERATIONS = ("CreateTask", "CreateDataset", "UploadSamplesJson", "UpdateDataset")
WRONG_VALUES = ("text", 1.5, -7, True, None, [], {}, [1, "a"], {"k": 1})


def _places(document: object, path: tuple = ()) -> list[tuple]:
    """Every path to a value in ``document`` (not the root)."""
    found = [path] if path else []
    if isinstance(document, dict):
        for name, value in document.items():
            found += _places(value, (*path, name))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _places(value, (*path, index))
    return found


def _with(document: object, path: tuple, value: object) -> object:
    changed = copy.deepcopy(document)
    parent = changed
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return changed


def refused_bodies(operation) -> list[object]:
    """Each documented request example with one value replaced, every way in WRONG_VALUES."""
    bodies = []
    for example in operation.examples.get("request") or []:
        for path in _places(example):
            bodies += [_with(example, path, value) for value in WRONG_VALUES]
    return bodies


def main(rounds: int) -> None:
    contract = load_contract(Config().with_defaults_resolved().schemas_dir)
    print(f"emulator from {Path(emulator.__file__).parent.parent}")
    print("| operation | bodies | lenient, us per body | strict, us per body |")
    print("|---|---:|---:|---:|")
    first_total = best_total = 0.0
    for operation_id in OPERATIONS:
        operation = contract.operations[operation_id]
        validator = operation.validator("request")
        bodies = refused_bodies(operation)
        cells = []
        for strict in (False, True):
            seconds = []
            for _ in range(rounds):
                copies = copy.deepcopy(bodies)
                started = time.process_time()
                for body in copies:
                    validator.validate(body, strict=strict)
                seconds.append(time.process_time() - started)
            first_total += seconds[0]
            best_total += min(seconds)
            per_body = [f"{1e6 * value / len(bodies):.0f}" for value in (seconds[0], min(seconds))]
            cells.append(" then ".join(per_body))
        print(f"| {operation_id} | {len(bodies)} | {cells[0]} | {cells[1]} |")
    print(
        f"\nall bodies, both modes: {first_total:.2f} s of CPU the first time (a new process),"
        f" {best_total:.2f} s the best of {rounds} (jsonschema's lookups cached)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
