"""The main window: panes in docks, menus and tool bar, title, status bar.

The window receives every pane and controller ready-made (``editor.app``
creates them) and only arranges and connects them: :meth:`MainWindow._wire`
is the one place where panes are connected to each other.  Menus are
declared as data (:meth:`MainWindow._menus`); the platform's standard keys
are used for file, undo and zoom actions.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QToolButton,
    QWidget,
)

from editor import commands, file_dialogs
from editor.files import EXPORT_FORMATS, export_formats
from editor.preferences import PreferencesDialog
from editor.quick_guide import QuickGuide, key_text
from editor.sketch_pad import IMAGE_SUFFIXES
from inference.files.images import looks_filled
from inference.lang.grammar import CSG2D, TINYSVG, Grammar

log = logging.getLogger("treesketch.editor")
Std = QKeySequence.StandardKey
NEW_DOCUMENTS = [  # (label, shortcut, language): File ▸ New
    ("New CSG2D Document", Std.New, CSG2D),
    ("New TinySVG Document", "Ctrl+Shift+N", TINYSVG),
]
LANGUAGE_TIPS = {
    CSG2D.name: "CSG2D: circles and quads, added and cut (a grey sketch target)",
    TINYSVG.name: "TinySVG: coloured rectangles and ellipses, arranged and moved "
    "(a colour picture target)",
}


def _standard(key: QKeySequence.StandardKey, fallback: str) -> QKeySequence:
    """The platform's key for ``key``, or ``fallback`` where the platform has none."""
    sequence = QKeySequence(key)
    return sequence if not sequence.isEmpty() else QKeySequence(fallback)


class MainWindow(QMainWindow):
    """The TreeSketch window (see ``editor.app.build`` for what it is given)."""

    def __init__(self, app, parts, shutdown):
        super().__init__()
        self.app, self.p, self._shutdown = app, parts, shutdown
        self.setWindowIcon(parts.icon)
        self.setAcceptDrops(True)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(parts.sketch_pad)
        split.addWidget(parts.render_view)
        split.setSizes([500, 500])
        self.setCentralWidget(split)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.docks = {
            "tree": self._dock("Syntax tree", parts.tree_panel, right),
            "proposals": self._dock("Proposals", parts.proposals, right),
            "text": self._dock("Program text", parts.program_text, bottom),
            "history": self._dock("History", parts.undo_view, bottom),
            "log": self._dock("Log", parts.log_pane, bottom),
        }
        self.tabifyDockWidget(self.docks["text"], self.docks["history"])
        self.tabifyDockWidget(self.docks["history"], self.docks["log"])
        self.docks["text"].raise_()
        self.resizeDocks([self.docks["text"]], [170], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["tree"]], [330], Qt.Orientation.Horizontal)
        self.resizeDocks(
            [self.docks["tree"], self.docks["proposals"]], [250, 420], Qt.Orientation.Vertical
        )
        self.undo_action = parts.doc.undo_stack.createUndoAction(self, "&Undo")
        self.redo_action = parts.doc.undo_stack.createRedoAction(self, "&Redo")
        self.undo_action.setShortcut(Std.Undo)
        self.redo_action.setShortcut(Std.Redo)
        self.undo_action.setIconText("Undo")  # the menu says what; keep the tool bar steady
        self.redo_action.setIconText("Redo")
        self.actions_by_name: dict[str, QAction] = {}
        self.quick_guide: QuickGuide | None = None
        self._menus()
        self._toolbar()
        self.language_label = QLabel()
        self.language_label.setContentsMargins(6, 0, 6, 0)
        self.statusBar().addPermanentWidget(self.language_label)
        self.statusBar().showMessage("Ready")
        self._wire()
        self.resize(1280, 800)
        geometry, state = parts.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._update_title()

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_"))
        if title == "Proposals":  # tall content: scroll rather than clip in a short dock
            scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
            scroll.setWidget(widget)
            widget = scroll
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ----- menus and tool bar --------------------------------------------------------------

    def _menus(self) -> None:
        p, f = self.p, self.p.files
        menus = {
            "&File": [
                "new",
                ("Open…", Std.Open, lambda: file_dialogs.open_dialog(self, f)),
                "recent",
                ("Save", Std.Save, lambda: file_dialogs.save(self, f)),
                ("Save As…", Std.SaveAs, lambda: file_dialogs.save_as(self, f)),
                "export",
                None,
                ("Load Target Image…", "Ctrl+I", p.sketch_pad.choose_image),
                ("Preferences…", _standard(Std.Preferences, "Ctrl+,"), self.edit_preferences),
                None,
                ("Quit", Std.Quit, self.close),
            ],
            "&Edit": [
                self.undo_action,
                self.redo_action,
                None,
                ("Copy Program Text", "Ctrl+Shift+C", p.program_text.copy),
                ("Paste Program Text", "Ctrl+Shift+V", p.program_text.paste),
                None,
                *p.tree_panel.actions_by_key.values(),
                None,
                ("Clear Target", None, p.sketch_pad.clear),
            ],
            "&View": [
                ("Zoom In", Std.ZoomIn, lambda: self._canvases("zoom_in")),
                ("Zoom Out", Std.ZoomOut, lambda: self._canvases("zoom_out")),
                ("Fit to Window", "Ctrl+0", lambda: self._canvases("fit")),
                ("Difference View", "Ctrl+Shift+D", p.render_view.difference.toggle),
                None,
                *(d.toggleViewAction() for d in self.docks.values()),
            ],
            "&Model": [
                *p.proposals.actions_by_key.values(),
                None,
                ("Reload Model", None, p.assistant.load_model),
            ],
            "&Help": [
                ("Quick Guide", _standard(Std.HelpContents, "F1"), self.show_quick_guide),
                ("About TreeSketch", None, self.about),
            ],
        }
        for title, entries in menus.items():
            menu = self.menuBar().addMenu(title)
            for entry in entries:
                self._add_entry(menu, entry)

    def _add_entry(self, menu: QMenu, entry) -> None:
        if entry is None:
            menu.addSeparator()
        elif entry == "new":
            self.new_menu = menu.addMenu("&New")
            for label, shortcut, grammar in NEW_DOCUMENTS:
                act = self.new_menu.addAction(label)
                act.setShortcut(shortcut)
                act.setToolTip(LANGUAGE_TIPS[grammar.name])
                act.triggered.connect(lambda _=False, g=grammar: self.new_document(g))
                self.actions_by_name[label] = act
            # "New" is the plain File ▸ New key (a CSG2D document, as before TinySVG)
            self.actions_by_name["New"] = self.actions_by_name[NEW_DOCUMENTS[0][0]]
        elif entry == "recent":
            self.recent_menu = menu.addMenu("Open &Recent")
            self._fill_recent()
        elif entry == "export":
            export = self.export_menu = menu.addMenu("&Export")
            for name in EXPORT_FORMATS:  # the document's language shows its own (_language)
                act = export.addAction(f"{name}…")
                act.triggered.connect(
                    lambda _=False, n=name: file_dialogs.export_dialog(self, self.p.files, n)
                )
                self.actions_by_name[f"Export {name}"] = act
        elif isinstance(entry, QAction):
            menu.addAction(entry)
            self.addAction(entry)  # shortcuts work with the menu bar hidden too
        else:
            label, shortcut, handler = entry
            act = menu.addAction(label)
            if shortcut is not None:
                act.setShortcut(shortcut)
            act.triggered.connect(lambda _=False, h=handler: h())
            self.actions_by_name[label] = act

    def _toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("main_toolbar")
        new = QToolButton(bar)
        new.setDefaultAction(self.actions_by_name["New"])
        new.setMenu(self.new_menu)
        new.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        new.setText("New")
        self.new_button = new
        bar.addWidget(new)
        for name in ["Open…", "Save"]:
            bar.addAction(self.actions_by_name[name])
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        bar.addSeparator()
        for key in ("propose", "accept", "reject", "autorun", "stop"):
            bar.addAction(self.p.proposals.actions_by_key[key])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.p.files.recent_files()
        for path in recent:
            act = self.recent_menu.addAction(Path(path).name)
            act.setToolTip(path)
            act.triggered.connect(
                lambda _=False, x=path: file_dialogs.open_path(self, self.p.files, x)
            )
        self.recent_menu.setEnabled(bool(recent))

    # ----- wiring --------------------------------------------------------------------------

    def _wire(self) -> None:
        """Connect the panes and controllers to each other and to the window."""
        p = self.p
        doc = p.doc
        doc.dirtyChanged.connect(lambda _d: self._update_title())
        doc.pathChanged.connect(self._update_title)
        doc.loaded.connect(self._language)
        self._language()
        p.files.recentChanged.connect(self._fill_recent)
        for source in (p.sketch_pad, p.program_text, p.tree_panel, p.assistant, p.autorun):
            source.message.connect(self.show_message)
        p.log_bridge.record.connect(p.log_pane.append)
        # dialogs after the load or drop has returned (a drop must not wait on a dialog)
        p.sketch_pad.imageFailed.connect(
            lambda path, why: QTimer.singleShot(0, self, lambda: self._image_failed(path, why))
        )
        p.sketch_pad.imageLoaded.connect(
            lambda path: QTimer.singleShot(0, self, lambda: self._image_loaded(path))
        )
        p.sketch_pad.canvas.hint = self.pad_hint()
        p.autorun.stateChanged.connect(lambda s: self.statusBar().showMessage(f"Auto-run: {s}"))

    def show_message(self, text: str) -> None:
        """Show ``text`` in the status bar (and the log)."""
        self.statusBar().showMessage(text, 8000)
        log.info("%s", text)

    def _update_title(self) -> None:
        doc = self.p.doc
        self.setWindowTitle(f"{doc.display_name}[*] — {doc.language} — TreeSketch")
        self.setWindowModified(doc.dirty)

    def _language(self) -> None:
        """Show the document's language (title, status bar) and its export formats."""
        language = self.p.doc.language
        self.language_label.setText(language)
        self.language_label.setToolTip(LANGUAGE_TIPS.get(language, language))
        formats = export_formats(self.p.doc.grammar)
        for name in EXPORT_FORMATS:
            self.actions_by_name[f"Export {name}"].setVisible(name in formats)
        self._update_title()

    def _canvases(self, method: str) -> None:
        for canvas in (self.p.sketch_pad.canvas, self.p.render_view.canvas):
            getattr(canvas, method)()

    # ----- actions -------------------------------------------------------------------------

    def new_document(self, grammar: Grammar = CSG2D) -> None:
        """Start an empty ``grammar`` document (after asking about unsaved changes)."""
        if file_dialogs.maybe_save(self, self.p.files):
            self.p.doc.new(grammar)
            self.show_message(f"New {grammar.name} document")

    def edit_preferences(self) -> None:
        """Show the preferences dialog and store the result; whoever uses a preference
        applies it (``Settings.preferencesChanged``)."""
        dialog = PreferencesDialog(self.p.settings.preferences(), self)
        if dialog.exec():
            self.p.settings.set_preferences(dialog.preferences())

    def pad_hint(self) -> str:
        """The empty sketch pad's hint, naming the keys the window's actions really have."""
        tools = {n: key_text(a) for n, a in self.p.sketch_pad.tool_actions.items()}
        keys = self.p.proposals.actions_by_key
        load = key_text(self.actions_by_name["Load Target Image…"])
        return (
            f"Draw a shape here: pen ({tools['pen']}), rectangle ({tools['rect']}), "
            f"ellipse ({tools['ellipse']}); fill ({tools['fill']}) makes an outline solid. "
            f"Or drop an image here ({load} to choose one).\n\n"
            f"Then Propose ({key_text(keys['propose'])}) or Auto-run "
            f"({key_text(keys['autorun'])}).\n"
            f"Help ▸ Quick Guide ({key_text(self.actions_by_name['Quick Guide'])})"
        )

    def show_quick_guide(self) -> QuickGuide:
        """Show the quick guide and shortcut list (non-modal; one window, brought to front)."""
        guide = self.quick_guide = self.quick_guide or QuickGuide(self)
        guide.refresh()
        guide.show()
        guide.raise_()
        guide.activateWindow()
        return guide

    def _image_failed(self, path: str, reason: str) -> None:
        log.error("cannot load the image %s: %s", path, reason)
        text = f"TreeSketch cannot load {Path(path).name}: {reason[:1].upper()}{reason[1:]}."
        if reason.startswith("not an image"):
            text = (
                f"{Path(path).name} is not an image TreeSketch can read.\n\n"
                "Choose a PNG, JPEG or BMP file: a drawing or a photo of one."
            )
        QMessageBox.warning(self, "Cannot load the image", text)

    def _image_loaded(self, path: str) -> None:
        doc = self.p.doc
        self.show_message(f"Loaded {Path(path).name} as the target")
        if doc.modality != "sketch" or not looks_filled(doc.target):
            return
        answer = QMessageBox.question(
            self,
            "A filled shape?",
            f"{Path(path).name} looks like a filled shape, but the target is set to "
            "Outline sketch, which reads every inked pixel as a line.\n\n"
            "Switch the target to Filled shape?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            doc.push(commands.set_modality(doc, "filled"))

    def about(self) -> None:
        """The About box."""
        QMessageBox.about(
            self,
            "About TreeSketch",
            "<b>TreeSketch</b><br>Sketch a shape; get an editable CSG program "
            "(or a TinySVG drawing program from a colour picture).<br>"
            "Diffusion on syntax trees (Kapur, Jenner, Russell).",
        )

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if Path(path).suffix.lower() in IMAGE_SUFFIXES:
                self.p.sketch_pad.load_image(path)
            elif path:
                file_dialogs.open_path(self, self.p.files, path)
            break

    def closeEvent(self, event: QCloseEvent) -> None:
        self.p.autorun.stop()
        if not file_dialogs.maybe_save(self, self.p.files):
            event.ignore()
            return
        self.p.settings.set_window_state(self.saveGeometry(), self.saveState())
        self._shutdown()
        event.accept()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.p.sketch_pad.canvas.setFocus)
