"""``python -m emulator`` and the ``modelarts-emulator`` command."""

import sys

from emulator.outbound_tls import ca_bundle_skipped


def run() -> int:
    """Import the server (and aiohttp) without reading the CA bundle, then start it."""
    with ca_bundle_skipped():
        from emulator.cli import main
    return main()


if __name__ == "__main__":
    sys.exit(run())
