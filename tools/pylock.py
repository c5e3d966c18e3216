"""The Python environment's lock: `requirements.lock`, every package pinned with its hashes.

`make` installs the virtualenv from the lock alone (`pip install --require-hashes`), so a new
release of a dependency changes nothing until someone runs `make lock`. The lock's first line holds
a digest of the requirements declared in `pyproject.toml`; `check` (run by `make test`) fails when
they changed since the lock was written, or when a pinned version does not satisfy them.

    python tools/pylock.py write   # resolve anew with uv (the lock's own pinned uv) and rewrite
    python tools/pylock.py check   # exit 1 when the lock is stale against pyproject.toml
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
EXTRAS = ("dev", "postgres")
"""The extras `make` installs; every one is in the lock."""
PYTHON_VERSION = "3.11"
DIGEST_PREFIX = "# pyproject-requirements-sha256: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def declared() -> list[str]:
    """The requirements `make` installs, as pyproject.toml declares them (sorted)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in EXTRAS:
        requirements += optional.get(extra, [])
    return sorted(requirements)


def digest(requirements: list[str]) -> str:
    payload = json.dumps({"python": PYTHON_VERSION, "requirements": requirements})
    return hashlib.sha256(payload.encode()).hexdigest()


def pins(text: str) -> dict[str, str]:
    """Normalised package name -> pinned version, from the lock's text."""
    found = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            found[_normalise(match.group(1))] = match.group(2)
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def problems(lock_text: str, requirements: list[str]) -> list[str]:
    """Why the lock does not fit the declared requirements (empty when it does)."""
    from packaging.requirements import Requirement  # noqa: PLC0415 (installed from the lock)

    first = lock_text.splitlines()[0] if lock_text else ""
    found: list[str] = []
    if first != DIGEST_PREFIX + digest(requirements):
        found.append(
            "requirements.lock was written for other requirements than pyproject.toml declares: "
            "run `make lock`"
        )
    pinned = pins(lock_text)
    for spec in requirements:
        requirement = Requirement(spec)
        version = pinned.get(_normalise(requirement.name))
        if version is None:
            found.append(f"{requirement.name} is declared but not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{requirement.name}=={version} in the lock does not satisfy {spec!r}")
    return found


def write() -> None:
    requirements = declared()
    extras = [arg for extra in EXTRAS for arg in ("--extra", extra)]
    result = subprocess.run(
        [
            "uv", "pip", "compile", str(PYPROJECT.name), *extras,
            "--generate-hashes", "--python-version", PYTHON_VERSION,
            "--python-platform", "x86_64-manylinux_2_28", "--no-header", "--quiet",
        ],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    header = (
        f"{DIGEST_PREFIX}{digest(requirements)}\n"
        "# The whole Python environment, pinned with hashes; `make` installs only from it.\n"
        "# Rewritten by `make lock` (tools/pylock.py) from pyproject.toml; never edit by hand.\n"
    )
    LOCK.write_text(header + result.stdout)
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(pins(result.stdout))} packages")


def check() -> int:
    if not LOCK.exists():
        print("requirements.lock is missing: run `make lock`", file=sys.stderr)
        return 1
    found = problems(LOCK.read_text(), declared())
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        write()
        return 0
    if argv == ["check"]:
        return check()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
