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

On Linux, ``test`` also makes sure the system has what the xcb soak test
(``tests/editor/test_soak_xcb.py``) needs: Xvfb, xdotool and the libraries of
Qt's xcb platform plugin.  Missing ones are installed with ``apt-get`` when
running as root (or with password-less sudo); otherwise dev.py prints what to
install and the soak test is skipped.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
MAIN_MODULE = "editor"
SYSTEM_PACKAGES = [
    "xvfb",
    "xdotool",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    "libx11-xcb1",
    "libfontconfig1",
    "libegl1",
    "libgl1",
    "libglib2.0-0",
]
"""Debian packages for the xcb soak test: the X server, the input driver, and every
library Qt's xcb platform plugin loads (``ldd libqxcb.so``) that a bare system may lack."""
XCB_REQUIRED_ENV = "TREESKETCH_XCB_REQUIRED"
"""Set to 1 for pytest when dev.py could install the system packages: the soak test
then fails, rather than skips, when Xvfb, xdotool or an xcb library is missing."""


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


def missing_system_parts() -> list[str]:
    """What the xcb soak test lacks here: ``Xvfb``, ``xdotool`` and the shared libraries
    ``ldd`` cannot find for Qt's xcb platform plugin in ``.venv`` (empty when complete)."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    plugin = "lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so"
    plugins = glob.glob(str(VENV / plugin))
    if plugins and shutil.which("ldd"):
        out = subprocess.run(["ldd", plugins[0]], capture_output=True, text=True).stdout
        missing += [line.split()[0] for line in out.splitlines() if "not found" in line]
    return missing


def _root_prefix() -> list[str] | None:
    """``[]`` as root, ``["sudo", "-n"]`` with password-less sudo, else ``None``."""
    if os.geteuid() == 0:
        return []
    if (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    ):
        return ["sudo", "-n"]
    return None


def ensure_system_packages() -> bool:
    """Install :data:`SYSTEM_PACKAGES` with apt-get when the xcb soak test lacks something.

    Runs ``apt-get update`` only when the first install attempt fails (empty or
    stale package lists).  Returns True when dev.py was in a position to install
    (Linux, apt-get, root or password-less sudo), so the soak test must not skip;
    False otherwise, after printing what to install.
    """
    if not sys.platform.startswith("linux"):
        return False
    missing = missing_system_parts()
    prefix = _root_prefix() if shutil.which("apt-get") else None
    if not missing:
        return prefix is not None
    what = " ".join(missing)
    if prefix is None:
        print(
            f"dev.py: the xcb soak test needs {what}; it will be skipped. Install them with: "
            f"sudo apt-get install --no-install-recommends {' '.join(SYSTEM_PACKAGES)}",
            file=sys.stderr,
        )
        return False
    print(f"dev.py: missing {what}; installing the xcb test packages", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = [*prefix, "apt-get", "-q", "-y"]
    install = [*apt, "install", "--no-install-recommends", "--no-upgrade", *SYSTEM_PACKAGES]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode:
        subprocess.run([*apt, "update"], env=env, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL)
    left = missing_system_parts()
    if left:
        print(f"dev.py: still missing after apt-get: {' '.join(left)}", file=sys.stderr)
    return True


def test(extra: list[str]) -> int:
    """Lint, check the import contract, then run pytest; returns an exit status."""
    steps = [
        [str(PYTHON), "-m", "ruff", "check", "."],
        [str(BIN / "lint-imports"), "--no-cache"],
        [str(PYTHON), "-m", "pytest", *extra],
    ]
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    if ensure_system_packages():
        env[XCB_REQUIRED_ENV] = "1"
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
