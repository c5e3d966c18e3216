"""This tree's benchmarks beside a baseline build, in one run, as ratios.

The baseline (a git revision, 83759e3 unless `WEATHERMAN_BASELINE` names another) is exported
under `target/baseline/<rev>` and measured with its own Python package, its own benchmarks and
its own `weatherman-bench` binary (a release build in `target/baseline/<rev>/target`, made
once). The two trees run alternately, several rounds each, on the same machine state, and each
figure's best round is compared (the least time, the highest rate: other work on the machine
only ever slows a round, so the best is the steadiest estimate of the code's own cost, as
`timeit` reports it): a time may grow, or a rate shrink, by at most the figure's tolerance.
The ledger's in-memory figures are also counted in instructions (`benchmarks/counted.py` under
callgrind), which no load on the machine changes. `make bench` runs it last.

    python -m benchmarks.compare            # every part
    python -m benchmarks.compare ledger     # one part: ledger, store, recovery, ffi or
                                            # instructions

`WEATHERMAN_BENCH_ROUNDS` sets the rounds (5 by default): more on a busy machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = os.environ.get("WEATHERMAN_BASELINE", "83759e3")
ROUNDS = int(os.environ.get("WEATHERMAN_BENCH_ROUNDS", "5"))
"""Alternating rounds per part (the store's fills benchmark alternates inside its one round)."""


@dataclass(frozen=True)
class Figure:
    name: str
    higher_is_better: bool
    tolerance: float  # the largest change for the worse, as a fraction


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("on_fill_buy (us)", False, 0.10),
        Figure("on_fill_sell (us)", False, 0.10),
        Figure("update_prices 50 of 50 (us)", False, 0.10),
        Figure("snapshot_json 50 of 50 changed (us)", False, 0.10),
        Figure("snapshot_json 2 of 50 changed (us)", False, 0.10),
        Figure("durable fills live / raw SQLite", True, 0.10),
        Figure("durable fills paper / raw SQLite", True, 0.10),
        Figure("recovery 100k events (s)", False, 0.10),
        Figure("FFI tick 50 tokens all changed (us)", False, 0.10),
        Figure("FFI tick 50 tokens two changed (us)", False, 0.10),
        Figure("FFI on_fill_buy (us)", False, 0.10),
        Figure("on_fill_buy (instructions)", False, 0.10),
        Figure("on_fill_sell (instructions)", False, 0.10),
        Figure("update_prices 50 of 50 (instructions)", False, 0.10),
        Figure("snapshot_json 50 of 50 changed (instructions)", False, 0.10),
        Figure("snapshot_json 2 of 50 changed (instructions)", False, 0.10),
    )
}

_LEDGER_ROWS = {
    "on_fill_buy (Decimal price, open order)": "on_fill_buy (us)",
    "on_fill_sell (Decimal price, open order)": "on_fill_sell (us)",
    "update_prices, 50 of 50 tokens moved": "update_prices 50 of 50 (us)",
    "snapshot_json(), 50 of 50 prices changed": "snapshot_json 50 of 50 changed (us)",
    "snapshot_json(), 2 of 50 prices changed": "snapshot_json 2 of 50 changed (us)",
}


def baseline_tree() -> Path:
    """The baseline's sources (python, benchmarks, Rust), exported once."""
    tree = ROOT / "target" / "baseline" / BASELINE
    if not (tree / ".complete").exists():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", BASELINE], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (tree / ".complete").touch()
    return tree


def _env(**extra: str) -> dict[str, str]:
    """The environment of a benchmark: the project's virtualenv, as `make` exports it."""
    venv = os.environ.get("WEATHERMAN_VENV", str(ROOT / ".venv"))
    python = os.environ.get("PYO3_PYTHON", str(Path(venv) / "bin" / "python"))
    return dict(os.environ, WEATHERMAN_VENV=venv, PYO3_PYTHON=python, **extra)


def _run(tree: Path, args: Sequence[str]) -> str:
    env = _env(PYTHONPATH=f"{tree / 'python'}{os.pathsep}{tree}")
    out = subprocess.run(args, cwd=tree, env=env, check=True, capture_output=True, text=True).stdout
    return out


def ledger(tree: Path) -> dict[str, float]:
    out = _run(tree, [sys.executable, "-m", "benchmarks.ledger"])
    figures = {}
    for line in out.splitlines():
        for label, name in _LEDGER_ROWS.items():
            if line.startswith(label):
                figures[name] = float(line[len(label) :].split()[0])
    return figures


def store(tree: Path) -> dict[str, float]:
    """Each mode's ratio of durable fills to raw SQLite, by one method for both trees: this
    tree's `benchmarks/paired.py` with `tree`'s package and store benchmark."""
    figures = {}
    for mode in ("live", "paper"):
        out = _run(tree, [sys.executable, str(ROOT / "benchmarks" / "paired.py"), mode])
        match = re.search(rf"^\| {mode} \| [\d,]+ \| [\d,]+ \| ([\d.]+) \|", out, re.M)
        if match is None:
            raise RuntimeError(f"no {mode} ratio from benchmarks/paired.py: {out[-500:]}")
        figures[f"durable fills {mode} / raw SQLite"] = float(match.group(1))
    return figures


def recovery(tree: Path) -> dict[str, float]:
    """Recovery of a 100k-event journal in a fresh process; the journal, written by the tree's
    own `build_journal`, is made once per run and kept for the rounds after."""
    path = tree / "target" / "compare-recovery.db"
    if path not in _BUILT:
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        code = (
            "import sys; from benchmarks.store import build_journal; "
            f"build_journal({str(path)!r}, 100_000)"
        )
        _run(tree, [sys.executable, "-c", code])
        _BUILT.add(path)
    code = f"from benchmarks.store import recover_child; recover_child({str(path)!r})"
    out = _run(tree, [sys.executable, "-c", code])
    seconds = float(re.search(r'"seconds": ([\d.e-]+)', out).group(1))  # type: ignore[union-attr]
    return {"recovery 100k events (s)": seconds}


_BUILT: set[Path] = set()


def _remove_journals() -> None:
    for path in _BUILT:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _bench_binary(tree: Path) -> Path:
    target = ROOT / "target" if tree == ROOT else tree / "target"
    env = _env(CARGO_TARGET_DIR=str(target))
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "weatherman-bench"],
        cwd=tree,
        env=env,
        check=True,
    )
    return target / "release" / "weatherman-bench"


def ffi(tree: Path) -> dict[str, float]:
    out = _run(tree, [str(_bench_binary(tree))])
    figures = {}
    for case, name in (
        ("all changed", "FFI tick 50 tokens all changed (us)"),
        ("two changed", "FFI tick 50 tokens two changed (us)"),
    ):
        match = re.search(rf"^\|\s+50 \| {case}\s+\|\s+([\d.]+) \|", out, re.M)
        if match:
            figures[name] = float(match.group(1))
    match = re.search(r"on_fill_buy through the shim \(in memory\): ([\d.]+)", out)
    if match:
        figures["FFI on_fill_buy (us)"] = float(match.group(1))
    return figures


COUNTED_CALLS = 2_000


def _instructions(tree: Path, figure: str) -> float:
    """Instructions per call of `benchmarks/counted.py`'s `figure` with `tree`'s package."""
    env = _env(PYTHONPATH=f"{tree / 'python'}{os.pathsep}{tree}", PYTHONHASHSEED="0")
    args = [
        "valgrind", "--tool=callgrind", "--toggle-collect=functools_reduce",
        "--callgrind-out-file=/dev/null",
        sys.executable, str(ROOT / "benchmarks" / "counted.py"), figure, str(COUNTED_CALLS),
    ]  # fmt: skip
    run = subprocess.run(args, cwd=tree, env=env, check=True, capture_output=True, text=True)
    match = re.search(r"Collected : (\d+)", run.stderr)
    if match is None:
        raise RuntimeError(f"callgrind reported no count for {figure}: {run.stderr[-500:]}")
    return int(match.group(1)) / COUNTED_CALLS


def instructions(tree: Path) -> dict[str, float]:
    """The ledger's figures counted in instructions (callgrind), two figures at a time: the
    counts do not depend on the machine's load. A snapshot's figure is the update and the
    snapshot less the update alone."""
    if shutil.which("valgrind") is None:
        raise SystemExit("the instructions part needs valgrind (make bench installs it)")
    names = ("buy", "sell", "prices50", "json50", "prices2", "json2")
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(names, pool.map(lambda f: _instructions(tree, f), names), strict=True))
    return {
        "on_fill_buy (instructions)": counts["buy"],
        "on_fill_sell (instructions)": counts["sell"],
        "update_prices 50 of 50 (instructions)": counts["prices50"],
        "snapshot_json 50 of 50 changed (instructions)": counts["json50"] - counts["prices50"],
        "snapshot_json 2 of 50 changed (instructions)": counts["json2"] - counts["prices2"],
    }


PARTS: dict[str, Callable[[Path], dict[str, float]]] = {
    "ledger": ledger,
    "store": store,
    "recovery": recovery,
    "ffi": ffi,
    "instructions": instructions,
}
ONCE: frozenset[str] = frozenset({"store", "instructions"})
"""Parts run once per tree: the store's benchmark pairs its own rounds, and a count of
instructions is the same every time."""


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def main(parts: Sequence[str]) -> int:
    unknown = set(parts) - PARTS.keys()
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}: {', '.join(PARTS)}")
    base = baseline_tree()
    samples: dict[str, dict[str, list[float]]] = {"baseline": {}, "current": {}}
    for part in parts:
        rounds = 1 if part in ONCE else ROUNDS
        for r in range(rounds):
            for label, tree in (("baseline", base), ("current", ROOT)):
                print(f"  {part}: {label} round {r + 1}/{rounds}", flush=True)
                for name, value in PARTS[part](tree).items():
                    samples[label].setdefault(name, []).append(value)
    _remove_journals()
    print(f"\nbaseline {BASELINE} against this tree (best of the rounds; same run, same machine)\n")
    print("| figure | baseline | this tree | change | allowed | verdict |")
    print("|---|---:|---:|---:|---:|---|")
    worse = 0
    for name, figure in FIGURES.items():
        if name not in samples["baseline"] or name not in samples["current"]:
            continue
        best = max if figure.higher_is_better else min
        old = best(samples["baseline"][name])
        new = best(samples["current"][name])
        change = new / old - 1
        bad = -change if figure.higher_is_better else change
        ok = bad <= figure.tolerance
        worse += not ok
        print(
            f"| {name} | {_number(old)} | {_number(new)} | {change:+.1%} | "
            f"{'-' if figure.higher_is_better else '+'}{figure.tolerance:.0%} | "
            f"{'ok' if ok else 'WORSE'} |"
        )
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or tuple(PARTS)))
