"""The errors/log pane: every message of the ``treesketch`` loggers, newest last.

:class:`LogBridge` is a ``logging.Handler`` that forwards records through a
Qt signal, so records logged on worker threads arrive on the GUI thread.
Warnings and errors are coloured; *Clear* empties the pane.
"""

from __future__ import annotations

import html
import logging
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

COLORS = {"WARNING": "#b9770e", "ERROR": "#c0392b", "CRITICAL": "#c0392b"}
MAX_LINES = 2000


class _Relay(QObject):
    record = Signal(str, str)


class LogBridge(logging.Handler):
    """A logging handler whose records come out of the ``record(level, text)`` Qt signal."""

    def __init__(self, level: int = logging.INFO):
        super().__init__(level)
        self._relay = _Relay()
        self.record = self._relay.record

    def emit(self, record: logging.LogRecord) -> None:  # logging.Handler API
        try:
            self.record.emit(record.levelname, record.getMessage())
        except RuntimeError:  # the Qt side is gone (shutting down)
            pass

    def attach(self, name: str = "treesketch") -> None:
        """Receive the records of logger ``name`` and its children."""
        logger = logging.getLogger(name)
        logger.setLevel(min(logger.level or logging.INFO, self.level))
        logger.addHandler(self)

    def detach(self, name: str = "treesketch") -> None:
        """Stop receiving records."""
        logging.getLogger(name).removeHandler(self)


class LogPane(QWidget):
    """Read-only log with a Clear button."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = QPlainTextEdit(readOnly=True)
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setPlaceholderText("Messages and errors appear here.")
        clear = QPushButton("Clear")
        clear.clicked.connect(self.view.clear)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)
        layout.addLayout(row)

    def append(self, level: str, text: str) -> None:
        """Add one line (``level`` is a logging level name)."""
        stamp = time.strftime("%H:%M:%S")
        body = html.escape(text)
        color = COLORS.get(level)
        if color:
            body = f'<span style="color:{color}">{level.title()}: {body}</span>'
        self.view.appendHtml(f'<span style="color:#888">{stamp}</span> {body}')

    def text(self) -> str:
        """All the pane's text (for tests and copying)."""
        return self.view.toPlainText()
