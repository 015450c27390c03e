"""The ``/v2`` sub-app: the documented ModelArts operations, behind authentication and scenarios."""
