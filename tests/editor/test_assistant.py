"""Proposals and auto-run against a real ONNX model with fake weights (no widgets)."""

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from editor import assistant as assistant_module
from editor import commands, docfile
from editor.assistant import Assistant
from editor.autorun import AutoRun
from editor.document import Document
from editor.workers import Jobs
from inference.lang.syntax import parse
from inference.model.onnx_model import default_model_path
from inference.render.raster import rasterizer
from inference.targets.target import SCORE_SIZE

START = "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"


@pytest.fixture
def jobs():
    j = Jobs()
    yield j
    j.shutdown()


def make(settings, jobs, qtbot, text=START):
    doc = Document()
    target = np.zeros((docfile.TARGET_SIZE,) * 2, np.float32)
    target[64:192, 48:208] = 1.0
    doc.load(docfile.DocumentData(parse(text), target), None)
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    qtbot.waitUntil(lambda: not assistant.model_status.startswith("Loading"), timeout=5000)
    # the loader's thread ends a moment after its answer arrives: tests that ask
    # whether a job runs must not count the finished load
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=5000)
    return doc, assistant


def test_missing_model_says_why_and_editing_still_works(settings, jobs, qtbot, tmp_path):
    prefs = settings.preferences()
    prefs.model_path = str(tmp_path / "nowhere.onnx")
    settings.set_preferences(prefs)
    doc, assistant = make(settings, jobs, qtbot)
    assert assistant.model is None
    assert "model file not found" in assistant.model_status
    assert "Manual editing works" in assistant.model_status
    assistant.propose()  # does nothing, says why
    assert assistant.candidates == []
    doc.push(commands.set_value(doc, 4, 3))
    assert "Circle 3 8 8" in str(doc.program)


def test_the_model_line_names_int8_weights(settings, jobs, qtbot):
    from inference.model.onnx_model import PolicyModel, default_model_path

    path = default_model_path()
    if not path.exists() or not PolicyModel.load(path).int8:
        pytest.skip("the shipped model is not an int8 copy")
    prefs = settings.preferences()
    prefs.model_path = str(path)
    settings.set_preferences(prefs)
    _, assistant = make(settings, jobs, qtbot)
    assert assistant.model_status.startswith(f"Model {path.name} (both, int8, ")


def test_propose_reject_accept(model_settings, jobs, qtbot):
    doc, assistant = make(model_settings, jobs, qtbot)
    assert assistant.model is not None and "fake_policy.onnx" in assistant.model_status
    with qtbot.waitSignal(assistant.workingChanged, check_params_cb=lambda b: not b, timeout=5000):
        assistant.propose()
    assert len(assistant.candidates) >= 2
    first = assistant.current()
    assert doc.preview == first.proposal.edit
    assistant.reject()
    second = assistant.current()
    assert second.proposal.edit != first.proposal.edit and doc.preview == second.proposal.edit
    before = doc.program
    assistant.accept()
    assert doc.program == second.program and doc.preview is None
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.program == before


def test_auto_run_is_one_undo_step(settings, jobs, qtbot):
    doc, assistant = make(settings, jobs, qtbot, "(Circle 2 3 3)")  # no model: random search
    run = AutoRun(doc, assistant, jobs)
    start_score = doc.score()
    with qtbot.waitSignal(run.finished, timeout=10000) as blocker:
        run.start()
        assert doc.busy
    event = blocker.args[0]
    assert not doc.busy and run.state == "idle"
    assert event.score > start_score and doc.program == event.program
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.text(0).startswith(("Auto-run finished", "Auto-run solved"))
    doc.undo_stack.undo()
    assert str(doc.program) == "Node('(Circle 2 3 3)')"


def test_auto_run_tidies_and_fits_its_result_in_the_same_undo_step(settings, jobs, qtbot):
    messy = "(+ (Quad 6 4 0 0 135) (Quad 8 8 9 9 0))"  # an empty quad; each edge a unit off
    doc, assistant = make(settings, jobs, qtbot, messy)  # the target is (Quad 8 8 10 8 0)
    assert doc.solved() and doc.tolerance == 1.0  # already solved within the tolerance
    run = AutoRun(doc, assistant, jobs)
    with qtbot.waitSignal(run.finished, timeout=10000) as blocker:
        run.start()
    assert str(doc.program) == "Node('(Quad 8 8 10 8 0)')" and blocker.args[0].calls > 10
    assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0).startswith("Auto-run solved")
    doc.undo_stack.undo()
    assert str(doc.program) == f"Node('{messy}')"


def test_proposals_for_a_drawn_target_come_from_every_view(fake_model_path):
    from editor.assistant import TOP_K, _candidates
    from inference.model.decoding import top_edits
    from inference.model.onnx_model import PolicyModel
    from inference.render.raster import render
    from inference.targets.target import Target

    model = PolicyModel.load(fake_model_path, intra_op_threads=1)
    program = parse(START)
    mask = render(parse("(- (Quad 8 8 7 5 0) (Circle 2 8 8))"))
    shown = []

    def fetch(m, x, prog, lock):
        shown.append(x)
        return top_edits(m, x, prog, TOP_K, lock)

    exact = _candidates(model, Target(mask), program, frozenset(), fetch)
    assert len(shown) == 1 and len(exact) == TOP_K
    shown.clear()
    drawn = _candidates(model, Target(mask, tolerance=1.0), program, frozenset(), fetch)
    assert len(shown) == 3 and not np.array_equal(shown[1], shown[2])  # eroded, dilated
    edits = [c.proposal.edit for c in drawn]
    assert len(drawn) == TOP_K and len(set(edits)) == TOP_K
    assert exact[0].proposal.edit in edits  # the drawing's own best is among them
    assert [c.score for c in drawn] == sorted((c.score for c in drawn), reverse=True)
    assert all(c.score == Target(mask, tolerance=1.0).score(c.program) for c in drawn)


def test_a_new_request_hides_the_old_proposal_until_the_answer(model_settings, jobs, qtbot):
    doc, assistant = make(model_settings, jobs, qtbot)
    with qtbot.waitSignal(assistant.workingChanged, check_params_cb=lambda b: not b, timeout=5000):
        assistant.propose()
    assert assistant.current() is not None and doc.preview is not None
    with qtbot.waitSignal(assistant.workingChanged, check_params_cb=lambda b: not b, timeout=5000):
        assistant.propose()
        assert assistant.working and assistant.current() is None and doc.preview is None
    assert assistant.current() is not None and doc.preview == assistant.current().proposal.edit


def test_a_changed_drawing_drops_proposals_and_the_request_running(model_settings, jobs, qtbot):
    doc, assistant = make(model_settings, jobs, qtbot)
    with qtbot.waitSignal(assistant.workingChanged, check_params_cb=lambda b: not b, timeout=5000):
        assistant.propose()
    assert assistant.candidates and doc.preview is not None
    moved = np.roll(doc.target, 40, axis=1)
    doc.push(commands.set_target(doc, moved, "Pen stroke"))
    assert assistant.candidates == [] and assistant.current() is None and doc.preview is None

    assistant.propose()
    assert assistant.working
    doc.push(commands.set_target(doc, np.roll(moved, 20, axis=0), "Pen stroke"))
    assert not assistant.working  # dropped at once: its answer would be for the old drawing
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=5000)
    qtbot.wait(50)
    assert assistant.candidates == [] and doc.preview is None

    with qtbot.waitSignal(assistant.workingChanged, check_params_cb=lambda b: not b, timeout=5000):
        assistant.propose()  # asking again works
    assert assistant.current() is not None


def test_propose_on_an_empty_pad_asks_for_a_target_and_does_nothing_else(
    model_settings, jobs, qtbot
):
    doc, assistant = make(model_settings, jobs, qtbot)
    doc.push(commands.set_target(doc, np.zeros_like(doc.target), "Clear"))
    program = doc.program
    with qtbot.waitSignal(assistant.message, timeout=1000) as said:
        assistant.propose()
    assert "Draw a target first" in said.args[0] and "Draw a target first" in assistant.hint
    assert not assistant.working and not jobs.busy() and assistant.candidates == []
    assert doc.program == program and doc.preview is None and doc.undo_stack.count() == 1
    run = AutoRun(doc, assistant, jobs)
    with qtbot.waitSignal(run.message, timeout=1000) as said:
        run.start()
    assert "Draw a target first" in said.args[0] and run.state == "idle" and not doc.busy
    assert not jobs.busy() and doc.program == program


def test_accepting_names_the_edit_in_the_history(model_settings, jobs, qtbot):
    doc, assistant = make(model_settings, jobs, qtbot)
    with qtbot.waitSignal(assistant.workingChanged, check_params_cb=lambda b: not b, timeout=5000):
        assistant.propose()
    program, cand = doc.program, assistant.current()
    assistant.accept()
    text = doc.undo_stack.text(0)
    assert text == "Accept edit: " + commands.describe_edit(program, cand.proposal.edit)
    assert "@" not in text and "Edit(" not in text


@pytest.mark.parametrize("budget", [10, 60, 300])  # the tidy: no calls, some, all it needs
def test_auto_run_with_its_tidy_spends_no_more_than_the_budget(settings, jobs, qtbot, budget):
    """The budget is a promise: the search and the tidy after it share it."""
    prefs = settings.preferences()
    prefs.budget = budget
    settings.set_preferences(prefs)
    messy = "(+ (Quad 6 4 0 0 135) (Quad 8 8 9 9 0))"  # tidy has plenty to try here
    doc, assistant = make(settings, jobs, qtbot, messy)
    doc.push(commands.lock(doc, 2))  # no structure fit: the tidy's own fit has work to do
    doc.undo_stack.clear()
    renders = []
    target = doc.score_target()
    plain = target.scores_packed

    def counted(masks):
        renders.append(len(masks))
        return plain(masks)

    target.scores_packed = counted  # the search's and the tidy's renders
    doc.score = lambda: float(plain([rasterizer(SCORE_SIZE).packed(doc.program)])[0])
    run = AutoRun(doc, assistant, jobs)
    with qtbot.waitSignal(run.finished, timeout=10000) as blocker:
        run.start()
    assert blocker.args[0].calls == sum(renders) <= budget


@pytest.mark.parametrize("older", ["loads", "fails"])
def test_a_newer_model_load_supersedes_a_slower_older_one(
    older, model_settings, jobs, qtbot, tmp_path, fake_model_path, monkeypatch
):
    """Two model files chosen one after the other, the first one slower to load: the
    model chosen last is the one used, although the older load ends (or fails) after it."""
    for name in ("slow.onnx", "fast.onnx"):
        shutil.copy(fake_model_path, tmp_path / name)
    real_load = assistant_module.PolicyModel.load
    release = threading.Event()

    class HeldLoads:
        @staticmethod
        def load(path, **kwargs):
            if Path(path).name == "slow.onnx":
                assert release.wait(10), "the test never let the slow load end"
                if older == "fails":
                    raise OSError("the slow model file went away")
            return real_load(path, **kwargs)

    monkeypatch.setattr(assistant_module, "PolicyModel", HeldLoads)
    doc, assistant = make(model_settings, jobs, qtbot)
    prefs = model_settings.preferences()
    for name in ("slow.onnx", "fast.onnx"):  # the preferences' change signal loads each
        prefs.model_path = str(tmp_path / name)
        model_settings.set_preferences(prefs)
    qtbot.waitUntil(lambda: assistant.model is not None, timeout=5000)
    assert assistant.model.path.name == "fast.onnx"
    release.set()  # the older, slower load ends now, after the newer one
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=5000)
    assert assistant.model.path.name == "fast.onnx"
    assert "fast.onnx" in assistant.model_status


def test_the_shipped_model_follows_the_modality_a_chosen_one_stays(
    settings, jobs, qtbot, monkeypatch
):
    loads = []

    class RecordedLoads:
        @staticmethod
        def load(path, **kwargs):
            loads.append(Path(path))
            raise OSError("not loaded in this test")

    monkeypatch.setattr(assistant_module, "PolicyModel", RecordedLoads)
    doc, assistant = make(settings, jobs, qtbot)
    chosen = Path(settings.preferences().model_path)
    doc.push(commands.set_modality(doc, "sketch"))
    assert loads == [chosen]  # a chosen model file is kept for either modality
    prefs = settings.preferences()
    prefs.model_path = ""  # the shipped model
    settings.set_preferences(prefs)
    doc.push(commands.set_modality(doc, "filled"))
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=5000)
    shipped = sorted(loads[1:])  # the two loads run on their own threads, in either order
    assert loads[0] == chosen and shipped == sorted(map(default_model_path, ("sketch", "filled")))
    assert assistant.model is None and "not loaded in this test" in assistant.model_status
