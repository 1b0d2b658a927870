"""Persistent preferences and the recent-files list, stored with QSettings (no widgets).

:meth:`Settings.set_preferences` stores the preferences and sends the one change signal,
:attr:`Settings.preferencesChanged`.  The document, the panes, the assistant and the
theme listen to it and each applies its own part: the objects given the settings
subscribe themselves, ``editor.app`` connects the document and the theme.  So nothing
reaches into a pane when the preferences change.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from inference.targets.drawn_score import MAX_TOLERANCE

MAX_RECENT = 8
THEMES = ("light", "dark")
BUDGET_UNITS = ("calls", "seconds")
"""What limits an auto-run: renderer calls, or wall-clock seconds."""
MAX_SECONDS = 3600
"""Longest auto-run a budget in seconds allows."""
MAX_EDGE_TOLERANCE = MAX_TOLERANCE
"""Largest edge tolerance the preferences accept, canvas units."""


@dataclass
class Preferences:
    """What the preferences dialog edits.

    Attributes:
        model_path: a CSG2D policy ``.onnx`` file; empty means the shipped model for
            the target's modality (``inference.model.onnx_model.default_model_path``).
        svg_model_path: a TinySVG policy ``.onnx`` file, used on TinySVG documents; empty
            means the shipped one, ``models/policy_tinysvg.onnx``
            (``inference.model.onnx_model.default_svg_model_path``).
        budget: renderer calls an auto-run may spend (with ``budget_unit`` ``"calls"``).
        budget_unit: ``"calls"`` or ``"seconds"``: what limits an auto-run.
        seconds: wall-clock seconds an auto-run may search (with ``budget_unit``
            ``"seconds"``; pauses do not count), as many renderer calls as fit.
        beam_width: programs kept per search step.
        pen_width: sketch pen width in canvas units (the canvas is 32 units wide).
        edge_tolerance: how far (canvas units) a program's edge may stray from a
            hand-drawn *filled* target's edge without cost (``inference.targets.drawn_score``);
            0 asks for the exact goal score.
        theme: ``"light"`` or ``"dark"``.
        propose_after_accept: ask the model for the next edit after accepting one.
        refine: auto-run polishes each new best program by one-value hill climbing.
        seed: seed of the search's random generator.
    """

    model_path: str = ""
    svg_model_path: str = ""
    budget: int = 2000
    budget_unit: str = "calls"
    seconds: int = 30
    beam_width: int = 16
    pen_width: float = 1.0
    edge_tolerance: float = 1.0
    theme: str = "light"
    propose_after_accept: bool = True
    refine: bool = True
    seed: int = 0


def _coerce(kind: type, value, default):
    try:
        if kind is bool:
            return value in (True, "true", "True", "1", 1)
        return kind(value)
    except (TypeError, ValueError):
        return default


class Settings(QObject):
    """Typed access to a :class:`QSettings` store (pass one at a file for tests).

    Signals:
        preferencesChanged(Preferences): :meth:`set_preferences` stored new preferences
            (sent on every store, also when nothing changed: listeners apply what
            differs from what they use).
    """

    preferencesChanged = Signal(object)

    def __init__(self, store: QSettings | None = None):
        super().__init__()
        self.store = store if store is not None else QSettings("TreeSketch", "TreeSketch")

    @classmethod
    def at(cls, path: str | os.PathLike) -> Settings:
        """Settings kept in the INI file ``path``."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def preferences(self) -> Preferences:
        """The stored preferences (defaults for anything missing or malformed)."""
        out = Preferences()
        for f in fields(Preferences):
            default = getattr(out, f.name)
            raw = self.store.value(f"prefs/{f.name}", default)
            setattr(out, f.name, _coerce(type(default), raw, default))
        if out.theme not in THEMES:
            out.theme = "light"
        out.budget = max(10, out.budget)
        if out.budget_unit not in BUDGET_UNITS:
            out.budget_unit = "calls"
        out.seconds = min(max(1, out.seconds), MAX_SECONDS)
        out.beam_width = max(1, out.beam_width)
        out.edge_tolerance = min(max(0.0, out.edge_tolerance), MAX_EDGE_TOLERANCE)
        return out

    def set_preferences(self, prefs: Preferences) -> None:
        """Store ``prefs`` and send :attr:`preferencesChanged`."""
        for key, value in asdict(prefs).items():
            self.store.setValue(f"prefs/{key}", value)
        self.store.sync()
        self.preferencesChanged.emit(replace(prefs))  # a copy: the caller keeps its own

    def recent_files(self) -> list[str]:
        """Recently opened or saved files, newest first (missing files dropped)."""
        raw = self.store.value("recent_files", [])
        items = [raw] if isinstance(raw, str) else list(raw or [])
        return [p for p in items if p and Path(p).exists()][:MAX_RECENT]

    def add_recent(self, path: str | os.PathLike) -> None:
        """Put ``path`` first in the recent-files list."""
        p = str(Path(path).resolve())
        items = [p] + [q for q in self.recent_files() if q != p]
        self.store.setValue("recent_files", items[:MAX_RECENT])
        self.store.sync()

    def clear_recent(self) -> None:
        """Forget all recent files."""
        self.store.setValue("recent_files", [])

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        """Saved window geometry and dock layout (``None`` when not saved yet)."""
        return self.store.value("window/geometry"), self.store.value("window/state")

    def set_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        """Remember the window geometry and dock layout."""
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)
