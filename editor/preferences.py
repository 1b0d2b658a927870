"""The preferences dialog and the light/dark themes.

The dialog edits a :class:`editor.settings.Preferences` value; the window
stores it (``Settings.set_preferences``), and whoever uses a preference applies it
on ``Settings.preferencesChanged``: a new model file is loaded, the pen width,
edge tolerance and theme change at once, budget and beam width apply to the next
auto-run.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from editor.settings import MAX_EDGE_TOLERANCE, THEMES, Preferences

DARK = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#2b2d31",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#35373c",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#35373c",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8a8d93",
}


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch the whole application to the ``"light"`` or ``"dark"`` theme (Fusion style);
    nothing is restyled when the application already shows that theme."""
    if app.style().name() != "fusion":
        app.setStyle("Fusion")
    palette = app.style().standardPalette()
    if theme == "dark":
        for role, color in DARK.items():
            palette.setColor(role, QColor(color))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#777"))
        palette.setColor(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#777")
        )
    if palette != app.palette():
        app.setPalette(palette)


class PreferencesDialog(QDialog):
    """Edit the preferences; :meth:`preferences` returns the result."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(560)
        self._prefs = prefs
        self.model_path = QLineEdit(prefs.model_path)
        self.model_path.setPlaceholderText("the shipped model (models/policy.onnx)")
        model_row = self._path_row(self.model_path)
        self.svg_model_path = QLineEdit(prefs.svg_model_path)
        self.svg_model_path.setPlaceholderText(
            "the shipped TinySVG model (models/policy_tinysvg.onnx)"
        )
        self.svg_model_path.setToolTip("The policy model used on TinySVG documents")
        svg_model_row = self._path_row(self.svg_model_path)
        self.budget = QSpinBox(minimum=10, maximum=100_000, singleStep=500, suffix=" calls")
        self.budget.setValue(prefs.budget)
        self.beam_width = QSpinBox(minimum=1, maximum=256, value=prefs.beam_width)
        self.pen_width = QDoubleSpinBox(minimum=0.25, maximum=8.0, singleStep=0.25, suffix=" u")
        self.pen_width.setValue(prefs.pen_width)
        self.edge_tolerance = QDoubleSpinBox(
            minimum=0.0, maximum=MAX_EDGE_TOLERANCE, singleStep=0.5, suffix=" u"
        )
        self.edge_tolerance.setValue(prefs.edge_tolerance)
        self.edge_tolerance.setToolTip(
            "A filled drawing matches when the program's edges are within this distance of "
            "the drawn edges (0 = pixel-exact; one grid step is 2 units)"
        )
        self.theme = QComboBox()
        for t in THEMES:
            self.theme.addItem(t.title(), t)
        self.theme.setCurrentIndex(THEMES.index(prefs.theme))
        self.propose_after = QCheckBox("Propose the next edit after accepting one")
        self.propose_after.setChecked(prefs.propose_after_accept)
        self.refine = QCheckBox("Auto-run polishes each new best program value by value")
        self.refine.setChecked(prefs.refine)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=prefs.seed)
        form = QFormLayout(self)
        form.addRow("Model file", model_row)
        form.addRow("TinySVG model file", svg_model_row)
        form.addRow("Search budget", self.budget)
        form.addRow("Beam width", self.beam_width)
        form.addRow("Pen width", self.pen_width)
        form.addRow("Edge tolerance", self.edge_tolerance)
        form.addRow("Theme", self.theme)
        form.addRow("", self.propose_after)
        form.addRow("", self.refine)
        form.addRow("Random seed", self.seed)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _path_row(self, field: QLineEdit) -> QHBoxLayout:
        """A model-file field with its Browse… button."""
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(field))
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(browse)
        return row

    def _browse(self, field: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model", "", "ONNX model (*.onnx)")
        if path:
            field.setText(path)

    def preferences(self) -> Preferences:
        """The edited preferences."""
        return replace(
            self._prefs,
            model_path=self.model_path.text().strip(),
            svg_model_path=self.svg_model_path.text().strip(),
            budget=self.budget.value(),
            beam_width=self.beam_width.value(),
            pen_width=self.pen_width.value(),
            edge_tolerance=self.edge_tolerance.value(),
            theme=self.theme.currentData(),
            propose_after_accept=self.propose_after.isChecked(),
            refine=self.refine.isChecked(),
            seed=self.seed.value(),
        )
