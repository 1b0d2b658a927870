"""``TreeSketch --smoke-test``: drive the frozen editor once, headless, and report.

One run builds the real main window (``editor.app.build``), shows it, opens an
example document, loads the policy model (the shipped one, or ``--model
FILE``), asks it for one proposal, exports an SVG, computes an exact area with
shapely's GEOS, and checks that the training stack is not importable.  It
writes a JSON report (``--report``) and exits 0 only when every step worked.
``build_app.py --smoke`` and ``tests/test_bundle.py`` run it under
``QT_QPA_PLATFORM=offscreen`` with a clean environment.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtGui import QImageReader
from PySide6.QtWidgets import QApplication

ABSENT = ("torch", "matplotlib", "onnx", "tkinter", "models.train", "models.network")
"""Modules that must not be importable inside the bundle."""


class SmokeError(RuntimeError):
    """A smoke step failed; the message says which and why."""


def wait_until(app: QApplication, done: Callable[[], bool], seconds: float, what: str) -> None:
    """Process Qt events until ``done()`` is true; :class:`SmokeError` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SmokeError(f"timed out after {seconds:g} s waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)


def bundle_dir() -> Path | None:
    """The frozen bundle's data folder (``sys._MEIPASS``), or None when not frozen."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base).resolve() if base else None


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is None or path.resolve().is_relative_to(folder)


def check_locations(report: dict) -> None:
    """Resources and the default model path must resolve inside the bundle when frozen."""
    from editor.app import RESOURCES
    from inference.model.onnx_model import default_model_path

    base = bundle_dir()
    report["frozen"] = base is not None
    report["bundle_dir"] = str(base) if base else None
    report["resources_dir"] = str(RESOURCES)
    report["default_model"] = str(default_model_path("filled"))
    for name, path in (("resources", RESOURCES), ("default model", default_model_path("filled"))):
        if not _inside(path, base):
            raise SmokeError(f"{name} path {path} is outside the bundle {base}")
    if not (RESOURCES / "icon.svg").is_file() or not (RESOURCES / "examples").is_dir():
        raise SmokeError(f"resources missing in {RESOURCES}")


def check_geometry(report: dict, example: Path) -> None:
    """Exact area of an example through shapely/GEOS (a frozen GEOS failure shows here)."""
    import shapely

    from inference.lang.syntax import parse
    from inference.render.geometry import exact_area

    report["geos_version"] = shapely.geos_version_string
    report["ring_area"] = exact_area(parse(example.read_text()))


def check_absent(report: dict) -> None:
    """None of :data:`ABSENT` may be importable."""
    found = []
    for name in ABSENT:
        try:
            spec = importlib.util.find_spec(name)
        except ImportError:  # the parent package is missing
            spec = None
        if spec is not None:
            found.append(name)
    report["importable_forbidden"] = found
    if found:
        raise SmokeError(f"modules that must not ship are importable: {found}")


def show_window(app: QApplication, workdir: Path, model: str, report: dict):
    """Build and show the real main window with settings in ``workdir``."""
    from editor.app import app_icon, build
    from editor.settings import Preferences, Settings

    app.setWindowIcon(app_icon())
    settings = Settings.at(workdir / "settings.ini")
    settings.set_preferences(Preferences(model_path=model, propose_after_accept=False))
    window = build(app, settings, workdir / "autosave.tsk")
    window.show()
    wait_until(app, lambda: window.windowHandle().isExposed(), 30, "the main window")
    report["window_shown"] = time.time()
    report["qt_platform"] = app.platformName()
    formats = {bytes(f).decode() for f in QImageReader.supportedImageFormats()}
    report["svg_images"] = "svg" in formats
    if app.windowIcon().pixmap(64, 64).isNull() or "svg" not in formats:
        raise SmokeError(f"the SVG icon cannot be drawn (image formats: {sorted(formats)})")
    return window


def propose_once(app: QApplication, window, report: dict, require_model: bool) -> None:
    """Load the model and, when there is one, fetch one proposal."""
    assistant = window.p.assistant
    messages: list[str] = []
    assistant.message.connect(messages.append)
    assistant.load_model()
    wait_until(app, lambda: not assistant.model_status.startswith("Loading"), 60, "the model")
    report["model_status"] = assistant.model_status
    report["model_loaded"] = assistant.model is not None
    if assistant.model is None:
        if require_model:
            raise SmokeError(f"no model: {assistant.model_status}")
        return
    assistant.propose()
    failed = lambda: any(m.startswith("Proposal failed") for m in messages)  # noqa: E731
    wait_until(app, lambda: assistant.current() is not None or failed(), 60, "a proposal")
    if assistant.current() is None:
        raise SmokeError("; ".join(messages))
    report["proposal"] = str(assistant.current().proposal.edit)


def run(args: argparse.Namespace, report: dict) -> None:
    """All smoke steps in order; raises on the first failure."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("TreeSketch")
    from editor.app import RESOURCES

    check_locations(report)
    with tempfile.TemporaryDirectory(prefix="treesketch-smoke-") as tmp:
        window = show_window(app, Path(tmp), args.model or "", report)
        example = Path(args.open) if args.open else RESOURCES / "examples" / "house.tsk"
        window.p.files.open(example)
        report["program"] = window.p.doc.display_name
        propose_once(app, window, report, args.require_model)
        window.p.files.export(args.export)
        size = Path(args.export).stat().st_size
        report["export_bytes"] = size
        if size == 0:
            raise SmokeError(f"the export {args.export} is empty")
        check_geometry(report, RESOURCES / "examples" / "ring.csg")
        check_absent(report)
        if window.p.doc.dirty:  # closing would ask "save changes?" and wait forever
            raise SmokeError("the document has unsaved changes after the smoke steps")
        window.close()
        app.processEvents()


def main(argv: list[str]) -> int:
    """``TreeSketch --smoke-test --export OUT.svg [--model F] [--report R]``; 0 on success."""
    parser = argparse.ArgumentParser(prog="TreeSketch --smoke-test")
    parser.add_argument("--export", required=True, help="the SVG file to write")
    parser.add_argument("--model", help="a policy .onnx file (default: the shipped model)")
    parser.add_argument("--open", help="the document to open (default: examples/house.tsk)")
    parser.add_argument("--require-model", action="store_true", help="fail without a model")
    parser.add_argument("--report", help="write the JSON report here")
    args = parser.parse_args(argv)
    report: dict = {"started": time.time(), "ok": False}
    try:
        run(args, report)
        report["ok"] = True
    except Exception as e:  # any failure is the smoke test's answer, reported as such
        report["error"] = f"{type(e).__name__}: {e}"
        report["traceback"] = traceback.format_exc()
    report["finished"] = time.time()
    text = json.dumps(report, indent=2)
    if args.report:
        Path(args.report).write_text(text)
    if sys.stdout is not None:  # a windowed Windows build has no stdout
        print(text, flush=True)
    return 0 if report["ok"] else 1
