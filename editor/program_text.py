"""The program as text: copy it out, paste or type a program in.

The box shows the canonical text of the document's program.  Typed or
pasted text is parsed when applied (Ctrl+Return, or *Paste* which applies the
clipboard at once); invalid text gives a clear message with line and column,
puts the cursor there and leaves the program unchanged.  The text is read in the
document's language (``Document.grammar``): a CSG2D document takes both its
syntaxes (canonical and the paper's compact hex form), a TinySVG one TinySVG's
text; a program of the other language is refused with a line that says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFontDatabase, QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from editor import commands
from editor.document import Document
from inference.lang.grammar import TINYSVG
from inference.lang.syntax import ParseError, parse, to_text
from inference.util.excerpt import one_line

PLACEHOLDERS = {
    "CSG2D": "(- (Circle 6 8 8) (Quad 8 8 4 4 45))",
    TINYSVG.name: "(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue black 2) 1)",
}
"""An example program of each language, shown while the box is empty."""


class ProgramText(QWidget):
    """Editable program text with Copy / Paste / Apply / Revert.

    Signals:
        message(str): a status line.
    """

    message = Signal(str)

    def __init__(self, doc: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.edit = QPlainTextEdit()
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setMinimumHeight(48)
        self.edit.textChanged.connect(self._text_changed)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.copy_button = QPushButton("Copy", toolTip="Copy the program text")
        self.paste_button = QPushButton("Paste", toolTip="Replace the program by the clipboard")
        self.apply_button = QPushButton("Apply", toolTip="Use the edited text (Ctrl+Return)")
        self.revert_button = QPushButton("Revert", toolTip="Show the current program again")
        self.copy_button.clicked.connect(self.copy)
        self.paste_button.clicked.connect(self.paste)
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.show_program)
        apply_key = QAction(self, shortcut="Ctrl+Return")
        apply_key.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        apply_key.triggered.connect(self.apply)
        self.addAction(apply_key)
        buttons = QHBoxLayout()
        for b in (self.copy_button, self.paste_button, self.apply_button, self.revert_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        doc.programChanged.connect(self.show_program)
        doc.busyChanged.connect(self._busy_changed)
        doc.loaded.connect(self._language_changed)
        self._language_changed()

    def _language_changed(self) -> None:
        self.edit.setPlaceholderText(PLACEHOLDERS.get(self.doc.language, ""))
        self.show_program()

    @property
    def modified(self) -> bool:
        """True when the box holds text other than the current program."""
        return self.edit.toPlainText().strip() != to_text(self.doc.program)

    def show_program(self) -> None:
        """Show the document's program (dropping any edited text and error)."""
        self.edit.blockSignals(True)
        self.edit.setPlainText(to_text(self.doc.program))
        self.edit.blockSignals(False)
        self._set_error("")
        self._text_changed()

    def copy(self) -> None:
        """Put the canonical program text on the clipboard."""
        QGuiApplication.clipboard().setText(to_text(self.doc.program))
        self.message.emit("Program text copied")

    def paste(self) -> bool:
        """Parse the clipboard text and make it the program; False if invalid."""
        self.edit.setPlainText(QGuiApplication.clipboard().text())
        return self.apply()

    def apply(self) -> bool:
        """Parse the box's text and make it the program (one undo step); False if invalid."""
        if self.doc.busy:
            return False
        text = self.edit.toPlainText()
        try:
            program = parse(text, grammar=self.doc.grammar)
        except ParseError as e:
            self._set_error(
                f"Not a valid {self.doc.language} program — {one_line(str(e))}. "
                "The program is unchanged."
            )
            self._put_cursor(e.line, e.column)
            return False
        self._set_error("")
        if program != self.doc.program:
            self.doc.push(commands.set_program(self.doc, program, "Set program text"))
        self.show_program()
        return True

    def _put_cursor(self, line: int, column: int) -> None:
        block = self.edit.document().findBlockByLineNumber(max(0, line - 1))
        cursor = QTextCursor(block)
        cursor.movePosition(
            QTextCursor.MoveOperation.Right, n=min(max(0, column - 1), max(0, block.length() - 1))
        )
        self.edit.setTextCursor(cursor)
        self.edit.setFocus()

    def _set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def _text_changed(self) -> None:
        changed = self.modified
        self.apply_button.setEnabled(changed and not self.doc.busy)
        self.revert_button.setEnabled(changed)

    def _busy_changed(self, busy: bool) -> None:
        self.edit.setReadOnly(busy)
        self.paste_button.setEnabled(not busy)
        self._text_changed()
