"""The one place where the editor's objects are created and connected.

:func:`build` makes the document, controllers and panes and hands them to
the :class:`MainWindow`; :func:`main` is ``python -m editor [FILE]``.
Tests call :func:`build` with their own settings and autosave path.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QUndoView

from editor import file_dialogs
from editor.assistant import Assistant
from editor.autorun import AutoRun
from editor.document import Document
from editor.files import FileController
from editor.log_pane import LogBridge, LogPane
from editor.main_window import MainWindow
from editor.preferences import apply_theme
from editor.program_text import ProgramText
from editor.proposals import ProposalsPane
from editor.render_view import RenderView
from editor.settings import Settings
from editor.sketch_pad import SketchPad
from editor.tree_panel import TreePanel
from editor.workers import Jobs

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@dataclass
class Parts:
    """Everything the main window arranges (created by :func:`build`)."""

    doc: Document
    settings: Settings
    files: FileController
    jobs: Jobs
    assistant: Assistant
    autorun: AutoRun
    sketch_pad: SketchPad
    render_view: RenderView
    tree_panel: TreePanel
    program_text: ProgramText
    proposals: ProposalsPane
    log_pane: LogPane
    log_bridge: LogBridge
    undo_view: QUndoView
    icon: QIcon


def app_icon() -> QIcon:
    """The application icon (SVG, with the PNG as a fallback size)."""
    icon = QIcon(str(RESOURCES / "icon.svg"))
    icon.addFile(str(RESOURCES / "icon.png"))
    return icon


def build(
    app: QApplication,
    settings: Settings | None = None,
    autosave_path: str | os.PathLike | None = None,
) -> MainWindow:
    """Create the document, controllers, panes and the window (nothing is loaded yet)."""
    settings = settings or Settings()
    prefs = settings.preferences()
    doc = Document()
    doc.use_preferences(prefs)
    settings.preferencesChanged.connect(doc.use_preferences)
    jobs = Jobs()
    files = FileController(doc, settings, autosave_path)
    assistant = Assistant(doc, settings, jobs)
    autorun = AutoRun(doc, assistant, jobs)
    undo_view = QUndoView(doc.undo_stack)
    undo_view.setEmptyLabel("<document opened>")
    log_bridge = LogBridge()
    log_bridge.attach()
    parts = Parts(
        doc=doc,
        settings=settings,
        files=files,
        jobs=jobs,
        assistant=assistant,
        autorun=autorun,
        sketch_pad=SketchPad(doc, settings),
        render_view=RenderView(doc),
        tree_panel=TreePanel(doc),
        program_text=ProgramText(doc),
        proposals=ProposalsPane(assistant, autorun, settings),
        log_pane=LogPane(),
        log_bridge=log_bridge,
        undo_view=undo_view,
        icon=app_icon(),
    )

    def shutdown() -> None:
        autorun.stop()
        jobs.shutdown()
        files.stop_autosave()
        files.discard_autosave()
        log_bridge.detach()

    apply_theme(app, prefs.theme)
    settings.preferencesChanged.connect(lambda new: apply_theme(app, new.theme))
    return MainWindow(app, parts, shutdown)


def start(window: MainWindow, path: str | None) -> None:
    """First steps after showing the window: recovery, the file to open, model, autosave.

    A recovery file that cannot be read is set aside with a message
    (``file_dialogs.offer_recovery``); autosave starts only after recovery, so nothing
    overwrites the recovery file before the user has answered.
    """
    files = window.p.files
    if not file_dialogs.offer_recovery(window, files) and path:
        file_dialogs.open_path(window, files, path)
    files.start_autosave()
    window.p.assistant.load_model()


def main(argv: list[str] | None = None) -> int:
    """``python -m editor [FILE]``: start the editor, optionally opening FILE."""
    parser = argparse.ArgumentParser(prog="python -m editor", description="The TreeSketch editor.")
    parser.add_argument("file", nargs="?", help="a .tsk document or .csg program to open")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.WARNING, format="treesketch: %(levelname)s: %(message)s")
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("TreeSketch")
    app.setOrganizationName("TreeSketch")
    app.setWindowIcon(app_icon())
    window = build(app)
    window.show()
    start(window, args.file)
    code = app.exec()
    # delete the window now, while the application lives: Qt deletes its widgets children
    # first.  Left to PySide's clean-up at exit, the Python-owned parts (document,
    # assistant, ...) go in an arbitrary order under live widgets, which can crash
    # ("QObject: shared QObject was deleted directly", then a segfault: the soak test)
    shiboken6.delete(window)
    return code
