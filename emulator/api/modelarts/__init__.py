"""The ``/v2`` ModelArts operations: handlers, routes, and the checks in front of them."""
