"""Who may call the emulator: domains, users, projects, AK/SK pairs, and the tokens it issued.

Each user belongs to one domain and reaches only that domain's projects (tenancy). Pure
Python; time comes from the domain clock, so a manual clock can expire tokens. Issued
tokens are bounded: expired ones are pruned, and at most ``MAX_TOKENS`` are kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from emulator.domain.clock import Clock

TOKEN_VALIDITY_MS = 24 * 3600 * 1000
TOKEN_PREFIX = "MIIEMU"
# The newest tokens kept; issuing one more forgets the oldest (a client that holds it gets
# 401 ModelArts.0203 in strict mode, as for a token the emulator never issued).
MAX_TOKENS = 10_000
# Identities made up for permissive-mode clients are remembered up to this many each.
MAX_ADOPTED = 1_000


def derived_id(*parts: str) -> str:
    """A stable 32-hex id for an identity made up from its names (same names, same id)."""
    return hashlib.md5("/".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


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
    tokens: dict[str, Token] = field(default_factory=dict)  # oldest first
    max_tokens: int = MAX_TOKENS
    _seeded: tuple[dict, dict, dict, dict] = field(default_factory=lambda: ({}, {}, {}, {}))
    _adopted: int = 0

    def seal(self) -> None:
        """Remember the current identities as the seeded ones ``reset`` returns to."""
        self._seeded = (
            dict(self.domains),
            dict(self.users),
            dict(self.projects),
            dict(self.credentials),
        )

    def reset(self) -> None:
        """Forget issued tokens, credentials added at runtime and adopted identities."""
        self.tokens.clear()
        self._adopted = 0
        domains, users, projects, credentials = self._seeded
        self.domains, self.users = dict(domains), dict(users)
        self.projects, self.credentials = dict(projects), dict(credentials)

    # --- tenancy ----------------------------------------------------------------------

    def project_of_domain(self, project_id: str, domain: Domain) -> ProjectRef | None:
        """The project if it exists and belongs to ``domain``; None otherwise."""
        project = self.projects.get(project_id)
        if project is None or project.domain.domain_id != domain.domain_id:
            return None
        return project

    def projects_of(self, domain: Domain) -> list[ProjectRef]:
        return [p for p in self.projects.values() if p.domain.domain_id == domain.domain_id]

    # --- identities made up for permissive mode ----------------------------------------

    def first_domain(self) -> Domain:
        """Where a caller who names no domain belongs: the first seeded one."""
        for domain in self.domains.values():
            return domain
        return self.adopt_domain(domain_id=None, name="default")

    def adopt_domain(self, *, domain_id: str | None, name: str | None) -> Domain:
        """The named domain, or a new one of that name."""
        try:
            return self.domain(domain_id=domain_id, name=name)
        except IdentityError:
            pass
        label = name or domain_id or "default"
        domain = Domain(domain_id or derived_id("domain", label), label)
        self._remember(self.domains, domain.domain_id, domain)
        return domain

    def adopt_user(self, *, user_id: str | None, name: str | None, domain: Domain) -> User:
        """The named user of ``domain``, or a new one (any password) in that domain."""
        try:
            user = self.user(user_id=user_id, name=name, domain=domain)
            if user.domain.domain_id == domain.domain_id:
                return user
        except IdentityError:
            pass
        label = name or user_id or "user"
        user = User(user_id or derived_id("user", domain.domain_id, label), label, "", domain)
        self._remember(self.users, user.user_id, user)
        return user

    def adopt_project(
        self, *, project_id: str | None, name: str | None, domain: Domain
    ) -> ProjectRef:
        """The project of that id or name, the domain's own first (a region name maps to its
        seeded project), or a new project of that name in ``domain``."""
        for within in (domain, None):
            try:
                return self.project(project_id=project_id, name=name, domain=within)
            except IdentityError:
                pass
        label = name or project_id or "project"
        project_id = project_id or derived_id("project", domain.domain_id, label)
        project = ProjectRef(project_id, label, domain)
        self._remember(self.projects, project_id, project)
        return project

    def _remember(self, table: dict, key: str, value: object) -> None:
        """Keep an adopted identity for lookups, up to ``MAX_ADOPTED`` (tokens carry theirs)."""
        if self._adopted < MAX_ADOPTED:
            self._adopted += 1
            table[key] = value

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

    def project(
        self,
        *,
        project_id: str | None = None,
        name: str | None = None,
        domain: Domain | None = None,
    ) -> ProjectRef:
        """By id or name; with ``domain``, only that domain's projects (each domain has a
        project named after the region, so names repeat across domains)."""
        for project in self.projects.values():
            if domain is not None and project.domain.domain_id != domain.domain_id:
                continue
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
        self._make_room(now)
        self.tokens[token.value] = token
        return token

    def _make_room(self, now_ms: int) -> None:
        """Prune expired tokens from the oldest end, then forget the oldest beyond the cap.

        Tokens are issued in time order with one validity, so the oldest expire first; a
        token expired early (``expire``) is dropped when it reaches the front or the cap.
        """
        tokens = self.tokens
        while tokens:
            oldest = next(iter(tokens.values()))
            if not oldest.expired(now_ms):
                break
            del tokens[oldest.value]
        while len(tokens) >= self.max_tokens:
            del tokens[next(iter(tokens))]

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
