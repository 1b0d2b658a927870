"""The document model: program, target sketch, locks, file and undo stack (no widgets).

Views never hold document state; they read it from a :class:`Document` and
redraw on its signals.  Every change that the user can undo goes through
:meth:`Document.push` with a command from :mod:`editor.commands`; the
commands call the private ``_set_*`` methods, which emit the signals.

Besides the saved state a document carries two transient view states that
several panes share: the selected node position and the previewed edit.

A document is in one language, :attr:`Document.grammar` (CSG2D or TinySVG), fixed
until a new, opened or recovered document replaces it (:attr:`Document.loaded`).  The
target follows the language (``editor.docfile.blank_target``): CSG2D's is grey ink,
TinySVG's an RGB picture scored with TinySVG's goal score
(``inference.targets.drawing_target.DrawingTarget``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from editor import docfile
from editor.docfile import DocumentData
from inference.lang.edits import Edit
from inference.lang.grammar import CSG2D, TINYSVG, Grammar
from inference.lang.syntax import parse
from inference.lang.tree import Node, node_at, walk
from inference.render import svg_scene
from inference.render.raster import render
from inference.targets.drawing_target import DrawingTarget
from inference.targets.drawn_score import DEFAULT_TOLERANCE
from inference.targets.outline_fit import SKETCH_CAVEAT, SKETCH_VERDICT
from inference.targets.svg_tolerance import DRAWING_CAVEAT, DRAWING_VERDICT
from inference.targets.target import SCORE_SIZE, Target
from inference.targets.target_images import downsample, sketch_region

DEFAULT_PROGRAM = "(Circle 4 8 8)"
"""The program of a new CSG2D document."""
DEFAULT_PROGRAMS = {CSG2D.name: DEFAULT_PROGRAM, TINYSVG.name: "(Rectangle 4 4 blue none 0)"}
"""The program of a new document, by language name."""
WHITE_BELOW = 1.0 - 0.5 / 255
"""A TinySVG target pixel channel below this is drawn on (not white paper)."""


def painted(picture: np.ndarray) -> bool:
    """True when a TinySVG picture (RGB in [0, 1]) has a pixel that is not white paper."""
    return bool(np.asarray(picture).min(initial=1.0) < WHITE_BELOW)


def default_program(grammar: Grammar = CSG2D) -> Node:
    """The program a new ``grammar`` document starts with."""
    return parse(DEFAULT_PROGRAMS[grammar.name], grammar=grammar)


SHAPE_TOOL_TOLERANCE = 0.25
"""The edge tolerance (canvas units: one pixel at 128×128) of a target drawn with the
snapping shape tools only: their edges lie where a program's can."""


SVG_HAND_TOLERANCE = 0.5
"""The most edge tolerance (TinySVG units, 3 px) a TinySVG hand drawing is scored with: on
simulated hand drawings of 32 held-out problems, ±0.5 found the drawn shapes for 28 where
±1 found 18 (with 14 false solves to ±0.5's 4) and the exact score 1 (docs/BENCHMARKS.md,
session 20).  A TinySVG document saved before session 20 has no ``exact_shapes`` and opens
as a hand drawing."""


class Document(QObject):
    """One open TreeSketch document.

    Signals:
        programChanged: the program or the locks changed.
        targetChanged: the target image or its modality changed.
        selectionChanged(int): the selected node position (-1: none).
        previewChanged: the previewed edit changed (see :attr:`preview`).
        dirtyChanged(bool): unsaved changes appeared or went away.
        pathChanged: the file path changed.
        busyChanged(bool): an auto-run started or ended (editing is disabled).
    """

    programChanged = Signal()
    targetChanged = Signal()
    selectionChanged = Signal(int)
    previewChanged = Signal()
    dirtyChanged = Signal(bool)
    pathChanged = Signal()
    busyChanged = Signal(bool)
    loaded = Signal()
    """A new, opened or recovered document replaced the old one."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.grammar: Grammar = CSG2D
        self.program: Node = default_program(CSG2D)
        self.target: np.ndarray = docfile.blank_target(CSG2D)
        self.modality = "filled"
        self.exact_shapes = False
        self.locked: frozenset[int] = frozenset()
        self.path: Path | None = None
        self.selected = -1
        self.preview: Edit | None = None
        self.busy = False
        self._forced_dirty = False
        self._score_target: Target | DrawingTarget | None = None
        self.tolerance = DEFAULT_TOLERANCE
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    @Slot(bool)
    def _clean_changed(self, _clean: bool) -> None:
        self.dirtyChanged.emit(self.dirty)

    # ----- reading -------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """True when there are unsaved changes."""
        return self._forced_dirty or not self.undo_stack.isClean()

    @property
    def language(self) -> str:
        """The document's language name: ``"CSG2D"`` or ``"TinySVG"``."""
        return self.grammar.name

    @property
    def is_drawing(self) -> bool:
        """True for a TinySVG document (an RGB picture, not grey ink)."""
        return self.grammar is TINYSVG

    @property
    def is_hand_drawing(self) -> bool:
        """True for a TinySVG picture scored with an edge tolerance (drawn with the pen or
        the fill, or loaded: a match is not yet the program meant, see
        ``inference.targets.svg_tolerance.DRAWING_CAVEAT``)."""
        return self.is_drawing and bool(self.effective_tolerance)

    @property
    def match_words(self) -> tuple[str, str] | None:
        """What a solved target is called instead of *solved*, and why that is not a
        guarantee, where the target pins values only to about its tolerance: an outline
        sketch's and a TinySVG hand drawing's words; ``None`` for the others."""
        if self.is_sketch:
            return SKETCH_VERDICT, SKETCH_CAVEAT
        if self.is_hand_drawing:
            return DRAWING_VERDICT, DRAWING_CAVEAT
        return None

    @property
    def is_sketch(self) -> bool:
        """True for a CSG2D outline sketch (scored by the outline fit: a match is not yet the
        program drawn, see ``inference.targets.outline_fit.SKETCH_CAVEAT``)."""
        return self.modality == "sketch" and not self.is_drawing

    @property
    def display_name(self) -> str:
        """The file name, or "Untitled"."""
        return self.path.name if self.path else "Untitled"

    def node(self, pos: int) -> Node:
        """The node starting at ``pos`` (``KeyError`` if none)."""
        return node_at(self.program, pos)

    def has_ink(self) -> bool:
        """True when the target has any ink (TinySVG: any pixel that is not white)."""
        if self.is_drawing:
            return painted(self.target)
        return bool(self.target.max(initial=0.0) >= 0.25)

    @property
    def effective_tolerance(self) -> float:
        """The edge tolerance a filled target is scored with: the preference, or at most
        :data:`SHAPE_TOOL_TOLERANCE` while the target holds only snapped shapes (those edges
        lie where a program's can, so a unit of slack would only hide wrong shapes).
        A TinySVG picture drawn with the shape tools only is scored exactly (0: they paint
        a program's own pixels); one drawn with the pen or the fill, or loaded, with the
        preference, at most :data:`SVG_HAND_TOLERANCE` (TinySVG's units: 6 px)."""
        if self.is_drawing:
            hand = not self.exact_shapes and self.has_ink()
            return min(self.tolerance, SVG_HAND_TOLERANCE) if hand else 0.0
        if self.exact_shapes and self.has_ink():
            return min(self.tolerance, SHAPE_TOOL_TOLERANCE)
        return self.tolerance

    def score_target(self) -> Target | DrawingTarget:
        """The target as the search scores it: for TinySVG a
        :class:`~inference.targets.drawing_target.DrawingTarget` of the RGB picture (goal
        score as a fraction of identical images' score, solved above 0.99, and
        ``colour_iou``; a hand drawing forgives edges within :attr:`effective_tolerance`,
        ``inference.targets.svg_tolerance``); for CSG2D a
        :class:`~inference.targets.target.Target` at 128×128.

        A filled target is scored with the tolerant goal score at
        :attr:`tolerance` (``inference.targets.drawn_score``; 0 = the exact goal score) and
        always compares parts and holes (``inference.targets.shape_match``: a program that
        misses or adds one is never solved), an outline sketch with the outline fit
        (``inference.targets.outline_fit``); see ``inference.targets.target``.
        """
        if self._score_target is None and self.is_drawing:
            self._score_target = DrawingTarget(self.target, self.effective_tolerance)
        if self._score_target is None:
            small = downsample(self.target, SCORE_SIZE)
            if self.modality == "sketch":
                self._score_target = Target.from_sketch(small)
            else:
                self._score_target = Target(
                    small >= 0.5, tolerance=self.effective_tolerance, check_shape=True
                )
        return self._score_target

    def set_tolerance(self, tolerance: float) -> None:
        """Score filled targets forgiving edges within ``tolerance`` canvas units.

        A preference, not part of the document: it is not saved and not undone.
        """
        if tolerance < 0:
            raise ValueError(f"a tolerance cannot be negative, got {tolerance}")
        if tolerance != self.tolerance:
            self.tolerance = tolerance
            self._score_target = None
            self.targetChanged.emit()

    @Slot(object)
    def use_preferences(self, prefs) -> None:
        """Apply what of ``prefs`` (:class:`editor.settings.Preferences`) the document uses:
        the edge tolerance (:meth:`set_tolerance`)."""
        self.set_tolerance(prefs.edge_tolerance)

    def looks_like_outline(self) -> bool:
        """True when a *filled* target encloses much more area than it inks (an outline, even
        one drawn with pen lifts: :func:`inference.targets.target_images.sketch_region`);
        never for TinySVG."""
        if self.is_drawing:
            return False
        small = downsample(self.target, SCORE_SIZE)
        inked = int((small >= 0.5).sum())
        return self.modality == "filled" and int(sketch_region(small).sum()) > 1.5 * inked + 50

    def score(self) -> float:
        """Score of the program against :meth:`score_target` (goal score or outline fit)."""
        return self.score_target().score(self.program)

    def shape_problems(self, program: Node | None = None) -> list[str]:
        """Plain sentences on how the program's (or ``program``'s) parts and holes differ
        from the target's (``inference.targets.shape_match``); empty when they agree or there is
        no target.  TinySVG has no such check: always empty."""
        if self.is_drawing or not self.has_ink():
            return []
        program = self.program if program is None else program
        return [m.describe() for m in self.score_target().shape_mismatches(program)]

    def solved(self) -> bool:
        """True when the program solves the target (its score is over the threshold)."""
        return self.has_ink() and self.score_target().solves(self.score())

    def colour_iou(self, program: Node | None = None) -> float | None:
        """TinySVG's colour IoU of the program (or ``program``) with the target, for
        reading; ``None`` for CSG2D."""
        if not self.is_drawing:
            return None
        return self.score_target().colour_iou(self.program if program is None else program)

    def render(self, size: int | None = None, program: Node | None = None) -> np.ndarray:
        """The render of the program (or of ``program``) at ``size`` (default: the
        target's side): CSG2D binary (bool, size × size), TinySVG RGB (float32 in [0, 1],
        size × size × 3)."""
        program = self.program if program is None else program
        if self.is_drawing:
            size = docfile.SVG_TARGET_SIZE if size is None else size
            return svg_scene.render(program, size).astype(np.float32) / np.float32(255.0)
        return render(program, docfile.TARGET_SIZE if size is None else size)

    def data(self, origin: str | None = None) -> DocumentData:
        """A snapshot of the saved state."""
        return DocumentData(
            self.program, self.target.copy(), self.modality, self.locked, origin, self.exact_shapes
        )

    # ----- changing (commands and transient view state) -----------------------------------

    def push(self, command: QUndoCommand) -> None:
        """Execute ``command`` and put it on the undo stack."""
        self.undo_stack.push(command)

    def set_selected(self, pos: int) -> None:
        """Select the node at ``pos`` (-1 clears); an invalid position clears."""
        if pos >= 0 and pos not in {p for p, _ in walk(self.program)}:
            pos = -1
        if pos != self.selected:
            self.selected = pos
            self.selectionChanged.emit(pos)

    def set_preview(self, edit: Edit | None) -> None:
        """Show ``edit`` as a preview in the views (``None`` hides it); nothing is changed."""
        if edit is not None:
            edit.validate(self.program)
        if edit != self.preview:
            self.preview = edit
            self.previewChanged.emit()

    def set_busy(self, busy: bool) -> None:
        """Mark an auto-run as running (views disable manual editing)."""
        if busy != self.busy:
            self.busy = busy
            self.busyChanged.emit(busy)

    def _set_program(self, program: Node, locked: frozenset[int]) -> None:
        if program.grammar is not self.grammar:  # the commands refuse this before
            raise ValueError(f"a {program.grammar.name} program in a {self.language} document")
        self.program = program
        self.locked = frozenset(locked)
        self.set_preview(None)
        if self.selected >= 0:
            self.set_selected(self.selected)
        self.programChanged.emit()

    def _set_target(self, target: np.ndarray, modality: str, exact_shapes: bool = False) -> None:
        target = np.asarray(target, dtype=np.float32)
        if target.shape != docfile.target_shape(self.grammar):  # the commands refuse this before
            raise ValueError(f"a {self.language} target cannot have shape {target.shape}")
        self.target = target
        self.modality = modality
        self.exact_shapes = bool(exact_shapes)
        self._score_target = None
        self.targetChanged.emit()

    # ----- files ---------------------------------------------------------------------------

    def load(self, data: DocumentData, path: str | os.PathLike | None, dirty: bool = False):
        """Replace everything by ``data`` (its language too); the undo history starts empty."""
        self.undo_stack.clear()
        self.selected = -1
        self.selectionChanged.emit(-1)
        had_preview = self.preview is not None
        # the language and the program change before the first signal: a view that
        # redraws on targetChanged must not see a program of the other language
        self.grammar = data.grammar
        self.program = data.program
        self.locked = frozenset(data.locked)
        self.preview = None
        self._set_target(data.target, data.modality, data.exact_shapes)
        if had_preview:
            self.previewChanged.emit()
        self._set_program(data.program, data.locked)
        self._set_path(path)
        self._forced_dirty = dirty
        self.undo_stack.setClean()
        self.dirtyChanged.emit(self.dirty)
        self.loaded.emit()

    def new(self, grammar: Grammar = CSG2D) -> None:
        """An empty ``grammar`` document: its default program (:data:`DEFAULT_PROGRAMS`),
        a blank target, no file."""
        self.load(DocumentData(default_program(grammar)), None)

    def open(self, path: str | os.PathLike) -> None:
        """Open ``path`` (``.tsk``, ``.csg``, ``.tsvg`` or ``.json``, in the language the
        file holds); ``ProgramFileError`` if unreadable."""
        self.load(docfile.read_document(path), path)

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Save atomically to ``path`` (default: the current file) and mark clean."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the document has no file name yet")
        docfile.write_document(target, self.data())
        self._set_path(target)
        self._forced_dirty = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(self.dirty)

    def _set_path(self, path: str | os.PathLike | None) -> None:
        new = Path(path).resolve() if path is not None else None
        if new != self.path:
            self.path = new
            self.pathChanged.emit()
