"""`python -m bench [name ...]`: run the benchmarks and print one table."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Each module registers its benchmarks on import; later issue items add modules here.
MODULES = ["bench.working_days", "bench.pages", "bench.sweep", "bench.charging"]


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    # Timed as in production: no debug cursor recording every query, no debug templates.
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from bench.core import BENCHMARKS, Options, machine, render

    for module in MODULES:
        importlib.import_module(module)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--scale", type=float, default=1.0, help="calls per run, relative")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    options = Options(repeat=args.repeat, scale=args.scale)
    rows = []
    for name in args.names or list(BENCHMARKS):
        rows += BENCHMARKS[name](options)
    print(f"machine: {machine()}")
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
