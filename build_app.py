#!/usr/bin/env python3
"""Build TreeSketch's desktop bundle: one folder that runs without Python or torch.

    python3 build_app.py               build dist/TreeSketch/ (always rebuilds)
    python3 build_app.py --if-stale    build only if the sources changed since the last build
    python3 build_app.py --smoke [--model FILE]
                                       run the built app's smoke test (headless, clean env)
    python3 build_app.py --measure     bundle size and cold start time to the first window

PyInstaller (``requirements-build.txt``) runs in a private virtual environment,
``.venv-build/``, that holds only the runtime requirements (``requirements.txt``):
torch, onnx and matplotlib are not installed there, so they cannot reach the
bundle.  The environment is created on first use and refreshed when those files
change.  The spec is ``desktop/TreeSketch.spec``.  Needs nothing but Python 3.11+.

The bundle carries the app's policy models, every ``models/policy*.onnx``
(:data:`MODEL_GLOB`, the spec's ``data_files``): the CSG2D ones (``policy.onnx``,
``policy_<modality>.onnx``) and, when it exists, TinySVG's ``policy_tinysvg.onnx``.
After a build, :func:`missing_models` checks that each one made it in, and the build
says which models it bundled.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv-build"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
SPEC = ROOT / "desktop" / "TreeSketch.spec"
DIST = ROOT / "dist"
BUNDLE = DIST / "TreeSketch"
BINARY = BUNDLE / ("TreeSketch.exe" if os.name == "nt" else "TreeSketch")
STAMP = ROOT / "build" / "TreeSketch.stamp"
REQUIREMENTS = [ROOT / "requirements.txt", ROOT / "requirements-build.txt"]
SOURCES = ["editor", "inference", "desktop", "resources", "models"]
SOURCE_SUFFIXES = {".py", ".spec", ".onnx", ".png", ".svg", ".csg", ".tsk"}
MODEL_GLOB = "policy*.onnx"
"""The app's models in ``models/`` (the spec bundles these, never baseline_ar.onnx)."""
SVG_MODEL = "policy_tinysvg.onnx"
"""The TinySVG policy model's file name (``inference.model.onnx_model.SVG_MODEL_NAME``)."""
PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT", "WINDIR", "TEMP", "TMP")


def _digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def setup() -> None:
    """Create ``.venv-build`` and install the runtime + build requirements when they changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - may be started by an older python3
        sys.exit("building TreeSketch needs Python 3.11 or newer")
    if not PYTHON.exists():
        print("build_app.py: creating .venv-build", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp, digest = VENV / ".installed-build", _digest(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("build_app.py: installing requirements.txt + requirements-build.txt", file=sys.stderr)
    reqs = [arg for req in REQUIREMENTS for arg in ("-r", str(req))]
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *reqs], check=True, env=_build_env())
    stamp.write_text(digest)


def source_digest() -> str:
    """A digest of everything that goes into the bundle (code, resources, models, pins)."""
    files = [
        f
        for folder in SOURCES
        for f in sorted((ROOT / folder).rglob("*"))
        if f.is_file() and f.suffix in SOURCE_SUFFIXES and "__pycache__" not in f.parts
    ]
    return _digest(REQUIREMENTS + files)


def is_fresh() -> bool:
    """True when the bundle exists and was built from the current sources."""
    return BINARY.exists() and STAMP.exists() and STAMP.read_text() == source_digest()


def _build_env() -> dict[str, str]:
    """The caller's environment without any other virtual environment or Python path."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    paths = env.get("PATH", "").split(os.pathsep)
    keep = [p for p in paths if p and not (Path(p).parent / "pyvenv.cfg").exists()]
    env["PATH"] = os.pathsep.join([str(BIN), *keep])
    return env


def build(if_stale: bool = False) -> Path:
    """Build ``dist/TreeSketch/`` with PyInstaller in ``.venv-build``; returns the bundle folder."""
    setup()
    digest = source_digest()
    if if_stale and is_fresh():
        print(f"build_app.py: {BUNDLE} is up to date", file=sys.stderr)
        return BUNDLE
    STAMP.unlink(missing_ok=True)
    work = ROOT / "build" / "pyinstaller"
    cmd = [str(PYTHON), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(DIST), "--workpath", str(work), str(SPEC)]
    subprocess.run(cmd, cwd=ROOT, check=True, env=_build_env())
    missing = missing_models()
    if missing:
        sys.exit(f"build_app.py: the bundle lacks {', '.join(missing)} (see the spec's data_files)")
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(digest)
    return BUNDLE


def shipped_models(root: Path = ROOT) -> list[str]:
    """The model files the bundle must carry: ``models/policy*.onnx`` of the checkout."""
    return sorted(p.name for p in (root / "models").glob(MODEL_GLOB) if p.is_file())


def missing_models(bundle: Path = BUNDLE, root: Path = ROOT) -> list[str]:
    """The shipped models (:func:`shipped_models`) not in ``bundle``'s ``_internal/models``."""
    inside = bundle / "_internal" / "models"
    return [name for name in shipped_models(root) if not (inside / name).is_file()]


def models_line(root: Path = ROOT) -> str:
    """One line naming the bundled models, and whether TinySVG's is among them."""
    names = shipped_models(root)
    if SVG_MODEL in names:
        svg = f"TinySVG's {SVG_MODEL} included"
    else:
        svg = f"no TinySVG model (models/{SVG_MODEL} absent)"
    return f"models: {', '.join(names) or 'none'}; {svg}"


def bundle_bytes(folder: Path = BUNDLE) -> int:
    """Total size of the files in ``folder`` (links not followed)."""
    return sum(f.lstat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def clean_env(home: Path, platform: str = "offscreen", display: str | None = None) -> dict:
    """A minimal environment for the built app: no venv, no PYTHONPATH, a private HOME.

    ``platform`` is the Qt platform (``QT_QPA_PLATFORM``); ``display`` the X
    display for ``xcb``.
    """
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env |= {"HOME": str(home), "USERPROFILE": str(home), "APPDATA": str(home)}
    env |= {"XDG_RUNTIME_DIR": str(runtime), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": platform}
    if os.name == "nt":
        env["PATH"] = os.environ.get("SYSTEMROOT", r"C:\Windows") + r"\System32"
    else:
        env["PATH"] = "/usr/bin:/bin"
    if display:
        env["DISPLAY"] = display
    return env


def run_smoke(
    model: str | os.PathLike | None = None,
    require_model: bool = False,
    platform: str = "offscreen",
    display: str | None = None,
    timeout: float = 300,
) -> dict:
    """Run ``TreeSketch --smoke-test`` in a clean environment from a temporary folder.

    Returns the app's JSON report plus ``launched`` (epoch before the start),
    ``first_window_s`` (launch to main window shown), ``returncode`` and
    ``output`` (stdout + stderr).  The export lands in the temporary folder and
    its size is in the report.
    """
    with tempfile.TemporaryDirectory(prefix="treesketch-bundle-") as tmp:
        tmp_path = Path(tmp)
        report_path, svg = tmp_path / "report.json", tmp_path / "smoke.svg"
        cmd = [str(BINARY), "--smoke-test", "--export", str(svg), "--report", str(report_path)]
        cmd += ["--model", str(Path(model).resolve())] if model else []
        cmd += ["--require-model"] if require_model else []
        env = clean_env(tmp_path, platform, display)
        launched = time.time()
        proc = subprocess.run(
            cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout
        )
        report = json.loads(report_path.read_text()) if report_path.exists() else {"ok": False}
        report["svg_head"] = svg.read_text()[:200] if svg.exists() else ""
    report |= {"launched": launched, "returncode": proc.returncode}
    report["output"] = proc.stdout + proc.stderr
    if "window_shown" in report:
        report["first_window_s"] = report["window_shown"] - launched
    return report


def evict_from_page_cache(folder: Path = BUNDLE) -> bool:
    """Drop the bundle's files from the OS page cache (Linux), so the next start is cold."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for f in folder.rglob("*"):
        if f.is_file() and not f.is_symlink():
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def measure(runs: int = 3) -> None:
    """Print the bundle size and start-to-first-window times (first run cold)."""
    du = shutil.which("du")
    if du:
        subprocess.run([du, "-sh", str(BUNDLE)], check=False)
    print(f"bundle: {bundle_bytes() / 2**20:.0f} MiB in {BUNDLE}")
    for i in range(runs):
        cold = i == 0 and evict_from_page_cache()
        r = run_smoke()
        state = "cold" if cold else "warm"
        seconds = r.get("first_window_s", float("nan"))
        print(f"run {i + 1} ({state}): first window after {seconds:.2f} s, ok={r['ok']}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-stale", action="store_true", help="skip the build when up to date")
    parser.add_argument("--smoke", action="store_true", help="run the smoke test of the build")
    parser.add_argument("--model", help="policy .onnx for --smoke (default: the shipped one)")
    parser.add_argument("--measure", action="store_true", help="size and cold start time")
    args = parser.parse_args(argv)
    if args.smoke or args.measure:
        if not BINARY.exists():
            sys.exit(f"build_app.py: no bundle at {BUNDLE}; run python3 build_app.py first")
        if args.measure:
            measure()
            return 0
        report = run_smoke(args.model, require_model=bool(args.model))
        output = report.pop("output")
        if not report["ok"]:
            print(output, file=sys.stderr)
        print(json.dumps(report, indent=2))
        return 0 if report["ok"] and report["returncode"] == 0 else 1
    started = time.monotonic()
    bundle = build(if_stale=args.if_stale)
    print(f"TreeSketch bundle: {bundle}{os.sep}  ({bundle_bytes(bundle) / 2**20:.0f} MiB)")
    print(models_line())
    print(f"start it with: {BINARY}   (built in {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
