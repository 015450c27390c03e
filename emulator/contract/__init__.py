"""The contract as data: JSON Schemas and the error catalog, loaded once at start.

Nothing here knows about HTTP; handlers ask for an operation's validator and the error
middleware asks the catalog how to word an error.
"""

from emulator.contract.loader import Contract, Operation, load_contract
from emulator.contract.validation import PayloadValidator, Violation

__all__ = ["Contract", "Operation", "PayloadValidator", "Violation", "load_contract"]
