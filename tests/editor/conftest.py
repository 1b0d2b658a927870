"""Editor test fixtures: isolated settings, a real (fake-weights) model, the main window."""

import pytest
from PySide6.QtWidgets import QApplication

from editor.app import build
from editor.settings import Preferences, Settings
from tests.fake_policy import build_fake_policy


@pytest.fixture(scope="session")
def fake_model_path(tmp_path_factory):
    """A small, contract-conforming policy ONNX file (tests/fake_policy.py)."""
    path = tmp_path_factory.mktemp("models") / "fake_policy.onnx"
    build_fake_policy(path, seed=3)
    return path


@pytest.fixture
def settings(tmp_path):
    """Settings in a temporary INI file choosing missing model files (CSG2D and TinySVG),
    so tests do not depend on whether a trained model ships (auto-run then uses random
    mutations)."""
    s = Settings.at(tmp_path / "settings.ini")
    prefs = Preferences(budget=400, beam_width=8, propose_after_accept=False)
    prefs.model_path = str(tmp_path / "no-model.onnx")
    prefs.svg_model_path = str(tmp_path / "no-svg-model.onnx")
    s.set_preferences(prefs)
    return s


@pytest.fixture
def model_settings(settings, fake_model_path):
    """Settings choosing the fake model."""
    prefs = settings.preferences()
    prefs.model_path = str(fake_model_path)
    settings.set_preferences(prefs)
    return settings


def open_window(qtbot, settings, tmp_path):
    """A shown main window with its model loaded (or refused)."""
    window = build(QApplication.instance(), settings, tmp_path / "autosave.tsk")
    window.show()
    qtbot.waitExposed(window)
    assistant = window.p.assistant
    assistant.load_model()
    qtbot.waitUntil(lambda: not assistant.model_status.startswith("Loading"), timeout=5000)
    # the loader's thread ends a moment after its answer arrives (a queued signal)
    qtbot.waitUntil(lambda: not window.p.jobs.busy(), timeout=5000)
    return window


def close_window(window):
    """Close without the "save changes?" question."""
    window.p.doc.undo_stack.setClean()
    window.p.doc._forced_dirty = False
    window.close()
    window.deleteLater()


@pytest.fixture
def window(qtbot, qapp, settings, tmp_path):
    """The main window with no model file (the shipped one is absent in tests)."""
    prefs = settings.preferences()
    prefs.model_path = str(tmp_path / "no-model.onnx")
    settings.set_preferences(prefs)
    w = open_window(qtbot, settings, tmp_path)
    yield w
    close_window(w)


@pytest.fixture
def model_window(qtbot, qapp, model_settings, tmp_path):
    """The main window with the fake model loaded."""
    w = open_window(qtbot, model_settings, tmp_path)
    yield w
    close_window(w)
