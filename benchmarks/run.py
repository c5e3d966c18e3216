"""`make bench`: every benchmark of the project in one run, so ratios share one machine state
(the ledger, the store, PostgreSQL beside SQLite, the operator views against recovery, the FFI)."""

from __future__ import annotations

import importlib
import subprocess
import sys

PYTHON_BENCHMARKS = [
    "benchmarks.ledger",
    "benchmarks.store",
    "benchmarks.postgres",
    "benchmarks.views",
]


def main() -> None:
    for name in PYTHON_BENCHMARKS:
        print(f"\n== {name}", flush=True)
        importlib.import_module(name).main()
    print("\n== FFI (rust_shim, weatherman-bench)", flush=True)
    subprocess.run(
        ["cargo", "run", "--release", "--quiet", "--bin", "weatherman-bench"],
        check=True,
        stdout=sys.stdout,
    )


if __name__ == "__main__":
    main()
