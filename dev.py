#!/usr/bin/env python3
"""Set up TreeSketch's private virtual environment, then run it or its tests.

    python3 dev.py run [ARGS...]    set up (runtime only) and start TreeSketch
    python3 dev.py test [ARGS...]   set up (with training/test tools) and run
                                    lint, the import contract and the test suite
    python3 dev.py setup [--dev]    only set up

The environment lives in ``.venv`` inside the repository.  Dependencies are the
pinned ``requirements.txt`` (runtime) and ``requirements-dev.txt`` (torch,
training and test tools); they are reinstalled only when those files change.
Needs nothing but Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
MAIN_MODULE = "editor"


def _digest(*files: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def setup(dev: bool) -> None:
    """Create ``.venv`` and install the pinned requirements when they changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("TreeSketch needs Python 3.11 or newer")
    if not PYTHON.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / ("requirements-dev.txt" if dev else "requirements.txt")
    files = [ROOT / "requirements.txt"] + ([req] if dev else [])
    stamp = VENV / f".installed-{req.stem}"
    digest = _digest(*files)
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"dev.py: installing {req.name}", file=sys.stderr)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(req),
        ],
        check=True,
    )
    stamp.write_text(digest)


def test(extra: list[str]) -> int:
    """Lint, check the import contract, then run pytest; returns an exit status."""
    steps = [
        [str(PYTHON), "-m", "ruff", "check", "."],
        [str(BIN / "lint-imports"), "--no-cache"],
        [str(PYTHON), "-m", "pytest", *extra],
    ]
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    for step in steps:
        code = subprocess.run(step, cwd=ROOT, env=env).returncode
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "setup"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "setup":
        setup(dev="--dev" in rest)
        return 0
    setup(dev=cmd == "test")
    if cmd == "test":
        return test(rest)
    # Run from the caller's folder (relative paths work) with the repo importable.
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    return subprocess.run([str(PYTHON), "-m", MAIN_MODULE, *rest], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
