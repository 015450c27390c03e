"""Strict tenancy for the OBS paths of ModelArts requests: a project's requests may name
only buckets of the project's own account, as the OBS listener allows (obs/tenancy.py).

Otherwise one account's datasets, samples and task outputs could read, write and delete
in another account's bucket through the ModelArts API while OBS itself refused it.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.auth.identity import Identities


class AccountBuckets:
    """``allows`` a project a bucket no account owns, or one its own account owns."""

    restricts = True

    def __init__(self, identities: Identities, owner_of: Callable[[str], str | None]) -> None:
        self.identities = identities
        self.owner_of = owner_of

    def allows(self, project_id: str, bucket: str) -> bool:
        owner = self.owner_of(bucket)
        if owner is None:
            return True
        project = self.identities.projects.get(project_id)
        return project is not None and project.domain.domain_id == owner
