"""``python -m emulator.schemagen --docs DIR --out schemas/`` regenerates the contract."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emulator.schemagen.build import OVERRIDES_FILE, GenerationError, generate, write

DEFAULT_DOCS = Path(__file__).resolve().parents[2].parent / "shared/reference/modelarts-api"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "schemas"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.schemagen", description=__doc__)
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="folder of API pages")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="schemas folder to write")
    args = parser.parse_args(argv)
    if not args.docs.is_dir():
        parser.error(f"no reference folder at {args.docs}")
    try:
        overrides = args.out / OVERRIDES_FILE
        names = write(generate(args.docs, overrides if overrides.is_file() else None), args.out)
    except GenerationError as error:
        print(f"schemagen: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(names)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
