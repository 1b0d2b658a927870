"""The model beside the user: loading it, proposals and auto-run (no widgets).

:class:`Assistant` is the logic behind the Proposals pane.  It loads the
policy model on a worker thread and says why when it cannot (manual editing
keeps working).  It loads again when the preferences choose another model file, or,
with the shipped model, when the target's modality changes; a newer load supersedes
an older one still running (the older one is cancelled and its answer ignored, so
the model chosen last is the one used, whichever load ends first).

The model is one of the document's language: a CSG2D document uses the model file of
the preferences' ``model_path``, a TinySVG document the one of ``svg_model_path``
(default :func:`default_svg_model_path`, ``models/policy_tinysvg.onnx``), each loaded
for its language (``PolicyModel.load(..., language=...)``: a model of the other
language is refused in one line).  When a document of another language replaces the
current one (``Document.loaded``) the model of that language is loaded.  Without a
model of the document's language, Propose says why and auto-run uses random
mutations; the one-value refinement (a preference) runs on both languages.  It asks the
model for its next edits, previews the current one through ``Document.set_preview``,
and applies an accepted one as one undo step.  It also supplies what auto-run
(:mod:`editor.autorun`) searches with: the model's proposer, or random mutations (and
says so) without a model.

Proposals belong to one program and one target.  When either changes, the
proposals and the preview go, and a request still running is dropped (its
answer would be for the old drawing).  A new request hides the old proposal
at once, so nothing can be accepted while the model is asked.  With no
target there is nothing to propose toward: Propose says so and does nothing
else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from editor import commands
from editor.document import Document
from editor.settings import Settings
from editor.workers import CallWorker, Cancelled, Jobs
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.tree import Node
from inference.model.decoding import (
    Proposal,
    evaluate_values,
    longest_program,
    sample_edits,
    top_edits,
)
from inference.model.model_contract import target_kind
from inference.model.onnx_model import (
    PolicyModel,
    default_model_path,
    default_svg_model_path,
)
from inference.search.beam import SearchConfig, deep_enough
from inference.search.proposers import PolicyProposer, RandomMutationProposer
from inference.search.synthesize import UNLIMITED_CALLS

log = logging.getLogger("treesketch.editor")
TOP_K = 6
"""Proposals fetched per Propose (the Alternatives list)."""
NEED_TARGET = "Draw a target first: the model edits the program toward the drawing."
"""What Propose and Auto-run say on an empty pad."""


@dataclass(frozen=True)
class Candidate:
    """A proposal with what it leads to: the edited program, its score and value."""

    proposal: Proposal
    program: Node
    score: float
    value_after: float


def _candidates(
    model, target, program, locked, proposals_fn, cancelled=lambda: False
) -> list[Candidate]:
    """The proposals for ``program``, each with its result, score and value estimate.

    A hand-drawn target is shown to the model as each of its views (``Target.model_views``:
    the drawing, eroded and dilated by half a unit); their proposals are interleaved, best
    first, without repeats, :data:`TOP_K` in all, and shown highest score first (the views
    disagree, and the score settles it).  ``cancelled()`` is asked before each view.
    """
    kind = target_kind(target.is_sketch)
    per_view = []
    for view in target.model_views():
        if cancelled():
            raise Cancelled
        model_input = model.target_input(view.model_image, kind)  # sketch ink or filled mask
        proposals = proposals_fn(model, model_input, program, locked)
        after = [p.edit.apply(program) for p in proposals]
        values = evaluate_values(model, model_input, after).values if after else []
        per_view.append(list(zip(proposals, after, values, strict=True)))
    out, seen = [], set()
    for rank in range(max(map(len, per_view), default=0)):
        for found in per_view:
            if rank < len(found) and found[rank][0].edit not in seen and len(out) < TOP_K:
                p, a, v = found[rank]
                seen.add(p.edit)
                out.append(Candidate(p, a, target.score(a), float(v)))
    if len(per_view) > 1:
        out.sort(key=lambda c: -c.score)
    return out


class Assistant(QObject):
    """Model loading, proposals and auto-run for one document.

    Signals:
        modelChanged: :attr:`model` / :attr:`model_status` changed.
        proposalsChanged: :attr:`candidates`, :attr:`index` or :attr:`hint` changed.
        workingChanged(bool): a proposal request started or ended (see :attr:`working`).
        message(str): a line for the status bar and log.
    """

    modelChanged = Signal()
    proposalsChanged = Signal()
    workingChanged = Signal(bool)
    message = Signal(str)

    def __init__(self, doc: Document, settings: Settings, jobs: Jobs):
        super().__init__()
        self.doc, self.settings, self.jobs = doc, settings, jobs
        self.model: PolicyModel | None = None
        self.model_status = "Loading the model…"
        self.candidates: list[Candidate] = []
        self.index = -1
        self.hint = ""
        """Why there is nothing to show (e.g. no target yet); empty normally."""
        self._request: CallWorker | None = None
        self._loader: CallWorker | None = None
        self._seen: set = set()
        prefs = settings.preferences()
        self._rng = np.random.default_rng(prefs.seed)
        self._model_choice = (prefs.model_path, prefs.svg_model_path)
        self._modality = doc.modality
        self._loaded_for: tuple[str, Path] | None = None  # (language, file) of the last load
        doc.programChanged.connect(self._invalidate)
        doc.targetChanged.connect(self._target_changed)
        doc.loaded.connect(self._document_loaded)
        settings.preferencesChanged.connect(self.use_preferences)

    # ----- model ---------------------------------------------------------------------------

    def model_path(self) -> Path:
        """The model file the preferences choose for the document's language (and, for
        CSG2D with the shipped model, its modality)."""
        prefs = self.settings.preferences()
        if self.doc.grammar is TINYSVG:
            chosen = prefs.svg_model_path
            return Path(chosen) if chosen else default_svg_model_path()
        chosen = prefs.model_path
        return Path(chosen) if chosen else default_model_path(self.doc.modality)

    def usable_model(self) -> PolicyModel | None:
        """The loaded model when it is of the document's language, else ``None`` (a model
        of the other language is never used, not even while its successor loads)."""
        model = self.model
        return model if model is not None and model.grammar is self.doc.grammar else None

    def load_model(self) -> None:
        """(Re)load the chosen model for the document's language on a worker thread; a load
        still running is cancelled and its answer ignored."""
        if self._loader is not None:
            self._loader.cancel()
        path, language = self.model_path(), self.doc.language
        self._loaded_for = (language, path)
        self.model, self.model_status = None, f"Loading {path.name}…"
        self.modelChanged.emit()
        worker = CallWorker(
            lambda cancelled: PolicyModel.load(path, intra_op_threads=1, language=language)
        )
        worker.finished.connect(self._model_loaded)
        worker.error.connect(self._model_failed)
        self._loader = worker
        self.jobs.start(worker)

    @Slot(object)
    def use_preferences(self, prefs) -> None:
        """Load the model again when ``prefs`` choose another model file."""
        choice = (prefs.model_path, prefs.svg_model_path)
        if choice != self._model_choice:
            self._model_choice = choice
            if self._loaded_for != (self.doc.language, self.model_path()):
                self.load_model()

    @Slot()
    def _document_loaded(self) -> None:
        """Another document: load the model of its language (and modality) unless that one
        is already loaded or loading."""
        self.clear()
        self._modality = self.doc.modality
        if self._loaded_for is not None and self._loaded_for != (
            self.doc.language,
            self.model_path(),
        ):
            self.load_model()

    @Slot(object)
    def _model_loaded(self, model) -> None:
        if self.sender() is not self._loader:
            return  # superseded: a newer load is running or has answered
        self._loader = None
        if model is None:  # cancelled (the editor is closing)
            return
        self.model = model
        seen = f"{model.training_examples:,} training examples" if model.training_examples else ""
        what = model.modality if model.grammar is CSG2D else f"{model.language}, {model.modality}"
        if model.int8:
            what += ", int8"
        self.model_status = f"Model {model.path.name} ({what}{', ' + seen if seen else ''})"
        if model.grammar is CSG2D and not model.handles(self.doc.modality):
            self.model_status += f" — note: the target is a {self.doc.modality} target"
        self.modelChanged.emit()
        self.message.emit(self.model_status)

    @Slot(str)
    def _model_failed(self, reason: str) -> None:
        if self.sender() is not self._loader:
            return  # superseded, as in _model_loaded
        self._loader = None
        self.model = None
        self.model_status = self._no_model(reason)
        self.modelChanged.emit()
        log.warning("%s", self.model_status)

    def _no_model(self, reason: str) -> str:
        """Why there is no model, and what works meanwhile."""
        if self.doc.grammar is CSG2D:
            return (
                f"No model: {reason}. Manual editing works; choose a model file in "
                "Preferences. Auto-run uses random-mutation search meanwhile."
            )
        path, language = self.model_path(), self.doc.language
        if not path.exists():
            reason = f"{path.name} is not there"
        elif "this model is for" in reason:  # a model of the other language, refused
            reason = f"{path.name}: {reason[reason.index('this model is for') :]}"
        return (
            f"No {language} model ({reason}): Propose needs one; choose a {language} model "
            "file in Preferences. Auto-run uses random-mutation search meanwhile."
        )

    # ----- proposals -----------------------------------------------------------------------

    @property
    def working(self) -> bool:
        """True while the model is being asked for proposals."""
        return self._request is not None

    def current(self) -> Candidate | None:
        """The proposal on show, if any."""
        return self.candidates[self.index] if 0 <= self.index < len(self.candidates) else None

    def propose(self, more: bool = False) -> None:
        """Ask the model for its most likely edits (``more``: sample fresh ones)."""
        if self.usable_model() is None:
            self.message.emit(self.model_status)
            return
        if self._request is not None or self.doc.busy:
            return
        if not self.doc.has_ink():
            self._show([], NEED_TARGET)
            self.message.emit(NEED_TARGET)
            return
        limit = longest_program(self.usable_model())
        if self.doc.program.size > limit:
            too_long = (
                f"The program is {self.doc.program.size} tokens long and the model reads at "
                f"most {limit}: Propose needs a shorter program. Auto-run still works."
            )
            self._show([], too_long)
            self.message.emit(too_long)
            return
        self._show([])  # the old proposal goes now: nothing to accept while asking
        if not more:
            self._seen = set()
        doc, model, rng = self.doc, self.usable_model(), self._rng
        program, target, locked = doc.program, doc.score_target(), doc.locked

        def fetch(m, x, prog, lock):
            if not more:
                return top_edits(m, x, prog, TOP_K, lock)
            return sample_edits(m, x, [prog], TOP_K, rng, locked=[sorted(lock)])[0]

        worker = CallWorker(
            lambda cancelled: (
                program,
                _candidates(model, target, program, locked, fetch, cancelled),
            )
        )
        worker.finished.connect(self._proposed)
        worker.error.connect(self._request_failed)
        self._request = worker
        self.workingChanged.emit(True)
        self.jobs.start(worker)

    @Slot(object)
    def _proposed(self, result) -> None:
        if self.sender() is not self._request:
            return  # dropped: the program or the target changed meanwhile
        self._request = None
        self.workingChanged.emit(False)
        if result is None or result[0] != self.doc.program:
            return  # the program changed meanwhile: the proposals are stale
        fresh = [c for c in result[1] if c.proposal.edit not in self._seen]
        self._show(fresh)
        if not fresh:
            self.message.emit("The model has no other edit to propose here.")

    @Slot(str)
    def _request_failed(self, reason: str) -> None:
        if self.sender() is not self._request:
            return
        self._request = None
        self.workingChanged.emit(False)
        self.message.emit(f"Proposal failed: {reason}")
        log.error("proposal failed: %s", reason)

    def _show(self, candidates: list[Candidate], hint: str = "") -> None:
        self.candidates, self.hint = candidates, hint
        self.choose(0 if candidates else -1)

    def choose(self, index: int) -> None:
        """Show candidate ``index`` as the preview."""
        self.index = index if 0 <= index < len(self.candidates) else -1
        cand = self.current()
        if cand is not None:
            self._seen.add(cand.proposal.edit)
        self.doc.set_preview(cand.proposal.edit if cand else None)
        self.proposalsChanged.emit()

    def reject(self) -> None:
        """Drop the proposal on show and show the next (sampling more when none is left)."""
        if self.index + 1 < len(self.candidates):
            self.choose(self.index + 1)
        else:
            self._show([])
            self.propose(more=True)

    def accept(self) -> None:
        """Apply the proposal on show as one undo step."""
        cand = self.current()
        if cand is None:
            return
        what = commands.describe_edit(self.doc.program, cand.proposal.edit)
        cmd = commands.EditCommand(self.doc, cand.proposal.edit, f"Accept edit: {what}")
        self._show([])
        self.doc.push(cmd)
        self.message.emit(f"Accepted: {what}; score {cand.score:.3f}")
        solved = self.doc.score_target().solves(cand.score)
        if self.settings.preferences().propose_after_accept and not solved:
            self.propose()

    def clear(self) -> None:
        """Forget the proposals (and hide the preview); drop a request still running."""
        if self._request is not None:
            self._request.cancel()
            self._request = None
            self.workingChanged.emit(False)
        if self.candidates or self.index != -1 or self.hint:
            self._show([])

    @Slot()
    def _invalidate(self) -> None:
        self.clear()  # proposals were computed for the previous program or drawing

    @Slot()
    def _target_changed(self) -> None:
        self.clear()
        if self.doc.modality != self._modality:
            self._modality = self.doc.modality
            shipped = not self.settings.preferences().model_path
            if shipped and self.doc.grammar is CSG2D:
                self.load_model()  # the shipped model for the new modality

    # ----- what auto-run (editor.autorun) searches with ------------------------------------

    def search_config(self) -> SearchConfig:
        """Search settings from the preferences (the one-value climb of a TinySVG document
        is :mod:`inference.search.value_refine`'s)."""
        prefs = self.settings.preferences()
        timed = prefs.budget_unit == "seconds"
        budget = UNLIMITED_CALLS if timed else prefs.budget
        config = SearchConfig(beam_width=prefs.beam_width, budget=budget, refine=prefs.refine)
        return deep_enough(config)  # the budget is the user's limit: steps enough to spend it

    def search_seconds(self) -> float | None:
        """The auto-run's wall-clock limit in seconds, or ``None`` for a budget in calls."""
        prefs = self.settings.preferences()
        return float(prefs.seconds) if prefs.budget_unit == "seconds" else None

    def search_proposer(self):
        """The model's proposer, or random mutations without a model of the document's
        language."""
        model = self.usable_model()
        return RandomMutationProposer() if model is None else PolicyProposer(model)
