"""modelarts-emulator: a local emulator of the ModelArts intelligent-task API."""

__version__ = "0.1.0"
