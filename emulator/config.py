"""One configuration object, filled from CLI flags, then environment variables, then defaults.

Every setting is declared once in ``SETTINGS`` with its flag and its environment
variable, so the CLI help, the README's reference table and the container's
environment all describe the same names.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from emulator import __version__
from emulator.errors import StartupError

ENV_PREFIX = "MODELARTS_EMULATOR_"
LOG_LEVELS = ("debug", "info", "warning", "error")
CLOCK_MODES = ("system", "manual")
AUTH_MODES = ("off", "permissive", "strict")
BUNDLED_SEED = Path(__file__).resolve().parent / "data" / "default-seed.yaml"
SEED_FILE_NAME = "seed.yaml"


def bundled_schemas_dir() -> Path:
    """The source tree's ``schemas/``, else the copy installed under ``share/``."""
    in_tree = Path(__file__).resolve().parent.parent / "schemas"
    if (in_tree / "operations.json").is_file():
        return in_tree
    return Path(sys.prefix) / "share" / "modelarts-emulator" / "schemas"


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _whole_number(text: str, wanted: str) -> int:
    """``int(text)``, refused in the user's words rather than Python's."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"expected {wanted}, got {text!r}") from None


def _parse_port(text: str) -> int:
    wanted = "a port number from 0 to 65535"
    port = _whole_number(text, wanted)
    if not 0 <= port <= 65535:
        raise ValueError(f"expected {wanted}, got {text!r}")
    return port


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {text!r}")
        return value

    return parse


def _seconds_between(
    low: float, high: float, wanted: str, *, low_allowed: bool = True
) -> Callable[[str], float]:
    """A parser of a number of seconds from ``low`` (or above it) to ``high``; ``wanted``
    says those bounds in the user's words."""

    def parse(text: str) -> float:
        try:
            seconds = float(text.strip())
        except ValueError:
            raise ValueError(f"expected {wanted}, got {text!r}") from None
        above_low = low <= seconds if low_allowed else low < seconds
        if not (above_low and seconds <= high):  # also refuses nan
            raise ValueError(f"expected {wanted}, got {text!r}")
        return seconds

    return parse


_parse_lifetime = _seconds_between(1, 2_592_000, "seconds, a number from 1 to 2592000 (30 days)")
_parse_seconds = _seconds_between(
    0, 86_400, "seconds, a number above 0 and at most 86400", low_allowed=False
)


def _parse_positive(text: str) -> int:
    number = _whole_number(text, "a whole number >= 1")
    if number < 1:
        raise ValueError(f"expected a whole number >= 1, got {text!r}")
    return number


def _parse_url(text: str) -> str:
    value = text.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    return value


def _parse_count(text: str) -> int:
    number = _whole_number(text, "a whole number >= 0")
    if number < 0:
        raise ValueError(f"expected a whole number >= 0, got {text!r}")
    return number


def _parse_text(text: str) -> str:
    if not text.strip():
        raise ValueError("expected a value, got an empty one")
    return text


def _parse_header_value(text: str) -> str:
    """A key or token sent upstream in a header: no control characters (a stray newline
    from a secrets file would fail every request later, not the start now)."""
    text = _parse_text(text)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise ValueError("expected no control characters (a newline at the end?)")
    return text


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    obs_port: int | None = 9000  # None: no OBS listener
    seed: Path | None = None
    scenarios: tuple[Path, ...] = ()
    strict: bool = False
    auth: str = "permissive"
    clock: str = "system"
    task_duration: float = 3.0
    max_running_tasks: int = 5
    journal_size: int = 1000
    admin_token: str | None = None
    console_session: float = 43_200.0  # seconds a console sign-in lasts (12 h)
    body_timeout: float = 30.0
    log_level: str = "info"
    schemas_dir: Path | None = None
    # Record mode (emulator/record/): forward /v2 and /v3 upstream and write what answered.
    proxy_to: str | None = None
    proxy_iam_to: str | None = None
    record: Path | None = None
    upstream_ak: str | None = None
    upstream_sk: str | None = None
    upstream_security_token: str | None = None

    @property
    def loopback_only(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    @property
    def control_api(self) -> str:
        """Who may use the control API, in the words of the start-up banner.

        Mirrors ``emulator.api.control.guard``: a token is required once set; without one
        the API is open on loopback and off beyond it.
        """
        if self.admin_token is not None:
            return "token required (X-Emulator-Admin-Token)"
        if self.loopback_only:
            return "open on loopback"
        return "off (listening beyond loopback and no admin token is set)"

    def with_defaults_resolved(self) -> Config:
        """The same config with the bundled seed and schemas folder filled in where unset.

        A seed folder (the container's ``/seed``) means its ``seed.yaml``, or the bundled
        seed when the folder holds none.
        """
        # (Paths given as text by code that builds a Config itself are taken as paths.)
        seed = Path(self.seed) if self.seed else BUNDLED_SEED
        if seed.is_dir():
            seed = seed / SEED_FILE_NAME if (seed / SEED_FILE_NAME).is_file() else BUNDLED_SEED
        schemas_dir = Path(self.schemas_dir) if self.schemas_dir else bundled_schemas_dir()
        return replace(self, seed=seed, schemas_dir=schemas_dir)


@dataclass(frozen=True)
class Setting:
    field: str
    flag: str
    help: str
    parse: Callable[[str], object]
    # Shown in --help; None: the Config default, as written.
    default_text: str | None = None
    choices: tuple[str, ...] = ()
    is_switch: bool = False
    # Repeatable flag; its environment variable lists values separated by os.pathsep.
    repeatable: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.field.upper()

    @property
    def default(self) -> str:
        """The default as the help and the README show it."""
        if self.default_text is not None:
            return self.default_text
        value = Config.__dataclass_fields__[self.field].default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "--host", "address to listen on, API and OBS", _parse_text),
    Setting("port", "--port", "ModelArts API port; 0 picks a free one and prints it", _parse_port),
    Setting("obs_port", "--obs-port", "OBS (S3 protocol) port; 0 picks a free one", _parse_port),
    Setting(
        "seed",
        "--seed",
        "seed file (YAML), or a folder holding seed.yaml",
        Path,
        default_text="the bundled demo seed",
    ),
    Setting(
        "scenarios",
        "--scenarios",
        "scenario file or folder; repeatable (environment: paths separated by ':')",
        Path,
        default_text="none",
        repeatable=True,
    ),
    Setting(
        "strict",
        "--strict",
        "refuse undocumented fields and type coercions (--no-strict: lenient)",
        _parse_bool,
        is_switch=True,
    ),
    Setting(
        "auth",
        "--auth",
        "token and AK/SK checks on /v2",
        _one_of(AUTH_MODES),
        choices=AUTH_MODES,
    ),
    Setting(
        "clock",
        "--clock",
        "manual: time moves only by POST /_emulator/clock/advance",
        _one_of(CLOCK_MODES),
        choices=CLOCK_MODES,
    ),
    Setting(
        "task_duration",
        "--task-duration",
        "seconds a task takes from queued to done",
        _parse_seconds,
    ),
    Setting(
        "max_running_tasks",
        "--max-running-tasks",
        "unfinished tasks allowed per dataset",
        _parse_positive,
    ),
    Setting("journal_size", "--journal-size", "requests the journal keeps (0: none)", _parse_count),
    Setting(
        "admin_token",
        "--admin-token",
        "token the control API then requires in X-Emulator-Admin-Token; without one the "
        "control API is open on loopback and off beyond it",
        _parse_text,
        default_text="none",
    ),
    Setting(
        "console_session",
        "--console-session",
        "seconds a console sign-in lasts, in real time; signing out ends it sooner",
        _parse_lifetime,
    ),
    Setting(
        "body_timeout",
        "--body-timeout",
        "seconds a request body may take to arrive",
        _parse_seconds,
    ),
    Setting(
        "log_level", "--log-level", "server log detail", _one_of(LOG_LEVELS), choices=LOG_LEVELS
    ),
    Setting(
        "schemas_dir",
        "--schemas-dir",
        "contract folder (generated JSON Schemas)",
        Path,
        default_text="the installed contract",
    ),
    # Record mode (emulator/record/).
    Setting(
        "proxy_to",
        "--proxy-to",
        "record mode: forward /v2 (and /v3) requests to this URL",
        _parse_url,
        default_text="none",
    ),
    Setting(
        "proxy_iam_to",
        "--proxy-iam-to",
        "record mode: forward /v3 requests here instead",
        _parse_url,
        default_text="the --proxy-to URL",
    ),
    Setting(
        "record",
        "--record",
        "record mode: folder the proxied interactions are written to",
        Path,
        default_text="none",
    ),
    Setting(
        "upstream_ak",
        "--upstream-ak",
        "record mode: access key that re-signs AK/SK requests",
        _parse_header_value,
        default_text="none",
    ),
    Setting(
        "upstream_sk",
        "--upstream-sk",
        "record mode: secret key that re-signs AK/SK requests",
        _parse_header_value,
        default_text="none",
    ),
    Setting(
        "upstream_security_token",
        "--upstream-security-token",
        "record mode: security token of temporary upstream keys (sent as X-Security-Token)",
        _parse_header_value,
        default_text="none",
    ),
)

assert {s.field for s in SETTINGS} == {f.name for f in fields(Config)}, "every field has a setting"


class ConfigError(StartupError, ValueError):
    """A flag or environment variable holds a value the emulator cannot use."""


def load_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Flags win over environment variables, which win over the defaults.

    Bad flags exit through argparse (status 2, the flag and the reason); bad environment
    values raise ``ConfigError`` naming the variable.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None:
            continue
        try:
            if setting.repeatable:
                values[setting.field] = tuple(
                    setting.parse(part) for part in raw.split(os.pathsep) if part
                )
            else:
                values[setting.field] = setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{setting.env}: {error}") from None
    parsed = vars(build_parser().parse_args(argv))
    for name, value in parsed.items():
        if value is not None:
            values[name] = tuple(value) if isinstance(value, list) else value
    return Config(**values)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelarts-emulator",
        description="Local emulator of the ModelArts intelligent-task API.",
        epilog="Flags win over the environment variables named in brackets, which win "
        "over the defaults. `modelarts-emulator compare RECORDING` replays a recording "
        "against an emulator and reports the drift (see `compare --help`).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    for setting in SETTINGS:
        parser.add_argument(setting.flag, dest=setting.field, default=None, **_how(setting))
    return parser


def _how(setting: Setting) -> dict[str, object]:
    """argparse keywords: the action, the value's type and name, and the help line."""
    shown = [f"default: {setting.default}"]
    if setting.choices:
        shown.insert(0, f"one of: {', '.join(setting.choices)}")
    # argparse expands %-placeholders in help texts.
    help_text = f"{setting.help} ({'; '.join(shown)}) [env {setting.env}]".replace("%", "%%")
    if setting.is_switch:
        return {"action": argparse.BooleanOptionalAction, "help": help_text}
    how: dict[str, object] = {"type": _argparse_type(setting), "help": help_text}
    how["metavar"] = "{" + ",".join(setting.choices) + "}" if setting.choices else _metavar(setting)
    if setting.repeatable:
        how["action"] = "append"
    return how


def _metavar(setting: Setting) -> str:
    if setting.parse is Path:
        return "PATH"
    if setting.parse in (_parse_seconds, _parse_lifetime):
        return "SECONDS"
    if setting.parse in (_parse_port, _parse_positive, _parse_count):
        return "N"
    return "TEXT"


def _argparse_type(setting: Setting) -> Callable[[str], object]:
    def convert(text: str) -> object:
        try:
            return setting.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = setting.field
    return convert
