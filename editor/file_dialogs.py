"""The questions the File menu asks: file dialogs, "save changes?", recovery.

Each function takes the parent window and a :class:`FileController`, asks
the user, then calls the controller; problems are shown in a message box and
logged, never raised.  Returns say whether the action happened.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from editor.docfile import DOC_SUFFIX, PROGRAM_SUFFIX
from editor.files import EXPORT_FORMATS, FileController
from inference.files.fileio import ProgramFileError
from inference.util.excerpt import one_line

log = logging.getLogger("treesketch.editor")
OPEN_FILTER = "TreeSketch files (*.tsk *.csg *.tsvg *.json);;All files (*)"
SAVE_FILTERS = {
    "TreeSketch document, sketch + program (*.tsk)": ".tsk",
    "CSG program text (*.csg)": ".csg",
}
"""The Save As choices of a CSG2D document: file-dialog filter → suffix."""
DRAWING_SAVE_FILTERS = {
    "TreeSketch document, picture + program (*.tsk)": ".tsk",
    "TinySVG program text (*.tsvg)": ".tsvg",
}
"""The Save As choices of a TinySVG document."""


def save_filters(doc) -> dict[str, str]:
    """The Save As choices of ``doc``'s language: filter → suffix."""
    return DRAWING_SAVE_FILTERS if doc.is_drawing else SAVE_FILTERS


OPEN_TITLE = "Cannot open the file"
OPEN_ERRORS = (ProgramFileError, OSError, ValueError)
"""What reading a file raises when the file is the problem (the loaders' own errors)."""


def _fail(parent: QWidget, title: str, error: Exception | str) -> None:
    """Log ``error`` and show it in a message box, both as one escaped line."""
    message = one_line(str(error))
    log.error("%s: %s", title, message)
    QMessageBox.warning(parent, title, message)


def _unexpected(error: BaseException) -> str:
    """A one-line account of an exception no loader was meant to raise (a bug)."""
    detail = one_line(str(error), 200)
    kind = type(error).__name__
    return f"an unexpected error ({kind}: {detail})" if detail else f"an unexpected error ({kind})"


def maybe_save(parent: QWidget, files: FileController) -> bool:
    """Ask to save unsaved changes; False when the user cancels (or saving failed)."""
    if not files.doc.dirty:
        return True
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        f"Save the changes to {files.doc.display_name}?",
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Save,
    )
    if answer == QMessageBox.StandardButton.Save:
        return save(parent, files)
    if answer == QMessageBox.StandardButton.Discard:
        files.discard_autosave()  # discarded work must not come back after a crash
        return True
    return False


def _attempt(parent: QWidget, title: str, action, errors=(OSError, ValueError)) -> bool:
    """Run ``action()``; on one of ``errors`` tell the user and return False."""
    try:
        action()
    except errors as e:
        _fail(parent, title, e)
        return False
    return True


def open_path(parent: QWidget, files: FileController, path: str) -> bool:
    """Open ``path`` after asking about unsaved changes (the File menu, Recent files,
    drag-and-drop and the command line all come here).

    Any problem is shown in a message box and logged, each as one line, and the document
    stays as it was (the file is read in full before anything changes): the loaders' own
    errors as they say it, anything else (a bug) as "Could not open PATH: an unexpected
    error (…)", with its traceback only in the debug log.  Never raises.
    """
    if not maybe_save(parent, files):
        return False
    try:
        files.open(path)
    except OPEN_ERRORS as e:  # a loader's own one line names the file; an OSError may not
        _fail(parent, OPEN_TITLE, e if path in str(e) else f"Could not open {path}: {e}")
    except Exception as e:  # noqa: BLE001 - the last guard: said plainly, never a traceback
        log.debug("opening %s failed", path, exc_info=True)
        _fail(parent, OPEN_TITLE, f"Could not open {path}: {_unexpected(e)}")
    else:
        return True
    files.schedule_autosave()  # the document stays: keep its recovery file current
    return False


def _name(doc, suffix: str) -> str:
    """The file name a save dialog suggests: the document's own, or untitled."""
    return doc.path.with_suffix(suffix).name if doc.path else f"untitled{suffix}"


def open_dialog(parent: QWidget, files: FileController) -> bool:
    """Choose a file and open it (the dialog starts in ``files.dialog_folder()``)."""
    start = str(files.dialog_folder())
    path, _ = QFileDialog.getOpenFileName(parent, "Open", start, OPEN_FILTER)
    return bool(path) and open_path(parent, files, path)


def save(parent: QWidget, files: FileController) -> bool:
    """Save to the current file, or ask for one.

    A sketch would be lost in a program text file (``.csg``, ``.tsvg``), so a document
    with a target that came from one asks for a ``.tsk`` name instead; so does a document
    opened from a file it cannot be saved as (a ``.json`` export, a TinySVG program
    read from a ``.csg`` file).
    """
    doc = files.doc
    path = doc.path
    program_suffix = PROGRAM_SUFFIX[doc.language]
    keeps = path is not None and path.suffix.lower() in (DOC_SUFFIX, program_suffix)
    if not keeps or (path.suffix.lower() == program_suffix and doc.has_ink()):
        return save_as(parent, files)
    return _attempt(parent, "Cannot save", files.save)


def save_as(parent: QWidget, files: FileController) -> bool:
    """Ask for a file name (``.tsk``, or the language's program text: ``.csg``, ``.tsvg``)
    and save there."""
    doc = files.doc
    filters = save_filters(doc)
    start = str(files.dialog_folder() / _name(doc, DOC_SUFFIX))
    path, chosen = QFileDialog.getSaveFileName(parent, "Save as", start, ";;".join(filters))
    if not path:
        return False
    if Path(path).suffix.lower() not in filters.values():
        path += filters.get(chosen, DOC_SUFFIX)
    return _attempt(parent, "Cannot save", lambda: files.save(path))


def export_dialog(parent: QWidget, files: FileController, name: str) -> bool:
    """Export the program in format ``name`` (a key of ``EXPORT_FORMATS``; one that is
    not for the document's language is refused with a message by the exporter)."""
    suffix, file_filter = EXPORT_FORMATS[name]
    doc = files.doc
    start = str(files.dialog_folder() / _name(doc, suffix))
    path, _ = QFileDialog.getSaveFileName(parent, f"Export {name}", start, file_filter)
    if not path:
        return False
    if not path.lower().endswith(suffix):
        path += suffix
    return _attempt(parent, "Cannot export", lambda: files.export(path))


def offer_recovery(parent: QWidget, files: FileController) -> bool:
    """If the last session left unsaved work, offer to restore it; True when restored.

    A recovery file that cannot be read is never offered and never stops the start: it is
    renamed (``FileController.set_aside_recovery``) and a message says where it went.
    """
    when = files.recovery_available()
    if when is None:
        return False
    try:
        data = files.read_recovery()
    except OPEN_ERRORS as e:
        _set_aside(parent, files, one_line(str(e)))
        return False
    except Exception as e:  # noqa: BLE001 - a recovery file never blocks the start
        log.debug("reading %s failed", files.autosave_path, exc_info=True)
        _set_aside(parent, files, _unexpected(e))
        return False
    answer = QMessageBox.question(
        parent,
        "Recover unsaved work?",
        "TreeSketch did not close normally last time. Restore the unsaved work "
        f"autosaved at {when:%H:%M on %d %b}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    if answer != QMessageBox.StandardButton.Yes:
        files.discard_autosave()
        return False
    try:
        files.recover(data)
    except Exception as e:  # noqa: BLE001 - the last guard: a recovery file never blocks start
        log.exception("recovering %s failed", files.autosave_path)
        files.doc.new()
        _set_aside(parent, files, f"{type(e).__name__}: {e}")
        return False
    return True


def _set_aside(parent: QWidget, files: FileController, reason: str) -> None:
    """Rename the unreadable recovery file out of the way and say where it went."""
    aside = files.set_aside_recovery()
    kept = (
        f"The file was kept as\n{aside}\nso nothing is lost; you can send it with a bug report."
        if aside is not None
        else "It could not be kept and was deleted."
    )
    log.error("the recovery file is unreadable: %s", reason)
    QMessageBox.warning(
        parent,
        "Recovery file set aside",
        "TreeSketch did not close normally last time, but the work it autosaved cannot be "
        f"read:\n{reason}\n\n{kept}",
    )
