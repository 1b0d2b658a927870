"""File operations behind the File menu: open, save, export, recent files, autosave.

:class:`FileController` holds no widgets; the main window asks the user
(file dialogs, "save changes?") and then calls it with explicit paths.

Autosave: :data:`AUTOSAVE_DELAY_MS` after the last change (a single-shot
timer that every change restarts), the whole document is written atomically to
a recovery file (a ``.tsk`` whose ``origin`` names the document's own file);
when the document has no unsaved changes any more (saved, undone back to the
saved state, discarded) the recovery file is deleted instead.  A clean exit
deletes it too, so a recovery file found at start-up means the last session
ended abnormally: :meth:`FileController.read_recovery` reads it (a file that
cannot be read is set aside with :meth:`FileController.set_aside_recovery`)
and :meth:`FileController.recover` reopens it with the changes still unsaved.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from editor import docfile
from editor.docfile import DocumentData
from editor.document import Document
from editor.settings import Settings
from inference.files import exports
from inference.files.exports import export
from inference.lang.grammar import CSG2D, TINYSVG, Grammar

AUTOSAVE_DELAY_MS = 1500
"""Quiet time after the last change before the recovery file is written."""
log = logging.getLogger("treesketch.editor")

EXPORT_FORMATS = {
    "SVG": (".svg", "SVG vector image (*.svg)"),
    "OpenSCAD": (".scad", "OpenSCAD 2D program (*.scad)"),
    "DXF": (".dxf", "DXF drawing (*.dxf)"),
    "JSON": (".json", "TreeSketch JSON tree (*.json)"),
    "PNG": (".png", "PNG image (*.png)"),
    "TinySVG text": (".tsvg", "TinySVG program text (*.tsvg)"),
}
"""Every Export menu entry: name → (suffix, file-dialog filter); which apply to a
document is :func:`export_formats`."""
EXPORT_PNG_SIZE = 512


def export_formats(grammar: Grammar = CSG2D) -> dict[str, tuple[str, str]]:
    """The Export menu entries of a ``grammar`` document, in menu order: those whose suffix
    ``inference.files.exports`` exports for the language (``formats_for``) (TinySVG: SVG, PNG,
    JSON and its program text; no OpenSCAD or DXF)."""
    suffixes = exports.DRAWING_FORMATS if grammar is TINYSVG else exports.EXPORT_FORMATS
    return {name: entry for name, entry in EXPORT_FORMATS.items() if entry[0] in suffixes}


def default_autosave_path() -> Path:
    """The recovery file in the platform's per-user application data folder."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder or Path.home() / ".treesketch") / "autosave.tsk"


def default_dialog_folder() -> Path:
    """The user's documents folder (their home folder where there is none)."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


class FileController(QObject):
    """Open, save, export, recent files and crash recovery for one :class:`Document`.

    Signals:
        recentChanged: the recent-files list changed.
    """

    recentChanged = Signal()

    def __init__(
        self,
        doc: Document,
        settings: Settings,
        autosave_path: str | os.PathLike | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.autosave_path = Path(autosave_path) if autosave_path else default_autosave_path()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(AUTOSAVE_DELAY_MS)
        self.timer.timeout.connect(self.autosave)
        self._autosaving = False
        self.last_folder: Path | None = None  # of the last file opened or saved
        doc.undo_stack.indexChanged.connect(self.schedule_autosave)
        doc.dirtyChanged.connect(self.schedule_autosave)
        doc.programChanged.connect(self.schedule_autosave)
        doc.targetChanged.connect(self.schedule_autosave)

    def open(self, path: str | os.PathLike) -> None:
        """Open ``path``; ``ProgramFileError`` (one line) when it cannot be read."""
        self.doc.open(path)
        self._remember(path)
        log.info("opened %s", path)

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Save to ``path`` or the current file (atomic); ``OSError``/``ValueError`` on failure."""
        self.doc.save(path)
        self._remember(self.doc.path)
        self.discard_autosave()
        suffix = self.doc.path.suffix.lower()
        if suffix in docfile.PROGRAM_SUFFIX.values() and self.doc.has_ink():
            log.warning(
                "saved the program only: a %s file has no target (use .tsk to keep it)", suffix
            )
        else:
            log.info("saved %s", self.doc.path)

    def export(self, path: str | os.PathLike) -> None:
        """Export the program to ``path``; the suffix picks the format (``ValueError`` for
        one that is not for the document's language, e.g. OpenSCAD of a TinySVG drawing)."""
        export(self.doc.program, path, EXPORT_PNG_SIZE)
        log.info("exported %s", path)

    def recent_files(self) -> list[str]:
        """Recent files, newest first."""
        return self.settings.recent_files()

    def dialog_folder(self) -> Path:
        """Where the Open, Save and Export dialogs start.

        A saved document's own folder; for an untitled one, the folder of the last
        file opened or saved in this session, else :func:`default_dialog_folder`
        (never the folder the editor happened to be started from).
        """
        if self.doc.path is not None:
            return self.doc.path.absolute().parent
        return self.last_folder or default_dialog_folder()

    def _remember(self, path) -> None:
        self.last_folder = Path(path).absolute().parent
        self.settings.add_recent(path)
        self.recentChanged.emit()

    # ----- autosave / recovery -------------------------------------------------------------

    def start_autosave(self) -> None:
        """Autosave from now on (after start-up recovery): each change restarts the timer."""
        self._autosaving = True
        self.timer.start()

    def stop_autosave(self) -> None:
        """No more autosaves (at exit)."""
        self._autosaving = False
        self.timer.stop()

    def schedule_autosave(self, *_args) -> None:
        """(Re)start the autosave delay: the recovery file follows once changes pause."""
        if self._autosaving:
            self.timer.start()

    def autosave(self) -> bool:
        """Write the recovery file if there are unsaved changes; True when written.

        Without unsaved changes there is nothing to recover: the recovery file is deleted.
        """
        if not self.doc.dirty:
            self.discard_autosave()
            return False
        origin = str(self.doc.path) if self.doc.path else None
        try:
            self.autosave_path.parent.mkdir(parents=True, exist_ok=True)
            docfile.write_document(self.autosave_path, self.doc.data(origin))
        except OSError as e:
            log.error("autosave failed: %s", e)
            return False
        return True

    def recovery_available(self) -> datetime | None:
        """The time of a recovery file left by a session that did not exit cleanly."""
        try:
            return datetime.fromtimestamp(self.autosave_path.stat().st_mtime)
        except OSError:
            return None

    def read_recovery(self) -> DocumentData:
        """The recovery file's document; ``ProgramFileError`` (one line) when it is unreadable.

        The file is checked field by field (``editor.docfile.from_json``), so a damaged one
        gives that one error and nothing else.
        """
        return docfile.read_document(self.autosave_path)

    def recover(self, data: DocumentData | None = None) -> None:
        """Reopen the recovery file (or ``data`` already read from it); the document keeps
        its origin path and stays unsaved."""
        data = data if data is not None else self.read_recovery()
        self.doc.load(data, data.origin, dirty=True)
        log.info("recovered unsaved work from %s", self.autosave_path)

    def set_aside_recovery(self) -> Path | None:
        """Rename an unreadable recovery file to ``autosave.tsk.broken-<timestamp>`` next to
        it (so it is not offered again but nothing is lost); the new path, or ``None`` when
        it could not be moved (it is then deleted, so start-up never trips on it again)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.autosave_path.with_name(f"{self.autosave_path.name}.broken-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = aside.with_name(f"{self.autosave_path.name}.broken-{stamp}-{n}")
        try:
            self.autosave_path.rename(aside)
        except OSError as e:
            log.error("could not set the unreadable recovery file aside: %s", e)
            self.discard_autosave()
            return None
        log.warning("set the unreadable recovery file aside as %s", aside)
        return aside

    def discard_autosave(self) -> None:
        """Delete the recovery file (after a save, a discard or a clean exit)."""
        try:
            self.autosave_path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("could not remove the recovery file: %s", e)
