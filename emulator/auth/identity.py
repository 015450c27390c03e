"""Who may call the emulator: domains, users, projects, AK/SK pairs, and the tokens it issued.

Pure Python; time comes from the domain clock, so a manual clock can expire tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from emulator.domain.clock import Clock

TOKEN_VALIDITY_MS = 24 * 3600 * 1000
TOKEN_PREFIX = "MIIEMU"


@dataclass(frozen=True)
class Domain:
    domain_id: str
    name: str


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    password: str
    domain: Domain


@dataclass(frozen=True)
class ProjectRef:
    project_id: str
    name: str
    domain: Domain


@dataclass(frozen=True)
class Credential:
    access_key: str
    secret_key: str
    user: User
    security_token: str | None = None  # set for temporary credentials


@dataclass
class Token:
    value: str
    user: User
    project: ProjectRef | None
    domain_scope: Domain | None
    methods: list[str]
    issued_ms: int
    expires_ms: int

    def expired(self, now_ms: int) -> bool:
        return now_ms >= self.expires_ms


class IdentityError(ValueError):
    """Authentication refused; ``reason`` is what IAM would tell the client."""


@dataclass
class Identities:
    region: str
    domains: dict[str, Domain] = field(default_factory=dict)  # by id
    users: dict[str, User] = field(default_factory=dict)  # by id
    projects: dict[str, ProjectRef] = field(default_factory=dict)  # by id
    credentials: dict[str, Credential] = field(default_factory=dict)  # by access key
    tokens: dict[str, Token] = field(default_factory=dict)
    _seeded_credentials: dict[str, Credential] = field(default_factory=dict)

    def seal(self) -> None:
        """Remember the current credentials as the seeded ones ``reset`` returns to."""
        self._seeded_credentials = dict(self.credentials)

    def reset(self) -> None:
        """Forget issued tokens and credentials added at runtime."""
        self.tokens.clear()
        self.credentials = dict(self._seeded_credentials)

    # --- lookups ----------------------------------------------------------------------

    def domain(self, *, domain_id: str | None = None, name: str | None = None) -> Domain:
        for domain in self.domains.values():
            if domain.domain_id == domain_id or (name is not None and domain.name == name):
                return domain
        raise IdentityError("The domain does not exist.")

    def user(
        self, *, user_id: str | None = None, name: str | None = None, domain: Domain | None = None
    ) -> User:
        for user in self.users.values():
            if user.user_id == user_id:
                return user
            if name is not None and user.name == name and (domain is None or user.domain == domain):
                return user
        raise IdentityError("The username or password is wrong.")

    def project(self, *, project_id: str | None = None, name: str | None = None) -> ProjectRef:
        for project in self.projects.values():
            if project.project_id == project_id or (name is not None and project.name == name):
                return project
        raise IdentityError("The project does not exist.")

    # --- tokens -----------------------------------------------------------------------

    def issue(
        self,
        user: User,
        methods: list[str],
        clock: Clock,
        *,
        project: ProjectRef | None = None,
        domain_scope: Domain | None = None,
    ) -> Token:
        now = clock.now_ms()
        token = Token(
            value=TOKEN_PREFIX + secrets.token_urlsafe(96),
            user=user,
            project=project,
            domain_scope=domain_scope,
            methods=methods,
            issued_ms=now,
            expires_ms=now + TOKEN_VALIDITY_MS,
        )
        self.tokens[token.value] = token
        return token

    def token(self, value: str) -> Token | None:
        return self.tokens.get(value)

    def expire(self, value: str, clock: Clock) -> Token:
        token = self.tokens.get(value)
        if token is None:
            raise IdentityError("The token was not issued by this emulator.")
        token.expires_ms = clock.now_ms()
        return token

    def add_credential(self, credential: Credential) -> None:
        self.credentials[credential.access_key] = credential
