"""``python -m emulator`` is the same as the ``modelarts-emulator`` command."""

import sys

from emulator.cli import main

sys.exit(main())
