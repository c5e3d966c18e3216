"""The Python lock: `make` installs only from requirements.lock, which must fit pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tools import pylock

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_lock_fits_pyproject() -> None:
    assert pylock.problems(pylock.LOCK.read_text(), pylock.declared()) == []


def test_every_locked_package_is_pinned_with_hashes() -> None:
    hashes: dict[str, int] = {}
    current = ""
    for line in pylock.LOCK.read_text().splitlines():
        if line and line[0] not in "# ":
            current = line.split("==")[0]
            hashes[current] = 0
        elif line.strip().startswith("--hash=sha256:"):
            hashes[current] += 1
    assert len(hashes) == len(pylock.pins(pylock.LOCK.read_text())) >= 15
    assert [name for name, count in hashes.items() if count == 0] == []


def test_a_new_requirement_makes_the_lock_stale() -> None:
    declared = [*pylock.declared(), "tomli-w>=1"]
    found = pylock.problems(pylock.LOCK.read_text(), declared)
    assert found[0].startswith("requirements.lock was written for other requirements")
    assert "tomli-w is declared but not in requirements.lock" in found


def test_a_tightened_bound_the_pin_misses_is_named() -> None:
    pinned = pylock.pins(pylock.LOCK.read_text())["pydantic"]
    major = int(pinned.split(".")[0])
    declared = [r for r in pylock.declared() if not r.startswith("pydantic")]
    declared.append(f"pydantic>={major + 1}")
    found = pylock.problems(pylock.LOCK.read_text(), declared)
    assert f"pydantic=={pinned} in the lock does not satisfy 'pydantic>={major + 1}'" in found


def test_installed_versions_are_the_locked_ones() -> None:
    from importlib.metadata import version  # noqa: PLC0415

    pins = pylock.pins(pylock.LOCK.read_text())
    for name in ("pydantic", "pydantic-core", "orjson", "mypy", "ruff", "hypothesis", "pytest"):
        assert version(name) == pins[name], name


@pytest.mark.parametrize(("argv", "code"), [(["check"], 0), (["bogus"], 2)])
def test_the_check_command_exit_codes(argv: list[str], code: int) -> None:
    result = subprocess.run(
        [sys.executable, "tools/pylock.py", *argv],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == code, result.stderr
