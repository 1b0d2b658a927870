"""The assistant on TinySVG documents (issue 17): a TinySVG model of its own (a real,
smoke-sized export), proposals that are valid TinySVG edits, auto-run on the
DrawingTarget with the model or with random mutations when there is none, and a CSG2D
model never used there (no widgets but the proposals pane's thumbnail)."""

from pathlib import Path

import numpy as np
import pytest

from editor import docfile
from editor.assistant import Assistant, default_svg_model_path
from editor.autorun import AutoRun
from editor.document import Document
from editor.settings import Preferences
from editor.workers import Jobs
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.svg_simplify import simplify_moves
from inference.lang.syntax import parse
from inference.lang.tree import to_text
from inference.render.svg_scene import render
from inference.targets.drawing_target import DrawingTarget

torch = pytest.importorskip("torch")  # the TinySVG model is exported from a tiny torch network


@pytest.fixture(scope="session")
def svg_model_path(tmp_path_factory):
    """A small TinySVG policy exported the way tests/models/test_tinysvg_model.py makes its
    ``svg_policy`` (a tiny network with seeded weights)."""
    from models.export import export_model
    from tests.models.test_tinysvg_model import tiny_svg_net

    path = tmp_path_factory.mktemp("svg-model") / "policy_tinysvg.onnx"
    export_model(tiny_svg_net(0), path, modality="filled", training_examples=7, dev_metrics={})
    return path


@pytest.fixture
def jobs():
    j = Jobs()
    yield j
    j.shutdown()


def choose(settings, **paths) -> None:
    prefs = settings.preferences()
    for key, value in paths.items():
        setattr(prefs, key, str(value))
    settings.set_preferences(prefs)


def svg_document(target_program: str, start: str = "(Rectangle 4 4 blue none 0)") -> Document:
    """A TinySVG document whose target is ``target_program``'s picture (exact, as the
    shape tools draw it)."""
    doc = Document()
    target = render(parse(target_program, grammar=TINYSVG), 224).astype(np.float32) / 255
    start_program = parse(start, grammar=TINYSVG)
    doc.load(docfile.DocumentData(start_program, target, exact_shapes=True), None)
    return doc


def without_a_model(settings, tmp_path) -> None:
    """No TinySVG model (auto-run then searches by random mutations), 60 s, beam 16."""
    choose(settings, svg_model_path=tmp_path / "policy_tinysvg.onnx", budget_unit="seconds")
    prefs = settings.preferences()
    prefs.seconds, prefs.beam_width, prefs.refine = 60, 16, True
    settings.set_preferences(prefs)


def loaded(assistant, jobs, qtbot) -> None:
    qtbot.waitUntil(lambda: not assistant.model_status.startswith("Loading"), timeout=10000)
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=5000)


def test_each_language_gets_its_own_model_and_a_switch_loads_the_other(
    settings, jobs, qtbot, fake_model_path, svg_model_path
):
    choose(settings, model_path=fake_model_path, svg_model_path=svg_model_path)
    doc = Document()
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    assert assistant.model.grammar is CSG2D and assistant.model.path == fake_model_path
    doc.new(TINYSVG)
    assert assistant.model is None  # the CSG2D model goes at once, before the other loads
    loaded(assistant, jobs, qtbot)
    assert assistant.usable_model().grammar is TINYSVG
    assert assistant.model.path == svg_model_path and "TinySVG" in assistant.model_status
    doc.new(CSG2D)
    loaded(assistant, jobs, qtbot)
    assert assistant.model.path == fake_model_path


def test_a_csg2d_model_is_never_used_on_a_tinysvg_document(settings, jobs, qtbot, fake_model_path):
    choose(settings, svg_model_path=fake_model_path)  # the wrong language in the TinySVG slot
    doc = svg_document("(Rectangle 6 4 red none 0)")
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    assert assistant.model is None and assistant.usable_model() is None
    status = assistant.model_status
    assert "this model is for CSG2D; the document is TinySVG" in status and "\n" not in status
    assert "random-mutation" in status
    assert type(assistant.search_proposer()).__name__ == "RandomMutationProposer"


def test_without_a_tinysvg_model_propose_says_so_and_auto_run_solves_with_random_mutations(
    settings, jobs, qtbot, tmp_path
):
    without_a_model(settings, tmp_path)
    doc = svg_document("(Rectangle 6 4 red none 0)")
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    assert "No TinySVG model (policy_tinysvg.onnx is not there)" in assistant.model_status
    assert "Auto-run uses random-mutation search" in assistant.model_status
    with qtbot.waitSignal(assistant.message) as said:
        assistant.propose()
    assert said.args[0] == assistant.model_status and assistant.candidates == []
    assert assistant.search_config().refine is True  # value_refine climbs TinySVG too
    run = AutoRun(doc, assistant, jobs)
    messages = []
    run.message.connect(messages.append)
    with qtbot.waitSignal(run.finished, timeout=70000) as done:
        run.start()
    best = done.args[0]
    assert "random-mutation search (no TinySVG model)" in messages[0]
    assert best.solved and doc.solved() and doc.program.grammar is TINYSVG
    assert run.elapsed() < 30, f"took {run.elapsed():.1f} s"  # usually a second or two
    assert doc.score_target().score(doc.program) > 0.99
    assert doc.undo_stack.undoText().startswith("Auto-run solved")
    doc.undo_stack.undo()  # the whole run is one step
    assert to_text(doc.program) == "(Rectangle 4 4 blue none 0)"


def test_auto_run_on_a_hand_drawing_is_recorded_as_a_match_not_a_solve(
    settings, jobs, qtbot, tmp_path
):
    """The run's step in the history says what the view says: a hand drawing *matches*."""
    from editor import commands
    from inference.targets.svg_tolerance import DRAWING_VERDICT

    from .test_svg_document import wobbly_rectangle

    without_a_model(settings, tmp_path)
    doc = svg_document("(Rectangle 5 4 red none 0)")
    drawn = wobbly_rectangle(np.random.default_rng(3))
    doc.push(commands.set_target(doc, drawn, "Pen stroke"))
    assert doc.is_hand_drawing
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    run = AutoRun(doc, assistant, jobs)
    with qtbot.waitSignal(run.finished, timeout=70000) as done:
        run.start()
    assert done.args[0].solved and doc.solved()
    assert doc.undo_stack.undoText().startswith(f"Auto-run {DRAWING_VERDICT}:")
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=10000)  # no worker left at teardown


def test_the_small_model_proposes_valid_tinysvg_edits_and_accept_applies_one(
    settings, jobs, qtbot, svg_model_path
):
    choose(settings, svg_model_path=svg_model_path)
    doc = svg_document("(Arrange h (Rectangle 3 3 red none 0) (Ellipse 4 4 blue none 0) 1)")
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    assert assistant.usable_model() is not None, assistant.model_status
    assistant.propose()
    qtbot.waitUntil(lambda: not assistant.working, timeout=20000)
    assert assistant.candidates, assistant.hint
    target = DrawingTarget(doc.target)
    for cand in assistant.candidates:
        assert cand.program.grammar is TINYSVG
        assert parse(to_text(cand.program), grammar=TINYSVG) == cand.program
        assert cand.program == cand.proposal.edit.apply(doc.program)
        assert cand.score == pytest.approx(target.score(cand.program))
    chosen = assistant.current()
    assistant.accept()
    assert doc.program == chosen.program
    doc.undo_stack.undo()
    assert to_text(doc.program) == "(Rectangle 4 4 blue none 0)"


def test_propose_on_a_program_longer_than_the_model_reads_says_so(
    settings, jobs, qtbot, svg_model_path
):
    """A fitted drawing can be longer than the network reads (TinySVG's 256 tokens): Propose
    says so in one line, instead of failing inside the model."""
    long = "(Rectangle 2 2 red none 0)"
    for k in range(55):  # more than the 256 tokens the network reads
        long = f"(Move {long} {k % 2} 0 {'true' if k % 4 else 'false'} false)"
    choose(settings, svg_model_path=svg_model_path)
    doc = svg_document("(Arrange h (Rectangle 3 3 red none 0) (Ellipse 4 4 blue none 0) 1)", long)
    assert doc.program.size > 256
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    said = []
    assistant.message.connect(said.append)
    assistant.propose()
    assert not assistant.working and not assistant.candidates
    assert "model reads at most 256" in assistant.hint and said == [assistant.hint]


def test_auto_run_with_the_tinysvg_model_spends_its_budget_and_merges_its_moves(
    settings, jobs, qtbot, svg_model_path
):
    choose(settings, svg_model_path=svg_model_path)
    prefs = settings.preferences()
    prefs.budget, prefs.beam_width = 120, 4
    settings.set_preferences(prefs)
    doc = svg_document("(Arrange v (Rectangle 5 2 orange none 0) (Ellipse 3 3 green none 0) 1)")
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    run = AutoRun(doc, assistant, jobs)
    messages = []
    run.message.connect(messages.append)
    with qtbot.waitSignal(run.finished, timeout=60000) as done:
        run.start()
    best = done.args[0]
    assert messages[0].startswith("Auto-run with the model")
    assert best is not None and best.calls <= 120 and best.program.grammar is TINYSVG
    assert best.score == pytest.approx(DrawingTarget(doc.target).score(best.program))
    macro = doc.undo_stack.command(doc.undo_stack.index() - 1)
    steps = [macro.child(i).text() for i in range(macro.childCount())]
    assert steps and simplify_moves(doc.program) == doc.program  # no move left to merge
    assert best.program == doc.program


def test_the_shipped_tinysvg_model_is_looked_for_beside_the_csg2d_ones():
    from inference.model.onnx_model import default_model_path

    assert default_svg_model_path() == default_model_path().parent / "policy_tinysvg.onnx"
    assert default_svg_model_path().parent.name == "models"
    assert Path(default_svg_model_path()).suffix == ".onnx"


def test_the_pane_names_the_missing_tinysvg_model_and_shows_the_best_program_in_colour(
    settings, jobs, qtbot, tmp_path
):
    from editor.proposals import THUMB, ProposalsPane

    choose(settings, svg_model_path=tmp_path / "none.onnx", budget_unit="seconds")
    doc = svg_document("(Ellipse 6 4 purple none 0)", start="(Ellipse 6 4 green none 0)")
    assistant = Assistant(doc, settings, jobs)
    run = AutoRun(doc, assistant, jobs)
    pane = ProposalsPane(assistant, run, settings)
    qtbot.addWidget(pane)
    assistant.load_model()
    loaded(assistant, jobs, qtbot)
    assert (
        "No TinySVG model" in pane.model_label.text() and "c0392b" in pane.model_label.styleSheet()
    )
    assert (
        not pane.actions_by_key["propose"].isEnabled()
        and pane.actions_by_key["autorun"].isEnabled()
    )
    with qtbot.waitSignal(run.finished, timeout=60000):
        run.start()
    assert doc.solved() and "purple" in to_text(doc.program)
    thumb = pane.thumb.pixmap().toImage()
    centre = thumb.pixelColor(THUMB // 2, THUMB // 2)
    assert (centre.red(), centre.green(), centre.blue()) == (128, 0, 128)  # the best, in colour


def test_the_preferences_dialog_edits_the_tinysvg_model_path(qtbot, settings):
    from editor.preferences import PreferencesDialog

    dialog = PreferencesDialog(Preferences())
    qtbot.addWidget(dialog)
    assert dialog.svg_model_path.text() == ""  # the shipped one
    assert "policy_tinysvg.onnx" in dialog.svg_model_path.placeholderText()
    dialog.svg_model_path.setText("  /somewhere/svg.onnx ")
    prefs = dialog.preferences()
    assert prefs.svg_model_path == "/somewhere/svg.onnx"
    settings.set_preferences(prefs)
    assert settings.preferences().svg_model_path == "/somewhere/svg.onnx"


def test_the_bundle_check_wants_every_shipped_model_the_tinysvg_one_too(tmp_path):
    import build_app

    root, bundle = tmp_path / "src", tmp_path / "bundle"
    (root / "models").mkdir(parents=True)
    (bundle / "_internal" / "models").mkdir(parents=True)
    for name in ("policy.onnx", "baseline_ar.onnx"):
        (root / "models" / name).write_bytes(b"x")
    (bundle / "_internal" / "models" / "policy.onnx").write_bytes(b"x")
    assert build_app.missing_models(bundle, root) == []
    assert "no TinySVG model" in build_app.models_line(root)
    (root / "models" / "policy_tinysvg.onnx").write_bytes(b"x")
    assert build_app.shipped_models(root) == ["policy.onnx", "policy_tinysvg.onnx"]
    assert build_app.missing_models(bundle, root) == ["policy_tinysvg.onnx"]
    assert "TinySVG's policy_tinysvg.onnx included" in build_app.models_line(root)
