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

from emulator.errors import StartupError

ENV_PREFIX = "MODELARTS_EMULATOR_"
LOG_LEVELS = ("debug", "info", "warning", "error")
CLOCK_MODES = ("system", "manual")
AUTH_MODES = ("off", "permissive", "strict")
BUNDLED_SEED = Path(__file__).resolve().parent / "data" / "default-seed.yaml"
SEED_FILE_NAME = "seed.yaml"


def _default_schemas_dir() -> Path:
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


def _parse_port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0-65535, got {port}")
    return port


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {text!r}")
        return value

    return parse


def _parse_seconds(text: str) -> float:
    seconds = float(text)
    if not 0 < seconds <= 86_400:
        raise ValueError(f"expected seconds in (0, 86400], got {text!r}")
    return seconds


def _parse_positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ValueError(f"expected a whole number >= 1, got {text!r}")
    return number


def _parse_count(text: str) -> int:
    number = int(text)
    if number < 0:
        raise ValueError(f"expected a whole number >= 0, got {text!r}")
    return number


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
    body_timeout: float = 30.0
    log_level: str = "info"
    schemas_dir: Path | None = None

    @property
    def loopback_only(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    def with_defaults_resolved(self) -> Config:
        """The same config with the bundled seed and schemas folder filled in where unset.

        A seed folder (the container's ``/seed``) means its ``seed.yaml``, or the bundled
        seed when the folder holds none.
        """
        seed = self.seed or BUNDLED_SEED
        if seed.is_dir():
            seed = seed / SEED_FILE_NAME if (seed / SEED_FILE_NAME).is_file() else BUNDLED_SEED
        return replace(self, seed=seed, schemas_dir=self.schemas_dir or _default_schemas_dir())


@dataclass(frozen=True)
class Setting:
    field: str
    flag: str
    help: str
    parse: Callable[[str], object]
    is_switch: bool = False
    # Repeatable flag; its environment variable lists values separated by os.pathsep.
    repeatable: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.field.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "--host", "address to listen on (loopback unless told otherwise)", str),
    Setting("port", "--port", "ModelArts API port; 0 picks a free one and prints it", _parse_port),
    Setting("obs_port", "--obs-port", "OBS (S3 protocol) port; 0 picks a free one", _parse_port),
    Setting("seed", "--seed", "seed file (YAML), or a folder holding seed.yaml", Path),
    Setting(
        "scenarios", "--scenarios", "scenario file or folder; repeatable", Path, repeatable=True
    ),
    Setting(
        "strict",
        "--strict",
        "refuse undocumented fields and type coercions",
        _parse_bool,
        is_switch=True,
    ),
    Setting(
        "auth", "--auth", "off, permissive or strict token and AK/SK checks", _one_of(AUTH_MODES)
    ),
    Setting(
        "clock",
        "--clock",
        "system, or manual (moved by POST /_emulator/clock/advance)",
        _one_of(CLOCK_MODES),
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
        "token the control API requires (X-Emulator-Admin-Token); needed off loopback",
        str,
    ),
    Setting(
        "body_timeout",
        "--body-timeout",
        "seconds a request body may take to arrive",
        _parse_seconds,
    ),
    Setting("log_level", "--log-level", f"one of {', '.join(LOG_LEVELS)}", _one_of(LOG_LEVELS)),
    Setting("schemas_dir", "--schemas-dir", "contract folder (generated JSON Schemas)", Path),
)

assert {s.field for s in SETTINGS} == {f.name for f in fields(Config)}, "every field has a setting"


class ConfigError(StartupError, ValueError):
    """A flag or environment variable holds a value the emulator cannot use."""


def load_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Flags win over environment variables, which win over the defaults."""
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
        epilog="Every flag can also be set through the environment variable named in its help.",
    )
    for setting in SETTINGS:
        help_text = f"{setting.help} [env {setting.env}]"
        if setting.repeatable:
            parser.add_argument(
                setting.flag,
                dest=setting.field,
                type=_argparse_type(setting),
                action="append",
                default=None,
                help=help_text,
            )
        elif setting.is_switch:
            parser.add_argument(
                setting.flag,
                dest=setting.field,
                action="store_const",
                const=True,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                setting.flag,
                dest=setting.field,
                type=_argparse_type(setting),
                default=None,
                help=help_text,
            )
    return parser


def _argparse_type(setting: Setting) -> Callable[[str], object]:
    def convert(text: str) -> object:
        try:
            return setting.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = setting.field
    return convert
